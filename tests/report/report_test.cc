// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/report.h"

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/fs.h"

#include "support/test_support.h"

namespace mlcarbon::report {
namespace {

using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

TEST(ChartTest, TicksAreRoundAndCoverTheRange) {
  EXPECT_EQ(svg::nice_ticks(0, 263, 5),
            (std::vector<double>{0, 100, 200, 300}));
  EXPECT_EQ(svg::nice_ticks(0, 263, 8),
            (std::vector<double>{0, 50, 100, 150, 200, 250, 300}));
  const std::vector<double> small = svg::nice_ticks(0, 0.152, 4);
  const std::vector<double> expected{0, 0.05, 0.1, 0.15, 0.2};
  ASSERT_EQ(small.size(), expected.size());
  for (std::size_t i = 0; i < small.size(); ++i)
    EXPECT_NEAR(small[i], expected[i], 1e-12);
  EXPECT_EQ(svg::tick_label(0.1), "0.1");
  EXPECT_EQ(svg::tick_label(250), "250");
}

TEST(ChartTest, TextIsEscapedAndEveryChartHasATitleAndDescription) {
  svg::BarChart chart{
      .id = "c1",
      .title = "a <b> & \"c\"",
      .description = "d",
      .unit = "Wh",
      .bars = {{.label = "x<y", .value = 2, .estimated = true}}};

  const std::string out = svg::bar_chart(chart);

  EXPECT_NE(out.find("<title id=\"c1-title\">a &lt;b&gt; &amp; &quot;c&quot;"),
            std::string::npos);
  EXPECT_NE(out.find("<desc id=\"c1-desc\">d</desc>"), std::string::npos);
  EXPECT_NE(out.find("x&lt;y"), std::string::npos);
  // Estimated bars are hatched, not told apart by colour alone.
  EXPECT_NE(out.find("fill:url(#c1-hatch)"), std::string::npos);
}

TEST(ReportTest, RunGivesTimelineDomainAndPhaseCharts) {
  auto sections = sections_from_path(fixture("report/train_run.json"));
  ASSERT_TRUE(sections.has_value()) << sections.error().to_string();
  ASSERT_EQ(sections->size(), 1U);
  const ReportSection& s = sections->front();

  EXPECT_EQ(s.method, "measured");
  ASSERT_EQ(s.figures.size(), 3U);
  ASSERT_TRUE(s.figures[0].line.has_value());
  // The nested core domain is in the table, not drawn over its package.
  EXPECT_EQ(s.figures[0].line->series.size(), 3U);
  EXPECT_EQ(s.figures[0].data.rows.size(), 4U);
  EXPECT_EQ(s.figures[0].line->series[0].x.size(), 240U);
  ASSERT_TRUE(s.figures[2].bar.has_value());
  EXPECT_EQ(s.figures[2].bar->bars.size(), 3U);  // load-data, train, evaluate
}

TEST(ReportTest, AnEstimatedRunShowsEnergyAndCo2eWithTheirRanges) {
  auto doc = nlohmann::json::parse(
      read_file(fixture("report/train_run.json")).value());
  doc["energy"]["method"] = "estimated";
  doc["energy"]["total_j"] = 100.0;
  doc["energy"]["total_j_low"] = 50.0;
  doc["energy"]["total_j_high"] = 200.0;
  doc["carbon"]["co2e_kg"] = 0.004;
  doc["carbon"]["co2e_kg_low"] = 0.002;
  doc["carbon"]["co2e_kg_high"] = 0.008;
  TempDir dir;
  const auto path = dir.path() / "run.json";
  std::ofstream(path) << doc.dump();

  auto sections = sections_from_path(path);
  ASSERT_TRUE(sections.has_value()) << sections.error().to_string();
  std::map<std::string, std::string> facts(sections->front().context.begin(),
                                           sections->front().context.end());

  EXPECT_EQ(facts["Energy"], "100 [50.0 to 200] J (estimated)");
  EXPECT_NE(facts["CO2e"].find("4.00 [2.00 to 8.00] g CO2e"), std::string::npos)
      << facts["CO2e"];
}

TEST(ReportTest, HtmlIsSelfContainedWithChartsAndTables) {
  auto sections = sections_from_path(fixture("report/train_run.json"));
  ASSERT_TRUE(sections.has_value()) << sections.error().to_string();
  ReportDocument doc;
  doc.sections = *sections;

  const std::string html = report_html(doc);
  const std::string md = report_markdown(doc);

  EXPECT_EQ(count(html, "<svg class=\"chart\""), 3U);
  EXPECT_EQ(count(html, "<script"), 0U);
  EXPECT_EQ(count(html, "http://"), 3U);  // the SVG namespace only
  EXPECT_EQ(count(html, "https://"), 0U);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(html.find("prefers-color-scheme: dark"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_EQ(count(md, "<svg"), 0U);
  EXPECT_NE(md.find("| package-0 | rapl-powercap | measured |"),
            std::string::npos);
}

TEST(ReportTest, EstimateShowsPhasesWithTheirRanges) {
  auto sections = sections_from_path(fixture("report/estimate.json"));
  ASSERT_TRUE(sections.has_value()) << sections.error().to_string();
  const ReportSection& s = sections->front();

  ASSERT_GE(s.figures.size(), 2U);
  ASSERT_TRUE(s.figures[1].bar.has_value());
  const svg::Bar& inference = s.figures[1].bar->bars.front();
  EXPECT_LT(inference.low, inference.value);
  EXPECT_GT(inference.high, inference.value);
  EXPECT_TRUE(inference.estimated);
}

TEST(ReportTest, ExperimentFolderInlinesItsFigures) {
  auto sections = sections_from_path(fixture("report/experiment"));
  ASSERT_TRUE(sections.has_value()) << sections.error().to_string();
  ASSERT_EQ(sections->size(), 1U);
  ReportDocument doc;
  doc.sections = *sections;

  const std::string html = report_html(doc);

  EXPECT_NE(html.find("src=\"data:image/svg+xml;base64,"), std::string::npos);
  EXPECT_EQ(sections->front().tables.size(), 2U);  // points and fits
}

TEST(ReportTest, HistoryMarksEstimatedRunsHollow) {
  HistoryEntry a;
  a.start = WallTime(std::chrono::seconds(1'790'000'000));
  a.energy_j = 7200;
  a.co2e_g = 1;
  a.method = "measured";
  HistoryEntry b = a;
  b.start += std::chrono::hours(24);
  b.method = "estimated";

  const ReportSection s = history_section({b, a}, "every run");

  ASSERT_EQ(s.figures.size(), 2U);
  EXPECT_EQ(s.method, "measured and estimated");
  EXPECT_EQ(s.figures[0].line->series[0].hollow,
            (std::vector<bool>{false, true}));
  EXPECT_EQ(count(svg::line_chart(*s.figures[0].line), " hollow\""), 1U);
}

TEST(ReportTest, BadInputsNameTheFileAndWhatWasExpected) {
  TempDir dir;
  const auto not_json = dir.path() / "notes.txt";
  std::ofstream(not_json) << "hello";
  const auto other = dir.path() / "other.json";
  std::ofstream(other) << R"({"kind": "sensors"})";
  const auto empty_dir = dir.path() / "folder";
  std::filesystem::create_directory(empty_dir);

  for (const auto& [path, words] :
       std::vector<std::pair<std::filesystem::path, std::string>>{
           {not_json, "not a JSON object"},
           {other, "a \"sensors\" document"},
           {empty_dir, "a folder without report.json"},
           {dir.path() / "missing.json", "missing.json"}}) {
    auto r = sections_from_path(path);
    ASSERT_FALSE(r.has_value()) << path;
    const std::string message = r.error().to_string();
    EXPECT_NE(message.find(path.filename().string()), std::string::npos)
        << message;
    EXPECT_NE(message.find(words), std::string::npos) << message;
  }
  auto r = sections_from_path(other);
  EXPECT_NE(r.error().to_string().find("expected a run"), std::string::npos);
}

}  // namespace
}  // namespace mlcarbon::report
