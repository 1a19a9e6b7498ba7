// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/run_export.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mlcarbon/carbon/equivalents.h"
#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/fd.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/measure/context_json.h"

#include "json_text.h"

namespace mlcarbon::report {
namespace {

using nlohmann::ordered_json;

double kg(GramsCo2e g) {
  return g.value() / 1000.0;
}

// Energy of the counted (non-nested) domains of one kind family.
Joules energy_of(const measure::Measurement& m,
                 std::initializer_list<sensors::DomainKind> kinds) {
  Joules sum;
  for (const auto& d : m.domains) {
    if (d.nested)
      continue;
    for (const auto k : kinds) {
      if (d.kind == k)
        sum += d.energy;
    }
  }
  return sum;
}

measure::EnergyBounds bounds_of(
    const measure::Measurement& m,
    std::initializer_list<sensors::DomainKind> kinds) {
  measure::EnergyBounds sum;
  for (const auto& d : m.domains) {
    if (d.nested)
      continue;
    for (const auto k : kinds) {
      if (d.kind == k)
        sum = sum + d.bounds(d.energy);
    }
  }
  return sum;
}

Watts power_of(const measure::Measurement& m,
               std::initializer_list<sensors::DomainKind> kinds) {
  if (m.duration.count() <= 0.0)
    return Watts(0.0);
  return energy_of(m, kinds) / m.duration;
}

constexpr auto kCpuKinds = {sensors::DomainKind::kPackage,
                            sensors::DomainKind::kCpu,
                            sensors::DomainKind::kPsys};
constexpr auto kGpuKinds = {sensors::DomainKind::kGpu};
constexpr auto kRamKinds = {sensors::DomainKind::kDram,
                            sensors::DomainKind::kMemory};

std::string fmt_double(double v) {
  return fmt::format("{}", v);
}

// A float column always reads back as a float: 1.0, never 1 (pandas would
// type a column of whole numbers as int64).
std::string fmt_float(double v) {
  std::string s = fmt_double(v);
  if (s.find_first_of(".eEn") == std::string::npos)
    s += ".0";
  return s;
}

// CodeCarbon's timestamp: local time, here with its UTC offset so that it
// names one instant ("2026-05-01T14:03:07+02:00").
std::string local_iso_time(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
  std::tm tm{};
  if (::localtime_r(&secs, &tm) == nullptr)
    return format_time(t).substr(0, 19);
  std::array<char, 40> buf{};
  const std::size_t n =
      std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S%z", &tm);
  std::string out(buf.data(), n);
  // strftime's %z is +0200; ISO 8601's extended form is +02:00.
  if (out.size() >= 5)
    out.insert(out.size() - 2, ":");
  return out;
}

// CodeCarbon's region: the sub-national region in lower case ("iowa",
// "quebec"); empty for a country, the world and a cloud region.
std::string subdivision_of(const measure::CarbonInfo& c) {
  if (!c.cloud_provider.empty())
    return "";
  auto region = carbon::RegionTable::builtin().find(c.region);
  if (!region || (*region)->kind != carbon::RegionKind::kSubdivision)
    return "";
  const std::string& name = (*region)->name;  // "Iowa, United States"
  return to_lower(name.substr(0, name.find(", ")));
}

constexpr double kBytesPerGb = 1e9;
constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;

// CodeCarbon's gpu_model: "2 x NVIDIA A100-SXM4-40GB", and for a mixed
// machine each model with its count, in order of first appearance.
std::string gpu_models(const std::vector<std::string>& gpus) {
  std::vector<std::pair<std::string, std::size_t>> counts;
  for (const auto& name : gpus) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it == counts.end()) {
      counts.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (const auto& [name, n] : counts) {
    if (!out.empty())
      out += ", ";
    out += fmt::format("{} x {}", n, name);
  }
  return out;
}

// Columns rather than one object per bucket: a few thousand buckets stay
// a few hundred kB. Null when the run recorded none.
ordered_json timeline_to_json(const measure::Timeline& t) {
  if (t.empty())
    return nullptr;
  ordered_json j;
  j["buckets"] = t.size();
  j["intervals"] = t.intervals;
  j["start_s"] = t.start_s;
  j["duration_s"] = t.duration_s;
  ordered_json domains = ordered_json::array();
  for (const measure::DomainSeries& d : t.domains) {
    domains.push_back({{"domain", d.domain},
                       {"sensor", d.sensor},
                       {"method", to_string(d.method)},
                       {"nested", d.nested},
                       {"mean_w", d.mean_w},
                       {"min_w", d.min_w},
                       {"max_w", d.max_w}});
  }
  j["domains"] = std::move(domains);
  return j;
}

}  // namespace

namespace {

// `key`, and for an estimated figure `key`_low and `key`_high beside it
// (docs/measure.md: measured figures have no siblings).
void put(ordered_json& o, const std::string& key, double value, double low,
         double high, bool estimated) {
  o[key] = value;
  if (estimated) {
    o[key + "_low"] = low;
    o[key + "_high"] = high;
  }
}

void put_energy(ordered_json& o, const std::string& key, Joules e,
                measure::EnergyBounds b, bool estimated, double unit = 1.0) {
  put(o, key, e.value() / unit, b.low.value() / unit, b.high.value() / unit,
      estimated);
}

void put_co2e_kg(ordered_json& o, const std::string& key, GramsCo2e g,
                 measure::Co2eBounds b, bool estimated) {
  put(o, key, kg(g), kg(b.low), kg(b.high), estimated);
}

}  // namespace

std::string run_to_json(const measure::Run& run, bool indented) {
  const measure::Measurement& m = run.measurement;
  const bool estimated = m.method() == Method::kEstimated;
  ordered_json doc;
  doc["schema_version"] = kRunSchemaVersion;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "run";
  doc["run_id"] = run.run_id;
  doc["project_name"] = run.project;
  doc["tags"] = run.tags;
  doc["command"] = run.command;
  doc["exit_status"] =
      run.exit_status ? ordered_json(*run.exit_status) : ordered_json(nullptr);
  doc["signal"] =
      run.signal ? ordered_json(*run.signal) : ordered_json(nullptr);
  doc["interrupted"] = run.interrupted;
  doc["start"] = format_time(m.start);
  doc["end"] = format_time(m.end);
  doc["duration_s"] = m.duration.count();

  doc["context"] = measure::context_to_json(run.context);

  ordered_json energy;
  put_energy(energy, "total_j", m.total, m.total_bounds(), estimated);
  put_energy(energy, "total_kwh", m.total, m.total_bounds(), estimated,
             kJoulesPerKwh);
  energy["method"] = to_string(m.method());
  put_energy(energy, "attributed_j", m.attributed, m.attributed_bounds(),
             estimated);
  energy["attributed_share"] = m.attributed_share
                                   ? ordered_json(*m.attributed_share)
                                   : ordered_json(nullptr);
  energy["attributed_memory_share"] =
      m.attributed_memory_share ? ordered_json(*m.attributed_memory_share)
                                : ordered_json(nullptr);
  energy["attribution_method"] = "estimated";
  put_energy(energy, "idle_j", m.counted_idle_energy(), m.idle_bounds(),
             estimated);
  put_energy(energy, "above_idle_j", m.above_idle, m.above_idle_bounds(),
             estimated);
  ordered_json domains = ordered_json::array();
  for (const auto& d : m.domains) {
    const bool est = d.method == Method::kEstimated;
    ordered_json j = {
        {"domain", d.domain},           {"kind", sensors::to_string(d.kind)},
        {"sensor", d.sensor},           {"method", to_string(d.method)},
        {"description", d.description}, {"nested", d.nested}};
    put_energy(j, "energy_j", d.energy, d.bounds(d.energy), est);
    const measure::EnergyBounds power =
        d.bounds(Joules(d.average_power.value()));
    put(j, "average_power_w", d.average_power.value(), power.low.value(),
        power.high.value(), est);
    put_energy(j, "idle_energy_j", d.idle_energy, d.bounds(d.idle_energy), est);
    j["band_source"] = d.band.source;
    domains.push_back(std::move(j));
  }
  energy["domains"] = std::move(domains);
  doc["energy"] = std::move(energy);

  const measure::CarbonInfo& c = run.carbon;
  ordered_json carbon;
  carbon["region"] = c.region;
  carbon["region_name"] = c.region_name;
  carbon["region_reason"] = c.region_reason;
  carbon["intensity_g_per_kwh"] = c.intensity.value();
  carbon["intensity_source"] = c.intensity_source;
  carbon["time_varying"] = c.time_varying;
  carbon["pue"] = c.pue;
  carbon["pue_reason"] = c.pue_reason;
  const measure::Co2eBounds co2e = run.co2e_bounds();
  put_co2e_kg(carbon, "co2e_kg", run.co2e, co2e, estimated);
  put_co2e_kg(carbon, "attributed_co2e_kg", run.attributed_co2e,
              run.attributed_co2e_bounds(), estimated);
  carbon["method"] = to_string(m.method());
  doc["carbon"] = std::move(carbon);
  const carbon::EmbodiedShare& e = run.embodied;
  ordered_json embodied;
  put(embodied, "co2e_kg", kg(e.central), kg(e.low), kg(e.high), true);
  embodied["method"] = "estimated";
  embodied["terms"] = e.terms;
  embodied["included_in_co2e"] = false;
  doc["embodied"] = std::move(embodied);
  ordered_json equivalents;
  put(equivalents, "car_km", carbon::car_km(run.co2e), carbon::car_km(co2e.low),
      carbon::car_km(co2e.high), estimated);
  doc["equivalents"] = std::move(equivalents);
  doc["samples"] = m.samples;
  doc["warnings"] = m.warnings;
  ordered_json windows = ordered_json::array();
  for (const measure::WindowRecord& w : run.windows) {
    const measure::Measurement& wm = w.measurement;
    const bool est = wm.method() == Method::kEstimated;
    ordered_json j = {{"name", w.name},
                      {"start", format_time(wm.start)},
                      {"end", format_time(wm.end)},
                      {"duration_s", wm.duration.count()}};
    put_energy(j, "energy_j", wm.total, wm.total_bounds(), est);
    j["method"] = to_string(wm.method());
    put_energy(j, "attributed_j", wm.attributed, wm.attributed_bounds(), est);
    j["attributed_share"] = wm.attributed_share
                                ? ordered_json(*wm.attributed_share)
                                : ordered_json(nullptr);
    put_energy(j, "idle_j", wm.counted_idle_energy(), wm.idle_bounds(), est);
    put_energy(j, "above_idle_j", wm.above_idle, wm.above_idle_bounds(), est);
    j["intensity_g_per_kwh"] = w.intensity.value();
    put_co2e_kg(j, "co2e_kg", w.co2e, measure::co2e_bounds(w), est);
    put_co2e_kg(j, "attributed_co2e_kg", w.attributed_co2e,
                measure::attributed_co2e_bounds(w), est);
    j["warnings"] = wm.warnings;
    windows.push_back(std::move(j));
  }
  doc["windows"] = std::move(windows);
  doc["timeline"] = timeline_to_json(run.timeline);
  return dump_json(doc, indented);
}

namespace {

// mlcarbon's own columns, after CodeCarbon's.
constexpr std::string_view kOwnColumns =
    "mlcarbon_version,energy_method,cpu_energy_method,gpu_energy_method,"
    "ram_energy_method,attributed_energy,attributed_share,"
    "attributed_emissions,idle_energy,carbon_intensity,"
    "carbon_intensity_source,command,exit_status,tags";

// The error band of every estimated figure, and the embodied term; equal to
// the figure for a measured one (docs/csv.md).
constexpr std::string_view kBandColumns =
    "emissions_low,emissions_high,cpu_energy_low,cpu_energy_high,"
    "gpu_energy_low,gpu_energy_high,ram_energy_low,ram_energy_high,"
    "energy_consumed_low,energy_consumed_high,attributed_energy_low,"
    "attributed_energy_high,attributed_emissions_low,"
    "attributed_emissions_high,energy_above_idle,energy_above_idle_low,"
    "energy_above_idle_high,embodied_emissions,embodied_emissions_low,"
    "embodied_emissions_high";

// CodeCarbon 3.3's columns that CodeCarbon 2, and so mlcarbon 0.1, lacked.
constexpr std::string_view kNewInCodeCarbon3 =
    "experiment_id,water_consumed,cpu_utilization_percent,"
    "gpu_utilization_percent,ram_utilization_percent,ram_used_gb,wue";

std::vector<std::string> column_list(std::string_view names) {
  std::vector<std::string> out;
  for (const auto& n : split(names, ','))
    out.emplace_back(n);
  return out;
}

std::string join_columns(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty())
      out += ',';
    out += c;
  }
  return out;
}

