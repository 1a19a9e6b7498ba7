// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/procfs.h"
#include "mlcarbon/sensors/sensor.h"

/// Estimated CPU and memory energy for machines without counters. The
/// formulas and their sources are in docs/sensors.md.
namespace mlcarbon::sensors {

/// Power-vs-utilisation curve P(u) = TDP * (a + (1 - a) * u^k), fitted to
/// codecarbon's load-vs-RAPL profiles (docs/sensors.md, "cpu-model").
inline constexpr double kCpuIdleFraction = 0.0;
inline constexpr double kCpuCurveExponent = 0.94;
/// Unknown CPU: Green Algorithms v3.0 "Any" row, 12 W per core, applied per
/// visible logical CPU.
inline constexpr Watts kDefaultWattsPerCpu{12.0};
/// Green Algorithms v3.0 referenceValues.csv memoryPower (CC BY 4.0),
/// applied per GiB of used memory.
inline constexpr double kMemoryWattsPerGib = 0.3725;

/// One row of data/cpu_tdp.csv.
struct CpuTdpRow {
  std::string model;
  Watts tdp{0};
  int cores = 0;
};

/// Lower-case, without "(R)", "(TM)", "CPU", "Processor", "N-Core" and
/// "@ 2.40GHz", single-spaced: "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"
/// -> "intel xeon e5-2620 v3".
[[nodiscard]] std::string normalise_cpu_name(std::string_view name);

/// The table row whose normalised name occurs in the normalised `name` as
/// whole words; the longest such row wins ("xeon e5-2670 v2" over "xeon
/// e5-2670"). nullopt when none matches.
[[nodiscard]] std::optional<CpuTdpRow> lookup_cpu_tdp(std::string_view name);

/// How the CPU model got its TDP.
struct CpuPowerModel {
  std::string model_name;  // as /proc/cpuinfo says
  int logical_cpus = 0;
  std::optional<CpuTdpRow> row;  // nullopt: the per-CPU default
  /// TDP * min(1, logical_cpus / row->cores), or 12 W * logical_cpus.
  Watts tdp_used{0};
  /// "table row 'Xeon Gold 6148' (150 W, 20 cores) x min(1, 4/20)".
  std::string how;
};
[[nodiscard]] CpuPowerModel make_cpu_power_model(const procfs::CpuInfo& cpu);

/// P(u) of the curve above, u in [0, 1].
[[nodiscard]] Watts cpu_power(Watts tdp_used, double utilisation);

/// "cpu-model": power from /proc/stat utilisation between samples through
/// the curve, times the elapsed time of the injected clock. Domain "cpu".
class CpuModelSensor final : public EnergySensor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<CpuModelSensor>> create(
      const SensorOptions& options);

  std::string_view name() const override { return "cpu-model"; }
  Method method() const override { return Method::kEstimated; }
  std::string description() const override;
  const std::vector<Domain>& domains() const override { return domains_; }
  Band band() const override;
  Result<EnergySample> sample() override;

  [[nodiscard]] const CpuPowerModel& model() const { return model_; }

 private:
  CpuModelSensor(const SensorOptions& options, CpuPowerModel model,
                 procfs::CpuTimes first);

  std::filesystem::path proc_root_;
  const Clock& clock_;
  CpuPowerModel model_;
  std::vector<Domain> domains_;
  procfs::CpuTimes last_times_;
  SteadyTime last_time_;
  Joules total_{0};
};

/// "memory-model": 0.3725 W per GiB of used memory (MemTotal -
/// MemAvailable), averaged between samples. Domain "memory".
class MemoryModelSensor final : public EnergySensor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MemoryModelSensor>> create(
      const SensorOptions& options);

  std::string_view name() const override { return "memory-model"; }
  Method method() const override { return Method::kEstimated; }
  std::string description() const override;
  const std::vector<Domain>& domains() const override { return domains_; }
  Band band() const override;
  Result<EnergySample> sample() override;

 private:
  MemoryModelSensor(const SensorOptions& options, Watts first);

  std::filesystem::path proc_root_;
  const Clock& clock_;
  std::vector<Domain> domains_;
  Watts last_power_;
  SteadyTime last_time_;
  Joules total_{0};
};

/// Memory power for `used_bytes` of memory.
[[nodiscard]] Watts memory_power(std::uint64_t used_bytes);

}  // namespace mlcarbon::sensors
