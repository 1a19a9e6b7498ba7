// SPDX-License-Identifier: Apache-2.0
#include "summary.h"

#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/carbon/equivalents.h"

namespace mlcarbon::cli {
namespace {

// Three significant digits, without exponent for everyday magnitudes.
std::string sig3(double v) {
  if (v == 0.0)
    return "0";
  const double mag = std::floor(std::log10(std::fabs(v)));
  const int decimals = std::max(0, 2 - static_cast<int>(mag));
  return fmt::format("{:.{}f}", v, decimals);
}

std::string paint(bool color, std::string_view code, std::string_view text) {
  if (!color)
    return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

}  // namespace

std::string human_energy(Joules e) {
  const double j = e.value();
  if (std::fabs(j) < 3600.0)
    return sig3(j) + " J";
  if (std::fabs(j) < 3.6e6)
    return sig3(j / 3600.0) + " Wh";
  if (std::fabs(j) < 3.6e9)
    return sig3(j / 3.6e6) + " kWh";
  return sig3(j / 3.6e9) + " MWh";
}

std::string human_co2e(GramsCo2e g) {
  const double v = g.value();
  if (std::fabs(v) < 1.0)
    return sig3(v * 1000.0) + " mg CO2e";
  if (std::fabs(v) < 1000.0)
    return sig3(v) + " g CO2e";
  if (std::fabs(v) < 1e6)
    return sig3(v / 1000.0) + " kg CO2e";
  return sig3(v / 1e6) + " t CO2e";
}

std::string measure_summary(const measure::Run& run, bool color) {
  const measure::Measurement& m = run.measurement;
  std::string out;
  std::string ending;
  if (run.signal) {
    ending = fmt::format("killed by signal {} (exit status {})", *run.signal,
                         *run.exit_status);
  } else {
    ending = fmt::format("exited {}", run.exit_status.value_or(-1));
  }
  out += fmt::format(
      "\n{} {} {} after {:.2f} s{}\n", paint(color, "1", "mlcarbon:"),
      measure::quote_command(run.command), ending, m.duration.count(),
      run.interrupted ? " (interrupted)" : "");
  out += fmt::format("  {:<12} {:>11} {:>10}  {:<9}  {}\n", "domain", "energy",
                     "power", "method", "source");
  for (const auto& d : m.domains) {
    out += fmt::format("  {:<12} {:>11} {:>10}  {:<9}  {}{}\n", d.domain,
                       human_energy(d.energy),
                       sig3(d.average_power.value()) + " W",
                       paint(color, d.method == Method::kMeasured ? "32" : "33",
                             fmt::format("{:<9}", to_string(d.method))),
                       d.sensor.empty() ? "" : d.sensor + ": ", d.description);
    if (d.nested)
      out += "               (inside another domain: not added)\n";
  }
  out += fmt::format("  {:<12} {:>11}             {}\n", "machine",
                     human_energy(m.total), to_string(m.method()));
  Joules idle;
  for (const auto& d : m.domains) {
    if (!d.nested)
      idle += d.idle_energy;
  }
  if (idle.value() > 0.0) {
    out += fmt::format("  {:<12} {:>11}  (idle baseline {})\n", "above idle",
                       human_energy(m.above_idle), human_energy(idle));
  }
  if (m.attributed_share) {
    out += fmt::format(
        "  {:<12} {:>11}  ({:.1f} % of the machine's CPU time "
        "went to the command's process tree)\n",
        "attributed", human_energy(m.attributed), *m.attributed_share * 100.0);
  }
  const measure::CarbonInfo& c = run.carbon;
  out += fmt::format("  {:<12} {:>11}  ({} attributed)\n", "CO2e",
                     human_co2e(run.co2e), human_co2e(run.attributed_co2e));
  out += fmt::format("  intensity    {:.1f} g/kWh{} for {} ({}; {})\n",
                     c.intensity.value(),
                     c.time_varying ? " (energy-weighted mean)" : "",
                     c.region_name.empty() ? c.region : c.region_name,
                     c.region_reason, c.intensity_source);
  out += fmt::format("  PUE          {:.2f} ({})\n", c.pue, c.pue_reason);
  out += fmt::format("  equivalent   {} km by car\n",
                     sig3(carbon::car_km(run.co2e)));
  for (const auto& w : m.warnings) {
    out += fmt::format("  {} {}\n", paint(color, "33", "warning:"), w);
  }
  return out;
}

std::string live_status_line(Seconds elapsed, Joules energy,
                             const measure::CarbonInfo& carbon) {
  const double s = elapsed.count();
  const Watts power = s > 0.0 ? energy / elapsed : Watts(0.0);
  const GramsCo2e g = (energy * carbon.pue) * carbon.intensity;
  return fmt::format("mlcarbon: {:6.1f} s  {:>8} W  {:>10}  {}", s,
                     sig3(power.value()), human_energy(energy), human_co2e(g));
}

}  // namespace mlcarbon::cli
