// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/plan.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcarbon/core/time.h"

namespace mlcarbon::carbon {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

WallTime t0() {
  return *parse_time("2026-12-02T00:00:00Z");
}

// Hourly rows from t0() with these intensities.
IntensitySeries hourly(const std::vector<double>& values) {
  std::vector<IntensitySeries::Point> points;
  for (std::size_t i = 0; i < values.size(); ++i) {
    points.push_back({t0() + hours(static_cast<int>(i)),
                      GramsCo2ePerKwh(values[i]), static_cast<int>(i) + 2});
  }
  return IntensitySeries(std::move(points), "forecast.csv",
                         t0() + hours(static_cast<int>(values.size())));
}

// 1 kW: kWh equal hours, so emissions are mean intensity x hours.
Job one_kw(Seconds duration) {
  return Job{Joules(1000.0 * duration.count()), duration};
}

TEST(PlanStartTest, FindsTheKnownOptimumAndTheSavingAgainstNow) {
  const IntensitySeries f = hourly({300, 200, 80, 50, 100, 300});

  auto plan = plan_start(f, one_kw(hours(2)), {}, t0());

  ASSERT_TRUE(plan.has_value()) << plan.error().to_string();
  EXPECT_EQ(plan->window_start_from, WindowStart::kNow);
  EXPECT_EQ(plan->best.start, t0() + hours(2));
  EXPECT_EQ(plan->best.end, t0() + hours(4));
  EXPECT_DOUBLE_EQ(plan->best.mean_intensity.value(), 65.0);
  EXPECT_DOUBLE_EQ(plan->best.emissions.value(), 130.0);
  EXPECT_EQ(plan->baseline.start, t0());
  EXPECT_DOUBLE_EQ(plan->baseline.emissions.value(), 500.0);
  EXPECT_DOUBLE_EQ(plan->saving().value(), 370.0);
  EXPECT_EQ(plan->worst.start, t0());
}

TEST(PlanStartTest, PueScalesEveryFigure) {
  const IntensitySeries f = hourly({300, 200, 80, 50, 100, 300});
  Job job = one_kw(hours(2));
  job.pue = 1.5;

  auto plan = plan_start(f, job, {}, t0());

  ASSERT_TRUE(plan.has_value());
  EXPECT_DOUBLE_EQ(plan->best.emissions.value(), 195.0);
  EXPECT_DOUBLE_EQ(plan->baseline.emissions.value(), 750.0);
}

TEST(PlanStartTest, OptimumCanEndOnABoundaryAndStartMidRow) {
  // A 90-minute job is best ending at 03:00, before the 900 g hour: it
  // starts at 01:30, half through a row.
  const IntensitySeries f = hourly({50, 50, 10, 900});

  auto plan = plan_start(f, one_kw(minutes(90)), {}, t0());

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->best.start, t0() + minutes(90));
  EXPECT_EQ(plan->best.end, t0() + hours(3));
  EXPECT_NEAR(plan->best.mean_intensity.value(), (0.5 * 50 + 10) / 1.5, 1e-12);
}

TEST(PlanStartTest, NowInsideARowIntegratesThePartialRow) {
  const IntensitySeries f = hourly({200, 100, 400});

  // Now is 00:20: the baseline hour is 40 min at 200 and 20 min at 100.
  auto plan = plan_start(f, one_kw(hours(1)), {}, t0() + minutes(20));

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->baseline.start, t0() + minutes(20));
  EXPECT_NEAR(plan->baseline.mean_intensity.value(),
              (40.0 * 200 + 20.0 * 100) / 60.0, 1e-9);
  EXPECT_EQ(plan->best.start, t0() + hours(1));
  EXPECT_DOUBLE_EQ(plan->best.emissions.value(), 100.0);
}

TEST(PlanStartTest, TiesGoToTheEarliestStart) {
  const IntensitySeries twin = hourly({300, 50, 300, 50, 300});
  const IntensitySeries flat = hourly({100, 100, 100, 100});

  auto two_minima = plan_start(twin, one_kw(hours(1)), {}, t0());
  auto everywhere = plan_start(flat, one_kw(minutes(90)), {}, t0());

  ASSERT_TRUE(two_minima.has_value());
  EXPECT_EQ(two_minima->best.start, t0() + hours(1));
  EXPECT_EQ(two_minima->worst.start, t0());
  ASSERT_TRUE(everywhere.has_value());
  EXPECT_EQ(everywhere->best.start, t0());
  EXPECT_EQ(everywhere->worst.start, t0());
  EXPECT_DOUBLE_EQ(everywhere->saving().value(), 0.0);
}

