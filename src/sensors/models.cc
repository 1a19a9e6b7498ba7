// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/models.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::embedded {
std::string_view cpu_tdp_csv();
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

CpuPowerModel make_cpu_power_model(const procfs::CpuInfo& cpu) {
  CpuPowerModel m;
  m.model_name = cpu.model_name;
  m.logical_cpus = std::max(cpu.logical_cpus, 1);
  m.row = lookup_cpu_tdp(cpu.model_name);
  if (m.row && m.row->cores > 0) {
    // A VM sees a few threads of a big socket: charge its share only.
    const double share =
        std::min(1.0, static_cast<double>(m.logical_cpus) / m.row->cores);
    m.tdp_used = m.row->tdp * share;
    m.how = fmt::format("table row '{}' ({:.0f} W, {} cores) x min(1, {}/{})",
                        m.row->model, m.row->tdp.value(), m.row->cores,
                        m.logical_cpus, m.row->cores);
  } else {
    m.row.reset();
    m.tdp_used = kDefaultWattsPerCpu * static_cast<double>(m.logical_cpus);
    m.how = fmt::format(
        "default {:.0f} W per logical CPU x {} (model not in data/cpu_tdp.csv)",
        kDefaultWattsPerCpu.value(), m.logical_cpus);
  }
  return m;
}

Watts cpu_power(Watts tdp_used, double utilisation) {
  const double u = std::clamp(utilisation, 0.0, 1.0);
  return tdp_used * (kCpuIdleFraction +
                     (1.0 - kCpuIdleFraction) * std::pow(u, kCpuCurveExponent));
}

Result<std::unique_ptr<CpuModelSensor>> CpuModelSensor::create(
    const SensorOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuInfo info,
                            procfs::read_cpuinfo(options.proc_root));
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuTimes times,
                            procfs::read_cpu_times(options.proc_root));
  return std::unique_ptr<CpuModelSensor>(
      new CpuModelSensor(options, make_cpu_power_model(info), times));
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
  return fmt::format(
      "TDP {:.1f} W x utilisation curve ({})", model_.tdp_used.value(),
      model_.row ? "table row " + model_.row->model : "default per-CPU TDP");
}

Band CpuModelSensor::band() const {
  // RAPL package power over a TDP x load estimate in CodeCarbon's CPU load
  // profiles (five CPUs, 103 loaded rows): 5th to 95th percentile.
  return {0.39, 2.18,
          "measured/estimated power, 5th-95th percentile, CodeCarbon CPU load "
          "profiles (no fit of this model yet)"};
}

Result<EnergySample> CpuModelSensor::sample() {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::CpuTimes times,
                            procfs::read_cpu_times(proc_root_));
  const SteadyTime now = clock_.now();
  const double u = procfs::utilisation(last_times_, times);
  total_ += cpu_power(model_.tdp_used, u) * Seconds(now - last_time_);
  last_times_ = times;
  last_time_ = now;
  return EnergySample{now, {total_}};
}

Watts memory_power(std::uint64_t used_bytes) {
  return Watts(kMemoryWattsPerGib * static_cast<double>(used_bytes) /
               static_cast<double>(1ULL << 30));
}

Result<std::unique_ptr<MemoryModelSensor>> MemoryModelSensor::create(
    const SensorOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::MemInfo mem,
                            procfs::read_meminfo(options.proc_root));
  return std::unique_ptr<MemoryModelSensor>(
      new MemoryModelSensor(options, memory_power(mem.used_bytes())));
}

MemoryModelSensor::MemoryModelSensor(const SensorOptions& options, Watts first)
    : proc_root_(options.proc_root),
      clock_(*options.clock),
      domains_{{"memory", DomainKind::kMemory, 0, false}},
      last_power_(first),
      last_time_(clock_.now()) {}

std::string MemoryModelSensor::description() const {
  return fmt::format("{} W per GiB of used memory (MemTotal - MemAvailable)",
                     kMemoryWattsPerGib);
}

Band MemoryModelSensor::band() const {
  // A per-GB average (Green Algorithms); modules draw less idle and more
  // under load, and the figure follows used, not installed, memory.
  return {0.5, 2.0,
          "half to twice the per-GB figure, a stated range (no fit of this "
          "model yet)"};
}

Result<EnergySample> MemoryModelSensor::sample() {
  MLCARBON_ASSIGN_OR_RETURN(const procfs::MemInfo mem,
                            procfs::read_meminfo(proc_root_));
  const SteadyTime now = clock_.now();
  const Watts power = memory_power(mem.used_bytes());
  total_ += (last_power_ + power) * 0.5 * Seconds(now - last_time_);
  last_power_ = power;
  last_time_ = now;
  return EnergySample{now, {total_}};
}

}  // namespace mlcarbon::sensors
