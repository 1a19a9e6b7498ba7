// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/series.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/time.h"

#include "support/test_support.h"

namespace mlcarbon::carbon {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

WallTime t0() {
  return *parse_time("2026-01-01T00:00:00Z");
}

IntensitySeries doubling() {
  auto text = read_file(testing::fixture("carbon/doubling.csv"));
  EXPECT_TRUE(text.has_value());
  auto series = parse_series(*text, "doubling.csv");
  EXPECT_TRUE(series.has_value()) << series.error().to_string();
  return *series;
}

// Found by series_fuzz: year 4052 overflowed WallTime's nanoseconds
// (undefined behaviour, a garbage time in practice).
TEST(SeriesTest, RejectsYearsWallTimeCannotHold) {
  auto series = parse_series(
      "datetime,g_per_kwh\n4052-01-01T01:00:00+01:00,300\n", "far.csv");

  ASSERT_FALSE(series.has_value());
  EXPECT_THAT(series.error().message(), HasSubstr("far.csv:2"));
}

// Found by series_fuzz: points in 2026 and 2206 make a 180-year step, and
// the last point plus the step overflowed WallTime.
TEST(SeriesTest, RejectsPointsOutsideTheYearsOfGridData) {
  auto series = parse_series(
      "timestamp,g_per_kwh\n2026-01-01T00:00:00Z,1\n"
      "2206-01-01T00:00:00Z,2\n",
      "gap.csv");
  auto early = parse_series("timestamp,g_per_kwh\n1969-12-31T23:00:00Z,1\n",
                            "early.csv");

  ASSERT_FALSE(series.has_value());
  EXPECT_THAT(series.error().message(),
              HasSubstr("gap.csv:3: timestamp '2206-01-01T00:00:00Z' is not "
                        "within 1970-2100"));
  ASSERT_FALSE(early.has_value());
}

TEST(SeriesTest, AtIsStepFunctionAndClamps) {
  IntensitySeries series = doubling();

  EXPECT_NEAR(series.at(t0() + minutes(59)).value(), 100.0, 1e-12);
  EXPECT_NEAR(series.at(t0() + hours(1)).value(), 200.0, 1e-12);
  auto before = series.lookup(t0() - hours(1));
  auto inside = series.lookup(t0() + minutes(90));
  auto after = series.lookup(t0() + hours(5));
  EXPECT_NEAR(before.intensity.value(), 100.0, 1e-12);
  EXPECT_TRUE(before.clamped);
  EXPECT_FALSE(inside.clamped);
  EXPECT_NEAR(after.intensity.value(), 200.0, 1e-12);
  EXPECT_TRUE(after.clamped);
}

TEST(SeriesTest, ConstantPowerAcrossDoublingGivesOneAndAHalfTimes) {
  IntensitySeries series = doubling();
  // 1 kW for two hours, read every 40 minutes so one slice straddles 01:00.
  std::vector<EnergyPoint> energy;
  for (int i = 0; i <= 3; ++i) {
    energy.push_back(
        {t0() + minutes(40 * i), Joules(1000.0 * 40.0 * 60.0 * i)});
  }
  std::vector<EnergyPoint> first_half = {energy.front(),
                                         {t0() + hours(1), Joules(3.6e6)}};

  GramsCo2e whole = emissions(series, energy);
  GramsCo2e first = emissions(series, first_half);

  // 2 kWh at an average 150 g/kWh = 300 g; the first hour 1 kWh * 100 g.
  EXPECT_NEAR(first.value(), 100.0, 1e-9);
  EXPECT_NEAR(whole.value(), 300.0, 1e-9);
  EXPECT_NEAR(whole.value() / 2.0, 1.5 * first.value(), 1e-9);
}

TEST(SeriesTest, AcceptsOtherHeadersAndOffsets) {
  auto text = read_file(testing::fixture("carbon/offsets.csv"));
  ASSERT_TRUE(text.has_value());

  auto series = parse_series(*text, "offsets.csv");

  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  ASSERT_EQ(series->points().size(), 2u);
  EXPECT_NEAR(series->at(t0() + minutes(30)).value(), 300.0, 1e-12);
  EXPECT_NEAR(series->at(t0() + hours(1)).value(), 250.5, 1e-12);
}

struct BadSeries {
  std::string body;
  std::string expected;
};

TEST(SeriesTest, MalformedLinesNameOriginAndLine) {
  const std::string header = "timestamp,g_per_kwh\n";
  const std::string good = "2026-01-01T00:00:00Z,100\n";
  const std::vector<BadSeries> cases = {
      {good + "2026-13-01T01:00:00Z,5\n",
       "hourly.csv:3: bad timestamp '2026-13-01T01:00:00Z'"},
      {good + "2026-01-01T01:00:00Z,nan\n",
       "hourly.csv:3: intensity 'nan' is not a finite number"},
      {good + "2026-01-01T01:00:00Z,-5\n",
       "hourly.csv:3: intensity -5 is negative"},
      {good + "2025-12-31T23:00:00Z,90\n",
       "hourly.csv:3: timestamp '2025-12-31T23:00:00Z' is not after the "
       "previous one"},
      {"2026-01-01,1\n", "hourly.csv:1: header needs"},
  };
  for (const BadSeries& c : cases) {
    std::string csv =
        c.body.starts_with("2026-01-01,") ? c.body : header + c.body;

    auto result = parse_series(csv, "hourly.csv");

    ASSERT_FALSE(result.has_value()) << csv;
    EXPECT_EQ(result.error().code(), Errc::kParse);
    EXPECT_TRUE(result.error().message().starts_with(c.expected))
        << result.error().message();
  }
}

TEST(SeriesTest, ConstantIntensityEmissionsIncludePue) {
  // 3.6 MJ = 1 kWh; x PUE 1.5 x 400 g/kWh = 600 g.
  EXPECT_NEAR(emissions(GramsCo2ePerKwh(400.0), Joules(3.6e6), 1.5).value(),
              600.0, 1e-9);
  EXPECT_NEAR(emissions(GramsCo2ePerKwh(400.0), Joules(3.6e6)).value(), 400.0,
              1e-9);
}

TEST(SeriesTest, StatedEndsSetTheSeriesEnd) {
  auto series = parse_series(
      "start,end,carbon_intensity_g_per_kwh\n"
      "2026-01-01T00:00Z,2026-01-01T00:30Z,100\n"
      "2026-01-01T00:30Z,2026-01-01T02:00Z,200\n",
      "ends.csv");

  ASSERT_TRUE(series.has_value()) << series.error().to_string();
  EXPECT_TRUE(series->has_stated_ends());
  EXPECT_EQ(series->end(), t0() + hours(2));
  EXPECT_FALSE(series->lookup(t0() + minutes(119)).clamped);
  EXPECT_TRUE(series->lookup(t0() + hours(2)).clamped);
  EXPECT_EQ(series->points()[1].line, 3);
}

TEST(SeriesTest, StatedEndsRejectGapsOverlapsAndBackwardRows) {
  const std::string header = "start,end,g_per_kwh\n";
  const std::string good = "2026-01-01T00:00Z,2026-01-01T01:00Z,100\n";
  const std::vector<BadSeries> cases = {
      {good + "2026-01-01T02:00Z,2026-01-01T03:00Z,90\n",
       "f.csv:3: the row starts at 2026-01-01T02:00:00.000Z, after the "
       "previous row ends at 2026-01-01T01:00:00.000Z: the series has a gap"},
      {good + "2026-01-01T00:30Z,2026-01-01T03:00Z,90\n",
       "f.csv:3: the row starts at 2026-01-01T00:30:00.000Z, before the "
       "previous row ends at 2026-01-01T01:00:00.000Z: rows overlap"},
      {"2026-01-01T01:00Z,2026-01-01T01:00Z,100\n",
       "f.csv:2: the row ends at 2026-01-01T01:00:00.000Z, not after its "
       "start"},
  };
  for (const BadSeries& c : cases) {
    auto result = parse_series(header + c.body, "f.csv");

    ASSERT_FALSE(result.has_value()) << c.body;
    EXPECT_TRUE(result.error().message().starts_with(c.expected))
        << result.error().message();
  }
}

TEST(SeriesTest, OtherUnitsAreNamedNotMisread) {
  auto kg = parse_series(
      "timestamp,carbon_intensity_kg_per_kwh\n2026-01-01T00:00Z,0.4\n",
      "kg.csv");
  auto per_mwh =
      parse_series("timestamp,g_per_kwh\n2026-01-01T00:00Z,400000\n", "m.csv");

  ASSERT_FALSE(kg.has_value());
  EXPECT_EQ(kg.error().message(),
            "kg.csv:1: column 'carbon_intensity_kg_per_kwh' is in another "
            "unit; expected grams CO2e per kWh in a column named "
            "'carbon_intensity_g_per_kwh' (or 'g_per_kwh')");
  ASSERT_FALSE(per_mwh.has_value());
  EXPECT_THAT(per_mwh.error().message(),
              HasSubstr("m.csv:2: intensity 400000 is not a plausible g "
                        "CO2e/kWh"));
}

TEST(GbCarbonIntensityTest, ConvertsForecastElseActualWithEnds) {
  auto text = read_file(testing::fixture("carbon/gb_intensity.json"));
  ASSERT_TRUE(text.has_value());

  auto csv = convert_gb_carbon_intensity(*text, "gb.json");

  ASSERT_TRUE(csv.has_value()) << csv.error().to_string();
  EXPECT_EQ(*csv,
            "# converted from gb.json (GB Carbon Intensity API: "
            "intensity.forecast, else intensity.actual)\n"
            "start,end,carbon_intensity_g_per_kwh\n"
            "2026-12-02T00:00:00.000Z,2026-12-02T00:30:00.000Z,180\n"
            "2026-12-02T00:30:00.000Z,2026-12-02T01:00:00.000Z,160\n"
            "2026-12-02T01:00:00.000Z,2026-12-02T01:30:00.000Z,95\n"
            "2026-12-02T01:30:00.000Z,2026-12-02T02:00:00.000Z,120\n");
  auto series = parse_series(*csv, "gb.csv");
  ASSERT_TRUE(series.has_value());
  EXPECT_EQ(series->end(), *parse_time("2026-12-02T02:00Z"));
}

TEST(GbCarbonIntensityTest, RegionalAnswerAndErrorsWithThePath) {
  auto regional = convert_gb_carbon_intensity(
      R"({"data":{"regionid":13,"data":[{"from":"2026-12-02T00:00Z",)"
      R"("to":"2026-12-02T00:30Z","intensity":{"forecast":75}}]}})",
      "r.json");
  auto missing = convert_gb_carbon_intensity(
      R"({"data":[{"from":"2026-12-02T00:00Z","to":"2026-12-02T00:30Z",)"
      R"("intensity":{"forecast":null,"actual":null}}]})",
      "m.json");
  auto gap = convert_gb_carbon_intensity(
      R"({"data":[{"from":"2026-12-02T00:00Z","to":"2026-12-02T00:30Z",)"
      R"("intensity":{"forecast":1}},{"from":"2026-12-02T01:00Z",)"
      R"("to":"2026-12-02T01:30Z","intensity":{"forecast":1}}]})",
      "g.json");
  auto other = convert_gb_carbon_intensity(R"({"rows":[]})", "o.json");

  ASSERT_TRUE(regional.has_value()) << regional.error().to_string();
  EXPECT_THAT(*regional, HasSubstr("00:30:00.000Z,75\n"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().message(),
            "m.json: data[0].intensity has neither a forecast nor an actual "
            "number");
  ASSERT_FALSE(gap.has_value());
  EXPECT_THAT(gap.error().message(), HasSubstr("the series has a gap"));
  ASSERT_FALSE(other.has_value());
  EXPECT_THAT(other.error().message(),
              HasSubstr("expected a Carbon Intensity API answer"));
}

}  // namespace
}  // namespace mlcarbon::carbon
