// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/models.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::embedded {
std::string_view cpu_tdp_csv();
std::string_view cpu_vm_watts_csv();
}  // namespace mlcarbon::embedded

namespace mlcarbon::sensors {
namespace {

bool is_noise_word(std::string_view w) {
  if (w == "cpu" || w == "processor" || w == "(r)" || w == "(tm)")
    return true;
  // "8-core", "16-core"
  const auto dash = w.find("-core");
  return dash != std::string_view::npos && dash > 0 && dash + 5 == w.size() &&
         std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(dash),
                     [](char c) { return c >= '0' && c <= '9'; });
}

struct Table {
  std::vector<CpuTdpRow> rows;
  std::vector<std::string> normalised;
};

const Table& table() {
  static const Table kTable = [] {
    Table t;
    // The embedded table is tested as a whole; a row it cannot use is
    // skipped rather than failing every lookup.
    auto rows = parse_csv_table(embedded::cpu_tdp_csv(), "cpu_tdp.csv");
    if (!rows)
      return t;
    for (const CsvRow& row : *rows) {
      auto model = row.get("model");
      auto tdp = row.number("tdp_w");
      auto cores = row.get("cores").and_then(
          [](const std::string& text) { return parse_u64(text); });
      if (!model || !tdp || !cores)
        continue;
      t.rows.push_back({*model, Watts(*tdp), static_cast<int>(*cores)});
      t.normalised.push_back(" " + normalise_cpu_name(*model) + " ");
    }
    return t;
  }();
  return kTable;
}

}  // namespace

std::string normalise_cpu_name(std::string_view name) {
  std::string lower = to_lower(name);
  // "(R)" and "(TM)" are sometimes glued to the word before them.
  for (std::string_view mark : {"(r)", "(tm)", "\xc2\xae", "\xe2\x84\xa2"}) {
    for (auto p = lower.find(mark); p != std::string::npos;
         p = lower.find(mark, p))
      lower.replace(p, mark.size(), " ");
  }
  if (const auto at = lower.find('@'); at != std::string::npos)
    lower.resize(at);
  std::string out;
  for (std::string_view word : split(lower, ' ')) {
    word = trim(word);
    if (word.empty() || is_noise_word(word))
      continue;
    if (!out.empty())
      out += ' ';
    out += word;
  }
  return out;
}

std::optional<CpuTdpRow> lookup_cpu_tdp(std::string_view name) {
  const std::string haystack = " " + normalise_cpu_name(name) + " ";
  const Table& t = table();
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    if (haystack.find(t.normalised[i]) == std::string::npos)
      continue;
    if (!best || t.normalised[i].size() > t.normalised[*best].size())
      best = i;
  }
  if (!best)
    return std::nullopt;
  return t.rows[*best];
}

const std::vector<CpuVmWattsRow>& cpu_vm_watts_rows() {
  static const std::vector<CpuVmWattsRow> kRows = [] {
    std::vector<CpuVmWattsRow> rows;
    // Checked whole by the tests, like the TDP table.
    auto csv =
        parse_csv_table(embedded::cpu_vm_watts_csv(), "cpu_vm_watts.csv");
    if (!csv)
      return rows;
    for (const CsvRow& row : *csv) {
      auto provider = row.get("provider");
      auto family = row.get("family");
      auto min = row.number("min_w");
      auto max = row.number("max_w");
      auto source = row.get("source");
      if (!provider || !family || !min || !max || !source)
        continue;
      rows.push_back({*provider, *family, {Watts(*min), Watts(*max)}, *source});
    }
    return rows;
  }();
  return kRows;
}

CpuVmWattsRow lookup_cpu_vm_watts(std::string_view provider,
                                  std::string_view family) {
  const auto& rows = cpu_vm_watts_rows();
  auto find = [&](std::string_view p,
                  std::string_view f) -> const CpuVmWattsRow* {
    for (const CpuVmWattsRow& r : rows) {
      if (r.provider == p && r.family == f)
        return &r;
    }
    return nullptr;
  };
  const std::string_view p = provider.empty() ? "any" : provider;
  // The family's SPECpower figures are the cloud's own where it has a row
  // and the same elsewhere: a known family beats the cloud's average.
  for (const auto& [prov, fam] :
       {std::pair{p, family}, std::pair{std::string_view("any"), family},
        std::pair{p, std::string_view("average")},
        std::pair{std::string_view("any"), std::string_view("average")}}) {
    if (fam.empty())
      continue;
    if (const CpuVmWattsRow* r = find(prov, fam))
      return *r;
  }
  // The embedded table always has any/average (tested); a safe fallback.
  return {"any", "average", {Watts(0.73), Watts(3.78)}, "built-in"};
}

