// SPDX-License-Identifier: Apache-2.0
// The one ISO-8601 parser and formatter, and the one duration and energy
// grammar, shared by intensity series, run files, history filters and
// command-line flags.
#pragma once

#include <string>
#include <string_view>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon {

/// Parses an ISO-8601 time: "2026-01-01T00:00:00Z",
/// "2026-01-01T01:00:00+01:00" (or +0100), "2026-01-01 00:00:00.5Z",
/// seconds optional ("2026-01-01T00:00Z"), fractions to the nanosecond, or a
/// date alone ("2026-01-01", midnight UTC). A time of day without Z or an
/// offset is refused as ambiguous. Errors (Errc::kParse) quote the text,
/// say what is wrong and show the accepted forms.
[[nodiscard]] Result<WallTime> parse_time(std::string_view text);

/// Formats `t` as UTC to the millisecond: "2026-01-01T00:00:00.000Z".
[[nodiscard]] std::string format_time(WallTime t);

/// Formats `t` as UTC as briefly as it is exact: "2026-12-02T02:30Z",
/// "2026-12-02T02:30:15Z", else as format_time does. parse_time reads all.
[[nodiscard]] std::string format_time_short(WallTime t);

/// Formats a duration for people: "3h", "1h30m", "45m"; a duration that is
/// not whole minutes as seconds ("90.5s").
[[nodiscard]] std::string format_duration(Seconds d);

/// What parse_duration accepts beyond a positive number with a unit.
struct DurationRules {
  /// Accept "0" (e.g. --idle-baseline 0 turns the baseline off).
  bool allow_zero = false;
  /// Refuse a bare number: where a bare number could mean something else
  /// (history's --since 2026 is not 2026 seconds ago).
  bool require_unit = false;
};

/// Parses an energy with its unit: a finite number >= 0 followed by J, kJ,
/// MJ, GJ, Wh, kWh or MWh, with or without a space ("12kWh", "3.6 MJ");
/// units are case-sensitive but for a lower-case "kwh". A bare number is
/// refused (joules or kWh?). Errors (Errc::kInvalidArgument) name `flag`.
[[nodiscard]] Result<Joules> parse_energy(std::string_view text,
                                          std::string_view flag);
/// Parses a duration: a finite number followed by ms, s, m, h or d; a bare
/// number is seconds ("2.5"). Negative values, NaN, infinities and values
/// whose unit makes them overflow are refused, as is zero unless
/// rules.allow_zero. Errors (Errc::kInvalidArgument) name `flag`.
[[nodiscard]] Result<Seconds> parse_duration(std::string_view text,
                                             std::string_view flag,
                                             DurationRules rules = {});

}  // namespace mlcarbon
