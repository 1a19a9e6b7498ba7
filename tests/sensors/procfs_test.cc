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

TEST(ProcfsTest, StatParserReadsTheAggregateLineOnly) {
  const double tick = 1.0 / static_cast<double>(ticks_per_second());

  // Ten columns (guest, guest_nice ignored: already in user and nice).
  auto full = parse_cpu_times("cpu  100 1 50 800 20 3 4 2 70 5\ncpu0 1 2 3 4\n",
                              "stat");
  // Kernels before 2.6.11 give four columns only.
  auto old = parse_cpu_times("cpu 10 0 10 80\n", "stat");

  ASSERT_TRUE(full) << full.error().to_string();
  EXPECT_NEAR(full->total.count(), 980 * tick, 1e-9);
  EXPECT_NEAR(full->idle.count(), 820 * tick, 1e-9);
  ASSERT_TRUE(old) << old.error().to_string();
  EXPECT_NEAR(old->total.count(), 100 * tick, 1e-9);
}

TEST(ProcfsTest, StatParserRefusesGarbageNamingTheOrigin) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"", "/p/stat: no 'cpu' line first"},
           Case{"cpu0 1 2 3 4\ncpu 1 2 3 4", "no 'cpu' line first"},
           Case{"cpu 1 2 3", "field 4 of the 'cpu' line"},
           Case{"cpu 1 2 x3 4", "field 3 of the 'cpu' line"},
           Case{"cpu 1 2 3 4 -5", "field 5 of the 'cpu' line"},
           Case{"cpu 1 2 3 99999999999999999999999", "field 4"},
           Case{"cpu 1 2 3 4\xff 5", "field 4"},
       }) {
    auto times = parse_cpu_times(c.text, "/p/stat");
    ASSERT_FALSE(times) << c.text;
    EXPECT_EQ(times.error().code(), Errc::kParse);
    EXPECT_NE(times.error().message().find(c.message), std::string::npos)
        << times.error().message();
  }
}

TEST(ProcfsTest, StatFileReaderAgreesWithTheRootReader) {
  const auto path = fixture("proc/xeon") / "stat";

  auto by_file = read_stat_file(path.c_str());
  auto by_root = read_cpu_times(fixture("proc/xeon"));

  ASSERT_TRUE(by_file) << by_file.error().to_string();
  ASSERT_TRUE(by_root);
  EXPECT_EQ(by_file->total, by_root->total);
  EXPECT_EQ(by_file->idle, by_root->idle);
  EXPECT_EQ(read_stat_file("/nonexistent/stat").error().code(),
            Errc::kNotFound);
}

TEST(ProcfsTest, MeminfoWithGarbageSizeIsAnError) {
  TempDir dir;
  write_text(dir.path() / "meminfo",
             "MemTotal:       16xx kB\nMemAvailable:    8 kB\n");

  auto mem = read_meminfo(dir.path());

  ASSERT_FALSE(mem);
  EXPECT_NE(mem.error().message().find("'16xx kB' is not a size in kB"),
            std::string::npos)
      << mem.error().message();
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
