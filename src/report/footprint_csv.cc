// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/report/footprint.h"

namespace mlcarbon::report {
namespace {

using lifecycle::Footprint;
using lifecycle::Phase;

// Full precision: CSV is for further computation.
std::string num(double v) {
  return fmt::format("{}", v);
}

void rows(const std::string& scenario, const Footprint& f, std::string& out) {
  auto row = [&](std::string_view phase, std::string_view method,
                 lifecycle::Range kwh, lifecycle::Range kg, double share) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{}\n", csv_escape(scenario),
                       phase, method, num(kwh.central), num(kwh.low),
                       num(kwh.high), num(kg.central), num(kg.low),
                       num(kg.high), num(share));
  };
  for (std::size_t i = 0; i < lifecycle::kPhaseCount; ++i) {
    const auto& ph = f.phases[i];
    if (ph) {
      row(to_string(static_cast<Phase>(i)), to_string(ph->method),
          ph->energy_kwh, ph->co2e_kg, ph->share);
    }
  }
  row("total", "", f.energy_kwh, f.co2e_kg, 1.0);
  if (f.embodied_co2e_kg) {
    // Embodied emissions use no energy: 0 kWh, and no share of it.
    const auto none = lifecycle::Range::exact(0.0);
    row("embodied", "estimated", none, *f.embodied_co2e_kg, 0.0);
    row("total_with_embodied", "", f.energy_kwh, f.co2e_with_embodied_kg(),
        1.0);
  }
}

}  // namespace

std::string footprint_csv(const FootprintReport& r) {
  std::string out =
      "scenario,phase,method,energy_kwh,energy_kwh_low,energy_kwh_high,"
      "co2e_kg,co2e_kg_low,co2e_kg_high,share\n";
  rows(r.base.name, r.base, out);
  for (const auto& c : r.what_ifs)
    rows(c.label, c.footprint, out);
  for (const auto& p : r.sweep)
    rows(fmt::format("{}={}", r.sweep_key, p.value), p.footprint, out);
  return out;
}

}  // namespace mlcarbon::report