// The header mlcarbon 0.1 wrote (CodeCarbon 2's 31 columns, then ours):
// recognised so that appending to such a file gets a clear message.
const std::string& legacy_csv_header() {
  static const std::string kHeader = [] {
    const auto dropped = column_list(kNewInCodeCarbon3);
    std::vector<std::string> columns;
    for (const auto& c : codecarbon_csv_columns()) {
      if (std::find(dropped.begin(), dropped.end(), c) == dropped.end())
        columns.push_back(c);
    }
    for (auto& c : column_list(kOwnColumns))
      columns.push_back(std::move(c));
    return join_columns(columns);
  }();
  return kHeader;
}

}  // namespace

const std::vector<std::string>& codecarbon_csv_columns() {
  // CodeCarbon 3.3's emissions.csv, in its order.
  static const std::vector<std::string> kColumns = column_list(
      "timestamp,project_name,run_id,experiment_id,duration,emissions,"
      "emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,"
      "ram_energy,energy_consumed,water_consumed,country_name,"
      "country_iso_code,region,cloud_provider,cloud_region,os,python_version,"
      "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,"
      "latitude,ram_total_size,tracking_mode,cpu_utilization_percent,"
      "gpu_utilization_percent,ram_utilization_percent,ram_used_gb,on_cloud,"
      "pue,wue");
  return kColumns;
}

