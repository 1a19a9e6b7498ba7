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
  EXPECT_EQ(csv_escape("caf\xE9,x"), "\"caf\xEF\xBF\xBD,x\"");
}

// U+FFFD as UTF-8.
constexpr std::string_view kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9"));       // é
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x8C\x8D"));  // U+1F30D
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_EQ(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(Utf8Test, ReplacesEachMaximalSubpartOnce) {
  const std::string r(kFffd);
  struct Case {
    std::string_view in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"caf\xE9", "caf" + r},               // Latin-1 byte
      {"t\xFF", "t" + r},                   // never valid
      {"\xC0\xAF", r + r},                  // overlong '/'
      {"\xE0\x80\xAF", r + r + r},          // overlong, 3 bytes
      {"\xF0\x80\x80\xAF", r + r + r + r},  // overlong, 4 bytes
      {"\xED\xA0\x80", r + r + r},          // surrogate U+D800
      {"\xF4\x90\x80\x80", r + r + r + r},  // above U+10FFFF
      {"\xE2\x82", r},                      // truncated at the end
      {"\xE2\x82x", r + "x"},               // truncated in the middle
      {"\xF0\x9F\x8Cx", r + "x"},           // truncated 4-byte
      {"\x80\xBF", r + r},                  // lone continuations
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(is_valid_utf8(c.in)) << testing::PrintToString(c.in);
    EXPECT_EQ(to_valid_utf8(c.in), c.out) << testing::PrintToString(c.in);
    EXPECT_TRUE(is_valid_utf8(to_valid_utf8(c.in)));
  }
}

TEST(Utf8Test, TerminalSafeShowsControlsInsteadOfSendingThem) {
  EXPECT_EQ(terminal_safe("plain caf\xC3\xA9"), "plain caf\xC3\xA9");
  EXPECT_EQ(terminal_safe("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(terminal_safe("a\tb\nc\x7f"), "a\\x09b\\x0ac\\x7f");
  EXPECT_EQ(terminal_safe("a\nb", /*keep_newlines=*/true), "a\nb");
  EXPECT_EQ(terminal_safe("\xC2\x9B"
                          "2J"),
            "\\u009b2J");  // C1 CSI
  EXPECT_EQ(terminal_safe("caf\xE9"), "caf" + std::string(kFffd));
}

}  // namespace
}  // namespace mlcarbon
