// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/history.h"

#include <chrono>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"

#include "support/test_support.h"

namespace mlcarbon::report {
namespace {

using std::chrono::hours;

HistoryEntry entry(std::string id, WallTime start,
                   std::vector<std::string> tags,
                   std::string command = "python train.py") {
  HistoryEntry e;
  e.run_id = std::move(id);
  e.start = start;
  e.duration_s = 10.0;
  e.project = "demo";
  e.command = std::move(command);
  e.tags = std::move(tags);
  e.exit_status = 0;
  e.energy_j = 100.0;
  e.attributed_energy_j = 80.0;
  e.co2e_g = 0.01;
  e.attributed_co2e_g = 0.008;
  e.method = "estimated";
  e.region = "DE";
  e.document = R"({"tool":"mlcarbon"})";
  return e;
}

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));

TEST(HistoryTest, RecordsAndReadsBackAllFields) {
  testing::TempDir dir;
  auto history = History::open(dir.path() / "sub" / "h.db");
  ASSERT_TRUE(history.has_value()) << history.error().to_string();

  ASSERT_TRUE(history->record(entry("a", kT0, {"x", "y"})).has_value());
  const auto runs = history->query({});

  ASSERT_TRUE(runs.has_value());
  ASSERT_EQ(runs->size(), 1U);
  const HistoryEntry& r = runs->front();
  EXPECT_EQ(r.run_id, "a");
  EXPECT_EQ(r.start, kT0);
  EXPECT_EQ(r.tags, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_DOUBLE_EQ(r.energy_j, 100.0);
  EXPECT_EQ(r.document, R"({"tool":"mlcarbon"})");
}

TEST(HistoryTest, FiltersByTagCommandAndTime) {
  testing::TempDir dir;
  auto history = History::open(dir.path() / "h.db").value();
  ASSERT_TRUE(history.record(entry("a", kT0, {"train"})).has_value());
  ASSERT_TRUE(
      history.record(entry("b", kT0 + hours(1), {"eval"}, "python eval.py"))
          .has_value());
  ASSERT_TRUE(
      history.record(entry("c", kT0 + hours(2), {"train", "big"})).has_value());

  const auto train = history.query({.tag = "train"}).value();
  const auto eval = history.query({.command = "eval.py"}).value();
  const auto late = history.query({.since = kT0 + hours(1)}).value();
  const auto window =
      history.query({.since = kT0, .until = kT0 + hours(2)}).value();
  const auto newest = history.query({.limit = 1}).value();

  ASSERT_EQ(train.size(), 2U);
  EXPECT_EQ(train[0].run_id, "c");  // most recent first
  ASSERT_EQ(eval.size(), 1U);
  EXPECT_EQ(eval[0].run_id, "b");
  EXPECT_EQ(late.size(), 2U);
  EXPECT_EQ(window.size(), 2U);
  ASSERT_EQ(newest.size(), 1U);
  EXPECT_EQ(newest[0].run_id, "c");
}

TEST(HistoryTest, SumsMatchingRuns) {
  testing::TempDir dir;
  auto history = History::open(dir.path() / "h.db").value();
  ASSERT_TRUE(history.record(entry("a", kT0, {"train"})).has_value());
  ASSERT_TRUE(history.record(entry("b", kT0, {"eval"})).has_value());

  const auto all = history.totals({}).value();
  const auto train = history.totals({.tag = "train"}).value();

  EXPECT_EQ(all.runs, 2U);
  EXPECT_DOUBLE_EQ(all.energy_j, 200.0);
  EXPECT_DOUBLE_EQ(all.co2e_g, 0.02);
  EXPECT_EQ(train.runs, 1U);
}

TEST(HistoryTest, DuplicateRunIsRejectedAndLeavesNothingHalfWritten) {
  testing::TempDir dir;
  auto history = History::open(dir.path() / "h.db").value();
  ASSERT_TRUE(history.record(entry("a", kT0, {"one"})).has_value());

  const auto again = history.record(entry("a", kT0, {"two"}));

  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().to_string().find("run a is already in the history"),
            std::string::npos);
  const auto runs = history.query({}).value();
  ASSERT_EQ(runs.size(), 1U);
  EXPECT_EQ(runs[0].tags, std::vector<std::string>{"one"});
  EXPECT_TRUE(history.record(entry("b", kT0, {})).has_value());
}

TEST(HistoryTest, GarbageFileIsNamedNotAnSqliteDatabase) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  ASSERT_TRUE(write_file_atomic(path, std::string(4096, '\x5a')).has_value());

  const auto opened = History::open(path);

  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().to_string().find(path.string() +
                                            " is not an SQLite database"),
            std::string::npos)
      << opened.error().to_string();
}

