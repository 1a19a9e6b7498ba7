// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/series.h"

#include <algorithm>
#include <cmath>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"

namespace mlcarbon::carbon {

IntensitySeries::IntensitySeries(std::vector<Point> points, std::string origin,
                                 std::optional<WallTime> end)
    : points_(std::move(points)), origin_(std::move(origin)), end_(end) {
  MLCARBON_CHECK(!points_.empty(), "an intensity series needs a point");
  MLCARBON_CHECK(!end_ || *end_ > points_.back().start,
                 "an intensity series ends after its last start");
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
  bool past_end = it == points_.end() && t >= end();
  return {p.intensity, past_end};
}

GramsCo2ePerKwh IntensitySeries::at(WallTime t) const {
  return lookup(t).intensity;
}

std::optional<std::string> IntensitySeries::coverage_warning(
    WallTime start, WallTime end) const {
  const WallTime first = points_.front().start;
  const WallTime last = this->end();
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

WallTime IntensitySeries::end() const {
  if (end_)
    return *end_;
  return points_.back().start +
         std::chrono::duration_cast<WallTime::duration>(step());
}

namespace {

// An intensity column named in a unit other than g/kWh.
bool names_another_unit(std::string_view lower_name) {
  static constexpr std::string_view kOtherUnits[] = {
      "kg_per_kwh", "kg/kwh", "lb_per_mwh", "lb/mwh",     "lbs_per_mwh",
      "g_per_mwh",  "g/mwh",  "t_per_mwh",  "kg_per_mwh", "kg/mwh"};
  for (auto unit : kOtherUnits) {
    if (lower_name.find(unit) != std::string_view::npos)
      return true;
  }
  return false;
}

}  // namespace

Result<IntensitySeries> parse_series(std::string_view csv,
                                     std::string_view origin) {
  static constexpr std::string_view kTimeNames[] = {"timestamp", "datetime",
                                                    "time", "start", "from"};
  static constexpr std::string_view kEndNames[] = {"end", "to"};
  static constexpr std::string_view kValueNames[] = {
      "carbon_intensity_g_per_kwh", "g_per_kwh", "carbon_intensity",
      "intensity"};
  std::vector<IntensitySeries::Point> points;
  std::optional<WallTime> last_end;
  int time_col = -1;
  int end_col = -1;
  int value_col = -1;
  int line_no = 0;
  auto fail = [&](std::string message) -> Status {
    return make_error(Errc::kParse, "{}:{}: {}", origin, line_no, message);
  };
  auto find_columns = [&](const std::vector<std::string>& fields) -> Status {
    std::string other_unit;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::string name = to_lower(trim(fields[i]));
      auto pick = [&](std::span<const std::string_view> names, int& col) {
        for (auto n : names) {
          if (name == n && col < 0)
            col = static_cast<int>(i);
        }
      };
      pick(kTimeNames, time_col);
      pick(kEndNames, end_col);
      pick(kValueNames, value_col);
      if (names_another_unit(name) && other_unit.empty())
        other_unit = std::string(trim(fields[i]));
    }
    if (value_col < 0 && !other_unit.empty()) {
      return fail(fmt::format(
          "column '{}' is in another unit; expected grams CO2e per kWh in a "
          "column named 'carbon_intensity_g_per_kwh' (or 'g_per_kwh')",
          other_unit));
    }
    if (time_col < 0 || value_col < 0) {
      return fail(
          "header needs a 'timestamp' and a 'carbon_intensity_g_per_kwh' "
          "(or 'g_per_kwh') column");
    }
    return {};
  };
  auto read_time = [&](const std::vector<std::string>& fields,
                       std::size_t col) -> Result<WallTime> {
    auto t = parse_time(fields[col]);
    if (!t)
      return tl::unexpected(fail(t.error().message()).error());
    // Grid data exists for no other years, and within them the last
    // point plus the series' step always fits in a WallTime.
    if (*t < kFirstPoint || *t >= kAfterLastPoint) {
      return tl::unexpected(fail(fmt::format("timestamp '{}' is not within "
                                             "1970-2100",
                                             trim(fields[col])))
                                .error());
    }
    return *t;
  };
  auto walked = for_each_csv_record(
      csv, [&](int line, std::vector<std::string> fields) -> Status {
        line_no = line;
        if (time_col < 0)
          return find_columns(fields);
        auto tc = static_cast<std::size_t>(time_col);
        auto vc = static_cast<std::size_t>(value_col);
        std::size_t need = std::max(tc, vc);
        if (end_col >= 0)
          need = std::max(need, static_cast<std::size_t>(end_col));
        if (fields.size() <= need) {
          return fail(fmt::format("{} fields, expected at least {}",
                                  fields.size(), need + 1));
        }
        MLCARBON_ASSIGN_OR_RETURN(const WallTime t, read_time(fields, tc));
        std::string_view vtext = trim(fields[vc]);
        auto v = parse_double(vtext);
        if (!v) {
          return fail(
              fmt::format("intensity '{}' is not a finite number", vtext));
        }
        if (*v < 0.0) {
          return fail(fmt::format("intensity {} is negative", *v));
        }
        if (*v > kMaxPlausibleIntensity) {
          return fail(fmt::format(
              "intensity {} is not a plausible g CO2e/kWh (no grid emits more "
              "than about 1,200): is it in another unit, such as g/MWh or "
              "lb/MWh?",
              *v));
        }
        if (end_col >= 0) {
          MLCARBON_ASSIGN_OR_RETURN(
              const WallTime end,
              read_time(fields, static_cast<std::size_t>(end_col)));
          if (end <= t) {
            return fail(
                fmt::format("the row ends at {}, not after its start {}",
                            format_time(end), format_time(t)));
          }
          if (last_end && t < *last_end) {
            return fail(fmt::format(
                "the row starts at {}, before the previous row ends at {}: "
                "rows overlap",
                format_time(t), format_time(*last_end)));
          }
          if (last_end && t > *last_end) {
            return fail(fmt::format(
                "the row starts at {}, after the previous row ends at {}: "
                "the series has a gap",
                format_time(t), format_time(*last_end)));
          }
          last_end = end;
        }
        if (!points.empty() && t <= points.back().start) {
          return fail(
              fmt::format("timestamp '{}' is not after the previous one",
                          trim(fields[tc])));
        }
        points.push_back({t, GramsCo2ePerKwh(*v), line});
        return {};
      });
  if (!walked)
    return tl::unexpected(walked.error());
  if (time_col < 0)
    return make_error(Errc::kParse, "{}: empty series: no header line", origin);
  if (points.empty())
    return make_error(Errc::kParse, "{}: the series has no data lines", origin);
  return IntensitySeries(std::move(points), std::string(origin), last_end);
}

Result<IntensitySeries> read_series(const std::filesystem::path& path) {
  const std::string origin = path.string();
  MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                            read_file(path, kMaxSeriesBytes));
  if (text.size() > kMaxSeriesBytes) {
    return make_error(Errc::kInvalidArgument, "{} is larger than {} MiB",
                      origin, kMaxSeriesBytes >> 20);
  }
  if (trim(text).starts_with("{")) {
    return make_error(Errc::kParse,
                      "{} is JSON, but an intensity series is a CSV "
                      "(docs/plan.md); convert an answer of the GB Carbon "
                      "Intensity API with: mlcarbon plan --convert-gb {} "
                      "--output series.csv",
                      origin, origin);
  }
  return parse_series(text, origin);
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
