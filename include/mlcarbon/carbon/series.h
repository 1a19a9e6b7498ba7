// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::carbon {

/// A grid intensity that varies in time, e.g. hourly figures exported from a
/// grid operator. Each value holds from its timestamp until the next one
/// (a step function); the last one holds for `step()` after it.
class IntensitySeries {
 public:
  struct Point {
    WallTime start;
    GramsCo2ePerKwh intensity;
  };
  /// The intensity at `t` and whether `t` lay outside the series (then the
  /// first or last value is used).
  struct Lookup {
    GramsCo2ePerKwh intensity;
    bool clamped = false;
  };

  /// Builds from points sorted by time, strictly increasing; at least one.
  IntensitySeries(std::vector<Point> points, std::string origin);

  /// The value of the interval containing `t`, clamped at both ends.
  [[nodiscard]] GramsCo2ePerKwh at(WallTime t) const;
  /// Like at(), and says whether it had to clamp.
  [[nodiscard]] Lookup lookup(WallTime t) const;

  /// A warning naming the series' span when [start, end] is not inside it
  /// (at() then clamps to the first or last value); nullopt when covered.
  [[nodiscard]] std::optional<std::string> coverage_warning(WallTime start,
                                                            WallTime end) const;

  [[nodiscard]] std::span<const Point> points() const { return points_; }
  [[nodiscard]] const std::string& origin() const { return origin_; }
  /// The length of the last interval: the spacing of the last two points,
  /// or one hour for a single point.
  [[nodiscard]] Seconds step() const;

 private:
  std::vector<Point> points_;
  std::string origin_;
};

/// Parses a CSV with a header naming a timestamp column ("timestamp",
/// "datetime" or "time") and an intensity column ("carbon_intensity_g_per_kwh",
/// "g_per_kwh", "carbon_intensity" or "intensity"), in any order; other
/// columns are ignored, lines starting with '#' are comments. Timestamps are
/// ISO 8601 with Z or a +hh:mm offset ("2026-01-01T00:00:00Z"). Errors name
/// "origin:line" and reject bad timestamps, non-numbers, NaN, negative values
/// and times that do not increase.
[[nodiscard]] Result<IntensitySeries> parse_series(std::string_view csv,
                                                   std::string_view origin);

/// Parses one ISO 8601 timestamp ("2026-01-01T00:00:00Z",
/// "2026-01-01 01:00:00+01:00", fractional seconds allowed).
[[nodiscard]] Result<WallTime> parse_timestamp(std::string_view text);

/// One reading of a cumulative energy counter.
struct EnergyPoint {
  WallTime time;
  Joules cumulative;
};

/// Emissions of a run given as cumulative energy readings in time order:
/// between two readings the power is taken as constant, and the energy of
/// each slice is multiplied by the intensity of the series at that time
/// (split exactly at the series' step boundaries). Fewer than two points
/// give zero.
[[nodiscard]] GramsCo2e emissions(const IntensitySeries& series,
                                  std::span<const EnergyPoint> energy);

/// Emissions at a constant intensity (the table case), for symmetry.
[[nodiscard]] GramsCo2e emissions(GramsCo2ePerKwh intensity, Joules energy);
/// Emissions of `energy` drawn by the machine in a facility with power usage
/// effectiveness `pue`: energy x PUE x intensity, the one CO2e formula of
/// measured runs.
[[nodiscard]] GramsCo2e emissions(GramsCo2ePerKwh intensity, Joules energy,
                                  double pue);

}  // namespace mlcarbon::carbon
