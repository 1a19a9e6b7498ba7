// SPDX-License-Identifier: Apache-2.0
// `mlcarbon calibrate --fit` and `--evaluate`: the machine profile of the
// per-layer predictor, fitted on and checked against measured runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::cli {

struct FitArgs {
  /// For all the architectures together; nullopt: the command's default.
  std::optional<Seconds> budget;
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  std::int64_t batch = 32;
  std::optional<std::string> out;      ///< --fit: the profile's file
  std::optional<std::string> profile;  ///< --evaluate: the profile to check
  std::optional<std::string> json;     ///< --evaluate: the errors as JSON
  bool quiet = false;
  sensors::SensorOptions sensors = sensors::with_environment({});
};

/// Measures the fit architectures and writes the fitted profile.
[[nodiscard]] Result<int> run_fit(const FitArgs& args);

/// Measures the held-out architectures and prints every predictor's error.
[[nodiscard]] Result<int> run_evaluate(const FitArgs& args);

}  // namespace mlcarbon::cli
