// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/history.h"

#include <chrono>
#include <string>
#include <vector>

#include <sqlite3.h>
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

// A history as mlcarbon's first schema wrote it, with one run.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES('schema_version', '1');
CREATE TABLE runs(
  run_id TEXT PRIMARY KEY, start_unix_ns INTEGER NOT NULL,
  duration_s REAL NOT NULL, project TEXT NOT NULL, command TEXT NOT NULL,
  exit_status INTEGER, energy_j REAL NOT NULL,
  attributed_energy_j REAL NOT NULL, co2e_g REAL NOT NULL,
  attributed_co2e_g REAL NOT NULL, method TEXT NOT NULL,
  region TEXT NOT NULL, document TEXT NOT NULL);
CREATE INDEX runs_by_start ON runs(start_unix_ns);
CREATE TABLE run_tags(
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  tag TEXT NOT NULL, PRIMARY KEY(run_id, tag));
CREATE INDEX run_tags_by_tag ON run_tags(tag);
INSERT INTO runs VALUES('old', 1800000000000000000, 10, 'demo', 'true', 0,
  100, 80, 0.01, 0.008, 'estimated', 'DE',
  '{"tool":"mlcarbon","context":{"host":"oldhost"}}');
INSERT INTO run_tags VALUES('old', 'v1');
)sql";

void run_sql(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  EXPECT_EQ(rc, SQLITE_OK) << (message != nullptr ? message : "");
  sqlite3_free(message);
  sqlite3_close(db);
}

TEST(HistoryMigrationTest, NewDatabaseIsAtTheLatestVersion) {
  testing::TempDir dir;
  const auto history = History::open(dir.path() / "h.db");

  ASSERT_TRUE(history.has_value()) << history.error().to_string();
  EXPECT_EQ(history->schema_version(), kHistoryDatabaseVersion);
}

TEST(HistoryMigrationTest, VersionOneIsReadAsItIsAndUpgradedForWriting) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  run_sql(path, kVersion1);

  {
    auto reading = History::open(path, {.read_only = true});
    ASSERT_TRUE(reading.has_value()) << reading.error().to_string();
    EXPECT_EQ(reading->schema_version(), 1);
    const auto runs = reading->query({}).value();
    ASSERT_EQ(runs.size(), 1U);
    EXPECT_EQ(runs[0].tags, std::vector<std::string>{"v1"});
    EXPECT_TRUE(runs[0].node.empty());
    EXPECT_TRUE(reading->query({.job_id = "7"}).value().empty());
  }
  auto history = History::open(path);
  ASSERT_TRUE(history.has_value()) << history.error().to_string();
  EXPECT_EQ(history->schema_version(), kHistoryDatabaseVersion);
  HistoryEntry rank = entry("new", kT0, {});
  rank.job_id = "7";
  rank.proc_id = 1;
  rank.node_id = 0;
  rank.node = "n1";
  ASSERT_TRUE(history->record(rank).has_value());

  const auto old = history->query({.tag = "v1"}).value();
  ASSERT_EQ(old.size(), 1U);
  EXPECT_EQ(old[0].node, "oldhost");  // filled in from the stored document
  EXPECT_TRUE(old[0].job_id.empty());
  const auto job = history->query({.job_id = "7"}).value();
  ASSERT_EQ(job.size(), 1U);
  EXPECT_EQ(job[0].run_id, "new");
  EXPECT_EQ(job[0].proc_id, 1);
  EXPECT_EQ(job[0].node_id, 0);
  EXPECT_EQ(job[0].node, "n1");
}

