// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/clock.h"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(ClockTest, ManualClockStandsStillUntilAdvanced) {
  ManualClock clock;
  const SteadyTime t0 = clock.now();

  EXPECT_EQ(clock.now(), t0);
  EXPECT_EQ(clock.wall_now(), WallTime{});

  clock.advance(milliseconds(250));
  clock.advance(seconds(2));
  clock.advance(nanoseconds(7));

  EXPECT_EQ(clock.now() - t0, milliseconds(2250) + nanoseconds(7));
  EXPECT_EQ(clock.wall_now() - WallTime{}, milliseconds(2250) + nanoseconds(7));
}

TEST(ClockTest, ManualClockWallTimeStartsWhereAsked) {
  const WallTime start = WallTime{} + hours(24 * 365);
  ManualClock clock(start);

  clock.advance(hours(1));

  EXPECT_EQ(clock.wall_now(), start + hours(1));
  EXPECT_EQ(clock.now().time_since_epoch(), hours(1));
}

TEST(ClockTest, ManualClockAdvancesFromSeveralThreads) {
  ManualClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < 1000; ++i)
        clock.advance(milliseconds(1));
    });
  }
  for (auto& thread : threads)
    thread.join();

  EXPECT_EQ(clock.now().time_since_epoch(), seconds(4));
}

TEST(ClockTest, SystemClockIsMonotonicAndMoves) {
  const Clock& clock = SystemClock::instance();
  EXPECT_EQ(&clock, &SystemClock::instance());

  SteadyTime last = clock.now();
  const SteadyTime first = last;
  for (int i = 0; i < 10000; ++i) {
    const SteadyTime now = clock.now();
    ASSERT_GE(now, last) << "read " << i;
    last = now;
  }
  std::this_thread::sleep_for(milliseconds(5));

  EXPECT_GE(clock.now() - first, milliseconds(5));
}

TEST(ClockTest, SystemWallClockIsTheCalendar) {
  const WallTime before = std::chrono::system_clock::now();
  const WallTime now = SystemClock::instance().wall_now();
  const WallTime after = std::chrono::system_clock::now();

  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace mlcarbon
