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
