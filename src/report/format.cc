// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/format.h"

#include <algorithm>
#include <cmath>
#include <string>

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

std::string human_si(double v, std::string_view unit) {
  static constexpr std::string_view kPrefixes[] = {"",  "k", "M", "G",
                                                   "T", "P", "E"};
  std::size_t i = 0;
  while (i + 1 < std::size(kPrefixes)) {
    // Rounded first: 999.6 shows as "1.00 k", not "1000".
    const double rounded = std::stod(fmt::format("{:.3g}", v));
    if (std::fabs(rounded) < 1000.0)
      break;
    v = rounded / 1000.0;
    ++i;
  }
  // Bytes and FLOPs below a thousand are whole: "40 B", not "40.0 B".
  if (i == 0 && v == std::floor(v))
    return fmt::format("{:.0f} {}", v, unit);
  return fmt::format("{} {}{}", format_number(v), kPrefixes[i], unit);
}

std::string grouped(std::int64_t v) {
  // 0 - v in unsigned arithmetic is |v|, INT64_MIN included.
  const auto u = static_cast<unsigned long long>(v);
  const std::string digits = fmt::format("{}", v < 0 ? 0ULL - u : u);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
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
