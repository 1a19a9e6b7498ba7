// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/attribution.h"
#include "mlcarbon/measure/measurement.h"
#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/measure/timeline.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::measure {

/// Every domain of the meter read at one instant (Monitor::read_node()).
struct NodeReading {
  SteadyTime time{};
  /// Cumulative energy per domain since the meter was made, in the order of
  /// Monitor::domains(); a failing sensor keeps its last good reading.
  std::vector<Joules> energy;
  /// Per domain: the pids on the GPU now; nullopt for a domain that is no
  /// GPU or whose sensor cannot tell.
  std::vector<std::optional<std::vector<int>>> gpu_processes;
  /// Per sensor, in order: failed reads so far.
  std::vector<std::uint64_t> sensor_failures;
};

/// How the meter samples. Use designated initializers:
/// `MonitorOptions{.interval = std::chrono::milliseconds(100)}`.
struct MonitorOptions {
  /// Time between two readings of every sensor by the sampling thread. Short
  /// enough for the counters not to wrap twice (RAPL: minutes).
  Seconds interval = std::chrono::seconds(1);
  /// Time source for window edges and power; not owned.
  const Clock* clock = &SystemClock::instance();
  /// Process whose tree (it and all its descendants) gets the attributed
  /// share; none means no attribution.
  std::optional<int> tracked_pid;
  /// When positive, start() first measures the idle power for this long.
  Seconds idle_baseline{0};
  /// /proc, for attribution.
  std::filesystem::path proc_root = "/proc";
  /// Replaces the /proc reader (tests); not owned. Null: read proc_root.
  ProcessCpuReader* cpu_reader = nullptr;
  /// Called before counters are read at window edges, outside the lock, so
  /// queued device work is counted in its window (torch::cuda::synchronize).
  std::function<void()> sync;
  /// How measure_idle() waits (tests advance a ManualClock). Empty: a real
  /// wait that stop() interrupts.
  std::function<void(Seconds)> sleep;
};

/// The meter: samples every sensor on a background thread and turns the
/// cumulative counters into per-window Measurements (zeus's ZeusMonitor).
///
/// Counters are read at both edges of every window and at every tick; a
/// window's energy is cumulative(end) - cumulative(begin) per domain. Ticks
/// exist so that sensors catch counter wrap-around and models integrate.
///
/// Thread-safety: every public method may be called from any thread. One
/// mutex guards the sensors and the windows; the sync hook runs outside it.
///
/// Example:
///   auto detection = sensors::detect_sensors({});
///   Monitor monitor(std::move(detection.sensors), {.tracked_pid = child});
///   monitor.start();
///   (void)monitor.begin_window("run");
///   ...
///   Result<Measurement> run = monitor.end_window("run");
class Monitor {
 public:
  explicit Monitor(std::vector<std::unique_ptr<sensors::EnergySensor>> sensors,
                   MonitorOptions options = {});
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;
  /// Stops the sampling thread.
  ~Monitor();

  /// Measures the idle baseline if options.idle_baseline is set, then starts
  /// the sampling thread. Fails with kInvalidArgument if already started.
  [[nodiscard]] Status start();
  /// Stops the sampling thread promptly (it does not wait out the interval).
  /// Windows stay open and can still be ended. Idempotent.
  void stop();
  [[nodiscard]] bool running() const;

  /// Changes the interval; a running thread uses it from its next wait.
  void set_interval(Seconds interval);
  /// Replaces the sync hook.
  void set_sync(std::function<void()> sync);
  /// Tracks `pid` from now on; windows begun before have no share.
  void track_process(int pid);

  /// Opens the window `name` (sync, then read every counter). Windows may
  /// overlap and nest. Fails with kInvalidArgument if `name` is open.
  [[nodiscard]] Status begin_window(std::string_view name);
  /// Closes `name` (sync, then read every counter) and returns its energy.
  /// Fails with kNotFound if `name` is not open. A sensor that failed during
  /// the window gives a warning, not an error.
  [[nodiscard]] Result<Measurement> end_window(std::string_view name);
  /// The energy of the open window `name` so far (sync, then read every
  /// counter), leaving it open. Fails with kNotFound if `name` is not open.
  [[nodiscard]] Result<Measurement> peek_window(std::string_view name);
  /// Discards an open window. Fails with kNotFound if `name` is not open.
  [[nodiscard]] Status cancel_window(std::string_view name);
  /// Names of the open windows.
  [[nodiscard]] std::vector<std::string> open_windows() const;

