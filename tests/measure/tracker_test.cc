// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/tracker.h"

#include <chrono>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

TrackerOptions options() {
  TrackerOptions o;
  o.project = "unit";
  o.tags = {"t"};
  o.carbon.region = "FR";
  o.interval = Seconds(0.05);
  // Only the models: the same on every machine.
  o.sensors.only = {"cpu-model", "memory-model"};
  return o;
}

void spin_for(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  volatile double x = 0.0;
  while (std::chrono::steady_clock::now() < end)
    x = x + 1.0;
}

TEST(TrackerTest, StartStopProducesAPricedRun) {
  auto tracker = Tracker::create(options());
  ASSERT_TRUE(tracker.has_value()) << tracker.error().to_string();

  ASSERT_TRUE(tracker->start().has_value());
  spin_for(std::chrono::milliseconds(200));
  auto run = tracker->stop();

  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  EXPECT_EQ(run->project, "unit");
  EXPECT_EQ(run->tags, std::vector<std::string>{"t"});
  EXPECT_EQ(run->carbon.region, "FR");
  EXPECT_EQ(run->measurement.method(), Method::kEstimated);
  EXPECT_GT(run->measurement.total.value(), 0.0);
  EXPECT_TRUE(run->measurement.attributed_share.has_value());
  EXPECT_NEAR(run->co2e.value(),
              (run->measurement.total * run->carbon.pue * run->carbon.intensity)
                  .value(),
              1e-12);
}

TEST(TrackerTest, ReadGivesTheEnergySoFarAndKeepsRunning) {
  auto tracker = Tracker::create(options());
  ASSERT_TRUE(tracker.has_value()) << tracker.error().to_string();
  EXPECT_FALSE(tracker->read().has_value());  // not running yet
  ASSERT_TRUE(tracker->start().has_value());

  spin_for(std::chrono::milliseconds(100));
  auto first = tracker->read();
  spin_for(std::chrono::milliseconds(100));
  auto second = tracker->read();
  auto run = tracker->stop();

  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  ASSERT_TRUE(second.has_value());
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(first->method(), Method::kEstimated);
  EXPECT_GT(first->total.value(), 0.0);
  EXPECT_GT(second->total.value(), first->total.value());
  EXPECT_GE(run->measurement.total.value(), second->total.value());
  EXPECT_GT(second->duration.count(), first->duration.count());
}

TEST(TrackerTest, StopWithoutStartIsAnError) {
  auto tracker = Tracker::create(options());
  ASSERT_TRUE(tracker.has_value());

  EXPECT_FALSE(tracker->stop().has_value());
  ASSERT_TRUE(tracker->start().has_value());
  EXPECT_FALSE(tracker->start().has_value());
  EXPECT_TRUE(tracker->stop().has_value());
}

TEST(TrackerTest, ScopeHandsTheRunToItsCallback) {
  auto tracker = Tracker::create(options());
  ASSERT_TRUE(tracker.has_value());
  std::optional<measure::Run> got;

  {
    Tracker::Scope scope(*tracker, [&](Result<measure::Run> run) {
      ASSERT_TRUE(run.has_value());
      got = std::move(*run);
    });
    spin_for(std::chrono::milliseconds(50));
  }

  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(tracker->running());
  EXPECT_GT(got->measurement.duration.count(), 0.04);
}

TEST(TrackerTest, BadRegionFailsAtCreation) {
  TrackerOptions o = options();
  o.carbon.region = "Atlantis";

  const auto tracker = Tracker::create(o);

  ASSERT_FALSE(tracker.has_value());
  EXPECT_EQ(tracker.error().code(), Errc::kNotFound);
}

}  // namespace
}  // namespace mlcarbon
