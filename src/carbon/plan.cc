// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/plan.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/core/time.h"

namespace mlcarbon::carbon {
namespace {

using Nanos = WallTime::duration;

std::string duration_text(Nanos d) {
  return format_duration(Seconds(d));
}

// The forecast's cumulative intensity, F(t) = integral of I from its start
// to t, in g/kWh x s: differences give a job's intensity exactly over the
// parts of rows it overlaps.
class Integral {
 public:
  explicit Integral(const IntensitySeries& series) : series_(series) {
    auto points = series.points();
    prefix_.reserve(points.size() + 1);
    prefix_.push_back(0.0);
    for (std::size_t i = 0; i < points.size(); ++i) {
      prefix_.push_back(prefix_.back() +
                        points[i].intensity.value() * length(i));
    }
  }

  // t within [first start, end].
  [[nodiscard]] double at(WallTime t) const {
    auto points = series_.points();
    auto it =
        std::upper_bound(points.begin(), points.end(), t,
                         [](WallTime value, const IntensitySeries::Point& p) {
                           return value < p.start;
                         });
    const auto i = static_cast<std::size_t>(it - points.begin()) - 1;
    return prefix_[i] +
           points[i].intensity.value() * Seconds(t - points[i].start).count();
  }

 private:
  [[nodiscard]] double length(std::size_t i) const {
    auto points = series_.points();
    const WallTime end =
        i + 1 < points.size() ? points[i + 1].start : series_.end();
    return Seconds(end - points[i].start).count();
  }