TEST(PlanStartTest, DeadlineAndEarliestBoundTheStart) {
  const IntensitySeries f = hourly({300, 200, 80, 50, 100, 300});
  PlanWindow window{.earliest = t0() + hours(1),
                    .deadline = t0() + hours(3) + minutes(30)};

  auto plan = plan_start(f, one_kw(hours(2)), window, t0());

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->window_start_from, WindowStart::kEarliest);
  EXPECT_EQ(plan->window_end, t0() + hours(3) + minutes(30));
  // Starts from 01:00 to 01:30: 01:30 gives (100 + 80 + 25) / 2.
  EXPECT_EQ(plan->best.start, t0() + minutes(90));
  EXPECT_DOUBLE_EQ(plan->best.mean_intensity.value(), 102.5);
  EXPECT_EQ(plan->baseline.start, t0() + hours(1));
  EXPECT_DOUBLE_EQ(plan->baseline.mean_intensity.value(), 140.0);
}

TEST(PlanStartTest, NowBeforeTheForecastStartsTheWindowAtItsStart) {
  const IntensitySeries f = hourly({300, 100});

  auto plan = plan_start(f, one_kw(hours(1)), {}, t0() - hours(5));

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->window_start_from, WindowStart::kForecastStart);
  EXPECT_EQ(plan->baseline.start, t0());
}

TEST(PlanStartTest, DeadlineTooShortForTheJobIsAnError) {
  const IntensitySeries f = hourly({300, 200, 80, 50});

  auto plan =
      plan_start(f, one_kw(hours(3)), {.deadline = t0() + hours(2)}, t0());
  auto no_deadline = plan_start(f, one_kw(hours(5)), {}, t0());

  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().message(),
            "the window from 2026-12-02T00:00:00.000Z to "
            "2026-12-02T02:00:00.000Z (the deadline) (2h) is shorter than "
            "the job (3h)");
  ASSERT_FALSE(no_deadline.has_value());
  EXPECT_THAT(no_deadline.error().message(),
              HasSubstr("(the forecast's end) (4h) is shorter than the job "
                        "(5h)"));
}

TEST(PlanStartTest, ForecastNotCoveringTheWindowIsAnError) {
  const IntensitySeries f = hourly({300, 200});

  auto late_deadline =
      plan_start(f, one_kw(hours(1)), {.deadline = t0() + hours(3)}, t0());
  auto early_start =
      plan_start(f, one_kw(hours(1)), {.earliest = t0() - hours(1)}, t0());
  auto stale = plan_start(f, one_kw(hours(1)), {}, t0() + hours(2));

  ASSERT_FALSE(late_deadline.has_value());
  EXPECT_EQ(late_deadline.error().message(),
            "the forecast forecast.csv covers 2026-12-02T00:00:00.000Z to "
            "2026-12-02T02:00:00.000Z, but the deadline is "
            "2026-12-02T03:00:00.000Z: the forecast does not cover the "
            "window");
  ASSERT_FALSE(early_start.has_value());
  EXPECT_THAT(early_start.error().message(),
              HasSubstr("but the window starts at 2026-12-01T23:00:00.000Z, "
                        "outside it"));
  ASSERT_FALSE(stale.has_value());
  EXPECT_THAT(stale.error().message(), HasSubstr("it ended before now"));
}

TEST(PlanStartTest, UnevenRowsWithoutStatedEndsAreAGapNamingTheLine) {
  auto f = parse_series(
      "timestamp,g_per_kwh\n"
      "2026-12-02T00:00Z,100\n"
      "2026-12-02T01:00Z,100\n"
      "2026-12-02T03:00Z,100\n",
      "gappy.csv");
  ASSERT_TRUE(f.has_value());

  auto plan = plan_start(*f, one_kw(hours(1)), {}, t0());

  ASSERT_FALSE(plan.has_value());
  EXPECT_THAT(plan.error().message(),
              HasSubstr("gappy.csv:4: this row starts 2h after the previous "
                        "one, but the first rows are 1h apart"));
}

TEST(PlanStartTest, InvalidJobsAreRefused) {
  const IntensitySeries f = hourly({100, 100});

  auto zero = plan_start(f, Job{Joules(1.0), Seconds(0.0)}, {}, t0());
  auto nan = plan_start(f, Job{Joules(std::nan("")), hours(1)}, {}, t0());
  auto pue = plan_start(f, Job{Joules(1.0), hours(1), 0.5}, {}, t0());

  EXPECT_FALSE(zero.has_value());
  EXPECT_FALSE(nan.has_value());
  ASSERT_FALSE(pue.has_value());
  EXPECT_THAT(pue.error().message(), HasSubstr("PUE must be between"));
}

