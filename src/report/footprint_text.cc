// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/report/footprint.h"

namespace mlcarbon::report {
namespace {

using lifecycle::Footprint;
using lifecycle::Phase;

constexpr std::array<Phase, lifecycle::kPhaseCount> kPhases = {
    Phase::kSearch, Phase::kTraining, Phase::kInference};

std::string percent(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100.0);
}

void phase_table(const Footprint& f, std::string& out) {
  // Rows first, then column widths from the widest cell: ranges make some
  // cells much wider than others.
  std::vector<std::array<std::string, 5>> rows = {
      {"phase", "method", "energy kWh (with PUE)", "CO2e kg", "share"}};
  for (Phase p : kPhases) {
    const auto& ph = f.phase(p);
    if (!ph) {
      rows.push_back({std::string(to_string(p)), "-", "-", "-", "-"});
      continue;
    }
    rows.push_back({std::string(to_string(p)),
                    std::string(to_string(ph->method)),
                    format_range(ph->energy_kwh), format_range(ph->co2e_kg),
                    percent(ph->share)});
  }
  rows.push_back({"total", "", format_range(f.energy_kwh),
                  format_range(f.co2e_kg), "100.0 %"});
  std::array<std::size_t, 5> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    out += fmt::format("{:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}\n", row[0],
                       width[0], row[1], width[1], row[2], width[2], row[3],
                       width[3], row[4], width[4]);
  }
}

void what_if_table(const FootprintReport& r, std::string& out) {
  out += "\nwhat-ifs (each applied alone to the scenario):\n";
  out += fmt::format("{:<28} {:>16} {:>16} {:>10}\n", "", "energy kWh",
                     "CO2e kg", "change");
  auto row = [&](const std::string& label, const Footprint& f) {
    const double base = r.base.co2e_kg.central;
    const std::string change =
        base > 0.0
            ? fmt::format("{:+.1f} %", (f.co2e_kg.central / base - 1.0) * 100.0)
            : "-";
    out += fmt::format("{:<28} {:>16} {:>16} {:>10}\n", label,
                       format_number(f.energy_kwh.central),
                       format_number(f.co2e_kg.central), change);
  };
  row("scenario", r.base);
  for (const auto& c : r.what_ifs)
    row(c.label, c.footprint);
}

void sweep_table(const FootprintReport& r, std::string& out) {
  out += fmt::format("\nsweep of {}:\n", r.sweep_key);
  out += fmt::format("{:>14} {:>24} {:>24}\n", r.sweep_key, "energy kWh",
                     "CO2e kg");
  for (const auto& p : r.sweep) {
    out += fmt::format("{:>14} {:>24} {:>24}\n", format_number(p.value),
                       format_range(p.footprint.energy_kwh),
                       format_range(p.footprint.co2e_kg));
  }
}

}  // namespace

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

std::string format_range(lifecycle::Range r) {
  if (r.is_exact())
    return format_number(r.central);
  return fmt::format("{} [{} to {}]", format_number(r.central),
                     format_number(r.low), format_number(r.high));
}

std::string footprint_text(const FootprintReport& r) {
  const Footprint& f = r.base;
  std::string out;
  out += fmt::format("{}: life-cycle footprint\n", f.name);
  out += fmt::format("grid: {} gCO2e/kWh ({})\n",
                     format_range(f.intensity_g_per_kwh), r.intensity_source);
  out +=
      fmt::format("PUE: {} (applied to every phase)\n\n", format_range(f.pue));
  phase_table(f, out);
  if (!f.energy_kwh.is_exact())
    out += "(central [low to high] where inputs are uncertain)\n";
  if (f.break_even_calls) {
    out += fmt::format(
        "\nbreak-even: inference outweighs search and training after {} "
        "calls\n",
        format_range(*f.break_even_calls));
  }
  const auto& e = f.equivalents;
  out += fmt::format(
      "\nequivalents of {} kg CO2e:\n"
      "  {} years of an average car (11,000 lb a year)\n"
      "  {} km by car\n"
      "  {} one-way flights New York - San Francisco\n",
      format_number(f.co2e_kg.central), format_number(e.car_years),
      format_number(e.car_km), format_number(e.flights_nyc_sf));
  if (!r.recommendations.empty()) {
    out += "\nrecommendations:\n";
    for (const auto& rec : r.recommendations) {
      out += fmt::format("  - {}{}: {}\n    source: {}\n", rec.topic,
                         rec.rule_of_thumb ? " (rule of thumb)" : "",
                         rec.summary, rec.source);
    }
  }
  if (!r.what_ifs.empty())
    what_if_table(r, out);
  if (!r.sweep.empty())
    sweep_table(r, out);
  return out;
}

}  // namespace mlcarbon::report