namespace {

// The columns mlcarbon 0.2 wrote: CodeCarbon's, then ours without the band
// columns. A file with this header gets rows in its own layout.
const std::vector<std::string>& unbanded_csv_columns() {
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> columns = codecarbon_csv_columns();
    for (auto& c : column_list(kOwnColumns))
      columns.push_back(std::move(c));
    return columns;
  }();
  return kColumns;
}

}  // namespace

const std::vector<std::string>& run_csv_columns() {
  // CodeCarbon's columns first (same names, order, meaning and units), then
  // ours; docs/csv.md defines each.
  static const std::vector<std::string> kColumns = [] {
    std::vector<std::string> columns = unbanded_csv_columns();
    for (auto& c : column_list(kBandColumns))
      columns.push_back(std::move(c));
    return columns;
  }();
  return kColumns;
}

std::string run_csv_header() {
  return join_columns(run_csv_columns());
}

namespace {

std::string method_of(const measure::Measurement& m,
                      std::initializer_list<sensors::DomainKind> kinds) {
  bool any = false;
  bool all_measured = true;
  for (const auto& d : m.domains) {
    if (d.nested)
      continue;
    for (const auto k : kinds) {
      if (d.kind == k) {
        any = true;
        all_measured = all_measured && d.method == Method::kMeasured;
      }
    }
  }
  if (!any)
    return "";
  return std::string(
      to_string(all_measured ? Method::kMeasured : Method::kEstimated));
}

}  // namespace

