// SPDX-License-Identifier: Apache-2.0
// Models, machine profiles and calibrations named by a scenario or a flag:
// how the CLI obtains I and θ for lifecycle::resolve_model_inputs().
#pragma once

#include <filesystem>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/predict.h"
#include "mlcarbon/lifecycle/scenario.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::cli {

/// A shorthand as it is, or a model file; a relative path is read from
/// `folder` (the scenario's).
[[nodiscard]] Result<models::Model> load_model_from(
    std::string_view shorthand_or_path, const std::filesystem::path& folder);

/// Reads and checks a machine profile; errors name `path` as given.
[[nodiscard]] Result<lifecycle::MachineProfile> read_profile(
    const std::filesystem::path& path);

/// The resolver of `mlcarbon estimate`: `predict` loads the model and the
/// profile (paths relative to `folder`) and takes the per-layer
/// predictor's I and θ; `calibrate` and `calibration:` go to
/// resolve_calibration(). Warnings are logged with their position.
[[nodiscard]] lifecycle::ModelResolver model_resolver(
    std::filesystem::path folder);

/// I and θ for `energy_per_inference_j: calibrate` (calibrate the model on
/// this machine, or reuse a cached calibration) and `calibration: FILE`
/// (a file of `mlcarbon calibrate --json`, relative to `folder`).
[[nodiscard]] Result<lifecycle::ModelEnergy> resolve_calibration(
    const lifecycle::ModelRequest& request,
    const std::filesystem::path& folder);

}  // namespace mlcarbon::cli
