// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <fmt/format.h>

#include "mlcarbon/report/footprint.h"

namespace mlcarbon::report {
namespace {

using lifecycle::Footprint;
using lifecycle::Phase;

void phase_rows(const Footprint& f, std::string& out) {
  out +=
      "| phase | method | energy kWh (with PUE) | CO2e kg | share |\n"
      "|---|---|---:|---:|---:|\n";
  for (std::size_t i = 0; i < lifecycle::kPhaseCount; ++i) {
    const auto& ph = f.phases[i];
    if (!ph)
      continue;
    out += fmt::format("| {} | {} | {} | {} | {:.1f} % |\n",
                       to_string(static_cast<Phase>(i)), to_string(ph->method),
                       format_range(ph->energy_kwh), format_range(ph->co2e_kg),
                       ph->share * 100.0);
  }
  out += fmt::format("| **total** | | **{}** | **{}** | 100 % |\n",
                     format_range(f.energy_kwh), format_range(f.co2e_kg));
  if (f.embodied_co2e_kg) {
    out += fmt::format("| embodied | estimated | | {} | |\n",
                       format_range(*f.embodied_co2e_kg));
    out += fmt::format("| **with embodied** | | | **{}** | |\n",
                       format_range(f.co2e_with_embodied_kg()));
  }
}

}  // namespace

std::string footprint_markdown(const FootprintReport& r) {
  const Footprint& f = r.base;
  std::string out = fmt::format("# {}: life-cycle footprint\n\n", f.name);
  out += fmt::format("Grid: {} gCO2e/kWh ({}). PUE {} on every phase.\n\n",
                     format_range(f.intensity_g_per_kwh), r.intensity_source,
                     format_range(f.pue));
  for (const auto& in : r.model_inputs) {
    out += fmt::format("- `{}` = {}\n", in.field, format_model_input(in));
  }
  if (!r.model_inputs.empty())
    out += "\n";
  phase_rows(f, out);
  if (f.break_even_calls) {
    out += fmt::format(
        "\nInference outweighs search and training after {} calls.\n",
        format_range(*f.break_even_calls));
  }
  out += fmt::format(
      "\n## Equivalents\n\n- {} years of an average car (11,000 lb a year)\n"
      "- {} km by car\n- {} one-way flights New York - San Francisco\n",
      format_number(f.equivalents.car_years),
      format_number(f.equivalents.car_km),
      format_number(f.equivalents.flights_nyc_sf));
  if (!r.recommendations.empty()) {
    out += "\n## Recommendations\n\n";
    for (const auto& rec : r.recommendations) {
      out += fmt::format("- **{}**{}: {} _Source: {}._\n", rec.topic,
                         rec.rule_of_thumb ? " (rule of thumb)" : "",
                         rec.summary, rec.source);
    }
  }
  if (!r.what_ifs.empty()) {
    out +=
        "\n## What-ifs\n\n| what-if | energy kWh | CO2e kg "
        "|\n|---|---:|---:|\n";
    out += fmt::format("| scenario | {} | {} |\n", format_range(f.energy_kwh),
                       format_range(f.co2e_kg));
    for (const auto& c : r.what_ifs) {
      out += fmt::format("| `{}` | {} | {} |\n", c.label,
                         format_range(c.footprint.energy_kwh),
                         format_range(c.footprint.co2e_kg));
    }
  }
  if (!r.sweep.empty()) {
    out += fmt::format(
        "\n## Sweep of `{}`\n\n| {} | energy kWh | CO2e kg "
        "|\n|---:|---:|---:|\n",
        r.sweep_key, r.sweep_key);
    for (const auto& p : r.sweep) {
      out += fmt::format("| {} | {} | {} |\n", format_number(p.value),
                         format_range(p.footprint.energy_kwh),
                         format_range(p.footprint.co2e_kg));
    }
  }
  return out;
}

}  // namespace mlcarbon::report