namespace {

Band curve_band() {
  return {kCpuCurveBandLow, kCpuCurveBandHigh,
          "validation of the load curve on 5 measured runs of 4 CPU "
          "models (docs/models.md)"};
}

// A VM of unknown CPU family may sit on any of the families: the band
// spans their half-load power around the chosen row's, and the curve's own.
Band unknown_family_band(const CpuWatts& chosen) {
  const double mid = (chosen.min + chosen.max).value() / 2;
  double low = kCpuCurveBandLow;
  double high = kCpuCurveBandHigh;
  for (const CpuVmWattsRow& r : cpu_vm_watts_rows()) {
    if (r.provider != "any" || r.family == "average")
      continue;
    const double m = (r.watts.min + r.watts.max).value() / 2;
    low = std::min(low, m / mid);
    high = std::max(high, m / mid);
  }
  return {low, high,
          "unknown CPU family: the spread of the per-family figures "
          "(data/cpu_vm_watts.csv) and of the load curve's validation"};
}

}  // namespace

CpuPowerModel make_cpu_power_model(const procfs::CpuInfo& cpu,
                                   const Machine& machine,
                                   const PowerOverrides& overrides) {
  CpuPowerModel m;
  m.model_name = cpu.model_name;
  m.logical_cpus = std::max(cpu.logical_cpus, 1);
  m.packages = std::max<int>(static_cast<int>(cpu.package_first_cpu.size()), 1);
  m.family = cpu_family(cpu);
  m.band = curve_band();
  const bool vm = machine.kind == MachineKind::kVirtual;
  if (overrides.cpu_watts) {
    m.kind = CpuModelKind::kLinear;
    m.per_unit = overrides.cpu_watts->value;
    m.units = vm ? m.logical_cpus : m.packages;
    m.origin = overrides.cpu_watts->origin;
    m.how = fmt::format("{:.2f}-{:.2f} W per {} x {} ({})",
                        m.per_unit.min.value(), m.per_unit.max.value(),
                        vm ? "vCPU" : "package", m.units, m.origin);
    return m;
  }
  if (overrides.tdp) {
    m.kind = CpuModelKind::kTdpCurve;
    m.tdp_used = overrides.tdp->value * static_cast<double>(m.packages);
    m.origin = overrides.tdp->origin;
    m.how = fmt::format("TDP {:.0f} W x {} package(s) ({})",
                        overrides.tdp->value.value(), m.packages, m.origin);
    return m;
  }
  if (vm) {
    const CpuVmWattsRow row = lookup_cpu_vm_watts(machine.cloud, m.family);
    m.kind = CpuModelKind::kLinear;
    m.per_unit = row.watts;
    m.units = m.logical_cpus;
    m.origin = fmt::format("table data/cpu_vm_watts.csv row {}/{}",
                           row.provider, row.family);
    m.how = fmt::format("{} ({:.2f}-{:.2f} W per vCPU) x {} vCPUs", row.source,
                        row.watts.min.value(), row.watts.max.value(), m.units);
    if (row.family == "average")
      m.band = unknown_family_band(row.watts);
    return m;
  }
  m.kind = CpuModelKind::kTdpCurve;
  m.row = lookup_cpu_tdp(cpu.model_name);
  if (m.row) {
    m.tdp_used = m.row->tdp * static_cast<double>(m.packages);
    m.origin = fmt::format("table data/cpu_tdp.csv row '{}'", m.row->model);
    m.how = fmt::format("table row '{}' ({:.0f} W) x {} package(s)",
                        m.row->model, m.row->tdp.value(), m.packages);
  } else {
    m.tdp_used = kDefaultWattsPerCpu * static_cast<double>(m.logical_cpus);
    m.origin = "default";
    m.how = fmt::format(
        "default {:.0f} W per logical CPU x {} (model not in data/cpu_tdp.csv)",
        kDefaultWattsPerCpu.value(), m.logical_cpus);
  }
  return m;
}

