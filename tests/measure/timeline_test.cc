// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/timeline.h"

#include <cmath>
#include <cstddef>
#include <vector>

#include <gtest/gtest.h>

namespace mlcarbon::measure {
namespace {

std::vector<DomainSeries> two_domains() {
  return {DomainSeries{.domain = "package-0", .sensor = "fake"},
          DomainSeries{.domain = "gpu-0", .sensor = "fake"}};
}

// Feeds `n` readings one `dt` apart; the package draws `power(i)` W in the
// interval ending at reading i, the GPU a steady 50 W.
template <typename Power>
void feed(TimelineBuilder& b, std::size_t n, double dt, Power power,
          double* package_j, double* gpu_j) {
  std::vector<Joules> cumulative{Joules(0), Joules(0)};
  b.add(Seconds(0), cumulative);
  for (std::size_t i = 1; i <= n; ++i) {
    *package_j += power(i) * dt;
    *gpu_j += 50.0 * dt;
    cumulative = {Joules(*package_j), Joules(*gpu_j)};
    b.add(Seconds(static_cast<double>(i) * dt), cumulative);
  }
}

double energy_of(const Timeline& t, std::size_t domain) {
  double sum = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i)
    sum += t.domains[domain].mean_w[i] * t.duration_s[i];
  return sum;
}

TEST(TimelineTest, ShortRunKeepsEveryInterval) {
  TimelineBuilder b(two_domains(), {.max_points = 16});
  double package = 0.0;
  double gpu = 0.0;
  feed(
      b, 5, 1.0, [](std::size_t i) { return 10.0 * static_cast<double>(i); },
      &package, &gpu);

  const Timeline t = b.timeline();

  ASSERT_EQ(t.size(), 5U);
  EXPECT_EQ(t.intervals, 5U);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_DOUBLE_EQ(t.start_s[i], static_cast<double>(i));
    EXPECT_DOUBLE_EQ(t.duration_s[i], 1.0);
    EXPECT_DOUBLE_EQ(t.domains[0].mean_w[i], 10.0 * static_cast<double>(i + 1));
    EXPECT_DOUBLE_EQ(t.domains[0].min_w[i], t.domains[0].mean_w[i]);
    EXPECT_DOUBLE_EQ(t.domains[1].max_w[i], 50.0);
  }
  EXPECT_EQ(t.domains[1].domain, "gpu-0");
}

TEST(TimelineTest, LongRunStaysBoundedAndConservesEnergy) {
  constexpr std::size_t kMax = 64;
  TimelineBuilder b(two_domains(), {.max_points = kMax});
  double package = 0.0;
  double gpu = 0.0;
  std::size_t most = 0;
  std::vector<Joules> cumulative{Joules(0), Joules(0)};
  b.add(Seconds(0), cumulative);
  // A week at 1 s, with a power that swings between 20 and 180 W.
  constexpr std::size_t kReadings = 7 * 24 * 3600;
  for (std::size_t i = 1; i <= kReadings; ++i) {
    const double p = 100.0 + 80.0 * std::sin(static_cast<double>(i) / 500.0);
    package += p;
    gpu += 50.0;
    cumulative = {Joules(package), Joules(gpu)};
    b.add(Seconds(static_cast<double>(i)), cumulative);
    most = std::max(most, b.buckets());
  }

  const Timeline t = b.timeline();

  EXPECT_LE(most, kMax);
  EXPECT_LE(t.size(), kMax);
  EXPECT_GE(t.size(), kMax / 2);
  EXPECT_EQ(t.intervals, kReadings);
  EXPECT_NEAR(energy_of(t, 0), package, package * 1e-12);
  EXPECT_NEAR(energy_of(t, 1), gpu, gpu * 1e-12);
  double covered = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    // Buckets tile the run: each starts where the previous one ended.
    EXPECT_NEAR(t.start_s[i], covered, 1e-6);
    covered += t.duration_s[i];
    EXPECT_LE(t.domains[0].min_w[i], t.domains[0].mean_w[i] + 1e-9);
    EXPECT_GE(t.domains[0].max_w[i], t.domains[0].mean_w[i] - 1e-9);
    EXPECT_GE(t.domains[0].min_w[i], 20.0 - 1e-9);
    EXPECT_LE(t.domains[0].max_w[i], 180.0 + 1e-9);
  }
  EXPECT_NEAR(covered, static_cast<double>(kReadings), 1e-6);
  // The band keeps the swings the means smooth out.
  double lowest = 1e9;
  double highest = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    lowest = std::min(lowest, t.domains[0].min_w[i]);
    highest = std::max(highest, t.domains[0].max_w[i]);
  }
  EXPECT_LT(lowest, 20.1);
  EXPECT_GT(highest, 179.9);
}

