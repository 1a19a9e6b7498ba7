// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/run_text.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/carbon/equivalents.h"
#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/table.h"

namespace mlcarbon::report {
namespace {

lifecycle::Range range(Joules central, measure::EnergyBounds b) {
  return {b.low.value(), central.value(), b.high.value()};
}

lifecycle::Range range(GramsCo2e central, measure::Co2eBounds b) {
  return {b.low.value(), central.value(), b.high.value()};
}

}  // namespace

std::string run_summary_text(const measure::Run& run, bool color) {
  const measure::Measurement& m = run.measurement;
  std::string ending;
  if (run.signal) {
    ending = fmt::format("killed by signal {} (exit status {})", *run.signal,
                         run.exit_status.value_or(-1));
  } else {
    ending = fmt::format("exited {}", run.exit_status.value_or(-1));
  }
  std::string out = fmt::format(
      "\n{} {} {} after {:.2f} s{}\n", paint(color, "1", "mlcarbon:"),
      terminal_safe(measure::quote_command(run.command)), ending,
      m.duration.count(), run.interrupted ? " (interrupted)" : "");

  // label, energy, power, method, source
  Table table({{Align::kLeft, 12},
               {Align::kRight, 11},
               {Align::kRight, 10},
               {Align::kLeft, 9, 2},
               {Align::kLeft, 0, 2}},
              "  ");
  table.add_row({"domain", "energy", "power", "method", "source"});
  for (const auto& d : m.domains) {
    table.add_row({d.domain, human_energy(range(d.energy, d.bounds(d.energy))),
                   format_number(d.average_power.value()) + " W",
                   Cell(std::string(to_string(d.method)),
                        d.method == Method::kMeasured ? "32" : "33"),
                   (d.sensor.empty() ? "" : d.sensor + ": ") + d.description});
    if (d.nested)
      table.add_row({""}, "(inside another domain: not added)");
  }
  table.add_row({"machine", human_energy(range(m.total, m.total_bounds())), "",
                 std::string(to_string(m.method()))},
                "(with idle)", 2);
  const Joules idle = m.counted_idle_energy();
  if (idle.value() > 0.0) {
    table.add_row({"above idle",
                   human_energy(range(m.above_idle, m.above_idle_bounds()))},
                  fmt::format("(idle baseline {})",
                              human_energy(range(idle, m.idle_bounds()))),
                  2);
  } else {
    table.add_row({"above idle", "-"},
                  "(no idle baseline: --idle-baseline S measures one)", 2);
  }
  if (m.attributed_share) {
    table.add_row({"attributed",
                   human_energy(range(m.attributed, m.attributed_bounds()))},
                  fmt::format("({:.1f} % of the machine's CPU time went to "
                              "the command's process tree)",
                              *m.attributed_share * 100.0),
                  2);
  }
  const measure::CarbonInfo& c = run.carbon;
  table.add_row({"CO2e", human_co2e(range(run.co2e, run.co2e_bounds()))},
                fmt::format("({} attributed)",
                            human_co2e(range(run.attributed_co2e,
                                             run.attributed_co2e_bounds()))),
                2);
  const carbon::EmbodiedShare& e = run.embodied;
  if (!e.terms.empty()) {
    table.add_row(
        {"embodied", human_co2e(lifecycle::Range{
                         e.low.value(), e.central.value(), e.high.value()})},
        "(hardware manufacture, amortised; not in CO2e)", 2);
  }
  table.add_row(
      {"intensity"},
      fmt::format("{:.1f} g/kWh{} for {} ({}; {})", c.intensity.value(),
                  c.time_varying ? " (energy-weighted mean)" : "",
                  c.region_name.empty() ? c.region : c.region_name,
                  c.region_reason, c.intensity_source));
  table.add_row({"PUE"}, fmt::format("{:.2f} ({})", c.pue, c.pue_reason));
  table.add_row(
      {"equivalent"},
      fmt::format("{} km by car", format_number(carbon::car_km(run.co2e))));
  out += table.render(color);
  // Where each band comes from, once per estimated sensor.
  std::vector<std::string> told;
  for (const auto& d : m.domains) {
    if (d.band.low == 1.0 && d.band.high == 1.0)
      continue;
    if (std::find(told.begin(), told.end(), d.sensor) != told.end())
      continue;
    told.push_back(d.sensor);
    out += fmt::format("  band {}: x{} to x{} ({})\n", d.sensor,
                       format_number(d.band.low), format_number(d.band.high),
                       d.band.source);
  }
  for (const auto& term : e.terms)
    out += fmt::format("  embodied: {}\n", term);
  if (told.empty() == false)
    out += "  (central [low to high] where a figure is estimated)\n";
  for (const auto& w : m.warnings) {
    out += fmt::format("  {} {}\n", paint(color, "33", "warning:"),
                       terminal_safe(w));
  }
  return out;
}

std::string live_status_line(Seconds elapsed, Joules energy,
                             const measure::CarbonInfo& carbon) {
  const double s = elapsed.count();
  const Watts power = s > 0.0 ? energy / elapsed : Watts(0.0);
  const GramsCo2e g = carbon::emissions(carbon.intensity, energy, carbon.pue);
  return fmt::format("mlcarbon: {:6.1f} s  {:>8} W  {:>10}  {}", s,
                     format_number(power.value()), human_energy(energy),
                     human_co2e(g));
}

}  // namespace mlcarbon::report