double cpu_curve(double utilisation) {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  return kCpuIdleFraction + kCpuCurveScale * std::pow(u, kCpuCurveExponent);
}

Watts cpu_power(const CpuPowerModel& model, double utilisation) {
  if (model.kind == CpuModelKind::kTdpCurve)
    return model.tdp_used * cpu_curve(utilisation);
  const double u = std::clamp(utilisation, 0.0, 1.0);
  return (model.per_unit.min + (model.per_unit.max - model.per_unit.min) * u) *
         static_cast<double>(model.units);
}

Result<std::unique_ptr<CpuModelSensor>> CpuModelSensor::create(
    const SensorOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuInfo info,
                            procfs::read_cpuinfo(options.proc_root));
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuTimes times,
                            procfs::read_cpu_times(options.proc_root));
  const Machine machine = detect_machine(
      {options.proc_root, options.dmi_root, options.hypervisor_root});
  return std::unique_ptr<CpuModelSensor>(new CpuModelSensor(
      options, make_cpu_power_model(info, machine, options.overrides), times));
}

CpuModelSensor::CpuModelSensor(const SensorOptions& options,
                               CpuPowerModel model, procfs::CpuTimes first)
    : proc_root_(options.proc_root),
      clock_(*options.clock),
      model_(std::move(model)),
      domains_{{"cpu", DomainKind::kCpu, 0, false}},
      last_times_(first),
      last_time_(clock_.now()) {}

std::string CpuModelSensor::description() const {
  if (model_.kind == CpuModelKind::kLinear) {
    return fmt::format("{:.2f}-{:.2f} W per {} x {} x utilisation ({})",
                       model_.per_unit.min.value(), model_.per_unit.max.value(),
                       model_.units == model_.logical_cpus ? "vCPU" : "package",
                       model_.units, model_.origin);
  }
  return fmt::format("TDP {:.1f} W x load curve ({})", model_.tdp_used.value(),
                     model_.origin);
}

Result<EnergySample> CpuModelSensor::sample() {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuTimes times,
                            procfs::read_cpu_times(proc_root_));
  const SteadyTime now = clock_.now();
  const double u = procfs::utilisation(last_times_, times);
  total_ += cpu_power(model_, u) * Seconds(now - last_time_);
  last_times_ = times;
  last_time_ = now;
  return EnergySample{now, {total_}};
}

MemoryPowerModel make_memory_power_model(const procfs::MemInfo& mem,
                                         const PowerOverrides& overrides) {
  MemoryPowerModel m;
  m.installed_bytes = mem.total_bytes;
  if (overrides.memory_watts_per_gb) {
    m.watts_per_gb = overrides.memory_watts_per_gb->value;
    m.origin = overrides.memory_watts_per_gb->origin;
  } else {
    m.origin = "default (Cloud Carbon Footprint)";
  }
  m.power = Watts(m.watts_per_gb * static_cast<double>(m.installed_bytes) /
                  static_cast<double>(1ULL << 30));
  m.band = {kMemoryWattsPerGbLow / kMemoryWattsPerGb, 1.0,
            "the published W/GB figures: Green Algorithms 0.3725, Cloud "
            "Carbon Footprint 0.392"};
  return m;
}

Result<std::unique_ptr<MemoryModelSensor>> MemoryModelSensor::create(
    const SensorOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::MemInfo mem,
                            procfs::read_meminfo(options.proc_root));
  return std::unique_ptr<MemoryModelSensor>(new MemoryModelSensor(
      options, make_memory_power_model(mem, options.overrides)));
}

MemoryModelSensor::MemoryModelSensor(const SensorOptions& options,
                                     MemoryPowerModel model)
    : clock_(*options.clock),
      model_(std::move(model)),
      domains_{{"memory", DomainKind::kMemory, 0, false}},
      start_(clock_.now()) {}

std::string MemoryModelSensor::description() const {
  return fmt::format("{:.4g} W per GiB x {:.1f} GiB installed ({})",
                     model_.watts_per_gb,
                     static_cast<double>(model_.installed_bytes) /
                         static_cast<double>(1ULL << 30),
                     model_.origin);
}

Result<EnergySample> MemoryModelSensor::sample() {
  const SteadyTime now = clock_.now();
  return EnergySample{now, {model_.power * Seconds(now - start_)}};
}

}  // namespace mlcarbon::sensors
