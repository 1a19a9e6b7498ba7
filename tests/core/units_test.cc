// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/units.h"

#include <type_traits>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

template <typename A, typename B>
concept Addable = requires(A a, B b) {
  a + b;
};

TEST(UnitsTest, OnlySameUnitsAdd) {
  static_assert(Addable<Joules, Joules>);
  static_assert(!Addable<Joules, Watts>);
  static_assert(!Addable<Joules, double>);
  static_assert(!std::is_convertible_v<double, Joules>);
}

TEST(UnitsTest, PowerTimesTimeIsEnergy) {
  const Joules e = Watts(20.0) * Seconds(3.0);

  EXPECT_DOUBLE_EQ(e.value(), 60.0);
  EXPECT_DOUBLE_EQ((e / Seconds(4.0)).value(), 15.0);
}

TEST(UnitsTest, KilowattHourConversionRoundTrips) {
  EXPECT_DOUBLE_EQ(to_kwh(Joules(3.6e6)).value(), 1.0);
  EXPECT_DOUBLE_EQ(to_joules(KilowattHours(2.5)).value(), 9.0e6);
}

TEST(UnitsTest, EnergyTimesIntensityIsEmissions) {
  const GramsCo2e g = KilowattHours(2.0) * GramsCo2ePerKwh(400.0);

  EXPECT_DOUBLE_EQ(g.value(), 800.0);
  EXPECT_DOUBLE_EQ((Joules(1.8e6) * GramsCo2ePerKwh(400.0)).value(), 200.0);
}

TEST(UnitsTest, RatioOfSameUnitsIsANumber) {
  EXPECT_DOUBLE_EQ(Joules(3.0) / Joules(4.0), 0.75);
}

TEST(UnitsTest, FormatsWithUnitSymbol) {
  EXPECT_EQ(fmt::format("{:.2f}", Joules(3.0)), "3.00 J");
  EXPECT_EQ(fmt::format("{}", Watts(12.5)), "12.5 W");
  EXPECT_EQ(fmt::format("{:.1f}", GramsCo2ePerKwh(342.06)), "342.1 gCO2e/kWh");
}

TEST(UnitsTest, MethodNames) {
  EXPECT_EQ(to_string(Method::kMeasured), "measured");
  EXPECT_EQ(to_string(Method::kEstimated), "estimated");
}

}  // namespace
}  // namespace mlcarbon
