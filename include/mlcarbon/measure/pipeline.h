// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/sensors/sensor.h"

/// The one way a run is made: options -> detect sensors -> idle baseline ->
/// Monitor with windows -> energy segmented by the intensity series ->
/// carbon -> Run. `mlcarbon measure`, Tracker and every other front end use
/// it (docs/meter.md, "The run pipeline").
namespace mlcarbon::measure {

/// Replacements for the machine, so that tests are deterministic. Every
/// field is optional; the defaults read the real machine.
struct PipelineFakes {
  /// Replaces sensor detection (sensors::detect_requested_sensors).
  std::function<sensors::Detection()> detect;
  /// Replaces the /proc reader for attribution; not owned.
  ProcessCpuReader* cpu_reader = nullptr;
  /// False: no sampling or segmenting thread; the caller drives the meter
  /// with Pipeline::tick() (tests advancing a ManualClock).
  bool background = true;
  /// How the idle baseline waits (tests advance a ManualClock).
  std::function<void(Seconds)> sleep;
};

/// What to measure and how to price it. Use designated initializers.
struct PipelineOptions {
  std::string project = "mlcarbon";
  std::vector<std::string> tags;
  CarbonOptions carbon;
  /// Sampling interval; finite and positive.
  Seconds interval{1.0};
  /// Idle power is measured for this long before the run; 0 for none.
  /// Finite and non-negative.
  Seconds idle_baseline{0};
  /// Where sensors look and which to use (`only`: names the user asked
  /// for; an unknown or unavailable one is an error at create()). The
  /// clock here is the pipeline's clock too.
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// The most buckets of the run's power timeline (Run::timeline); 0
  /// records none.
  std::size_t timeline_points = 1024;
  /// Name of the window that spans the run ("run", "tracker").
  std::string run_window = "run";
  /// Called every status period (the sampling interval, at least 1 s) with
  /// the time since start() and the machine energy so far: the CLI's live
  /// line. Runs on the segmenting thread.
  std::function<void(Seconds elapsed, Joules energy)> on_status;
  PipelineFakes fakes;
};

/// The pipeline's sensor step: `fake` when set, else the sensors the user
/// asked for (sensors::detect_requested_sensors).
[[nodiscard]] Result<sensors::Detection> detect_pipeline_sensors(
    const sensors::SensorOptions& options,
    const std::function<sensors::Detection()>& fake);

/// Checks options that need no machine: a finite positive interval, a
/// finite non-negative idle baseline. create() calls it.
[[nodiscard]] Status validate(const PipelineOptions& options);

/// A run in progress. Create it, start() it (optionally tracking a process
/// tree), open and close named windows, stop() it to get the Run.
///
/// Thread-safety: begin_window/end_window may be called from any thread;
/// start, stop and tick from one.
///
/// Example:
///   auto pipeline = measure::Pipeline::create({.carbon = {.region = "DE"}});
///   if (!pipeline) return fail(pipeline.error());
///   (void)(*pipeline)->start(child_pid);
///   ... wait for the child ...
///   Result<measure::Run> run = (*pipeline)->stop();
class Pipeline {
 public:
  /// Validates the options, resolves the intensity and PUE and detects the
  /// sensors; measures nothing yet. Fails on a bad option, region, series
  /// or PUE, and on a sensor the user named that is unknown or unavailable
  /// (with `auto` a missing sensor is only listed in the context).
  [[nodiscard]] static Result<std::unique_ptr<Pipeline>> create(
      PipelineOptions options);

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  /// Stops the meter; an unfinished run is discarded.
  ~Pipeline();

  /// Measures the idle baseline now, if the options ask for one and it was
  /// not measured yet (start() does it otherwise).
  [[nodiscard]] Status measure_idle();
  /// Starts the meter and opens the run window; `tracked_pid` (and its
  /// descendants) get the attributed share. Fails if already started.
  [[nodiscard]] Status start(std::optional<int> tracked_pid = std::nullopt);
  [[nodiscard]] bool running() const;

  /// Opens a named window; windows may overlap and nest. Fails if `name`
  /// is open or the run is not running.
  [[nodiscard]] Status begin_window(std::string_view name);
  /// Closes a named window, prices it and records it in the Run. Fails if
  /// `name` is not open.
  [[nodiscard]] Result<WindowRecord> end_window(std::string_view name);

  /// The run's energy so far (machine, attributed, per domain, with its
  /// method), read now; the run goes on. Fails if not started.
  [[nodiscard]] Result<Measurement> read();

  /// Reads every sensor once and cuts an energy segment if one is due; with
  /// fakes.background false this is how time moves forward.
  void tick();

  /// Ends the run: closes the run window (and discards windows still open,
  /// with a warning), stops the meter and prices the energy. Fails if not
  /// started.
  [[nodiscard]] Result<Run> stop();
  /// Stops the meter without making a Run (the command could not start).
  void abort();

  /// The resolved intensity and PUE (for a live line before the run ends).
  [[nodiscard]] const CarbonInfo& carbon() const;
  /// The machine and sensors the run uses.
  [[nodiscard]] const RunContext& context() const;

 private:
  struct Impl;
  explicit Pipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlcarbon::measure
