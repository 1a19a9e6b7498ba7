// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/machine.h"
#include "mlcarbon/sensors/procfs.h"
#include "mlcarbon/sensors/sensor.h"

/// Estimated CPU and memory energy for machines without counters. The
/// models, their fits and their sources are in docs/models.md.
namespace mlcarbon::sensors {

/// Bare-metal curve P(u) = TDP x (a + b u^k): a is the idle floor
/// (CodeCarbon's 10 % of TDP; the profiles' idle rows are artefacts), b and
/// k are fitted to codecarbon's load-vs-RAPL profiles of five CPUs
/// (data/cpu_load_profiles.csv, scripts/data/build_cpu_load_profiles.py).
inline constexpr double kCpuIdleFraction = 0.10;
inline constexpr double kCpuCurveScale = 0.61;
inline constexpr double kCpuCurveExponent = 0.88;
/// Measured / modelled energy of the fitted curve over each profile run:
/// the lowest and highest of the five runs (docs/models.md).
inline constexpr double kCpuCurveBandLow = 0.81;
inline constexpr double kCpuCurveBandHigh = 1.69;
/// Unknown CPU on bare metal: Green Algorithms v3.0 "Any" row, 12 W per
/// core, applied per visible logical CPU.
inline constexpr Watts kDefaultWattsPerCpu{12.0};
/// Cloud Carbon Footprint's memory coefficient (0.392 W per GB, Apache-2.0),
/// applied per GiB of installed memory.
inline constexpr double kMemoryWattsPerGb = 0.392;
/// Green Algorithms v3.0's figure (0.3725 W/GB), the low end of the band.
inline constexpr double kMemoryWattsPerGbLow = 0.3725;

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

/// Which form the CPU model takes.
enum class CpuModelKind {
  /// VM: vCPUs x (min + u (max - min)) per vCPU (Cloud Carbon Footprint);
  /// with --cpu-watts on bare metal, per package.
  kLinear,
  /// Bare metal: TDP x (a + b u^k).
  kTdpCurve,
};

/// How the CPU model got its figures.
struct CpuPowerModel {
  std::string model_name;  // as /proc/cpuinfo says
  int logical_cpus = 0;
  int packages = 1;
  /// cpu_family(): "amd-epyc-2"; empty when unknown.
  std::string family;
  CpuModelKind kind = CpuModelKind::kTdpCurve;
  /// kLinear: watts per unit (vCPU or package) and the unit count.
  CpuWatts per_unit;
  int units = 0;
  /// kTdpCurve: the table row (nullopt: --tdp or the per-CPU default).
  std::optional<CpuTdpRow> row;
  /// kTdpCurve: TDP x packages, or 12 W x logical_cpus.
  Watts tdp_used{0};
  /// "CCF row any/average (0.73-3.78 W per vCPU) x 2 vCPUs".
  std::string how;
  /// Where the figures come from: "default", "table data/cpu_vm_watts.csv
  /// row gcp/amd-epyc-2", "config file PATH:LINE", "flag --tdp".
  std::string origin;
  Band band;
};

/// The CPU model for this CPU on this machine, with `overrides` taking
/// precedence over the tables (--cpu-watts over --tdp).
[[nodiscard]] CpuPowerModel make_cpu_power_model(
    const procfs::CpuInfo& cpu, const Machine& machine,
    const PowerOverrides& overrides = {});

/// P(u) of the model, u in [0, 1] (clamped).
[[nodiscard]] Watts cpu_power(const CpuPowerModel& model, double utilisation);

/// The bare-metal curve's factor a + b u^k, u clamped to [0, 1].
[[nodiscard]] double cpu_curve(double utilisation);

/// One row of data/cpu_vm_watts.csv.
struct CpuVmWattsRow {
  std::string provider;  // "aws", "gcp", "azure", "any"
  std::string family;    // cpu_family() name or "average"
  CpuWatts watts;
  std::string source;
};
/// The row for `provider` (empty: "any") and `family`: the provider's
/// family row, else "any"'s family row, else the provider's average, else
/// "any"'s average.
[[nodiscard]] CpuVmWattsRow lookup_cpu_vm_watts(std::string_view provider,
                                                std::string_view family);
/// Every row of the table (for tests and the band).
[[nodiscard]] const std::vector<CpuVmWattsRow>& cpu_vm_watts_rows();

/// "cpu-model": power from /proc/stat utilisation between samples through
/// the model (per-vCPU linear on a VM, TDP curve on bare metal), times the
/// elapsed time of the injected clock. Domain "cpu".
class CpuModelSensor final : public EnergySensor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<CpuModelSensor>> create(
      const SensorOptions& options);

  std::string_view name() const override { return "cpu-model"; }
  Method method() const override { return Method::kEstimated; }
  std::string description() const override;
  const std::vector<Domain>& domains() const override { return domains_; }
  Band band() const override { return model_.band; }
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

/// How the memory model got its figure.
struct MemoryPowerModel {
  /// MemTotal, read once: installed memory does not swing with other
  /// processes' use.
  std::uint64_t installed_bytes = 0;
  double watts_per_gb = kMemoryWattsPerGb;
  /// "default (Cloud Carbon Footprint)", "config file PATH:LINE", "flag
  /// --memory-watts-per-gb".
  std::string origin;
  Watts power{0};
  Band band;
};
[[nodiscard]] MemoryPowerModel make_memory_power_model(
    const procfs::MemInfo& mem, const PowerOverrides& overrides = {});

/// "memory-model": the machine's installed memory (MemTotal, read when the
/// sensor is created) x W per GiB, a constant power. The meter attributes
/// the process tree's share. Domain "memory".
class MemoryModelSensor final : public EnergySensor {
 public:
  [[nodiscard]] static Result<std::unique_ptr<MemoryModelSensor>> create(
      const SensorOptions& options);

  std::string_view name() const override { return "memory-model"; }
  Method method() const override { return Method::kEstimated; }
  std::string description() const override;
  const std::vector<Domain>& domains() const override { return domains_; }
  Band band() const override { return model_.band; }
  Result<EnergySample> sample() override;

  [[nodiscard]] const MemoryPowerModel& model() const { return model_; }

 private:
  MemoryModelSensor(const SensorOptions& options, MemoryPowerModel model);

  const Clock& clock_;
  MemoryPowerModel model_;
  std::vector<Domain> domains_;
  SteadyTime start_;
};

}  // namespace mlcarbon::sensors
