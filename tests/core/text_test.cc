// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/text.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

TEST(TextTest, TrimAndSplit) {
  EXPECT_EQ(trim("  a b \n"), "a b");
  EXPECT_EQ(split("a,,b", ','), (std::vector<std::string_view>{"a", "", "b"}));
}

TEST(TextTest, ParseDoubleIsStrict) {
  EXPECT_DOUBLE_EQ(parse_double(" 1.5e3 ").value(), 1500.0);
  EXPECT_DOUBLE_EQ(parse_double("+2").value(), 2.0);
  EXPECT_FALSE(parse_double("1.5x").has_value());
  EXPECT_FALSE(parse_double("").has_value());
  EXPECT_FALSE(parse_double("nan").has_value());
  EXPECT_FALSE(parse_double("inf").has_value());
}

TEST(TextTest, ParseU64) {
  EXPECT_EQ(parse_u64("262143328850\n").value(), 262143328850U);
  EXPECT_FALSE(parse_u64("-1").has_value());
}

TEST(TextTest, SuggestsCloseCandidate) {
  const std::vector<std::string> names = {"sensors", "measure", "estimate"};

  EXPECT_EQ(suggest("mesure", names), "measure");
  EXPECT_EQ(suggest("ESTIMATE", names), "estimate");
  EXPECT_EQ(suggest("xyzzyplugh", names), std::nullopt);
}

TEST(TextTest, CsvRoundTrip) {
  const auto fields = parse_csv_line(R"(a,"b,c","say ""hi""",)");

  EXPECT_EQ(fields, (std::vector<std::string>{"a", "b,c", "say \"hi\"", ""}));
  EXPECT_EQ(csv_escape("b,c"), "\"b,c\"");
  EXPECT_EQ(csv_escape("plain"), "plain");
}

}  // namespace
}  // namespace mlcarbon