  const IntensitySeries& series_;
  std::vector<double> prefix_;
};

// Rows of a forecast without stated ends hold until the next row, so a
// missing row would silently stretch its neighbour: require even spacing.
Status check_even_rows(const IntensitySeries& forecast) {
  auto points = forecast.points();
  if (forecast.has_stated_ends() || points.size() < 3)
    return {};
  const Nanos step = points[1].start - points[0].start;
  for (std::size_t i = 2; i < points.size(); ++i) {
    const Nanos gap = points[i].start - points[i - 1].start;
    if (gap != step) {
      return make_error(
          Errc::kParse,
          "{}:{}: this row starts {} after the previous one, but the first "
          "rows are {} apart: a missing row or uneven rows (give each row's "
          "end in an 'end' column when rows differ in length)",
          forecast.origin(), points[i].line, duration_text(gap),
          duration_text(step));
    }
  }
  return {};
}

// The range measure accepts for --pue too.
Status check_pue(double pue) {
  if (!(pue >= 1.0 && pue < 10.0)) {
    return make_error(Errc::kInvalidArgument,
                      "PUE must be between 1.0 and 10, got {}", pue);
  }
  return {};
}

bool less_by_more_than_ties(double a, double b) {
  return a < b - kTieTolerance * std::max(std::abs(a), std::abs(b));
}

}  // namespace

std::string_view to_string(WindowStart from) {
  switch (from) {
    case WindowStart::kNow:
      break;
    case WindowStart::kEarliest:
      return "earliest";
    case WindowStart::kForecastStart:
      return "forecast_start";
  }
  return "now";
}

std::string_view describe(WindowStart from) {
  switch (from) {
    case WindowStart::kNow:
      break;
    case WindowStart::kEarliest:
      return "the earliest start";
    case WindowStart::kForecastStart:
      return "the forecast's start";
  }
  return "now";
}

Status check_job(const Job& job) {
  if (!std::isfinite(job.energy.value()) || job.energy.value() < 0.0) {
    return make_error(Errc::kInvalidArgument,
                      "the job's energy must be a finite number of joules, "
                      ">= 0, got {}",
                      job.energy.value());
  }
  if (!std::isfinite(job.duration.count()) || job.duration.count() <= 0.0) {
    return make_error(Errc::kInvalidArgument,
                      "the job's duration must be a positive finite number "
                      "of seconds, got {}",
                      job.duration.count());
  }
  return check_pue(job.pue);
}

Result<StartPlan> plan_start(const IntensitySeries& forecast, const Job& job,
                             const PlanWindow& window, WallTime now) {
  MLCARBON_RETURN_IF_ERROR(check_job(job));
  MLCARBON_RETURN_IF_ERROR(check_even_rows(forecast));
  const WallTime first = forecast.points().front().start;
  const WallTime last = forecast.end();
  const std::string covers =
      fmt::format("the forecast {} covers {} to {}", forecast.origin(),
                  format_time(first), format_time(last));

  StartPlan plan;
  if (window.earliest) {
    if (*window.earliest < first || *window.earliest >= last) {
      return make_error(Errc::kInvalidArgument,
                        "{}, but the window starts at {}, outside it", covers,
                        format_time(*window.earliest));
    }
    plan.window_start = *window.earliest;
    plan.window_start_from = WindowStart::kEarliest;
  } else if (now >= last) {
    return make_error(Errc::kInvalidArgument,
                      "{}: it ended before now ({}); a current forecast is "
                      "needed (or give the earliest start)",
                      covers, format_time(now));
  } else if (now < first) {
    plan.window_start = first;
    plan.window_start_from = WindowStart::kForecastStart;
  } else {
    plan.window_start = now;
    plan.window_start_from = WindowStart::kNow;
  }
  plan.window_end = window.deadline.value_or(last);
  if (plan.window_end > last) {
    return make_error(Errc::kInvalidArgument,
                      "{}, but the deadline is {}: the forecast does not "
                      "cover the window",
                      covers, format_time(plan.window_end));
  }
  // Rounded to the nanosecond, the resolution of times.
  const auto duration = std::chrono::round<Nanos>(job.duration);
  if (duration <= Nanos::zero() ||
      plan.window_end - plan.window_start < duration) {
    return make_error(
        Errc::kInvalidArgument,
        "the window from {} to {} {} ({}) is shorter than the job ({})",
        format_time(plan.window_start), format_time(plan.window_end),
        window.deadline ? "(the deadline)" : "(the forecast's end)",
        duration_text(plan.window_end - plan.window_start),
        duration_text(duration));
  }

  const WallTime latest = plan.window_end - duration;
  std::vector<WallTime> candidates = {plan.window_start, latest};
  auto consider = [&](WallTime t) {
    if (t >= plan.window_start && t <= latest)
      candidates.push_back(t);
  };
  for (const auto& p : forecast.points()) {
    consider(p.start);
    consider(p.start - duration);
  }
  consider(last - duration);
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()),
                   candidates.end());

  const Integral integral(forecast);
  const double kwh = to_kwh(job.energy).value() * job.pue;
  const double seconds = Seconds(duration).count();
  auto place = [&](WallTime start) {
    const double mean =
        (integral.at(start + duration) - integral.at(start)) / seconds;
    return Placement{start, start + duration, GramsCo2ePerKwh(mean),
                     GramsCo2e(kwh * mean)};
  };
  plan.baseline = place(plan.window_start);
  plan.best = plan.baseline;
  plan.worst = plan.baseline;
  // Ascending starts: a later start replaces only when clearly better, so
  // the earliest of tied starts stays.
  for (WallTime t : candidates) {
    const Placement p = place(t);
    const double e = p.mean_intensity.value();
    if (less_by_more_than_ties(e, plan.best.mean_intensity.value()))
      plan.best = p;
    if (less_by_more_than_ties(plan.worst.mean_intensity.value(), e))
      plan.worst = p;
  }
  return plan;
}

Result<std::vector<RegionOption>> compare_regions(
    const RegionTable& table, std::span<const std::string> codes, Joules energy,
    std::optional<double> pue) {
  if (codes.empty())
    return make_error(Errc::kInvalidArgument, "no region to compare");
  if (pue)
    MLCARBON_RETURN_IF_ERROR(check_pue(*pue));
  std::vector<RegionOption> options;
  for (const std::string& code : codes) {
    MLCARBON_ASSIGN_OR_RETURN(const Region* region, table.find(code));
    for (const RegionOption& o : options) {
      if (o.region == region) {
        return make_error(Errc::kInvalidArgument,
                          "region '{}' is {} ({}), listed twice", code,
                          region->code, region->name);
      }
    }
    // A zero is a gap in the source data, not a clean grid.
    if (region->intensity.value() <= 0.0) {
      return make_error(Errc::kInvalidArgument,
                        "region {} ({}) has no intensity in the table (a gap "
                        "in its source data)",
                        region->code, region->name);
    }
    PueChoice chosen = pue_for(*region, pue);
    const GramsCo2e e = emissions(region->intensity, energy, chosen.pue);
    options.push_back({region, std::move(chosen), e});
  }
  std::stable_sort(options.begin(), options.end(),
                   [](const RegionOption& a, const RegionOption& b) {
                     return a.emissions < b.emissions;
                   });
  return options;
}

}  // namespace mlcarbon::carbon
