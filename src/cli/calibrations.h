// SPDX-License-Identifier: Apache-2.0
// Calibrations for the commands that need one (calibrate, estimate, train):
// the engine's loading, the cache, the progress line and the summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::cli {

/// A one-line status on stderr, redrawn in place; silent unless enabled
/// (a terminal and no --quiet).
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { clear(); }

  /// True when stderr is a terminal and `quiet` is false.
  [[nodiscard]] static bool wanted(bool quiet);

  void show(std::string_view text);
  void clear();

 private:
  bool enabled_;
  bool drawn_ = false;
};

/// Loads the LibTorch engine plugin; without it, an error saying how to get
/// it. With kCuda, an engine without a CUDA device is an error too.
[[nodiscard]] Result<engine::Engine*> load_engine_plugin(int threads,
                                                         engine::Device device);

/// The target a calibration of `model` made here with these settings must
/// match.
[[nodiscard]] calibrate::Target target_here(const models::Model& model,
                                            std::int64_t batch,
                                            engine::Device device, int threads);

struct CalibrationRequest {
  calibrate::CalibrateOptions options;
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// Reuse a cached calibration that matches; save a new one there.
  bool use_cache = true;
  std::filesystem::path cache_dir = calibrate::default_cache_dir();
  ProgressLine* progress = nullptr;
};

struct ObtainedCalibration {
  calibrate::Calibration calibration;
  /// The cached file it came from, when it was not measured now.
  std::optional<std::filesystem::path> cached;
  /// Where a new calibration was saved.
  std::optional<std::filesystem::path> saved;
  /// The cache could not be written (the calibration is still good).
  std::optional<std::string> save_error;
};

/// A cached calibration for the model when use_cache and one matches, else
/// loads the engine and calibrates now (saving it when use_cache).
[[nodiscard]] Result<ObtainedCalibration> obtain_calibration(
    const models::Model& model, const CalibrationRequest& request);

/// The console summary of a calibration.
[[nodiscard]] std::string calibration_text(
    const calibrate::Calibration& calibration);

/// "1.23 mJ", "45.6 µs": a value with the SI prefix that keeps it readable.
[[nodiscard]] std::string si(double value, std::string_view unit);

}  // namespace mlcarbon::cli
