// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon {

struct TrackerOptions {
  std::string project = "mlcarbon";
  std::vector<std::string> tags;
  measure::CarbonOptions carbon;
  Seconds interval{1.0};
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// Attribute energy to this process and its children.
  bool attribute_to_self = true;
};

/// Measures a region of code and produces the same Run record as
/// `mlcarbon measure` (CodeCarbon's EmissionsTracker, zeus's monitor).
/// Not thread-safe: start and stop from one thread.
///
/// Example:
///   auto tracker = mlcarbon::Tracker::create({.project = "bert"});
///   if (!tracker) return fail(tracker.error());
///   (void)tracker->start();
///   train();
///   auto run = tracker->stop();  // run->co2e, run->measurement.total ...
class Tracker {
 public:
  /// Detects sensors and resolves the intensity; fails on a bad region,
  /// intensity or PUE, never because a sensor is missing.
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
