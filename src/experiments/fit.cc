// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/experiments/fit.h"

#include <cmath>
#include <limits>
#include <vector>

namespace mlcarbon::experiments {
namespace {

Status check_pairs(std::span<const double> x, std::span<const double> y,
                   std::size_t fewest) {
  if (x.size() != y.size())
    return make_error(Errc::kInvalidArgument,
                      "fit: {} x values but {} y values", x.size(), y.size());
  if (x.size() < fewest)
    return make_error(Errc::kInvalidArgument,
                      "fit: needs at least {} points, got {}", fewest,
                      x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i]))
      return make_error(Errc::kInvalidArgument,
                        "fit: point {} is not finite ({}, {})", i, x[i], y[i]);
  }
  return {};
}

}  // namespace

Result<LinearFit> fit_linear(std::span<const double> x,
                             std::span<const double> y) {
  MLCARBON_RETURN_IF_ERROR(check_pairs(x, y, 2));
  const auto n = static_cast<double>(x.size());
  double mx = 0.0;
  double my = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxx = 0.0;
  double sxy = 0.0;
  double syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0.0))
    return make_error(Errc::kInvalidArgument,
                      "fit: every x is {}, so no line can be fitted", mx);
  LinearFit fit;
  fit.n = x.size();
  fit.slope = sxy / sxx;
  fit.intercept = my - fit.slope * mx;
  double ss_res = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double r = y[i] - (fit.slope * x[i] + fit.intercept);
    ss_res += r * r;
  }
  // Constant y met by a flat line: a perfect fit, not 0/0.
  fit.r2 = syy > 0.0 ? 1.0 - ss_res / syy : 1.0;
  return fit;
}

Result<AsymptoteFit> fit_asymptote(std::span<const double> x,
                                   std::span<const double> y) {
  MLCARBON_RETURN_IF_ERROR(check_pairs(x, y, 2));
  std::vector<double> inv;
  inv.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0.0))
      return make_error(Errc::kInvalidArgument,
                        "fit: x must be positive for an asymptote, point {} "
                        "has {}",
                        i, x[i]);
    inv.push_back(1.0 / x[i]);
  }
  MLCARBON_ASSIGN_OR_RETURN(const LinearFit line, fit_linear(inv, y));
  return AsymptoteFit{.asymptote = line.intercept,
                      .coefficient = -line.slope,
                      .r2 = line.r2,
                      .n = line.n};
}

double theta_of_overhead(double overhead) {
  if (overhead >= 1.0)
    return std::numeric_limits<double>::infinity();
  return 1.0 / (1.0 - overhead);
}

Result<double> mape(std::span<const double> predicted,
                    std::span<const double> measured) {
  MLCARBON_RETURN_IF_ERROR(check_pairs(predicted, measured, 1));
  double sum = 0.0;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    if (!(measured[i] > 0.0))
      return make_error(Errc::kInvalidArgument,
                        "mape: measured value {} is {}, expected a positive "
                        "number",
                        i, measured[i]);
    sum += std::fabs(predicted[i] - measured[i]) / measured[i];
  }
  return 100.0 * sum / static_cast<double>(measured.size());
}

}  // namespace mlcarbon::experiments
