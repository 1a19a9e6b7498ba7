// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "mlcarbon/core/units.h"

/// Number formatting shared by every console and Markdown writer.
namespace mlcarbon::report {

/// A number with 3 significant digits, without exponent from 1e-4 to 1e6:
/// "0.295", "12.3", "4560"; "1.23e+07" and "4.5e-05" outside.
[[nodiscard]] std::string format_number(double v);

/// "12.3 J", "4.56 Wh", "7.89 kWh", "1.2 MWh": the unit that keeps the
/// number readable.
[[nodiscard]] std::string human_energy(Joules e);
/// "512 mg CO2e", "3.2 g CO2e", "1.5 kg CO2e", "552 t CO2e".
[[nodiscard]] std::string human_co2e(GramsCo2e g);

}  // namespace mlcarbon::report
