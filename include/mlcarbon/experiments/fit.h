// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <span>

#include "mlcarbon/core/error.h"

/// The fits the experiments put beside the paper's claims: a straight line,
/// an asymptote, and the error of predictions (docs/experiments.md).
namespace mlcarbon::experiments {

/// y = slope · x + intercept, by least squares.
struct LinearFit {
  double slope = 0.0;
  double intercept = 0.0;
  /// Coefficient of determination, 1 − SS_res ÷ SS_tot; 1 when every y is
  /// the same and the line meets them all.
  double r2 = 0.0;
  std::size_t n = 0;
};

/// Fits a line through (x, y). Errc::kInvalidArgument when the spans
/// differ in length, hold fewer than 2 points, a value is not finite, or
/// every x is the same.
[[nodiscard]] Result<LinearFit> fit_linear(std::span<const double> x,
                                           std::span<const double> y);

/// y = asymptote − coefficient ÷ x: a share that grows with the model size x
/// towards a limit. Fitted as a line in 1/x.
struct AsymptoteFit {
  double asymptote = 0.0;
  double coefficient = 0.0;
  double r2 = 0.0;
  std::size_t n = 0;
};

/// Errors as fit_linear(), and when an x is not positive.
[[nodiscard]] Result<AsymptoteFit> fit_asymptote(std::span<const double> x,
                                                 std::span<const double> y);

/// θ implied by a training overhead share o = (T − I) ÷ T with T = θ · I:
/// θ = 1 ÷ (1 − o). Infinity for o ≥ 1.
[[nodiscard]] double theta_of_overhead(double overhead);

/// Mean absolute percentage error of `predicted` against `measured`, in
/// per cent. Errc::kInvalidArgument on different lengths, no values, a
/// value that is not finite or a measured value that is not positive.
[[nodiscard]] Result<double> mape(std::span<const double> predicted,
                                  std::span<const double> measured);

}  // namespace mlcarbon::experiments
