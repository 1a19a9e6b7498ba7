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

namespace {

// value * multiplier / divisor, as the unit's figure was always computed.
struct Scale {
  double multiplier;
  double divisor;
  std::string_view unit;
};

// The unit that keeps `v` readable: the first whose limit exceeds |v|.
template <std::size_t N>
Scale pick(double v, const Scale (&scales)[N], const double (&limits)[N - 1]) {
  for (std::size_t i = 0; i + 1 < N; ++i) {
    if (std::fabs(v) < limits[i])
      return scales[i];
  }
  return scales[N - 1];
}

constexpr Scale kEnergyScales[] = {{1.0, 1.0, "J"},
                                   {1.0, 3600.0, "Wh"},
                                   {1.0, 3.6e6, "kWh"},
                                   {1.0, 3.6e9, "MWh"}};
constexpr double kEnergyLimits[] = {3600.0, 3.6e6, 3.6e9};
constexpr Scale kCo2eScales[] = {{1000.0, 1.0, "mg CO2e"},
                                 {1.0, 1.0, "g CO2e"},
                                 {1.0, 1000.0, "kg CO2e"},
                                 {1.0, 1e6, "t CO2e"}};
constexpr double kCo2eLimits[] = {1.0, 1000.0, 1e6};

std::string scaled(lifecycle::Range r, Scale s) {
  return fmt::format("{} {}", format_range(r * s.multiplier / s.divisor),
                     s.unit);
}

}  // namespace

std::string format_range(lifecycle::Range r) {
  if (r.is_exact())
    return format_number(r.central);
  return fmt::format("{} [{} to {}]", format_number(r.central),
                     format_number(r.low), format_number(r.high));
}

std::string human_energy(lifecycle::Range joules) {
  return scaled(joules, pick(joules.central, kEnergyScales, kEnergyLimits));
}

std::string human_energy(Joules e) {
  return human_energy(lifecycle::Range::exact(e.value()));
}

std::string human_co2e(lifecycle::Range grams) {
  return scaled(grams, pick(grams.central, kCo2eScales, kCo2eLimits));
}

std::string human_co2e(GramsCo2e g) {
  return human_co2e(lifecycle::Range::exact(g.value()));
}

}  // namespace mlcarbon::report
