// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/time.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include <date/date.h>
#include <fmt/format.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

constexpr std::string_view kTimeForms =
    "expected ISO 8601 such as 2026-01-01T00:00:00Z, "
    "2026-01-01T01:00:00+01:00 or 2026-01-01";

// Reads `count` digits at `pos`, or nothing when any is missing.
std::optional<int> digits_at(std::string_view s, std::size_t pos,
                             std::size_t count) {
  if (pos + count > s.size())
    return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return std::nullopt;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// "+hh:mm", "+hhmm" or "+hh" (or '-').
bool well_formed_offset(std::string_view o) {
  if (o.size() < 3 || (o[0] != '+' && o[0] != '-') || !digits_at(o, 1, 2))
    return false;
  o.remove_prefix(3);
  if (!o.empty() && o[0] == ':')
    o.remove_prefix(1);
  return o.empty() || (o.size() == 2 && digits_at(o, 0, 2));
}

}  // namespace

// The text is read field by field here and date.h does the calendar: its
// stream parser has undefined behaviour on some malformed input (found by
// fuzzing), so it never sees raw text.
Result<WallTime> parse_time(std::string_view text) {
  const std::string_view t = trim(text);
  auto bad = [&](std::string_view why) -> Result<WallTime> {
    return make_error(Errc::kParse, "bad timestamp '{}': {} ({})", text, why,
                      kTimeForms);
  };
  if (t.empty())
    return bad("empty");
  // WallTime counts nanoseconds in 64 bits, so only these years fit.
  const auto year = parse_integer<int>(t.substr(0, t.find('-')));
  if (year && (*year < 1678 || *year > 2261))
    return bad("the year must be within 1678..2261");
  const auto y = digits_at(t, 0, 4);
  const auto mo = digits_at(t, 5, 2);
  const auto d = digits_at(t, 8, 2);
  if (!y || !mo || !d || t[4] != '-' || t[7] != '-')
    return bad("not a date");
  const date::year_month_day ymd{date::year{*y},
                                 date::month{static_cast<unsigned>(*mo)},
                                 date::day{static_cast<unsigned>(*d)}};
  if (t.size() == 10) {
    if (!ymd.ok())
      return bad("not a date");
    return WallTime(date::sys_days(ymd));
  }
  if (t[10] != 'T' && t[10] != 't' && t[10] != ' ')
    return bad("no 'T' between date and time");
  constexpr std::string_view kNoSuch = "no such date, time or offset";
  const auto h = digits_at(t, 11, 2);
  const auto mi = digits_at(t, 14, 2);
  if (!h || !mi || t.size() < 16 || t[13] != ':')
    return bad(kNoSuch);
  std::size_t pos = 16;
  int sec = 0;
  std::int64_t nanos = 0;
  if (pos < t.size() && t[pos] == ':') {
    const auto ss = digits_at(t, pos + 1, 2);
    if (!ss)
      return bad(kNoSuch);
    sec = *ss;
    pos += 3;
    if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
      // Digits past the nanosecond are dropped.
      std::size_t end = pos + 1;
      std::int64_t scale = 100'000'000;
      while (end < t.size() && t[end] >= '0' && t[end] <= '9') {
        nanos += (t[end] - '0') * scale;
        scale /= 10;
        ++end;
      }
      if (end == pos + 1)
        return bad(kNoSuch);
      pos = end;
    }
  }
  const std::string_view zone = t.substr(pos);
  std::chrono::minutes offset{0};
  if (zone.empty())
    return bad("no time zone (add Z or +hh:mm)");
  if (zone != "Z" && zone != "z") {
    if (zone[0] != '+' && zone[0] != '-')
      return bad(kNoSuch);
    if (!well_formed_offset(zone))
      return bad("the offset is not +hh:mm, +hhmm or +hh");
    const int oh = *digits_at(zone, 1, 2);
    const int om = zone.size() > 3 ? *digits_at(zone, zone.size() - 2, 2) : 0;
    if (oh >= 24 || om >= 60)
      return bad(kNoSuch);
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (zone[0] == '-')
      offset = -offset;
  }
  if (!ymd.ok() || *h >= 24 || *mi >= 60 || sec >= 60)
    return bad(kNoSuch);
  // Local time = UTC + offset.
  return WallTime(date::sys_days(ymd)) + std::chrono::hours(*h) +
         std::chrono::minutes(*mi) + std::chrono::seconds(sec) +
         std::chrono::nanoseconds(nanos) - offset;
}