TEST(HistoryTest, ReadOnlyOpenChangesNothingAndNeedsAHistory) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  {
    auto history = History::open(path).value();
    ASSERT_TRUE(history.record(entry("a", kT0, {})).has_value());
  }
  const std::string before = read_file(path).value();

  auto history = History::open(path, {.read_only = true});
  const auto empty =
      History::open(dir.path() / "empty.db", {.read_only = true});

  ASSERT_TRUE(history.has_value()) << history.error().to_string();
  EXPECT_EQ(history->query({}).value().size(), 1U);
  EXPECT_FALSE(history->record(entry("b", kT0, {})).has_value());
  EXPECT_EQ(read_file(path).value(), before);
  EXPECT_FALSE(empty.has_value());
}

TEST(HistoryTest, ConcurrentProcessesLoseNoRun) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  constexpr int kProcesses = 8;
  constexpr int kRuns = 25;

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto history = History::open(path);
      if (!history)
        ::_exit(10);
      for (int r = 0; r < kRuns; ++r) {
        if (!history->record(entry(fmt::format("p{}-r{}", p, r), kT0, {"c"}))) {
          ::_exit(11);
        }
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  auto history = History::open(path).value();
  EXPECT_EQ(history.totals({}).value().runs,
            static_cast<std::size_t>(kProcesses * kRuns));
  EXPECT_EQ(history.query({.tag = "c"}).value().size(),
            static_cast<std::size_t>(kProcesses * kRuns));
}

TEST(HistoryTest, UnwritableLocationIsAClearError) {
  const auto history = History::open("/proc/mlcarbon/h.db");

  ASSERT_FALSE(history.has_value());
  EXPECT_NE(history.error().to_string().find("/proc/mlcarbon"),
            std::string::npos);
}

TEST(HistoryTest, BoundsAreReadFromTheStoredDocumentAndSummed) {
  testing::TempDir dir;
  auto history = History::open(dir.path() / "h.db");
  ASSERT_TRUE(history.has_value()) << history.error().to_string();
  HistoryEntry estimated = entry("a", kT0, {});
  estimated.document =
      R"({"energy":{"total_j":100,"total_j_low":50,"total_j_high":200,)"
      R"("attributed_j":80,"attributed_j_low":40,"attributed_j_high":160},)"
      R"("carbon":{"co2e_kg":1e-5,"co2e_kg_low":5e-6,"co2e_kg_high":2e-5,)"
      R"("attributed_co2e_kg":8e-6,"attributed_co2e_kg_low":4e-6,)"
      R"("attributed_co2e_kg_high":1.6e-5}})";
  // Measured (no siblings) and not JSON at all: the figure is both ends.
  HistoryEntry measured = entry("b", kT0 + hours(1), {});
  measured.method = "measured";
  HistoryEntry garbled = entry("c", kT0 + hours(2), {});
  garbled.document = "{not json";
  for (const auto& e : {estimated, measured, garbled})
    ASSERT_TRUE(history->record(e).has_value());

  const auto runs = history->query({});
  const auto totals = history->totals({});

  ASSERT_TRUE(runs.has_value()) << runs.error().to_string();
  ASSERT_EQ(runs->size(), 3U);
  ASSERT_TRUE(runs->back().bounds.has_value());
  const FigureBounds& a = *runs->back().bounds;
  EXPECT_EQ(runs->back().run_id, "a");
  EXPECT_DOUBLE_EQ(a.energy_j_low, 50.0);
  EXPECT_DOUBLE_EQ(a.energy_j_high, 200.0);
  EXPECT_DOUBLE_EQ(a.attributed_energy_j_high, 160.0);
  EXPECT_DOUBLE_EQ(a.co2e_g_low, 0.005);
  EXPECT_DOUBLE_EQ(a.attributed_co2e_g_high, 0.016);
  for (std::size_t i = 0; i < 2; ++i) {
    const HistoryEntry& r = (*runs)[i];
    EXPECT_EQ(bounds_of(r).energy_j_low, r.energy_j) << r.run_id;
    EXPECT_EQ(bounds_of(r).co2e_g_high, r.co2e_g) << r.run_id;
  }
  ASSERT_TRUE(totals.has_value()) << totals.error().to_string();
  EXPECT_DOUBLE_EQ(totals->energy_j, 300.0);
  EXPECT_DOUBLE_EQ(bounds_of(*totals).energy_j_low, 250.0);
  EXPECT_DOUBLE_EQ(bounds_of(*totals).energy_j_high, 400.0);
  EXPECT_DOUBLE_EQ(bounds_of(*totals).co2e_g_low, 0.025);
}

}  // namespace
}  // namespace mlcarbon::report