TEST(PlanStartTest, AYearOfHalfHoursIsFastAndFindsTheDip) {
  std::vector<IntensitySeries::Point> points;
  for (int i = 0; i < 2 * 24 * 365; ++i) {
    points.push_back({t0() + minutes(30 * i),
                      GramsCo2ePerKwh(i == 9000 || i == 9001 ? 1.0 : 300.0)});
  }
  const IntensitySeries f(std::move(points), "year.csv");

  auto plan = plan_start(f, one_kw(hours(1)), {}, t0());

  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->best.start, t0() + minutes(30 * 9000));
  // Differences of sums near 5e9: exact to about 1e-6.
  EXPECT_NEAR(plan->best.mean_intensity.value(), 1.0, 1e-6);
}

RegionTable small_table() {
  const std::string grid =
      "code,alpha3,name,kind,country,g_per_kwh,year,scope,source\n"
      "WORLD,,World,world,,475,2019,lifecycle,IEA\n"
      "DE,DEU,Germany,country,DE,400,2023,lifecycle,OWID\n"
      "FR,FRA,France,country,FR,50,2023,lifecycle,OWID\n"
      "PL,POL,Poland,country,PL,700,2023,lifecycle,OWID\n"
      "BE,BEL,Belgium,country,BE,150,2023,lifecycle,OWID\n";
  const std::string cloud =
      "code,provider,region,name,location,country,g_per_kwh,year,scope,pue,"
      "pue_source,source\n"
      "gcp:europe-west1,gcp,europe-west1,GCP europe-west1 (Belgium),BE,BE,"
      "100,2024,direct,1.1,region,Google\n";
  const std::string countries =
      "alpha2,alpha3,name,aliases\nDE,DEU,Germany,\nFR,FRA,France,\n"
      "PL,POL,Poland,\nBE,BEL,Belgium,\n";
  auto table = RegionTable::parse(grid, cloud, countries);
  EXPECT_TRUE(table.has_value()) << table.error().to_string();
  return std::move(*table);
}

TEST(CompareRegionsTest, LeastFirstWithEachRegionsPue) {
  const RegionTable table = small_table();
  const std::vector<std::string> codes = {"DE", "FR", "PL", "gcp:europe-west1"};

  auto options = compare_regions(table, codes, to_joules(KilowattHours(12)));

  ASSERT_TRUE(options.has_value()) << options.error().to_string();
  ASSERT_EQ(options->size(), 4u);
  EXPECT_EQ((*options)[0].region->code, "FR");
  EXPECT_DOUBLE_EQ((*options)[0].emissions.value(), 600.0);
  EXPECT_EQ((*options)[1].region->code, "gcp:europe-west1");
  EXPECT_DOUBLE_EQ((*options)[1].pue.pue, 1.1);
  EXPECT_NEAR((*options)[1].emissions.value(), 1320.0, 1e-9);
  EXPECT_EQ((*options)[2].region->code, "DE");
  EXPECT_DOUBLE_EQ((*options)[2].emissions.value(), 4800.0);
  EXPECT_EQ((*options)[3].region->code, "PL");
}

TEST(CompareRegionsTest, PueOverrideAppliesEverywhere) {
  const RegionTable table = small_table();
  const std::vector<std::string> codes = {"gcp:europe-west1", "FR"};

  auto options =
      compare_regions(table, codes, to_joules(KilowattHours(1)), 2.0);

  ASSERT_TRUE(options.has_value());
  EXPECT_DOUBLE_EQ((*options)[0].emissions.value(), 100.0);  // FR
  EXPECT_DOUBLE_EQ((*options)[1].emissions.value(), 200.0);
}

TEST(CompareRegionsTest, UnknownRepeatedAndEmptyAreErrors) {
  const RegionTable table = small_table();
  const std::vector<std::string> typo = {"Germny"};
  const std::vector<std::string> twice = {"DE", "Germany"};

  auto unknown = compare_regions(table, typo, Joules(1.0));
  auto repeated = compare_regions(table, twice, Joules(1.0));
  auto none = compare_regions(table, {}, Joules(1.0));

  ASSERT_FALSE(unknown.has_value());
  EXPECT_THAT(unknown.error().message(), HasSubstr("did you mean"));
  ASSERT_FALSE(repeated.has_value());
  EXPECT_EQ(repeated.error().message(),
            "region 'Germany' is DE (Germany), listed twice");
  EXPECT_FALSE(none.has_value());
}

}  // namespace
}  // namespace mlcarbon::carbon
