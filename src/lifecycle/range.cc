// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/lifecycle/range.h"

#include <cmath>

namespace mlcarbon::lifecycle {

double central_of(double low, double high) {
  if (low > 0.0 && high > 10.0 * low) {
    // The product of far-apart ends can overflow (or underflow) a double.
    const double product = low * high;
    if (std::isfinite(product) && product > 0.0)
      return std::sqrt(product);
    return std::sqrt(low) * std::sqrt(high);
  }
  return low + (high - low) / 2.0;
}

Range Range::between(double low, double high) {
  return Range{low, central_of(low, high), high};
}

Range Range::plus_minus(double value, double percent) {
  const double delta = value * percent / 100.0;
  return Range{value - delta, value, value + delta};
}

}  // namespace mlcarbon::lifecycle
