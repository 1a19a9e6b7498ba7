// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/series.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "mlcarbon/core/text.h"

#include "csv_table.h"

namespace mlcarbon::carbon {

IntensitySeries::IntensitySeries(std::vector<Point> points, std::string origin)
    : points_(std::move(points)), origin_(std::move(origin)) {
  MLCARBON_CHECK(!points_.empty(), "an intensity series needs a point");
}

IntensitySeries::Lookup IntensitySeries::lookup(WallTime t) const {
  if (t < points_.front().start)
    return {points_.front().intensity, true};
  // The last point whose start is <= t.
  auto it = std::upper_bound(
      points_.begin(), points_.end(), t,
      [](WallTime value, const Point& p) { return value < p.start; });
  const Point& p = *std::prev(it);
  bool past_end =
      it == points_.end() &&
      t >= points_.back().start +
               std::chrono::duration_cast<WallTime::duration>(step());
  return {p.intensity, past_end};
}

GramsCo2ePerKwh IntensitySeries::at(WallTime t) const {
  return lookup(t).intensity;
}

std::optional<std::string> IntensitySeries::coverage_warning(
    WallTime start, WallTime end) const {
  const WallTime first = points_.front().start;
  const WallTime last = points_.back().start +
                        std::chrono::duration_cast<WallTime::duration>(step());
  if (start >= first && end <= last)
    return std::nullopt;
  auto iso = [](WallTime t) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                       std::chrono::floor<std::chrono::seconds>(t));
  };
  return fmt::format(
      "the intensity series {} covers {} to {}, but the run went from {} to "
      "{}: outside it the {} value was used",
      origin_, iso(first), iso(last), iso(start), iso(end),
      start < first ? "first" : "last");
}

Seconds IntensitySeries::step() const {
  if (points_.size() < 2)
    return std::chrono::hours(1);
  return points_.back().start - points_[points_.size() - 2].start;
}

namespace {

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2100;

std::optional<int> digits(std::string_view s, std::size_t pos,
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

}  // namespace

Result<WallTime> parse_timestamp(std::string_view text) {
  std::string_view s = trim(text);
  auto bad = [&](std::string_view why) -> Result<WallTime> {
    return make_error(Errc::kParse,
                      "bad timestamp '{}': {} (expected ISO 8601 like "
                      "2026-01-01T00:00:00Z or 2026-01-01T01:00:00+01:00)",
                      s, why);
  };
  auto y = digits(s, 0, 4);
  auto mo = digits(s, 5, 2);
  auto d = digits(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-')
    return bad("no date");
  // WallTime counts nanoseconds in 64 bits (1678-2262); this range also
  // keeps a series' last point plus its step representable.
  if (*y < kMinYear || *y > kMaxYear)
    return bad(fmt::format("the year is not in {}-{}", kMinYear, kMaxYear));
  if (s.size() < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) {
    return bad("no time");
  }
  auto h = digits(s, 11, 2);
  auto mi = digits(s, 14, 2);
  if (!h || !mi || s[13] != ':')
    return bad("no time");
  std::size_t pos = 16;
  int sec = 0;
  double frac = 0.0;
  if (pos < s.size() && s[pos] == ':') {
    auto ss = digits(s, pos + 1, 2);
    if (!ss)
      return bad("bad seconds");
    sec = *ss;
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      std::size_t end = pos + 1;
      double scale = 0.1;
      while (end < s.size() && s[end] >= '0' && s[end] <= '9') {
        frac += (s[end] - '0') * scale;
        scale /= 10;
        ++end;
      }
      if (end == pos + 1)
        return bad("bad fraction");
      pos = end;
    }
  }
  int offset_min = 0;
  if (pos >= s.size())
    return bad("no time zone (add Z or +hh:mm)");
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int sign = s[pos] == '-' ? -1 : 1;
    auto oh = digits(s, pos + 1, 2);
    std::size_t mpos = pos + 3;
    if (mpos < s.size() && s[mpos] == ':')
      ++mpos;
    auto om = digits(s, mpos, 2);
    if (!oh || !om || *oh > 23 || *om > 59)
      return bad("bad offset");
    offset_min = sign * (*oh * 60 + *om);
    pos = mpos + 2;
  } else {
    return bad("no time zone (add Z or +hh:mm)");
  }
  if (pos != s.size())
    return bad("trailing text");
  using namespace std::chrono;
  year_month_day date{year{*y}, month{static_cast<unsigned>(*mo)},
                      day{static_cast<unsigned>(*d)}};
  if (!date.ok())
    return bad("no such date");
  if (*h > 23 || *mi > 59 || sec > 60)
    return bad("no such time");
  auto t = sys_days{date} + hours{*h} + minutes{*mi} + seconds{sec} -
           minutes{offset_min};
  return WallTime(duration_cast<WallTime::duration>(t.time_since_epoch() +
                                                    duration<double>(frac)));
}

