// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/fd.h"
#include "mlcarbon/sensors/sensor.h"

/// The three ways to read Intel/AMD RAPL energy counters. Each factory
/// returns a ready sensor or an Error whose remedy() says how to enable it.
namespace mlcarbon::sensors {

/// Reads one integer from a sysfs file. Abstract so tests can inject
/// failures that root (who runs the tests) would not see, e.g. EACCES.
class SysfsReader {
 public:
  virtual ~SysfsReader() = default;
  /// The trimmed file as an unsigned integer; EACCES gives
  /// Errc::kPermissionDenied, a missing file Errc::kNotFound.
  [[nodiscard]] virtual Result<std::uint64_t> read_u64(
      const std::filesystem::path& path) const = 0;
};

/// The real filesystem (one open + pread + close per call).
[[nodiscard]] const SysfsReader& real_sysfs_reader();

/// RAPL through powercap sysfs ("rapl-powercap"): every intel-rapl:N and
/// intel-rapl:N:M zone (amd-rapl naming too; intel-rapl-mmio is skipped as
/// a duplicate of the package zone). Domains package-N, core-N, uncore-N,
/// dram-N and psys; core, uncore and psys are nested. Energy is cumulative
/// since creation with max_energy_range_uj wrap-around undone.
/// `reader` must outlive the sensor.
[[nodiscard]] Result<std::unique_ptr<EnergySensor>> open_powercap_sensor(
    const SensorOptions& options,
    const SysfsReader& reader = real_sysfs_reader());

/// The perf_event_open system call and the counter reads, behind an
/// interface so tests can feed counter values.
class PerfEventApi {
 public:
  virtual ~PerfEventApi() = default;
  /// Opens a system-wide counter on `cpu`; returns its fd or an Error
  /// whose code follows errno (EACCES/EPERM -> kPermissionDenied).
  [[nodiscard]] virtual Result<int> open(std::uint32_t type,
                                         std::uint64_t config, int cpu) = 0;
  /// The raw 64-bit count of an open counter.
  [[nodiscard]] virtual Result<std::uint64_t> read(int fd) = 0;
  virtual void close(int fd) = 0;
};

/// The real system call.
[[nodiscard]] std::unique_ptr<PerfEventApi> real_perf_event_api();

/// One RAPL event of the perf `power` PMU, as read from sysfs.
struct PerfRaplEvent {
  std::string event;  // "energy-pkg"
  std::uint64_t config = 0;
  double scale_j = 0;  // Joules per count
};

/// The PMU type and its energy-* events (type, events/<e>, <e>.scale,
/// <e>.unit must be "Joules").
struct PerfPowerPmu {
  std::uint32_t type = 0;
  std::vector<PerfRaplEvent> events;
  /// One CPU per package, from <pmu>/cpumask; {0} when absent.
  std::vector<int> cpus;
};
[[nodiscard]] Result<PerfPowerPmu> read_perf_power_pmu(
    const std::filesystem::path& pmu_dir);

/// RAPL through perf_event ("rapl-perf"): one counter per event and package.
[[nodiscard]] Result<std::unique_ptr<EnergySensor>> open_perf_sensor(
    const SensorOptions& options,
    std::unique_ptr<PerfEventApi> api = real_perf_event_api());

/// CPU vendors whose RAPL MSRs we know.
enum class CpuVendor { kUnknown, kIntel, kAmd };

/// Opens one <cpu>/msr file read-only; errors map errno with
/// errc_from_errno. A seam so tests can inject EACCES, which root (who runs
/// them) would not see.
using MsrOpener =
    std::function<Result<UniqueFd>(const std::filesystem::path& path)>;

/// open(2), read-only.
[[nodiscard]] const MsrOpener& real_msr_opener();

/// RAPL through /dev/cpu/<n>/msr ("rapl-msr"). Intel: unit 0x606, package
/// 0x611, dram 0x619; AMD family 17h+: unit 0xC0010299, package 0xC001029B.
/// One CPU per package (from <proc>/cpuinfo physical id). `vendor`
/// kUnknown means read vendor_id from <proc>/cpuinfo. A file that cannot
/// be opened gives kUnavailable (missing) or kPermissionDenied, with a
/// remedy.
[[nodiscard]] Result<std::unique_ptr<EnergySensor>> open_msr_sensor(
    const SensorOptions& options, CpuVendor vendor = CpuVendor::kUnknown,
    const MsrOpener& open = real_msr_opener());

/// MSR register numbers (Intel SDM vol. 4; AMD PPR for family 17h).
inline constexpr std::uint32_t kMsrRaplPowerUnit = 0x606;
inline constexpr std::uint32_t kMsrPkgEnergyStatus = 0x611;
inline constexpr std::uint32_t kMsrDramEnergyStatus = 0x619;
inline constexpr std::uint32_t kMsrAmdRaplPowerUnit = 0xC0010299;
inline constexpr std::uint32_t kMsrAmdPkgEnergyStatus = 0xC001029B;

}  // namespace mlcarbon::sensors
