// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/run.h"

namespace mlcarbon::report {

/// The report `mlcarbon measure` prints on stderr after the run: the
/// command and how it ended, energy per domain with its method, totals,
/// CO2e and where the intensity and PUE came from, warnings. `color` adds
/// SGR colour; text from the user is shown with its control bytes escaped.
[[nodiscard]] std::string run_summary_text(const measure::Run& run, bool color);

/// The live status line: elapsed, power, energy, CO2e at `carbon`'s
/// intensity and PUE.
[[nodiscard]] std::string live_status_line(Seconds elapsed, Joules energy,
                                           const measure::CarbonInfo& carbon);

}  // namespace mlcarbon::report
