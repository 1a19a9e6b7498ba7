// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/run_export.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mlcarbon/carbon/equivalents.h"
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

}  // namespace

std::string run_to_json(const measure::Run& run) {
  const measure::Measurement& m = run.measurement;
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
  energy["total_j"] = m.total.value();
  energy["total_kwh"] = to_kwh(m.total).value();
  energy["method"] = to_string(m.method());
  energy["attributed_j"] = m.attributed.value();
  energy["attributed_share"] = m.attributed_share
                                   ? ordered_json(*m.attributed_share)
                                   : ordered_json(nullptr);
  energy["attribution_method"] = "estimated";
  energy["above_idle_j"] = m.above_idle.value();
  ordered_json domains = ordered_json::array();
  for (const auto& d : m.domains) {
    domains.push_back({{"domain", d.domain},
                       {"kind", sensors::to_string(d.kind)},
                       {"sensor", d.sensor},
                       {"method", to_string(d.method)},
                       {"description", d.description},
                       {"nested", d.nested},
                       {"energy_j", d.energy.value()},
                       {"average_power_w", d.average_power.value()},
                       {"idle_energy_j", d.idle_energy.value()}});
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
  carbon["co2e_kg"] = kg(run.co2e);
  carbon["attributed_co2e_kg"] = kg(run.attributed_co2e);
  carbon["method"] = to_string(m.method());
  doc["carbon"] = std::move(carbon);
  doc["equivalents"] = {{"car_km", carbon::car_km(run.co2e)}};
  doc["samples"] = m.samples;
  doc["warnings"] = m.warnings;
  ordered_json windows = ordered_json::array();
  for (const measure::WindowRecord& w : run.windows) {
    const measure::Measurement& wm = w.measurement;
    windows.push_back({{"name", w.name},
                       {"start", format_time(wm.start)},
                       {"end", format_time(wm.end)},
                       {"duration_s", wm.duration.count()},
                       {"energy_j", wm.total.value()},
                       {"method", to_string(wm.method())},
                       {"attributed_j", wm.attributed.value()},
                       {"attributed_share",
                        wm.attributed_share ? ordered_json(*wm.attributed_share)
                                            : ordered_json(nullptr)},
                       {"above_idle_j", wm.above_idle.value()},
                       {"intensity_g_per_kwh", w.intensity.value()},
                       {"co2e_kg", kg(w.co2e)},
                       {"attributed_co2e_kg", kg(w.attributed_co2e)},
                       {"warnings", wm.warnings}});
  }
  doc["windows"] = std::move(windows);
  return dump_json(doc);
}

const std::vector<std::string>& run_csv_columns() {
  // CodeCarbon's emissions.csv columns first (same names, same meaning and
  // units), then ours; docs/csv.md defines each.
  static const std::vector<std::string> kColumns = {
      "timestamp", "project_name", "run_id", "duration", "emissions",
      "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy",
      "gpu_energy", "ram_energy", "energy_consumed", "country_name",
      "country_iso_code", "region", "cloud_provider", "cloud_region", "os",
      "python_version", "codecarbon_version", "cpu_count", "cpu_model",
      "gpu_count", "gpu_model", "longitude", "latitude", "ram_total_size",
      "tracking_mode", "on_cloud", "pue",
      // mlcarbon's own columns.
      "mlcarbon_version", "energy_method", "cpu_energy_method",
      "gpu_energy_method", "ram_energy_method", "attributed_energy",
      "attributed_share", "attributed_emissions", "idle_energy",
      "carbon_intensity", "carbon_intensity_source", "command", "exit_status",
      "tags"};
  return kColumns;
}

std::string run_csv_header() {
  std::string out;
  for (const auto& c : run_csv_columns()) {
    if (!out.empty())
      out += ',';
    out += c;
  }
  return out;
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

std::string run_csv_row(const measure::Run& run) {
  const measure::Measurement& m = run.measurement;
  const double duration = m.duration.count();
  const Joules idle = m.counted_idle_energy();
  std::string tags;
  for (const auto& t : run.tags) {
    if (!tags.empty())
      tags += ';';
    tags += t;
  }
  const std::vector<std::string> fields = {
      format_time(m.start).substr(0, 19),
      run.project,
      run.run_id,
      fmt_double(duration),
      fmt_double(kg(run.co2e)),
      fmt_double(duration > 0 ? kg(run.co2e) / duration : 0.0),
      fmt_double(power_of(m, kCpuKinds).value()),
      fmt_double(power_of(m, kGpuKinds).value()),
      fmt_double(power_of(m, kRamKinds).value()),
      fmt_double(to_kwh(energy_of(m, kCpuKinds)).value()),
      fmt_double(to_kwh(energy_of(m, kGpuKinds)).value()),
      fmt_double(to_kwh(energy_of(m, kRamKinds)).value()),
      fmt_double(to_kwh(m.total).value()),
      run.carbon.country_name,
      run.carbon.country_iso_code,
      run.carbon.cloud_provider.empty() ? run.carbon.region : "",
      run.carbon.cloud_provider,
      run.carbon.cloud_region,
      run.context.os,
      "",  // python_version: not a Python tool
      "",  // codecarbon_version: see mlcarbon_version
      fmt::format("{}", run.context.cpu_count),
      run.context.cpu_model,
      fmt::format("{}", run.context.gpus.size()),
      gpu_models(run.context.gpus),
      "",  // longitude: mlcarbon never geolocates
      "",  // latitude
      fmt_double(run.context.ram_total_gb),
      run.command.empty() ? "process" : "machine",
      run.carbon.cloud_provider.empty() ? "N" : "Y",
      fmt_double(run.carbon.pue),
      run.context.mlcarbon_version,
      std::string(to_string(m.method())),
      method_of(m, kCpuKinds),
      method_of(m, kGpuKinds),
      method_of(m, kRamKinds),
      fmt_double(to_kwh(m.attributed).value()),
      m.attributed_share ? fmt_double(*m.attributed_share) : "",
      fmt_double(kg(run.attributed_co2e)),
      fmt_double(to_kwh(idle).value()),
      fmt_double(run.carbon.intensity.value()),
      run.carbon.intensity_source,
      measure::quote_command(run.command),
      run.exit_status ? fmt::format("{}", *run.exit_status) : "",
      tags,
  };
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0)
      out += ',';
    out += csv_escape(fields[i]);
  }
  return out;
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

// The CSV's content so far ("" when new), refusing a file that is not ours.
Result<std::string> existing_run_csv(const std::filesystem::path& path) {
  auto existing = read_file(path);
  if (!existing) {
    if (existing.error().code() == Errc::kNotFound)
      return std::string();
    return tl::unexpected(existing.error());
  }
  std::string content = std::move(*existing);
  if (trim(content).empty())
    return std::string();
  const std::string_view first =
      std::string_view(content).substr(0, content.find('\n'));
  if (trim(first) != run_csv_header()) {
    return make_error(Errc::kInvalidArgument,
                      "{} exists but its header is not mlcarbon's run CSV "
                      "header; choose another file",
                      path.string());
  }
  return content;
}

}  // namespace