namespace {

std::vector<std::string> run_csv_fields(const measure::Run& run,
                                        const RunCsvFields& extra) {
  const measure::Measurement& m = run.measurement;
  const double duration = m.duration.count();
  const Joules idle = m.counted_idle_energy();
  std::string tags;
  for (const auto& t : run.tags) {
    if (!tags.empty())
      tags += ';';
    tags += t;
  }
  // Columns mlcarbon cannot fill stay empty, which pandas reads as NaN:
  // never a made-up 0.
  std::vector<std::string> fields = {
      local_iso_time(m.end),
      run.project,
      run.run_id,
      extra.experiment_id,
      fmt_float(duration),
      fmt_float(kg(run.co2e)),
      fmt_float(duration > 0 ? kg(run.co2e) / duration : 0.0),
      fmt_float(power_of(m, kCpuKinds).value()),
      fmt_float(power_of(m, kGpuKinds).value()),
      fmt_float(power_of(m, kRamKinds).value()),
      fmt_float(to_kwh(energy_of(m, kCpuKinds)).value()),
      fmt_float(to_kwh(energy_of(m, kGpuKinds)).value()),
      fmt_float(to_kwh(energy_of(m, kRamKinds)).value()),
      fmt_float(to_kwh(m.total).value()),
      "",  // water_consumed: mlcarbon does not model water
      run.carbon.country_name,
      run.carbon.country_iso_code,
      subdivision_of(run.carbon),
      run.carbon.cloud_provider,
      run.carbon.cloud_region,
      run.context.os,
      extra.python_version,
      extra.codecarbon_version,  // mlcarbon's own is in mlcarbon_version
      fmt::format("{}", run.context.cpu_count),
      run.context.cpu_model,
      fmt::format("{}", run.context.gpus.size()),
      gpu_models(run.context.gpus),
      "",  // longitude: mlcarbon never geolocates
      "",  // latitude
      fmt_float(run.context.ram_total_gb * kBytesPerGb / kBytesPerGib),
      run.command.empty() ? "process" : "machine",
      "",  // cpu_utilization_percent: not sampled
      "",  // gpu_utilization_percent
      "",  // ram_utilization_percent
      "",  // ram_used_gb
      run.carbon.cloud_provider.empty() ? "N" : "Y",
      fmt_float(run.carbon.pue),
      "",  // wue: see water_consumed
      run.context.mlcarbon_version,
      std::string(to_string(m.method())),
      method_of(m, kCpuKinds),
      method_of(m, kGpuKinds),
      method_of(m, kRamKinds),
      fmt_float(to_kwh(m.attributed).value()),
      m.attributed_share ? fmt_float(*m.attributed_share) : "",
      fmt_float(kg(run.attributed_co2e)),
      fmt_float(to_kwh(idle).value()),
      fmt_float(run.carbon.intensity.value()),
      run.carbon.intensity_source,
      measure::quote_command(run.command),
      run.exit_status ? fmt::format("{}", *run.exit_status) : "",
      tags,
  };
  const measure::Co2eBounds co2e = run.co2e_bounds();
  const measure::Co2eBounds attributed_co2e = run.attributed_co2e_bounds();
  auto kwh = [](Joules e) { return fmt_float(to_kwh(e).value()); };
  const measure::EnergyBounds cpu = bounds_of(m, kCpuKinds);
  const measure::EnergyBounds gpu = bounds_of(m, kGpuKinds);
  const measure::EnergyBounds ram = bounds_of(m, kRamKinds);
  const measure::EnergyBounds total = m.total_bounds();
  const measure::EnergyBounds attributed = m.attributed_bounds();
  const measure::EnergyBounds above_idle = m.above_idle_bounds();
  const std::vector<std::string> band = {
      fmt_float(kg(co2e.low)),
      fmt_float(kg(co2e.high)),
      kwh(cpu.low),
      kwh(cpu.high),
      kwh(gpu.low),
      kwh(gpu.high),
      kwh(ram.low),
      kwh(ram.high),
      kwh(total.low),
      kwh(total.high),
      kwh(attributed.low),
      kwh(attributed.high),
      fmt_float(kg(attributed_co2e.low)),
      fmt_float(kg(attributed_co2e.high)),
      kwh(m.above_idle),
      kwh(above_idle.low),
      kwh(above_idle.high),
      fmt_float(kg(run.embodied.central)),
      fmt_float(kg(run.embodied.low)),
      fmt_float(kg(run.embodied.high)),
  };
  fields.insert(fields.end(), band.begin(), band.end());
  return fields;
}

// The first `count` fields, escaped and joined.
std::string csv_line(const std::vector<std::string>& fields,
                     std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < fields.size(); ++i) {
    if (i > 0)
      out += ',';
    out += csv_escape(fields[i]);
  }
  return out;
}

}  // namespace

