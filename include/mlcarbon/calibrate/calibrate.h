// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/models/model.h"

/// Runs a model on the engine under measure's pipeline: calibration (I, θ,
/// time per sample) and whole training runs (docs/calibrate.md).
namespace mlcarbon::calibrate {

/// The meter's sampling interval for calibrations and training runs. Every
/// window edge reads every counter, so the interval does not limit a
/// window's precision; it only paces the CPU model's integration and the
/// counters' wrap-around checks (docs/calibrate.md, "Window edges").
inline constexpr Seconds kMeterInterval{0.1};

/// Where a calibration stands, for a progress line: what runs now and the
/// time spent out of the budget.
using Progress = std::function<void(std::string_view stage, Seconds elapsed,
                                    Seconds budget)>;

struct CalibrateOptions {
  std::int64_t batch = 32;
  /// The whole calibration (opening the model, warm-up, windows) aims to
  /// end within it.
  Seconds budget{30.0};
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  /// Measured windows per loop kind; inference and training alternate.
  int repeats = 3;
  std::uint64_t seed = 42;
  Progress progress;
};

/// Checks options that need no engine: batch >= 1, threads >= 1,
/// repeats >= 1, a finite positive budget.
[[nodiscard]] Status validate(const CalibrateOptions& options);

/// Calibrates `model` (its shapes inferred): opens a session on synthetic
/// data, starts the pipeline made from `meter` (tracking this process),
/// runs warm-up batches outside any figure, then `repeats` pairs of an
/// inference window and a training window, each sized from the warm-up's
/// time per batch so that all of it fits the budget. The engine's and the
/// meter's errors are returned as they are.
[[nodiscard]] Result<Calibration> run_calibration(
    engine::Engine& engine, const models::Model& model,
    const CalibrateOptions& options, measure::PipelineOptions meter);

/// A whole training run: `epochs` passes over `samples` samples.
struct TrainOptions {
  std::int64_t samples = 20'000;
  std::int64_t epochs = 1;
  std::int64_t batch = 32;
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  std::uint64_t seed = 42;
  /// Also measure inference over the same samples and epochs, in the
  /// window "inference" before the training window; each loop's window is
  /// preceded by one unmeasured batch of it, so that neither pays for the
  /// first allocations (the training overhead (T − I) ÷ T needs both).
  bool measure_inference = false;
  /// Samples done and in all, from the engine's loop.
  std::function<void(std::int64_t done, std::int64_t total)> progress;
};

/// What a training run measured. The "training" window covers the training
/// loop only; the run also covers opening the model and generating data.
struct TrainingRecord {
  std::string engine;
  ModelInfo model;
  TrainOptions options;
  engine::LoopResult loop;
  double open_seconds = 0.0;  ///< building the model and its data set
  measure::WindowRecord window;
  /// With measure_inference: the inference loop and its window.
  std::optional<engine::LoopResult> inference_loop;
  std::optional<measure::WindowRecord> inference_window;
  measure::Run run;
};

/// Opens a session with `samples` synthetic samples, then trains for
/// `epochs` epochs inside the window "training" of a pipeline made from
/// `meter` that tracks this process.
[[nodiscard]] Result<TrainingRecord> run_training(
    engine::Engine& engine, const models::Model& model,
    const TrainOptions& options, measure::PipelineOptions meter);

/// The ModelInfo of a model whose shapes are inferred.
[[nodiscard]] ModelInfo model_info(const models::Model& model);

}  // namespace mlcarbon::calibrate
