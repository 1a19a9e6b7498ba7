// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <filesystem>
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
/// grid operator or a forecast. Each value holds from its timestamp until the
/// next one (a step function); the last one holds until end(): the end its
/// source stated, else `step()` after it.
class IntensitySeries {
 public:
  struct Point {
    WallTime start;
    GramsCo2ePerKwh intensity;
    int line = 0;  ///< of the source text, for errors; 0 when built in code
  };
  /// The intensity at `t` and whether `t` lay outside the series (then the
  /// first or last value is used).
  struct Lookup {
    GramsCo2ePerKwh intensity;
    bool clamped = false;
  };

  /// Builds from points sorted by time, strictly increasing; at least one.
  /// `end`, after the last start, is where the last value stops holding
  /// when the source says so (an 'end' column).
  IntensitySeries(std::vector<Point> points, std::string origin,
                  std::optional<WallTime> end = std::nullopt);

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
  /// Where the last value stops holding.
  [[nodiscard]] WallTime end() const;
  /// Whether the source stated each row's end (so gaps were checked).
  [[nodiscard]] bool has_stated_ends() const { return end_.has_value(); }

 private:
  std::vector<Point> points_;
  std::string origin_;
  std::optional<WallTime> end_;
};

/// Parses a CSV with a header naming a timestamp column ("timestamp",
/// "datetime", "time", "start" or "from") and an intensity column
/// ("carbon_intensity_g_per_kwh", "g_per_kwh", "carbon_intensity" or
/// "intensity"), in any order, and optionally an end column ("end" or "to")
/// giving where each row stops holding; other columns are ignored, lines
/// starting with '#' are comments (docs/plan.md describes the format).
/// Timestamps are ISO 8601 as core's parse_time reads them: Z or a +hh:mm
/// offset ("2026-01-01T00:00:00Z"), or a date alone (midnight UTC). Errors
/// name "origin:line" and reject bad timestamps, non-numbers, NaN, negative
/// values, values above kMaxPlausibleIntensity (another unit), an intensity
/// column named in another unit ("kg_per_kwh", "lb_per_mwh"), times that do
/// not increase and, with an end column, rows that end before they start,
/// overlap the previous row or leave a gap after it.
/// The largest grid intensity parse_series takes, g CO2e/kWh: lignite plants
/// emit about 1,200 and no grid's mix more, so a larger figure is in another
/// unit (g/MWh, lb/MWh).
inline constexpr double kMaxPlausibleIntensity = 2000.0;

[[nodiscard]] Result<IntensitySeries> parse_series(std::string_view csv,
                                                   std::string_view origin);

/// The largest series file read_series takes: a year at one-minute steps
/// is about 20 MiB.
inline constexpr std::size_t kMaxSeriesBytes = std::size_t{64} << 20;

/// Reads and parses a series file (parse_series, named by its path). A file
/// over kMaxSeriesBytes is an error, and so is JSON, with the way to
/// convert an answer of the GB Carbon Intensity API.
[[nodiscard]] Result<IntensitySeries> read_series(
    const std::filesystem::path& path);

/// Converts an answer of the GB National Grid ESO Carbon Intensity API
/// (api.carbonintensity.org.uk: /intensity/..., or a /regional/... answer
/// for one region) to the CSV parse_series reads, with start, end and
/// carbon_intensity_g_per_kwh columns: each period's "intensity.forecast",
/// or its "actual" where the forecast is null. The result is checked by
/// parse_series (order, gaps, overlaps). Errors name `origin` and the JSON
/// path ("data[3].intensity.forecast").
[[nodiscard]] Result<std::string> convert_gb_carbon_intensity(
    std::string_view json_text, std::string_view origin);

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