std::string run_csv_row(const measure::Run& run, const RunCsvFields& extra) {
  const std::vector<std::string> fields = run_csv_fields(run, extra);
  MLCARBON_CHECK(fields.size() == run_csv_columns().size(),
                 "the CSV row and header disagree");
  return csv_line(fields, fields.size());
}

namespace {

// A device or FIFO gets the header and the row as they are: it cannot be
// read back, locked beside, or replaced.
bool is_stream(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  return !ec && (std::filesystem::is_character_file(st) ||
                 std::filesystem::is_fifo(st));
}

// A run CSV's content so far ("" when new) and how many columns its rows
// have: the current layout's, or the older one without the band columns.
struct ExistingCsv {
  std::string content;
  std::size_t columns = 0;
};

// The CSV so far, refusing a file that is not ours.
Result<ExistingCsv> existing_run_csv(const std::filesystem::path& path) {
  auto existing = read_file(path);
  const std::size_t current = run_csv_columns().size();
  if (!existing) {
    if (existing.error().code() == Errc::kNotFound)
      return ExistingCsv{"", current};
    return tl::unexpected(existing.error());
  }
  std::string content = std::move(*existing);
  if (trim(content).empty())
    return ExistingCsv{"", current};
  const std::string_view first =
      std::string_view(content).substr(0, content.find('\n'));
  if (trim(first) == legacy_csv_header()) {
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("{} was written by mlcarbon 0.1, whose columns "
                          "predate CodeCarbon 3.3's; appending would mix two "
                          "layouts in one file",
                          path.string()))
            .with_remedy("move it aside (its rows stay readable) or choose "
                         "another file; new files get the CodeCarbon 3.3 "
                         "columns"));
  }
  if (trim(first) == join_columns(unbanded_csv_columns())) {
    // Rows keep the file's layout, so every row parses under its header.
    return ExistingCsv{std::move(content), unbanded_csv_columns().size()};
  }
  if (trim(first) != run_csv_header()) {
    return make_error(Errc::kInvalidArgument,
                      "{} exists but its header is not mlcarbon's run CSV "
                      "header; choose another file",
                      path.string());
  }
  return ExistingCsv{std::move(content), current};
}

