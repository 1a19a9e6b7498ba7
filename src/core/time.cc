// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/time.h"

#include <array>
#include <cmath>
#include <span>
#include <sstream>

#include <date/date.h>
#include <fmt/format.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

using Nanos = date::sys_time<std::chrono::nanoseconds>;

constexpr std::string_view kTimeForms =
    "expected ISO 8601 such as 2026-01-01T00:00:00Z, "
    "2026-01-01T01:00:00+01:00 or 2026-01-01";

// One date::parse attempt that must consume the whole text. date.h takes
// any two-digit hour as an offset; real ones stay within a day.
bool parse_whole(const std::string& text, const char* format, Nanos& out) {
  std::istringstream in(text);
  Nanos t;
  std::chrono::minutes offset{0};
  in >> date::parse(format, t, offset);
  if (in.fail() || in.peek() != std::char_traits<char>::eof() ||
      std::chrono::abs(offset) >= std::chrono::hours(24))
    return false;
  out = t;
  return true;
}

// date.h reads at most nanoseconds and misreads digits beyond them as the
// offset, so longer fractions are cut; ',' is ISO's other decimal mark.
void normalise_fraction(std::string& s, std::size_t time_start) {
  const std::size_t mark = s.find_first_of(".,", time_start);
  if (mark == std::string::npos)
    return;
  s[mark] = '.';
  std::size_t end = mark + 1;
  while (end < s.size() && s[end] >= '0' && s[end] <= '9')
    ++end;
  if (end - mark - 1 > 9)
    s.erase(mark + 10, end - mark - 10);
}

// "+hh:mm", "+hhmm" or "+hh" (or '-'). date.h negates an offset it failed
// to read (undefined behaviour on "-p2:00"), so it only sees these forms.
bool well_formed_offset(std::string_view o) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (o.size() < 3 || (o[0] != '+' && o[0] != '-') || !digit(o[1]) ||
      !digit(o[2]))
    return false;
  o.remove_prefix(3);
  if (!o.empty() && o[0] == ':')
    o.remove_prefix(1);
  return o.empty() || (o.size() == 2 && digit(o[0]) && digit(o[1]));
}

}  // namespace

Result<WallTime> parse_time(std::string_view text) {
  const std::string_view t = trim(text);
  auto bad = [&](std::string_view why) -> Result<WallTime> {
    return make_error(Errc::kParse, "bad timestamp '{}': {} ({})", text, why,
                      kTimeForms);
  };
  if (t.empty())
    return bad("empty");
  // WallTime counts nanoseconds in 64 bits, so only these years fit;
  // date.h would wrap around silently outside them.
  const auto year = parse_integer<int>(t.substr(0, t.find('-')));
  if (year && (*year < 1678 || *year > 2261))
    return bad("the year must be within 1678..2261");
  std::string s(t);
  Nanos parsed;
  if (s.size() <= 10) {
    if (parse_whole(s, "%F", parsed))
      return std::chrono::time_point_cast<WallTime::duration>(parsed);
    return bad("not a date");
  }
  if (s[10] == ' ' || s[10] == 't')
    s[10] = 'T';
  if (s[10] != 'T')
    return bad("no 'T' between date and time");
  normalise_fraction(s, 11);
  bool utc = false;
  if (s.back() == 'Z' || s.back() == 'z') {
    s.pop_back();
    utc = true;
  }
  if (const std::size_t sign = s.find_first_of("+-", 11);
      !utc && sign != std::string::npos &&
      !well_formed_offset(std::string_view(s).substr(sign)))
    return bad("the offset is not +hh:mm, +hhmm or +hh");
  static constexpr std::array<const char*, 2> kUtcForms = {"%FT%T", "%FT%R"};
  static constexpr std::array<const char*, 4> kOffsetForms = {
      "%FT%T%Ez", "%FT%T%z", "%FT%R%Ez", "%FT%R%z"};
  for (const char* form : utc ? std::span<const char* const>(kUtcForms)
                              : std::span<const char* const>(kOffsetForms)) {
    if (parse_whole(s, form, parsed))
      return std::chrono::time_point_cast<WallTime::duration>(parsed);
  }
  const bool has_offset = s.find_first_of("+-", 11) != std::string::npos || utc;
  if (!has_offset) {
    for (const char* form : kUtcForms) {
      if (parse_whole(s, form, parsed))
        return bad("no time zone (add Z or +hh:mm)");
    }
  }
  return bad("no such date, time or offset");
}

std::string format_time(WallTime t) {
  return date::format("%FT%TZ",
                      std::chrono::floor<std::chrono::milliseconds>(t));
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

}  // namespace mlcarbon