Status check_run_csv(const std::filesystem::path& path) {
  MLCARBON_RETURN_IF_ERROR(check_output_file(path));
  if (is_stream(path))
    return {};
  MLCARBON_ASSIGN_OR_RETURN(const std::string content, existing_run_csv(path));
  (void)content;
  return {};
}

Status append_run_csv(const std::filesystem::path& path,
                      const measure::Run& run) {
  if (is_stream(path)) {
    return write_file_atomic(path,
                             run_csv_header() + "\n" + run_csv_row(run) + "\n");
  }
  // The lock file serialises writers; the data file itself is replaced by
  // rename, so it cannot be the lock. Beside a link's target, which is the
  // file being replaced.
  std::error_code ec;
  std::filesystem::path lock_path = std::filesystem::is_symlink(path, ec)
                                        ? std::filesystem::canonical(path, ec)
                                        : path;
  if (ec)
    lock_path = path;
  lock_path += ".lock";
  const UniqueFd lock(
      ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock) {
    return make_error(errc_from_errno(errno), "cannot open {}: {}",
                      lock_path.string(), std::strerror(errno));
  }
  while (::flock(lock.get(), LOCK_EX) != 0 && errno == EINTR) {
  }
  auto existing = existing_run_csv(path);
  if (!existing)
    return tl::unexpected(existing.error());
  std::string content = std::move(*existing);
  if (content.empty()) {
    content = run_csv_header() + "\n";
  } else if (content.back() != '\n') {
    content += '\n';
  }
  content += run_csv_row(run);
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
  e.document = run_to_json(run);
  return e;
}

}  // namespace mlcarbon::report