// Locks the CSV itself (no lock file beside it). A writer replaces the file
// by rename, so a waiter may wake holding the lock of a file that is no
// longer at `path`: it then locks the new one. Creates an empty file when
// there is none, which the first row's write replaces.
Result<UniqueFd> lock_run_csv(const std::filesystem::path& path) {
  for (;;) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0666));
    if (!fd) {
      return make_error(errc_from_errno(errno), "cannot open {}: {}",
                        path.string(), std::strerror(errno));
    }
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) {
        return make_error(errc_from_errno(errno), "cannot lock {}: {}",
                          path.string(), std::strerror(errno));
      }
    }
    struct stat held {};
    struct stat now {};
    if (::fstat(fd.get(), &held) == 0 && ::stat(path.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
      return fd;
    }
  }
}

}  // namespace

Status check_run_csv(const std::filesystem::path& path) {
  MLCARBON_RETURN_IF_ERROR(check_output_file(path));
  if (is_stream(path))
    return {};
  MLCARBON_ASSIGN_OR_RETURN(const ExistingCsv existing, existing_run_csv(path));
  (void)existing;
  return {};
}

Status append_run_csv(const std::filesystem::path& path,
                      const measure::Run& run, const RunCsvFields& extra) {
  if (is_stream(path)) {
    return write_file_atomic(
        path, run_csv_header() + "\n" + run_csv_row(run, extra) + "\n");
  }
  MLCARBON_ASSIGN_OR_RETURN(const UniqueFd lock, lock_run_csv(path));
  auto existing = existing_run_csv(path);
  if (!existing)
    return tl::unexpected(existing.error());
  std::string content = std::move(existing->content);
  if (content.empty()) {
    content = run_csv_header() + "\n";
  } else if (content.back() != '\n') {
    content += '\n';
  }
  content += csv_line(run_csv_fields(run, extra), existing->columns);
  content += '\n';
  return write_file_atomic(path, content);
}

HistoryEntry to_history_entry(const measure::Run& run) {
  HistoryEntry e;
  e.run_id = run.run_id;
  e.start = run.measurement.start;
  e.duration_s = run.measurement.duration.count();
  e.project = run.project;
  e.command = measure::quote_command(run.command);
  e.tags = run.tags;
  e.exit_status = run.exit_status;
  e.energy_j = run.measurement.total.value();
  e.attributed_energy_j = run.measurement.attributed.value();
  e.co2e_g = run.co2e.value();
  e.attributed_co2e_g = run.attributed_co2e.value();
  e.method = std::string(to_string(run.measurement.method()));
  e.region = run.carbon.region;
  const measure::EnergyBounds total = run.measurement.total_bounds();
  const measure::EnergyBounds attributed = run.measurement.attributed_bounds();
  const measure::Co2eBounds co2e = run.co2e_bounds();
  const measure::Co2eBounds attributed_co2e = run.attributed_co2e_bounds();
  e.bounds = FigureBounds{total.low.value(),
                          total.high.value(),
                          attributed.low.value(),
                          attributed.high.value(),
                          co2e.low.value(),
                          co2e.high.value(),
                          attributed_co2e.low.value(),
                          attributed_co2e.high.value()};
  e.document = run_to_json(run, false);
  e.node = run.context.host;
  if (const auto& slurm = run.context.slurm) {
    e.job_id = slurm->job_id;
    e.proc_id = slurm->proc_id;
    e.node_id = slurm->node_id;
    e.node = slurm->node;
  }
  return e;
}

}  // namespace mlcarbon::report
