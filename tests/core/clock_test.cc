// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/clock.h"

#include <chrono>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

using std::chrono_literals::operator""ms;

TEST(ClockTest, ManualClockMovesOnlyWhenAdvanced) {
  ManualClock clock;
  const SteadyTime t0 = clock.now();

  clock.advance(250ms);

  EXPECT_EQ(clock.now() - t0, 250ms);
  EXPECT_EQ(clock.wall_now() - WallTime{}, 250ms);
}

TEST(ClockTest, SystemClockIsMonotonic) {
  const auto& clock = SystemClock::instance();
  const SteadyTime a = clock.now();

  EXPECT_LE(a, clock.now());
}

}  // namespace
}  // namespace mlcarbon