TEST(HistoryMigrationTest, NewerVersionIsRefusedAndLeftAlone) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  run_sql(path, kVersion1);
  run_sql(path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
  const std::string before = read_file(path).value();

  const auto writing = History::open(path);
  const auto reading = History::open(path, {.read_only = true});

  ASSERT_FALSE(writing.has_value());
  ASSERT_FALSE(reading.has_value());
  for (const auto* e : {&writing.error(), &reading.error()}) {
    EXPECT_NE(e->to_string().find("schema version 99, newer than this "
                                  "mlcarbon's"),
              std::string::npos)
        << e->to_string();
    EXPECT_NE(e->to_string().find(path.string()), std::string::npos);
  }
  EXPECT_EQ(read_file(path).value(), before);
}

TEST(HistoryMigrationTest, AFailedUpgradeChangesNothing) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  run_sql(path, kVersion1);
  // A column of that name makes version 2's ALTER TABLE fail half-way.
  run_sql(path, "ALTER TABLE runs ADD COLUMN node TEXT");

  const auto opened = History::open(path);

  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().to_string().find("schema version 2"),
            std::string::npos)
      << opened.error().to_string();
  auto reading = History::open(path, {.read_only = true});
  ASSERT_TRUE(reading.has_value()) << reading.error().to_string();
  EXPECT_EQ(reading->schema_version(), 1);
  EXPECT_EQ(reading->query({}).value().size(), 1U);
}

TEST(HistoryMigrationTest, BadVersionTextIsAnError) {
  testing::TempDir dir;
  const auto path = dir.path() / "h.db";
  run_sql(path, kVersion1);
  run_sql(path, "UPDATE meta SET value = 'two' WHERE key = 'schema_version'");

  const auto opened = History::open(path);

  ASSERT_FALSE(opened.has_value());
  EXPECT_NE(opened.error().to_string().find("schema_version is 'two'"),
            std::string::npos)
      << opened.error().to_string();
}

TEST(HistoryLocationTest, PasswordsAreHiddenAndUrisRecognised) {
  EXPECT_TRUE(is_postgresql_location("postgresql://h/db"));
  EXPECT_TRUE(is_postgresql_location("postgres://h/db"));
  EXPECT_FALSE(is_postgresql_location("/var/lib/h.db"));
  EXPECT_FALSE(is_postgresql_location("postgresql.db"));
  EXPECT_EQ(redact_location("postgresql://ann:s3cret@db.example:5432/runs"),
            "postgresql://ann:***@db.example:5432/runs");
  EXPECT_EQ(redact_location("postgresql://ann@db/runs?sslmode=require&"
                            "password=s3cret&connect_timeout=5"),
            "postgresql://ann@db/runs?sslmode=require&password=***&"
            "connect_timeout=5");
  EXPECT_EQ(redact_location("postgresql://db/runs?password=x"),
            "postgresql://db/runs?password=***");
  EXPECT_EQ(redact_location("/tmp/a:b@c.db"), "/tmp/a:b@c.db");
}

TEST(HistoryLocationTest, UnreachableServerIsAClearErrorNamingIt) {
  // Port 1 on loopback: nothing listens there.
  const auto opened =
      History::open(std::string("postgresql://ann:s3cret@127.0.0.1:1/runs"),
                    {.lock_timeout = std::chrono::seconds(2)});

  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code(), Errc::kUnavailable);
  const std::string text = opened.error().to_string();
  EXPECT_NE(text.find("cannot connect to the history "
                      "postgresql://ann:***@127.0.0.1:1/runs"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("s3cret"), std::string::npos);
}

// One run of a job: `start_s` seconds after kT0, for `duration_s`.
HistoryEntry rank(std::string id, std::string node, double start_s,
                  double duration_s, double energy_j, double attributed_j) {
  HistoryEntry e = entry(std::move(id), kT0, {});
  e.start = kT0 + std::chrono::duration_cast<WallTime::duration>(
                      std::chrono::duration<double>(start_s));
  e.duration_s = duration_s;
  e.energy_j = energy_j;
  e.attributed_energy_j = attributed_j;
  e.co2e_g = energy_j / 1000.0;
  e.attributed_co2e_g = attributed_j / 1000.0;
  e.method = "measured";
  e.job_id = "42";
  e.node = std::move(node);
  return e;
}

