// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/models/model.h"

/// The built-in architectures that `mlcarbon calibrate --fit` measures to
/// fit the per-layer predictor, and a disjoint held-out set that
/// `--evaluate` measures to check it (docs/calibrate.md).
namespace mlcarbon::calibrate {

/// Small models of every layer family: MLPs of several depths and widths,
/// conv1d and conv2d nets, and transformer-block nets. Shapes inferred.
[[nodiscard]] Result<std::vector<models::Model>> fit_architectures();

/// Models of shapes none of the fit set has: deep and narrow, wide and
/// shallow, convolutional, and with transformer blocks.
[[nodiscard]] Result<std::vector<models::Model>> held_out_architectures();

}  // namespace mlcarbon::calibrate