std::string format_time(WallTime t) {
  return date::format("%FT%TZ",
                      std::chrono::floor<std::chrono::milliseconds>(t));
}

std::string format_time_short(WallTime t) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  if (std::chrono::floor<minutes>(t) == t)
    return date::format("%FT%H:%MZ", std::chrono::floor<minutes>(t));
  if (std::chrono::floor<seconds>(t) == t)
    return date::format("%FT%TZ", std::chrono::floor<seconds>(t));
  return format_time(t);
}

std::string format_duration(Seconds d) {
  const double s = d.count();
  const auto whole = static_cast<long long>(s);
  if (static_cast<double>(whole) != s || s < 60.0 || whole % 60 != 0)
    return fmt::format("{:g}s", s);
  const long long h = whole / 3600;
  const long long m = whole % 3600 / 60;
  if (h == 0)
    return fmt::format("{}m", m);
  return m == 0 ? fmt::format("{}h", h) : fmt::format("{}h{:02}m", h, m);
}

Result<Seconds> parse_duration(std::string_view text, std::string_view flag,
                               DurationRules rules) {
  struct Unit {
    std::string_view suffix;
    double seconds;
  };
  // "ms" before "m" and "s", so the longest suffix wins.
  static constexpr std::array<Unit, 5> kUnits = {
      {{"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}, {"d", 86400.0}}};
  const std::string_view t = trim(text);
  std::string_view number = t;
  double scale = 1.0;
  bool has_unit = false;
  for (const Unit& unit : kUnits) {
    if (number.ends_with(unit.suffix)) {
      number.remove_suffix(unit.suffix.size());
      scale = unit.seconds;
      has_unit = true;
      break;
    }
  }
  const std::string_view expected =
      rules.require_unit ? "a duration with a unit such as 30m, 12h or 7d"
      : rules.allow_zero ? "a duration such as 30, 1s, 500ms, 1m, 1h or 0"
                         : "a positive duration such as 1s, 500ms, 2.5, 1m, "
                           "1h or 7d";
  auto value = parse_double(number);
  if (!value || (!has_unit && rules.require_unit)) {
    return make_error(Errc::kInvalidArgument, "{} expects {}, got '{}'", flag,
                      expected, text);
  }
  const double seconds = *value * scale;
  if (!std::isfinite(seconds)) {
    return make_error(Errc::kInvalidArgument, "{}: '{}' is too long", flag,
                      text);
  }
  if (seconds < 0.0 || std::signbit(seconds) ||
      (seconds == 0.0 && !rules.allow_zero)) {
    return make_error(Errc::kInvalidArgument, "{} expects {}, got '{}'", flag,
                      expected, text);
  }
  return Seconds(seconds);
}

Result<Joules> parse_energy(std::string_view text, std::string_view flag) {
  struct Unit {
    std::string_view suffix;
    double joules;
  };
  // Longest suffixes first, so "kWh" is not read as "Wh".
  static constexpr Unit kUnits[] = {
      {"kWh", 3.6e6}, {"kwh", 3.6e6}, {"MWh", 3.6e9}, {"Wh", 3600.0},
      {"kJ", 1e3},    {"MJ", 1e6},    {"GJ", 1e9},    {"J", 1.0}};
  const std::string_view t = trim(text);
  for (const Unit& unit : kUnits) {
    if (!t.ends_with(unit.suffix))
      continue;
    auto value = parse_double(trim(t.substr(0, t.size() - unit.suffix.size())));
    if (!value || *value < 0.0 || !std::isfinite(*value * unit.joules))
      break;
    return Joules(*value * unit.joules);
  }
  return make_error(Errc::kInvalidArgument,
                    "{} expects an energy >= 0 with its unit, such as 12kWh, "
                    "500Wh or 3.6MJ, got '{}'",
                    flag, text);
}

}  // namespace mlcarbon
