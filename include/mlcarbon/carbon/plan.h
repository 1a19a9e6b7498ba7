// SPDX-License-Identifier: Apache-2.0
// Carbon-aware planning: when to start a job under a forecast of the grid's
// intensity, and where to run it among the table's regions (docs/plan.md).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::carbon {

/// A job to place: `energy` drawn evenly over `duration`, as the machine
/// draws it (before PUE); the facility adds `pue`.
struct Job {
  Joules energy;
  Seconds duration;
  double pue = kLocalPue;
};

/// Checks a job: energy finite and >= 0, duration finite and > 0, PUE in
/// [1, 10). Errors (Errc::kInvalidArgument) say which and what was expected.
[[nodiscard]] Status check_job(const Job& job);

/// Where the planning window starts.
enum class WindowStart {
  kNow,            ///< the clock's time, inside the forecast
  kEarliest,       ///< a time the caller gave
  kForecastStart,  ///< the forecast's first row: now lies before it
};

/// "now", "earliest" or "forecast_start", for machine-readable output.
[[nodiscard]] std::string_view to_string(WindowStart from);
/// "now", "the earliest start" or "the forecast's start", for sentences.
[[nodiscard]] std::string_view describe(WindowStart from);

/// The window a start may be chosen from: a start in [start, deadline -
/// duration]. Without a deadline the job must end by the forecast's end.
struct PlanWindow {
  std::optional<WallTime> earliest;
  std::optional<WallTime> deadline;
};

/// The job run from `start` to `end`.
struct Placement {
  WallTime start;
  WallTime end;
  /// The intensity averaged over [start, end] (exact over partial rows).
  GramsCo2ePerKwh mean_intensity;
  GramsCo2e emissions;  ///< energy x PUE x mean intensity
};

/// The answer of plan_start().
struct StartPlan {
  WallTime window_start;
  WindowStart window_start_from = WindowStart::kNow;
  WallTime window_end;  ///< the deadline, or the forecast's end
  Placement baseline;   ///< starting at window_start
  Placement best;       ///< the least emissions; earliest among ties
  Placement worst;      ///< the most emissions; earliest among ties
  /// baseline - best (>= 0).
  [[nodiscard]] GramsCo2e saving() const {
    return baseline.emissions - best.emissions;
  }
};

/// Starts whose emissions differ by less than this fraction of the larger
/// count as tied (rounding of sums over different rows, not a difference).
inline constexpr double kTieTolerance = 1e-9;

/// The start that minimises the job's emissions under `forecast`, each row's
/// intensity integrated exactly over the part of it the job overlaps. The
/// window starts at window.earliest, else at `now` when the forecast holds
/// it, else at the forecast's start when now lies before it. Among starts
/// whose emissions tie (kTieTolerance), the earliest wins.
///
/// The optimum lies where the job's start or end meets a row boundary (the
/// emissions are piecewise linear in the start), so those candidates and
/// the window's two ends are compared: O(rows log rows), exact.
///
/// Errors (Errc::kInvalidArgument) name the forecast's origin: a job that is
/// invalid (check_job); a window shorter than the job; a window the forecast
/// does not cover, including a forecast that ended before `now`. A forecast
/// without stated ends whose rows are not evenly spaced is Errc::kParse (a
/// gap: the error names the line).
[[nodiscard]] Result<StartPlan> plan_start(const IntensitySeries& forecast,
                                           const Job& job,
                                           const PlanWindow& window,
                                           WallTime now);

/// One place of a comparison.
struct RegionOption {
  const Region* region = nullptr;
  PueChoice pue;
  GramsCo2e emissions;  ///< energy x PUE x the region's intensity
};

/// The job's emissions in each of `codes` (RegionTable::find: codes, names,
/// provider:region), each with its own PUE (pue_for, `pue` overriding),
/// least first; ties keep the order given. An unknown code is an error with
/// the table's "did you mean"; an empty list or a repeated region is an
/// error (Errc::kInvalidArgument).
[[nodiscard]] Result<std::vector<RegionOption>> compare_regions(
    const RegionTable& table, std::span<const std::string> codes, Joules energy,
    std::optional<double> pue = std::nullopt);

}  // namespace mlcarbon::carbon
