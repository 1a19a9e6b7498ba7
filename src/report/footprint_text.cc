// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/report/footprint.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/table.h"

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
  // Ranges make some cells much wider than others: the table sizes each
  // column to its widest cell.
  Table table({{Align::kLeft},
               {Align::kLeft, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2}});
  table.add_row(
      {"phase", "method", "energy kWh (with PUE)", "CO2e kg", "share"});
  for (Phase p : kPhases) {
    const auto& ph = f.phase(p);
    if (!ph) {
      table.add_row({std::string(to_string(p)), "-", "-", "-", "-"});
      continue;
    }
    table.add_row({std::string(to_string(p)),
                   std::string(to_string(ph->method)),
                   format_range(ph->energy_kwh), format_range(ph->co2e_kg),
                   percent(ph->share)});
  }
  table.add_row({"total", "", format_range(f.energy_kwh),
                 format_range(f.co2e_kg), "100.0 %"});
  if (f.embodied_co2e_kg) {
    table.add_row(
        {"embodied", "estimated", "", format_range(*f.embodied_co2e_kg)});
    table.add_row(
        {"with embodied", "", "", format_range(f.co2e_with_embodied_kg())});
  }
  out += table.render(false);
  if (f.embodied_co2e_kg) {
    // The paper's figure (operational) beside the fuller one.
    out += fmt::format(
        "CO2e kg: {} operational (the paper's figure), {} with embodied\n",
        format_range(f.co2e_kg), format_range(f.co2e_with_embodied_kg()));
    for (const auto& term : f.embodied_terms)
      out += fmt::format("  embodied: {}\n", terminal_safe(term));
  }
}

void what_if_table(const FootprintReport& r, std::string& out) {
  out += "\nwhat-ifs (each applied alone to the scenario):\n";
  Table table({{Align::kLeft, 28},
               {Align::kRight, 16},
               {Align::kRight, 16},
               {Align::kRight, 10}});
  table.add_row({"", "energy kWh", "CO2e kg", "change"});
  auto row = [&](const std::string& label, const Footprint& f) {
    const double base = r.base.co2e_kg.central;
    const std::string change =
        base > 0.0
            ? fmt::format("{:+.1f} %", (f.co2e_kg.central / base - 1.0) * 100.0)
            : "-";
    table.add_row({label, format_number(f.energy_kwh.central),
                   format_number(f.co2e_kg.central), change});
  };
  row("scenario", r.base);
  for (const auto& c : r.what_ifs)
    row(c.label, c.footprint);
  out += table.render(false);
}

void sweep_table(const FootprintReport& r, std::string& out) {
  out += fmt::format("\nsweep of {}:\n", terminal_safe(r.sweep_key));
  Table table({{Align::kRight, 14}, {Align::kRight, 24}, {Align::kRight, 24}});
  table.add_row({r.sweep_key, "energy kWh", "CO2e kg"});
  for (const auto& p : r.sweep) {
    table.add_row({format_number(p.value), format_range(p.footprint.energy_kwh),
                   format_range(p.footprint.co2e_kg)});
  }
  out += table.render(false);
}

}  // namespace

std::string format_model_input(const lifecycle::ModelInput& in) {
  return fmt::format("{}{}{}, {}: {}", format_range(in.value),
                     in.unit.empty() ? "" : " ", in.unit,
                     in.measured ? "measured" : "estimated", in.source);
}

std::string footprint_text(const FootprintReport& r) {
  const Footprint& f = r.base;
  std::string out;
  // Names and sources come from the user's files: no raw control bytes.
  out += fmt::format("{}: life-cycle footprint\n", terminal_safe(f.name));
  out += fmt::format("grid: {} gCO2e/kWh ({})\n",
                     format_range(f.intensity_g_per_kwh),
                     terminal_safe(r.intensity_source));
  out += fmt::format("PUE: {} (applied to every phase)\n", format_range(f.pue));
  if (!r.model_inputs.empty())
    out += "inputs from models:\n";
  for (const auto& in : r.model_inputs) {
    out += fmt::format("  {} = {}\n", in.field,
                       terminal_safe(format_model_input(in)));
  }
  out += "\n";
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