TEST(TimelineTest, BoundHoldsAtEveryCountNotOnlyPowersOfTwo) {
  for (std::size_t n :
       {1U, 2U, 3U, 7U, 8U, 9U, 15U, 16U, 17U, 31U, 33U, 100U}) {
    TimelineBuilder b(two_domains(), {.max_points = 8});
    double package = 0.0;
    double gpu = 0.0;
    feed(
        b, n, 0.5, [](std::size_t i) { return static_cast<double>(i % 3); },
        &package, &gpu);

    const Timeline t = b.timeline();

    EXPECT_LE(t.size(), 8U) << n << " readings";
    EXPECT_NEAR(energy_of(t, 0), package, 1e-9) << n << " readings";
    EXPECT_NEAR(energy_of(t, 1), gpu, 1e-9) << n << " readings";
  }
}

TEST(TimelineTest, ReadingsCloserThanTheMinimumMakeNoPeak) {
  TimelineBuilder b(two_domains(),
                    {.max_points = 16, .min_interval = Seconds(0.5)});
  // 1 s ticks at 100 W, with a window edge 1 ms after each tick whose
  // counter happened to move by 1 J (1000 W over that millisecond).
  std::vector<Joules> e{Joules(0), Joules(0)};
  b.add(Seconds(0), e);
  double package = 0.0;
  for (int i = 1; i <= 4; ++i) {
    package += 99.0;
    b.add(Seconds(i - 0.999), std::vector<Joules>{Joules(package), Joules(0)});
    package += 1.0;
    b.add(Seconds(i), std::vector<Joules>{Joules(package), Joules(0)});
  }
  package += 1.0;
  b.add(Seconds(4.001), std::vector<Joules>{Joules(package), Joules(0)});

  const Timeline t = b.timeline();

  EXPECT_NEAR(energy_of(t, 0), package, 1e-9);
  for (std::size_t i = 0; i < t.size(); ++i)
    EXPECT_LT(t.domains[0].max_w[i], 200.0) << "bucket " << i;
}

TEST(TimelineTest, CounterGoingBackwardsCountsAsNoEnergy) {
  TimelineBuilder b(two_domains(), {.max_points = 16});
  b.add(Seconds(0), std::vector<Joules>{Joules(100), Joules(0)});
  b.add(Seconds(1), std::vector<Joules>{Joules(50), Joules(10)});
  b.add(Seconds(2), std::vector<Joules>{Joules(80), Joules(20)});

  const Timeline t = b.timeline();

  ASSERT_EQ(t.size(), 2U);
  EXPECT_DOUBLE_EQ(t.domains[0].mean_w[0], 0.0);
  EXPECT_DOUBLE_EQ(t.domains[0].mean_w[1], 30.0);
}

TEST(TimelineTest, NoReadingsOrOneReadingIsEmpty) {
  TimelineBuilder b(two_domains(), {});
  EXPECT_TRUE(b.timeline().empty());
  b.add(Seconds(3), std::vector<Joules>{Joules(1), Joules(1)});
  EXPECT_TRUE(b.timeline().empty());
  EXPECT_EQ(b.timeline().domains.size(), 2U);
}

}  // namespace
}  // namespace mlcarbon::measure
