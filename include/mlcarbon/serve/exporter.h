// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/attribution.h"
#include "mlcarbon/measure/cgroups.h"
#include "mlcarbon/measure/measurement.h"
#include "mlcarbon/measure/monitor.h"
#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/sensors/sensor.h"

/// The node exporter behind `mlcarbon serve` (docs/cluster.md, "Exporter"):
/// the meter's sensors read every interval, their energy kept in counters
/// that only grow, priced in CO2e and attributed to cgroup workloads, and
/// written in the Prometheus text format on each scrape.
namespace mlcarbon::serve {

/// Replacements for the machine (tests).
struct ExporterFakes {
  /// Replaces sensor detection.
  std::function<sensors::Detection()> detect;
  /// Replaces the /proc reader for the machine's busy time; not owned.
  measure::ProcessCpuReader* cpu_reader = nullptr;
};

struct ExporterOptions {
  /// Time between two readings of the node; finite and positive.
  Seconds interval{1.0};
  measure::CarbonOptions carbon;
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// Where cgroups and /proc are read; nullopt turns attribution off.
  std::optional<measure::CgroupOptions> cgroups = measure::CgroupOptions{};
  measure::CgroupAttributionOptions attribution;
  ExporterFakes fakes;
};

/// A counter fed cumulative readings that only grows: a reading below the
/// last one means the source restarted from zero (a reset device counter),
/// so the reading itself is the energy since then.
class MonotonicCounter {
 public:
  /// Takes the next cumulative reading and returns the step it adds. The
  /// first reading is the baseline and adds nothing.
  Joules advance(Joules reading);
  [[nodiscard]] Joules total() const { return total_; }

 private:
  std::optional<Joules> last_;
  Joules total_{0};
};

/// Thread-safety: metrics() may be called from any thread while the
/// sampling thread runs; sample() and start()/stop() from one thread.
class Exporter {
 public:
  /// Validates the options, resolves the intensity and PUE and detects the
  /// sensors (a sensor the user named that is unavailable is an error).
  [[nodiscard]] static Result<std::unique_ptr<Exporter>> create(
      ExporterOptions options);
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  ~Exporter();

  /// Takes the baseline reading and starts the sampling thread.
  [[nodiscard]] Status start();
  /// Stops the sampling thread promptly. Idempotent.
  void stop();
  /// Reads the node once and advances every counter (the thread does it
  /// every interval; tests call it directly).
  void sample();
  /// The exposition text of the last sample, with this scrape's duration.
  [[nodiscard]] std::string metrics() const;
  /// Samples taken so far.
  [[nodiscard]] std::uint64_t samples() const;
  /// The resolved intensity and PUE.
  [[nodiscard]] const measure::CarbonInfo& carbon() const;
  /// The domains read, in order.
  [[nodiscard]] const std::vector<measure::DomainEnergy>& domains() const {
    return domains_;
  }

 private:
  Exporter(ExporterOptions options, measure::CarbonSetup carbon,
           std::unique_ptr<measure::Monitor> monitor);
  void run_thread();

  ExporterOptions options_;
  measure::CarbonSetup carbon_;
  std::unique_ptr<measure::Monitor> monitor_;
  std::unique_ptr<measure::ProcessCpuReader> own_reader_;
  measure::ProcessCpuReader* reader_ = nullptr;
  std::vector<measure::DomainEnergy> domains_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  std::thread thread_;

  // Guarded by mutex_.
  std::uint64_t samples_ = 0;
  std::vector<MonotonicCounter> counters_;
  std::vector<Watts> power_;
  std::optional<SteadyTime> last_time_;
  std::optional<WallTime> last_wall_;
  GramsCo2ePerKwh intensity_{0};
  GramsCo2e co2e_{0};
  std::vector<std::uint64_t> sensor_failures_;
  measure::CgroupAttribution attribution_;
  std::uint64_t cgroup_failures_ = 0;
  std::string cgroup_error_;
  Seconds sample_duration_{0};
};

}  // namespace mlcarbon::serve