  /// Samples for `duration` (nothing else should run) and keeps the idle
  /// power of every domain; later windows report idle_energy and above_idle.
  [[nodiscard]] Result<IdleBaseline> measure_idle(Seconds duration);
  /// Uses a saved baseline; domains are matched by sensor and domain name.
  void set_idle_baseline(IdleBaseline baseline);
  [[nodiscard]] std::optional<IdleBaseline> idle_baseline() const;

  /// Starts recording every domain's power per sampling interval from the
  /// last reading, downsampled to at most `max_points` buckets; replaces a
  /// recording in progress. While it records, every tick reads every
  /// sensor, also those whose counters need no periodic reads, so that
  /// each interval has its own power.
  void begin_timeline(std::size_t max_points);
  /// Ends the recording at the last reading and returns it; empty if none
  /// was recording.
  [[nodiscard]] Timeline end_timeline();

  /// Reads every sensor once now, as the sampling thread does each tick.
  void tick();
  /// Reads every sensor and every GPU's process list now, for a reader
  /// that keeps its own counters (the exporter).
  [[nodiscard]] NodeReading read_node();
  /// The domains of every sensor in reading order, with their sensor,
  /// method and nesting (energy fields zero).
  [[nodiscard]] std::vector<DomainEnergy> domains() const;

  /// Readings taken so far (ticks and window edges).
  [[nodiscard]] std::uint64_t readings() const;

 private:
  struct SensorState {
    std::size_t first_domain = 0;
    std::size_t domain_count = 0;
    std::uint64_t failures = 0;
    std::string last_error;
    // Warnings the sensor attached to its readings, oldest first.
    std::vector<std::string> warnings;
  };
  struct Window {
    SteadyTime start{};
    WallTime wall_start{};
    std::vector<Joules> energy;
    std::vector<std::uint64_t> failures;
    std::vector<std::size_t> warnings;
    std::uint64_t readings = 0;
    AttributionMark attribution;
  };

  void run_thread();
  [[nodiscard]] Result<Measurement> close_or_peek(std::string_view name,
                                                  bool close);
  // All *_locked functions expect mutex_ held.
  // A tick skips sensors whose counters need no periodic reads.
  void read_all_locked(bool tick = false);
  void read_gpu_use_locked(bool tick);
  [[nodiscard]] Measurement make_measurement_locked(const std::string& name,
                                                    const Window& window) const;
  [[nodiscard]] Watts idle_power_locked(std::size_t domain) const;
  // Domain `i` of the flattened list, its energy fields zero.
  [[nodiscard]] DomainEnergy describe_locked(std::size_t i) const;

  std::vector<std::unique_ptr<sensors::EnergySensor>> sensors_;
  MonitorOptions options_;
  std::unique_ptr<ProcessCpuReader> own_reader_;
  ProcessCpuReader* reader_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;
  // Bumped by stop() and set_interval() so waits notice them.
  std::uint64_t stop_generation_ = 0;
  std::uint64_t interval_generation_ = 0;
  std::thread thread_;

  std::vector<SensorState> states_;
  // Flattened domains of all sensors: cumulative energy now, and owner.
  std::vector<Joules> current_;
  std::vector<std::size_t> owner_;
  std::vector<Watts> idle_power_;
  std::optional<IdleBaseline> baseline_;
  std::uint64_t readings_ = 0;

  // Process-tree and GPU attribution (docs/meter.md).
  Attribution attribution_;

  std::map<std::string, Window, std::less<>> windows_;

  // The power recording (begin_timeline) and its time origin.
  std::optional<TimelineBuilder> timeline_;
  SteadyTime timeline_start_{};
};

}  // namespace mlcarbon::measure
