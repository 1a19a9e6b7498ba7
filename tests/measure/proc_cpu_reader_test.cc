// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/measure/process_cpu.h"

#include "support/test_support.h"

namespace mlcarbon::measure {
namespace {

namespace fs = std::filesystem;
using mlcarbon::testing::TempDir;

constexpr double kTolS = 1e-9;  // exact tick arithmetic

double ticks() {
  return static_cast<double>(::sysconf(_SC_CLK_TCK));
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A <pid>/stat line with the given ppid and utime stime cutime cstime.
void write_stat(const fs::path& root, int pid, const std::string& comm,
                int ppid, int utime, int stime, int cutime, int cstime) {
  write(root / std::to_string(pid) / "stat",
        std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid) +
            " 1 1 0 -1 4194304 98 0 0 0 " + std::to_string(utime) + " " +
            std::to_string(stime) + " " + std::to_string(cutime) + " " +
            std::to_string(cstime) + " 20 0 1 0 81775 3133440 390\n");
}

// root 100 (1+1 own, 10+5 reaped) -> 101 (2+2), 102 (3+0) -> 103 (0+4);
// 200 is someone else's and must not count.
void write_tree(const fs::path& root) {
  write(root / "stat",
        "cpu  800 50 200 5000 100 10 20 5 30 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n");
  write_stat(root, 1, "init", 0, 500, 500, 0, 0);
  write_stat(root, 100, "py thon) (x", 1, 1, 1, 10, 5);
  write_stat(root, 101, "worker", 100, 2, 2, 0, 0);
  write_stat(root, 102, "sh", 100, 3, 0, 0, 0);
  write_stat(root, 103, "gcc", 102, 0, 4, 0, 0);
  write_stat(root, 200, "other", 1, 70, 70, 0, 0);
}

TEST(ProcCpuReaderTest, MachineBusyTimeLeavesOutIdleAndIowait) {
  TempDir dir;
  write_tree(dir.path());
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> busy = reader->machine_busy_time();

  ASSERT_TRUE(busy) << busy.error().to_string();
  // user nice system irq softirq steal; guest (30) is inside user.
  EXPECT_NEAR(busy->count(), (800 + 50 + 200 + 10 + 20 + 5) / ticks(), kTolS);
}

TEST(ProcCpuReaderTest, TreeTimeByPpidScanSumsRootAndLiveDescendants) {
  TempDir dir;
  write_tree(dir.path());
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> tree = reader->tree_cpu_time(100);

  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_NEAR(tree->count(), (2 + 15 + 4 + 3 + 4) / ticks(), kTolS);
}

TEST(ProcCpuReaderTest, TreeRssIsTheSumOverTheTreeAndMemTotalIsRead) {
  TempDir dir;
  write_tree(dir.path());
  write(dir.path() / "meminfo",
        "MemTotal:       16777216 kB\nMemAvailable:    8388608 kB\n");
  auto reader = make_proc_cpu_reader(dir.path());

  ASSERT_TRUE(reader->tree_cpu_time(100));
  const auto rss = reader->last_tree_rss_bytes();
  const auto total = reader->machine_memory_bytes();

  // Four processes of 390 pages each (200 is not in the tree).
  ASSERT_TRUE(rss && total);
  EXPECT_EQ(*rss,
            4U * 390U * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(*total, 16ULL << 30);
}

TEST(ProcCpuReaderTest, TreeTimeByChildrenFiles) {
  TempDir dir;
  write_tree(dir.path());
  // With children files the reader must follow them, not the ppid fields:
  // 101 is listed under thread 100's sibling 105.
  write(dir.path() / "100" / "task" / "100" / "children", "102 ");
  write(dir.path() / "100" / "task" / "105" / "children", "101");
  write(dir.path() / "102" / "task" / "102" / "children", "");
  write(dir.path() / "101" / "task" / "101" / "children", "");
  write_stat(dir.path(), 103, "not-a-child-by-file", 102, 0, 4, 0, 0);
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> tree = reader->tree_cpu_time(100);

  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_NEAR(tree->count(), (2 + 15 + 4 + 3) / ticks(), kTolS);
}

// Found by proc_fuzz: a children file naming an ancestor (or a process
// twice) recursed until the stack overflowed.
TEST(ProcCpuReaderTest, ChildrenFilesThatLoopCountEachProcessOnce) {
  TempDir dir;
  write_tree(dir.path());
  write(dir.path() / "100" / "task" / "100" / "children", "101 101 100");
  write(dir.path() / "101" / "task" / "101" / "children", "100 101");
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> tree = reader->tree_cpu_time(100);

  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_NEAR(tree->count(), (2 + 15 + 4) / ticks(), kTolS);
  EXPECT_EQ(reader->last_tree(), (std::vector<int>{100, 101}));
}

// The same with ppid fields that form a loop: the scan grew its list of
// descendants without end.
TEST(ProcCpuReaderTest, PpidLoopCountsEachProcessOnce) {
  TempDir dir;
  write_tree(dir.path());
  write_stat(dir.path(), 101, "worker", 102, 2, 2, 0, 0);
  write_stat(dir.path(), 102, "sh", 101, 3, 0, 0, 0);
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> tree = reader->tree_cpu_time(101);

  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_NEAR(tree->count(), (4 + 3 + 4) / ticks(), kTolS);
}

TEST(ProcCpuReaderTest, MissingProcessIsNotFound) {
  TempDir dir;
  write_tree(dir.path());
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> tree = reader->tree_cpu_time(999);

  ASSERT_FALSE(tree);
  EXPECT_EQ(tree.error().code(), Errc::kNotFound);
}

TEST(ProcCpuReaderTest, MalformedStatIsAParseError) {
  TempDir dir;
  write(dir.path() / "stat", "intr 1 2 3\n");
  write(dir.path() / "100" / "stat", "100 (x S 1\n");
  auto reader = make_proc_cpu_reader(dir.path());

  Result<Seconds> busy = reader->machine_busy_time();
  Result<Seconds> tree = reader->tree_cpu_time(100);

  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), Errc::kParse);
  EXPECT_FALSE(tree);
}

TEST(ProcCpuReaderTest, ReadsThisProcessOnTheRealProc) {
  auto reader = make_proc_cpu_reader("/proc");

  Result<Seconds> busy = reader->machine_busy_time();
  Result<Seconds> tree = reader->tree_cpu_time(static_cast<int>(::getpid()));

  ASSERT_TRUE(busy) << busy.error().to_string();
  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_GE(tree->count(), 0.0);
  EXPECT_GT(busy->count(), 0.0);
}

}  // namespace
}  // namespace mlcarbon::measure
