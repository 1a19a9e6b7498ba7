// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/lifecycle/predict.h"
#include "mlcarbon/lifecycle/scenario.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/sensors/sensor.h"

/// Models, machine profiles and calibrations named by a scenario: how every
/// front end (the CLI, the C API, the Python module) obtains I and θ for
/// lifecycle::resolve_model_inputs(), and calibrations made or reused on
/// demand.
namespace mlcarbon::calibrate {

/// A status line to show ("calibrating mlp: inference 3/3"); an empty text
/// clears it. Front ends without a terminal pass none.
using StatusFn = std::function<void(std::string_view text)>;

/// Loads the LibTorch engine plugin; without it, an error saying how to get
/// it. With kCuda, an engine without a CUDA device is an error too.
[[nodiscard]] Result<engine::Engine*> load_engine_plugin(int threads,
                                                         engine::Device device);

/// The target a calibration of `model` made here with these settings must
/// match.
[[nodiscard]] Target target_here(const models::Model& model, std::int64_t batch,
                                 engine::Device device, int threads);

struct CalibrationRequest {
  CalibrateOptions options;
  sensors::SensorOptions sensors = sensors::with_environment({});
  /// Reuse a cached calibration that matches; save a new one there.
  bool use_cache = true;
  std::filesystem::path cache_dir = default_cache_dir();
  StatusFn status;
};

struct ObtainedCalibration {
  Calibration calibration;
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

/// A shorthand as it is, or a model file; a relative path is read from
/// `folder` (the scenario's).
[[nodiscard]] Result<models::Model> load_model_from(
    std::string_view shorthand_or_path, const std::filesystem::path& folder);

/// Reads and checks a machine profile; errors name `path` as given.
[[nodiscard]] Result<lifecycle::MachineProfile> read_profile(
    const std::filesystem::path& path);

/// I and θ for `energy_per_inference_j: calibrate` (calibrate the model on
/// this machine, or reuse a cached calibration; the budget comes from
/// MLCARBON_CALIBRATE_BUDGET) and `calibration: FILE` (a file of
/// `mlcarbon calibrate --json`, relative to `folder`).
[[nodiscard]] Result<lifecycle::ModelEnergy> resolve_calibration(
    const lifecycle::ModelRequest& request, const std::filesystem::path& folder,
    const StatusFn& status = {});

/// The resolver of a scenario read from `folder`: `predict` loads the model
/// and the profile and takes the per-layer predictor's I and θ; `calibrate`
/// and `calibration:` go to resolve_calibration(). Warnings are logged with
/// their scenario position and kept in the result.
[[nodiscard]] lifecycle::ModelResolver model_resolver(
    std::filesystem::path folder, StatusFn status = {});

}  // namespace mlcarbon::calibrate
