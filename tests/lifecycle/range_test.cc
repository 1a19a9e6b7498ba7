// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/lifecycle/range.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle {
namespace {

constexpr double kTol = 1e-12;

TEST(RangeTest, CentralIsMidpointForNarrowRanges) {
  EXPECT_NEAR(central_of(2.0, 6.0), 4.0, kTol);
  EXPECT_NEAR(central_of(0.0, 100.0), 50.0, kTol);  // low 0: midpoint
  EXPECT_NEAR(central_of(1.0, 10.0), 5.5, kTol);    // a factor of 10 exactly
}

TEST(RangeTest, CentralIsGeometricMeanBeyondAFactorOfTen) {
  EXPECT_NEAR(central_of(1e8, 1e10), 1e9, 1e-3);
}

TEST(RangeTest, ProductsUseLowsAndHighs) {
  const Range a = Range::between(1.0, 3.0);
  const Range b = Range::between(10.0, 20.0);

  const Range p = a * b;

  EXPECT_NEAR(p.low, 10.0, kTol);
  EXPECT_NEAR(p.central, 30.0, kTol);
  EXPECT_NEAR(p.high, 60.0, kTol);
}

TEST(RangeTest, QuotientUsesTheDivisorsOtherEnd) {
  const Range q = Range::exact(100.0) / Range::between(10.0, 20.0);

  EXPECT_NEAR(q.low, 5.0, kTol);
  EXPECT_NEAR(q.high, 10.0, kTol);
}

struct ParseCase {
  std::string text;
  double low, central, high;
};

class ParseRangeTest : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseRangeTest, AcceptsEveryForm) {
  const ParseCase& c = GetParam();

  auto r = parse_range(c.text);

  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_NEAR(r->low, c.low, 1e-12);
  EXPECT_NEAR(r->central, c.central, 1e-12);
  EXPECT_NEAR(r->high, c.high, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, ParseRangeTest,
    ::testing::Values(ParseCase{"12.5", 12.5, 12.5, 12.5},
                      ParseCase{"1.0e9", 1e9, 1e9, 1e9},
                      ParseCase{"[10, 20]", 10, 15, 20},
                      ParseCase{"0.002 \xC2\xB1 20%", 0.0016, 0.002, 0.0024},
                      ParseCase{"0.002 +- 20%", 0.0016, 0.002, 0.0024},
                      ParseCase{"0.002+/-20 %", 0.0016, 0.002, 0.0024},
                      ParseCase{"5 ± 0%", 5, 5, 5}));

TEST(ParseRangeTest, FarApartEndsKeepAFiniteCentralValue) {
  // low · high overflows (and underflows) a double; the geometric mean
  // does not.
  auto big = parse_range("[1e200, 1e300]");
  auto tiny = parse_range("[1e-300, 1e-200]");

  ASSERT_TRUE(big && tiny);
  EXPECT_NEAR(big->central / 1e250, 1.0, 1e-12);
  EXPECT_NEAR(tiny->central / 1e-250, 1.0, 1e-12);
}

TEST(ParseRangeTest, RejectsBadText) {
  for (const char* bad : {"ten", ".nan", ".inf", "-.inf", "[3, 1]", "[1]",
                          "5 ± 20", "5 ± -3%", "", "1e308 ± 50%", "1e309"}) {
    EXPECT_FALSE(parse_range(bad)) << bad;
  }
}

}  // namespace
}  // namespace mlcarbon::lifecycle
