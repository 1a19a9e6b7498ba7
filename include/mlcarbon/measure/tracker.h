// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon {

struct TrackerOptions {
  std::string project = "mlcarbon";
  std::vector<std::string> tags;
  measure::CarbonOptions carbon;
  /// Sampling interval; finite and positive.
  Seconds interval{1.0};
  /// Idle power is measured for this long when the tracker starts; 0 for
  /// none. Finite and non-negative.
  Seconds idle_baseline{0};
  /// `only` lists the sensors to use; a name that is unknown or unavailable
  /// here makes create() fail. Empty: every sensor found.
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// Attribute energy to this process and its children.
  bool attribute_to_self = true;
  /// Fakes for tests (sensors, /proc reader, no background threads).
  measure::PipelineFakes fakes;
};

/// Measures a region of code and produces the same Run record as
/// `mlcarbon measure` (CodeCarbon's EmissionsTracker, zeus's monitor): both
/// run measure::Pipeline, so energy, attribution and CO2e (an hourly
/// intensity series priced hour by hour) are computed the same way.
///
/// Named windows (an epoch, an evaluation) may overlap and nest; each ended
/// window's energy and CO2e are in the Run's `windows` and its JSON.
///
/// Not thread-safe: start and stop from one thread; begin_window and
/// end_window may be called from any thread while it runs.
///
/// Example:
///   auto tracker = mlcarbon::Tracker::create({.project = "bert"});
///   if (!tracker) return fail(tracker.error());
///   (void)tracker->start();
///   train();
///   (void)tracker->begin_window("epoch-1");
///   train_one_epoch();
///   auto epoch = tracker->end_window("epoch-1");  // epoch->co2e ...
///   auto run = tracker->stop();  // run->co2e, run->windows ...
class Tracker {
 public:
  /// Detects sensors and resolves the intensity; fails on a bad option,
  /// region, intensity or PUE, or a sensor named in `only` that is unknown
  /// or unavailable; with `only` empty a missing sensor is no error.
  [[nodiscard]] static Result<Tracker> create(TrackerOptions options = {});

  Tracker(Tracker&&) noexcept;
  Tracker& operator=(Tracker&&) noexcept;
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;
  ~Tracker();

  /// Starts measuring. Fails if already started.
  [[nodiscard]] Status start();
  /// Stops measuring and returns the run. Fails if not started.
  [[nodiscard]] Result<measure::Run> stop();
  [[nodiscard]] bool running() const;
  void add_tag(std::string tag);

  /// Opens the named window `name`. Fails if it is open or the tracker is
  /// not running.
  [[nodiscard]] Status begin_window(std::string_view name);
  /// Closes `name` and returns its energy and CO2e, which the Run also
  /// records. Fails if `name` is not open. Windows still open at stop() are
  /// discarded with a warning.
  [[nodiscard]] Result<measure::WindowRecord> end_window(std::string_view name);
  /// The energy measured since start(), read now (the tracker keeps
  /// running): machine and attributed energy, per domain, with its method.
  /// Fails if not running.
  [[nodiscard]] Result<measure::Measurement> read();
  /// Reads every sensor once now; with fakes.background false this is how
  /// a test moves the meter forward.
  void tick();

  /// Measures for its lifetime and hands the run to `on_stop`.
  class Scope {
   public:
    Scope(Tracker& tracker, std::function<void(Result<measure::Run>)> on_stop);
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope();

   private:
    Tracker& tracker_;
    std::function<void(Result<measure::Run>)> on_stop_;
    bool started_ = false;
  };

 private:
  struct Impl;
  explicit Tracker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlcarbon
