// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/equivalents.h"

#include <gtest/gtest.h>

namespace mlcarbon::carbon {
namespace {

TEST(EquivalentsTest, CarYearIsElevenThousandPounds) {
  GramsCo2e one_car_year(11000.0 * 453.59237);

  EXPECT_NEAR(car_years(one_car_year), 1.0, 1e-12);
  EXPECT_NEAR(car_km(GramsCo2e(175.0)), 1.0, 1e-12);
  EXPECT_NEAR(flight_km(GramsCo2e(171.0)), 1.0, 1e-12);
  EXPECT_NEAR(tree_months(GramsCo2e(917.0 * 12)), 12.0, 1e-12);
}

TEST(EquivalentsTest, NamedFlights) {
  auto paris_london = find_flight("Paris-London");
  auto nyc_sf = find_flight("nyc-sf");

  ASSERT_TRUE(paris_london.has_value());
  ASSERT_TRUE(nyc_sf.has_value());
  EXPECT_NEAR(flights(GramsCo2e(100'000.0), *paris_london), 2.0, 1e-12);
  EXPECT_NEAR(nyc_sf->grams, 570'000.0, 1e-9);
  EXPECT_FALSE(find_flight("mars").has_value());
}

}  // namespace
}  // namespace mlcarbon::carbon