Result<IntensitySeries> parse_series(std::string_view csv,
                                     std::string_view origin) {
  static constexpr std::string_view kTimeNames[] = {"timestamp", "datetime",
                                                    "time"};
  static constexpr std::string_view kValueNames[] = {
      "carbon_intensity_g_per_kwh", "g_per_kwh", "carbon_intensity",
      "intensity"};
  std::vector<IntensitySeries::Point> points;
  int time_col = -1;
  int value_col = -1;
  int line_no = 0;
  auto fail = [&](std::string message) -> Status {
    return make_error(Errc::kParse, "{}:{}: {}", origin, line_no, message);
  };
  auto walked = for_each_csv_record(
      csv, [&](int line, std::vector<std::string> fields) -> Status {
        line_no = line;
        if (time_col < 0) {
          for (std::size_t i = 0; i < fields.size(); ++i) {
            std::string name = to_lower(trim(fields[i]));
            for (auto n : kTimeNames) {
              if (name == n && time_col < 0)
                time_col = static_cast<int>(i);
            }
            for (auto n : kValueNames) {
              if (name == n && value_col < 0)
                value_col = static_cast<int>(i);
            }
          }
          if (time_col < 0 || value_col < 0) {
            return fail(
                "header needs a 'timestamp' and a 'carbon_intensity_g_per_kwh' "
                "(or 'g_per_kwh') column");
          }
          return {};
        }
        auto tc = static_cast<std::size_t>(time_col);
        auto vc = static_cast<std::size_t>(value_col);
        if (fields.size() <= std::max(tc, vc)) {
          return fail(fmt::format("{} fields, expected at least {}",
                                  fields.size(), std::max(tc, vc) + 1));
        }
        auto t = parse_timestamp(fields[tc]);
        if (!t)
          return fail(t.error().message());
        std::string_view vtext = trim(fields[vc]);
        auto v = parse_double(vtext);
        if (!v) {
          return fail(
              fmt::format("intensity '{}' is not a finite number", vtext));
        }
        if (*v < 0.0) {
          return fail(fmt::format("intensity {} is negative", *v));
        }
        if (!points.empty() && *t <= points.back().start) {
          return fail(
              fmt::format("timestamp '{}' is not after the previous one",
                          trim(fields[tc])));
        }
        points.push_back({*t, GramsCo2ePerKwh(*v)});
        return {};
      });
  if (!walked)
    return tl::unexpected(walked.error());
  if (time_col < 0)
    return make_error(Errc::kParse, "{}: empty series: no header line", origin);
  if (points.empty())
    return make_error(Errc::kParse, "{}: the series has no data lines", origin);
  return IntensitySeries(std::move(points), std::string(origin));
}

GramsCo2e emissions(const IntensitySeries& series,
                    std::span<const EnergyPoint> energy) {
  GramsCo2e total(0.0);
  auto starts = series.points();
  for (std::size_t i = 1; i < energy.size(); ++i) {
    const EnergyPoint& a = energy[i - 1];
    const EnergyPoint& b = energy[i];
    Joules e = b.cumulative - a.cumulative;
    Seconds span = b.time - a.time;
    if (span.count() <= 0.0) {
      total += e * series.at(a.time);
      continue;
    }
    // Constant power across [a, b]: split at every step boundary inside it.
    WallTime t = a.time;
    auto next =
        std::upper_bound(starts.begin(), starts.end(), t,
                         [](WallTime value, const IntensitySeries::Point& p) {
                           return value < p.start;
                         });
    while (t < b.time) {
      WallTime end = b.time;
      if (next != starts.end() && next->start < end)
        end = next->start;
      double share = Seconds(end - t) / span;
      total += (e * share) * series.at(t);
      t = end;
      if (next != starts.end())
        ++next;
    }
  }
  return total;
}

GramsCo2e emissions(GramsCo2ePerKwh intensity, Joules energy) {
  return energy * intensity;
}

GramsCo2e emissions(GramsCo2ePerKwh intensity, Joules energy, double pue) {
  return emissions(intensity, energy * pue);
}

}  // namespace mlcarbon::carbon
