// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlcarbon/core/units.h"
#include "mlcarbon/lifecycle/range.h"

/// Number formatting shared by every console and Markdown writer.
namespace mlcarbon::report {

/// A number with 3 significant digits, without exponent from 1e-4 to 1e6:
/// "0.295", "12.3", "4560"; "1.23e+07" and "4.5e-05" outside.
[[nodiscard]] std::string format_number(double v);

/// `v` with a decimal SI prefix and `unit`, 3 significant digits: "512 B",
/// "25.1 kB", "1.23 GFLOPs"; from k up to E.
[[nodiscard]] std::string human_si(double v, std::string_view unit);

/// A whole number with thousands separators: "1,234,567".
[[nodiscard]] std::string grouped(std::int64_t v);

/// "12.3 J", "4.56 Wh", "7.89 kWh", "1.2 MWh": the unit that keeps the
/// number readable.
[[nodiscard]] std::string human_energy(Joules e);
/// "512 mg CO2e", "3.2 g CO2e", "1.5 kg CO2e", "552 t CO2e".
[[nodiscard]] std::string human_co2e(GramsCo2e g);

/// "0.295" or "0.295 [0.1 to 0.5]": a figure with 3 significant digits and
/// its range when uncertain. Every report writes a range this way.
[[nodiscard]] std::string format_range(lifecycle::Range r);

/// human_energy of a range of joules: "12.3 J" when exact, else
/// "12.3 [9.1 to 15.0] J", every end in the unit the central value picks.
[[nodiscard]] std::string human_energy(lifecycle::Range joules);
/// human_co2e of a range of grams: "3.2 [2.1 to 4.4] g CO2e".
[[nodiscard]] std::string human_co2e(lifecycle::Range grams);

}  // namespace mlcarbon::report
