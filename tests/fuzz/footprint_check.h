// SPDX-License-Identifier: Apache-2.0
// The oracle of the lifecycle targets: a footprint that estimate() returns
// holds numbers only (docs/scenario.md promises them in JSON and CSV).
#pragma once

#include <cmath>

#include "mlcarbon/lifecycle/estimate.h"

namespace mlcarbon::fuzz {

inline bool finite(const lifecycle::Range& r) {
  return std::isfinite(r.low) && std::isfinite(r.central) &&
         std::isfinite(r.high);
}

/// Traps (a finding) when any figure of `f` is NaN or infinite.
inline void require_finite(const lifecycle::Footprint& f) {
  bool ok = finite(f.energy_kwh) && finite(f.co2e_kg) && finite(f.pue) &&
            finite(f.intensity_g_per_kwh);
  for (const auto& phase : f.phases) {
    ok = ok && (!phase ||
                (finite(phase->device_energy_j) && finite(phase->energy_kwh) &&
                 finite(phase->co2e_kg) && std::isfinite(phase->share)));
  }
  ok = ok && (!f.energy_per_call_j || finite(*f.energy_per_call_j));
  ok = ok && (!f.break_even_calls || finite(*f.break_even_calls));
  ok = ok && std::isfinite(f.equivalents.car_years) &&
       std::isfinite(f.equivalents.car_km) &&
       std::isfinite(f.equivalents.flight_km) &&
       std::isfinite(f.equivalents.flights_nyc_sf);
  if (!ok)
    __builtin_trap();
}

}  // namespace mlcarbon::fuzz
