// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/series.h"

#include <algorithm>
#include <cmath>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"

namespace mlcarbon::carbon {

IntensitySeries::IntensitySeries(std::vector<Point> points, std::string origin)
    : points_(std::move(points)), origin_(std::move(origin)) {
  MLCARBON_CHECK(!points_.empty(), "an intensity series needs a point");
}

namespace {

const WallTime kFirstPoint{};  // 1970-01-01T00:00:00Z
const WallTime kAfterLastPoint{std::chrono::seconds(4133980800)};  // 2101

}  // namespace

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
        auto t = parse_time(fields[tc]);
        if (!t)
          return fail(t.error().message());
        // Grid data exists for no other years, and within them the last
        // point plus the series' step always fits in a WallTime.
        if (*t < kFirstPoint || *t >= kAfterLastPoint) {
          return fail(fmt::format("timestamp '{}' is not within 1970-2100",
                                  trim(fields[tc])));
        }
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