TEST(JobTotalsTest, TwoRanksOnOneNodeCountTheNodeOnce) {
  const std::vector<HistoryEntry> runs{rank("r0", "n1", 0, 10, 100, 30),
                                       rank("r1", "n1", 0, 10, 102, 40)};

  const JobTotals t = job_totals("42", runs);

  EXPECT_EQ(t.runs, 2U);
  EXPECT_DOUBLE_EQ(t.attributed_energy_j, 70.0);
  EXPECT_DOUBLE_EQ(t.attributed_co2e_g, 0.07);
  ASSERT_EQ(t.nodes.size(), 1U);
  EXPECT_DOUBLE_EQ(t.nodes[0].energy_j, 101.0);  // not 202
  EXPECT_DOUBLE_EQ(t.nodes[0].busy_s, 10.0);
  EXPECT_DOUBLE_EQ(t.energy_j, 101.0);
  EXPECT_NEAR(t.co2e_g, 0.101, 1e-12);
  EXPECT_EQ(t.method, "measured");
}

TEST(JobTotalsTest, RanksOnTwoNodesAddUp) {
  const std::vector<HistoryEntry> runs{
      rank("a0", "n1", 0, 10, 100, 30), rank("a1", "n1", 0, 10, 100, 30),
      rank("b0", "n2", 1, 10, 50, 20), rank("b1", "n2", 1, 10, 50, 25)};

  const JobTotals t = job_totals("42", runs);

  ASSERT_EQ(t.nodes.size(), 2U);
  EXPECT_EQ(t.nodes[0].node, "n1");
  EXPECT_EQ(t.nodes[0].runs, 2U);
  EXPECT_DOUBLE_EQ(t.nodes[0].energy_j, 100.0);
  EXPECT_DOUBLE_EQ(t.nodes[1].energy_j, 50.0);
  EXPECT_DOUBLE_EQ(t.energy_j, 150.0);
  EXPECT_DOUBLE_EQ(t.attributed_energy_j, 105.0);
}

TEST(JobTotalsTest, OverlapCountsOnceAtTheMeanPowerAndGapsNotAtAll) {
  // n1: 10 W over [0, 10] and 20 W over [5, 15]; then 30 W over [20, 22].
  const std::vector<HistoryEntry> runs{rank("x", "n1", 0, 10, 100, 10),
                                       rank("y", "n1", 5, 10, 200, 10),
                                       rank("z", "n1", 20, 2, 60, 10)};

  const JobTotals t = job_totals("42", runs);

  ASSERT_EQ(t.nodes.size(), 1U);
  // [0,5] 10 W + [5,10] 15 W + [10,15] 20 W + [20,22] 30 W
  EXPECT_NEAR(t.nodes[0].energy_j, 50.0 + 75.0 + 100.0 + 60.0, 1e-9);
  EXPECT_NEAR(t.nodes[0].busy_s, 17.0, 1e-9);
}

TEST(JobTotalsTest, EstimatedRunsMakeTheJobEstimatedAndNamelessRunsStandAlone) {
  std::vector<HistoryEntry> runs{rank("a", "", 0, 10, 100, 30),
                                 rank("b", "", 0, 10, 100, 30)};
  runs[1].method = "estimated";

  const JobTotals t = job_totals("42", runs);

  EXPECT_EQ(t.nodes.size(), 2U);
  EXPECT_DOUBLE_EQ(t.energy_j, 200.0);
  EXPECT_EQ(t.method, "estimated");
}

TEST(HistoryTest, UnwritableLocationIsAClearError) {
  const auto history = History::open("/proc/mlcarbon/h.db");

  ASSERT_FALSE(history.has_value());
  EXPECT_NE(history.error().to_string().find("/proc/mlcarbon"),
            std::string::npos);
}

}  // namespace
}  // namespace mlcarbon::report
