// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/format.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace mlcarbon::report {

std::string format_number(double v) {
  if (v == 0.0)
    return "0";
  if (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-4)
    return fmt::format("{:.3g}", v);
  // 3 significant digits without an exponent.
  const int digits = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::max(0, 2 - digits);
  return fmt::format("{:.{}f}", v, decimals);
}

std::string human_energy(Joules e) {
  const double j = e.value();
  if (std::fabs(j) < 3600.0)
    return format_number(j) + " J";
  if (std::fabs(j) < 3.6e6)
    return format_number(j / 3600.0) + " Wh";
  if (std::fabs(j) < 3.6e9)
    return format_number(j / 3.6e6) + " kWh";
  return format_number(j / 3.6e9) + " MWh";
}

std::string human_co2e(GramsCo2e g) {
  const double v = g.value();
  if (std::fabs(v) < 1.0)
    return format_number(v * 1000.0) + " mg CO2e";
  if (std::fabs(v) < 1000.0)
    return format_number(v) + " g CO2e";
  if (std::fabs(v) < 1e6)
    return format_number(v / 1000.0) + " kg CO2e";
  return format_number(v / 1e6) + " t CO2e";
}

}  // namespace mlcarbon::report
