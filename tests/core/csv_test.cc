// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/csv.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

TEST(CsvTest, WalkerSkipsCommentsAndBlanksAndKeepsLineNumbers) {
  std::vector<int> lines;
  std::vector<std::vector<std::string>> records;

  auto walked = for_each_csv_record(
      "# comment\r\na,\"b,c\"\r\n\n   \n  # indented comment\nd,e",
      [&](int line, std::vector<std::string> fields) -> Status {
        lines.push_back(line);
        records.push_back(std::move(fields));
        return {};
      });

  ASSERT_TRUE(walked.has_value());
  EXPECT_EQ(lines, (std::vector<int>{2, 6}));
  EXPECT_EQ(records[0], (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(records[1], (std::vector<std::string>{"d", "e"}));
}

TEST(CsvTest, WalkerStopsAtTheFirstError) {
  int calls = 0;
  auto walked = for_each_csv_record(
      "a\nb\nc", [&](int line, std::vector<std::string>) -> Status {
        ++calls;
        if (line == 2)
          return make_error(Errc::kParse, "line {} is bad", line);
        return {};
      });

  ASSERT_FALSE(walked.has_value());
  EXPECT_EQ(walked.error().message(), "line 2 is bad");
  EXPECT_EQ(calls, 2);
}

TEST(CsvTest, TableRowsLookUpByHeaderAndNameTheirLine) {
  auto rows =
      parse_csv_table("# data\nname, value\nx, 1.5\ny,abc\nz\n", "t.csv");
  ASSERT_TRUE(rows.has_value()) << rows.error().to_string();
  ASSERT_EQ(rows->size(), 3U);

  EXPECT_EQ((*rows)[0].get("name").value(), "x");
  EXPECT_DOUBLE_EQ((*rows)[0].number("value").value(), 1.5);
  EXPECT_EQ((*rows)[1].number("value").error().message(),
            "t.csv:4: value: 'abc' is not a number");
  EXPECT_EQ((*rows)[2].get("value").error().message(),
            "t.csv:5: 1 fields, but column 'value' is number 2");
  EXPECT_EQ((*rows)[0].get("missing").error().message(),
            "t.csv:3: no column 'missing'");
}

TEST(CsvTest, TableWithoutHeaderIsAnError) {
  auto rows = parse_csv_table("# only comments\n\n", "empty.csv");

  ASSERT_FALSE(rows.has_value());
  EXPECT_EQ(rows.error().message(), "empty.csv: no header line");
}

}  // namespace
}  // namespace mlcarbon
