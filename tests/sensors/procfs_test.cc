// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/procfs.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "support/test_support.h"
#include "test_helpers.h"

namespace mlcarbon::sensors::procfs {
namespace {

using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;
using sensors::testing::write_text;

TEST(ProcfsTest, ReadsCpuTimesFromStat) {
  auto times = read_cpu_times(fixture("proc/xeon"));

  ASSERT_TRUE(times) << times.error().to_string();
  const double tick = 1.0 / static_cast<double>(ticks_per_second());
  EXPECT_NEAR(times->total.count(), 10000 * tick, 1e-9);
  EXPECT_NEAR(times->idle.count(), 8500 * tick, 1e-9);
}

TEST(ProcfsTest, UtilisationIsBusyShareOfDelta) {
  const CpuTimes before{Seconds(100), Seconds(80)};
  const CpuTimes after{Seconds(110), Seconds(85)};

  EXPECT_NEAR(utilisation(before, after), 0.5, 1e-12);
}

TEST(ProcfsTest, ParsesProcessStatWithSpacesInCommand) {
  TempDir dir;
  write_text(dir.path() / "42" / "stat",
             "42 (my (odd) cmd) S 7 42 42 0 -1 4194304 100 0 0 0 "
             "300 200 0 0 20 0 1 0 100 0 0\n");

  auto times = read_process_times(dir.path(), 42);

  ASSERT_TRUE(times) << times.error().to_string();
  EXPECT_EQ(times->ppid, 7);
  EXPECT_NEAR(times->cpu_time.count(),
              500.0 / static_cast<double>(ticks_per_second()), 1e-9);
}

TEST(ProcfsTest, ListsChildrenByScanningPpid) {
  TempDir dir;
  const std::string rest = " 0 0 0 0 0 0 0 0 0 1 1 0 0 20 0 1 0 1 0 0\n";
  write_text(dir.path() / "10" / "stat", "10 (a) S 1" + rest);
  write_text(dir.path() / "11" / "stat", "11 (b) S 10" + rest);
  write_text(dir.path() / "12" / "stat", "12 (c) S 11" + rest);
  write_text(dir.path() / "13" / "stat", "13 (d) S 1" + rest);

  auto tree = list_process_tree(dir.path(), 10);

  ASSERT_TRUE(tree) << tree.error().to_string();
  EXPECT_EQ(*tree, (std::vector<int>{10, 11, 12}));
}

TEST(ProcfsTest, ReadsOwnProcessFromRealProc) {
  auto times = read_process_times("/proc", ::getpid());

  ASSERT_TRUE(times) << times.error().to_string();
  EXPECT_EQ(times->ppid, ::getppid());
}

TEST(ProcfsTest, MeminfoUsedIsTotalMinusAvailable) {
  auto mem = read_meminfo(fixture("proc/xeon"));

  ASSERT_TRUE(mem) << mem.error().to_string();
  EXPECT_EQ(mem->used_bytes(), 8ULL << 30);
}

TEST(ProcfsTest, CpuinfoGivesModelCountAndPackages) {
  auto info = read_cpuinfo(fixture("proc/xeon"));

  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->model_name, "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz");
  EXPECT_EQ(info->vendor_id, "GenuineIntel");
  EXPECT_EQ(info->logical_cpus, 4);
  EXPECT_EQ(info->package_first_cpu, std::vector<int>{0});
}

}  // namespace
}  // namespace mlcarbon::sensors::procfs
