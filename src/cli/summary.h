// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/run.h"

namespace mlcarbon::cli {

/// "12.3 J", "4.56 Wh", "7.89 kWh": the unit that keeps the number readable.
[[nodiscard]] std::string human_energy(Joules e);
/// "512 mg", "3.2 g", "1.5 kg", "552 t" of CO2e.
[[nodiscard]] std::string human_co2e(GramsCo2e g);

/// The report `mlcarbon measure` prints on stderr after the run.
[[nodiscard]] std::string measure_summary(const measure::Run& run, bool color);

/// The live status line: elapsed, power, energy, CO2e.
[[nodiscard]] std::string live_status_line(Seconds elapsed, Joules energy,
                                           const measure::CarbonInfo& carbon);

}  // namespace mlcarbon::cli
