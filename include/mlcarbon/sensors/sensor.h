// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/machine.h"

namespace mlcarbon::sensors {

/// What part of the machine a domain covers.
enum class DomainKind {
  kPackage,  // a CPU socket (RAPL package)
  kCore,     // CPU cores of a socket (RAPL pp0), inside kPackage
  kUncore,   // integrated GPU/uncore (RAPL pp1), inside kPackage
  kDram,     // memory attached to a socket
  kPsys,     // the whole platform (RAPL psys)
  kGpu,      // one discrete GPU
  kCpu,      // all CPUs, from a model
  kMemory,   // all memory, from a model
};

std::string_view to_string(DomainKind kind);

/// One energy domain of a sensor: "package-0", "dram-1", "gpu-0", "cpu".
struct Domain {
  std::string name;
  DomainKind kind = DomainKind::kPackage;
  /// Socket or device index; 0 for machine-wide model domains.
  int index = 0;
  /// True when this domain's energy is already counted in another domain
  /// of the same sensor (core and uncore inside package; everything inside
  /// psys), so the meter must not add it to the machine total.
  bool nested = false;
};

/// Cumulative energy of every domain of one sensor, at one instant.
struct EnergySample {
  SteadyTime time;
  /// energy[i] belongs to domains()[i]; monotonic since the sensor was
  /// created (wrap-around already undone).
  std::vector<Joules> energy;
  /// Problems with this reading that did not make it fail, e.g. an
  /// impossible counter step that was dropped; the meter puts them in the
  /// window's warnings.
  std::vector<std::string> warnings;
};

/// How far a sensor's figure may lie from the truth, as factors of its
/// central figure: the truth is in [low * E, high * E]. Counters have a
/// band of width zero (their resolution is far below what reports show).
struct Band {
  double low = 1.0;
  double high = 1.0;
  /// Where the factors come from: "validation on ...", "source's range".
  std::string source = "hardware counter";
};

/// A source of energy readings (zeus's monitor, benchmark's PerfCounters).
/// Not thread-safe: one thread samples a given sensor.
class EnergySensor {
 public:
  virtual ~EnergySensor() = default;
  /// Short stable name: "rapl-powercap", "rapl-perf", "rapl-msr", "nvml",
  /// "cpu-model", "memory-model".
  [[nodiscard]] virtual std::string_view name() const = 0;
  /// kMeasured for hardware counters, kEstimated for models.
  [[nodiscard]] virtual Method method() const = 0;
  /// One line on how the figure is obtained, for reports:
  /// "powercap sysfs /sys/class/powercap", "TDP 65 W x utilisation curve".
  [[nodiscard]] virtual std::string description() const = 0;
  [[nodiscard]] virtual const std::vector<Domain>& domains() const = 0;
  /// The band around this sensor's energy; a model's comes from its
  /// validation error.
  [[nodiscard]] virtual Band band() const { return {}; }
  /// Reads every domain now. Wrap-around is handled by the sensor, so the
  /// caller may sample at any interval shorter than the counter's range.
  [[nodiscard]] virtual Result<EnergySample> sample() = 0;
  /// Whether sample() must be called every interval (to catch counter
  /// wrap-around or to integrate a model) or whether reads at the start and
  /// end of a measurement suffice (a 64-bit energy counter).
  [[nodiscard]] virtual bool needs_periodic_sampling() const { return true; }
  /// The pids running on the device of domains()[domain] now (NVML's
  /// compute processes), or nullopt where the sensor cannot tell; the meter
  /// uses it to attribute GPU energy.
  [[nodiscard]] virtual std::optional<std::vector<int>> device_processes(
      std::size_t domain) {
    (void)domain;
    return std::nullopt;
  }
};

/// A sensor that could not be used, why, and how to fix it.
struct Unavailable {
  std::string sensor;  // "rapl-powercap", "nvml", ...
  Error reason;        // reason.remedy() says what to do
  /// Not needed because another sensor in use reads the same counters
  /// (RAPL through another path, a model replaced by a counter).
  bool redundant = false;
};

/// A figure the user pinned and where it was pinned: "flag --tdp",
/// "config file /home/ada/.config/mlcarbon/config.yaml:3".
template <typename T>
struct Pinned {
  T value;
  std::string origin;
};

/// Per-vCPU (on a VM) or per-package (bare metal) watts at 0 % and 100 %
/// utilisation.
struct CpuWatts {
  Watts min{0};
  Watts max{0};
};

/// Power-model figures a team pins instead of the defaults and tables
/// (flags, or the config file: docs/models.md, "Overrides").
struct PowerOverrides {
  std::optional<Pinned<CpuWatts>> cpu_watts;
  /// TDP of each CPU package, for the TDP x load curve.
  std::optional<Pinned<Watts>> tdp;
  std::optional<Pinned<double>> memory_watts_per_gb;
};

class ConfigFile;  // power_config.h

/// Where sensors look; every path is settable so tests run on fixtures.
struct SensorOptions {
  /// Overridden by MLCARBON_POWERCAP_ROOT.
  std::filesystem::path powercap_root = "/sys/class/powercap";
  /// perf_event PMU for RAPL.
  std::filesystem::path perf_power_pmu = "/sys/bus/event_source/devices/power";
  /// Overridden by MLCARBON_MSR_ROOT; holds <cpu>/msr files.
  std::filesystem::path msr_root = "/dev/cpu";
  /// Overridden by MLCARBON_NVML_LIBRARY.
  std::string nvml_library = "libnvidia-ml.so.1";
  /// /proc, for the CPU and memory models and the machine kind.
  /// Overridden by MLCARBON_PROC_ROOT (for tests: the meter reads the
  /// measured processes there too).
  std::filesystem::path proc_root = "/proc";
  /// /sys/devices/system/cpu, for the CPU topology.
  std::filesystem::path cpu_sys_root = "/sys/devices/system/cpu";
  /// DMI identity (sys_vendor, product_name), for the machine kind.
  /// Overridden by MLCARBON_DMI_ROOT.
  std::filesystem::path dmi_root = "/sys/class/dmi/id";
  /// Xen's /sys/hypervisor. Overridden by MLCARBON_HYPERVISOR_ROOT.
  std::filesystem::path hypervisor_root = "/sys/hypervisor";
  /// Figures pinned by flags or the API; they win over the config file's.
  PowerOverrides overrides;
  /// The config file with pinned figures, read once on detection
  /// (with_config_file); with_environment() sets the user's. Null: none.
  std::shared_ptr<const ConfigFile> config_file;
  /// Restrict to these sensor names; empty means all ("auto").
  std::vector<std::string> only;
  const Clock* clock = &SystemClock::instance();
};

/// Applies the MLCARBON_* environment overrides to `options`, and gives
/// it the user's config file ($XDG_CONFIG_HOME/mlcarbon/config.yaml) when
/// it has none.
[[nodiscard]] SensorOptions with_environment(SensorOptions options);

/// The sensors in use and, for each one that is not, the reason.
struct Detection {
  std::vector<std::unique_ptr<EnergySensor>> sensors;
  std::vector<Unavailable> unavailable;
  /// Bare metal or VM, and the cloud (detect_machine()).
  Machine machine;
};

/// The names a user may pass in SensorOptions::only, in detection order.
[[nodiscard]] std::span<const std::string> known_sensor_names();

/// Checks the names in `only`: an unknown one is an error listing the known
/// names (with a suggestion for a typo).
[[nodiscard]] Status check_sensor_names(const std::vector<std::string>& only);

/// Finds every usable sensor. Never fails: when no counter is usable the
/// CPU and memory models are returned, and every skipped sensor is listed
/// in `unavailable` with its reason and remedy.
[[nodiscard]] Detection detect_sensors(const SensorOptions& options);

/// What detect_requested_sensors() makes of a sensor named in `only` that
/// is unavailable for a reason other than being redundant.
enum class NamedUnavailable {
  kError,  ///< an error: a run never silently measures nothing
  kListed  ///< listed in Detection::unavailable (`mlcarbon sensors`)
};

/// detect_sensors() for a user's request, with the figures of the config
/// file (SensorOptions::config_file) under the pinned ones: the one place
/// the file is read. A bad config file or an unknown sensor name is an
/// error that says why and how to fix it; so is a named sensor that is
/// unavailable, unless `named` lists it.
[[nodiscard]] Result<Detection> detect_requested_sensors(
    const SensorOptions& options,
    NamedUnavailable named = NamedUnavailable::kError);

}  // namespace mlcarbon::sensors
