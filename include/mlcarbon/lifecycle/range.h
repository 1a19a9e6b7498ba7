// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>

namespace mlcarbon::lifecycle {

/// An input or result that may be uncertain: low <= central <= high.
///
/// Every formula of the life-cycle model is a sum or product of
/// non-negative inputs, so it is monotone in each input and interval
/// arithmetic is exact: low = f(lows), high = f(highs). The central value
/// is f(centrals). Division (per-call energy from a run, break-even) is
/// decreasing in its divisor, hence low = a.low / b.high.
struct Range {
  double low = 0.0;
  double central = 0.0;
  double high = 0.0;

  /// A known value: low == central == high.
  static constexpr Range exact(double v) { return Range{v, v, v}; }
  /// [low, high] with central_of(low, high) as its central value.
  static Range between(double low, double high);
  /// value ± percent: [value·(1 − p/100), value·(1 + p/100)], central value.
  static Range plus_minus(double value, double percent);

  [[nodiscard]] constexpr bool is_exact() const { return low == high; }

  friend constexpr Range operator+(Range a, Range b) {
    return Range{a.low + b.low, a.central + b.central, a.high + b.high};
  }
  friend constexpr Range operator*(Range a, Range b) {
    return Range{a.low * b.low, a.central * b.central, a.high * b.high};
  }
  /// Scales by a non-negative constant.
  friend constexpr Range operator*(Range a, double k) {
    return Range{a.low * k, a.central * k, a.high * k};
  }
  friend constexpr Range operator*(double k, Range a) { return a * k; }
  friend constexpr Range operator/(Range a, double k) {
    return Range{a.low / k, a.central / k, a.high / k};
  }
  /// Quotient of non-negative ranges; the divisor must be positive.
  friend constexpr Range operator/(Range a, Range b) {
    return Range{a.low / b.high, a.central / b.central, a.high / b.low};
  }
  friend constexpr bool operator==(Range, Range) = default;
};

/// The central value of [low, high]: the midpoint, or the geometric mean
/// when the range spans more than a factor of 10 (and low > 0), where the
/// midpoint would sit almost at `high`.
[[nodiscard]] double central_of(double low, double high);

}  // namespace mlcarbon::lifecycle
