// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/models.h"

#include <chrono>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"

#include "support/test_support.h"
#include "test_helpers.h"

namespace mlcarbon::sensors {
namespace {

using namespace std::chrono_literals;
using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;
using testing::write_text;

// A /proc with the cpuinfo and meminfo of `base` and a writable stat.
std::filesystem::path copy_proc(const TempDir& dir, const std::string& base) {
  std::filesystem::copy(fixture("proc/" + base), dir.path(),
                        std::filesystem::copy_options::recursive);
  return dir.path();
}

TEST(CpuNameTest, NormalisesVendorDecorations) {
  EXPECT_EQ(normalise_cpu_name("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"),
            "intel xeon e5-2620 v3");
  EXPECT_EQ(normalise_cpu_name("AMD EPYC 7763 64-Core Processor"),
            "amd epyc 7763");
  EXPECT_EQ(normalise_cpu_name("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz"),
            "intel core i7-8700k");
}

TEST(CpuNameTest, LongestWholeWordMatchWins) {
  auto v2 = lookup_cpu_tdp("Intel(R) Xeon(R) CPU E5-2670 v2 @ 2.50GHz");
  auto v1 = lookup_cpu_tdp("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz");
  auto f = lookup_cpu_tdp("Intel(R) Core(TM) i5-10400F CPU @ 2.90GHz");

  ASSERT_TRUE(v2 && v1 && f);
  EXPECT_EQ(v2->model, "Xeon E5-2670 v2");
  EXPECT_EQ(v1->model, "Xeon E5-2670");
  EXPECT_EQ(f->model, "Core i5-10400F");
  EXPECT_FALSE(lookup_cpu_tdp("AMD EPYC"));
}

TEST(CpuModelTest, FixtureXeonGivesDocumentedPowerAtHalfLoad) {
  TempDir dir;
  const auto proc = copy_proc(dir, "xeon");
  ManualClock clock;
  auto sensor =
      CpuModelSensor::create(SensorOptions{.proc_root = proc, .clock = &clock});
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  // +10000 ticks of which +5000 idle: u = 0.5.
  write_text(proc / "stat", "cpu  6000 0 500 13000 500 0 0 0 0 0\n");
  clock.advance(10s);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  // Gold 6148: 150 W, 20 cores; 4 visible CPUs -> 30 W.
  EXPECT_NEAR((*sensor)->model().tdp_used.value(), 30.0, 1e-9);
  // P(0.5) = 30 W x 0.5^0.94 = 15.637 W; x 10 s.
  EXPECT_NEAR(sample->energy[0].value(), 156.37, 0.05);
  EXPECT_EQ((*sensor)->method(), Method::kEstimated);
  EXPECT_EQ((*sensor)->domains()[0].name, "cpu");
}

TEST(CpuModelTest, UnknownCpuUsesPerCpuDefault) {
  TempDir dir;
  const auto proc = copy_proc(dir, "unknown");
  ManualClock clock;
  auto sensor =
      CpuModelSensor::create(SensorOptions{.proc_root = proc, .clock = &clock});
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  write_text(proc / "stat", "cpu  11000 0 500 8000 500 0 0 0 0 0\n");  // u=1
  clock.advance(10s);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  EXPECT_FALSE((*sensor)->model().row);
  // 12 W x 2 logical CPUs at full load for 10 s.
  EXPECT_NEAR(sample->energy[0].value(), 240.0, 1e-6);
}

TEST(CpuModelTest, CurveEndpoints) {
  EXPECT_NEAR(cpu_power(Watts(100), 0.0).value(), 100 * kCpuIdleFraction,
              1e-12);
  EXPECT_NEAR(cpu_power(Watts(100), 1.0).value(), 100.0, 1e-12);
  EXPECT_NEAR(cpu_power(Watts(100), 2.0).value(), 100.0, 1e-12);
}

TEST(MemoryModelTest, UsedMemoryTimesWattsPerGib) {
  ManualClock clock;
  auto sensor = MemoryModelSensor::create(
      SensorOptions{.proc_root = fixture("proc/xeon"), .clock = &clock});
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  clock.advance(10s);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  // 16 GiB - 8 GiB available = 8 GiB x 0.3725 W/GiB x 10 s.
  EXPECT_NEAR(sample->energy[0].value(), 29.8, 1e-9);
}

}  // namespace
}  // namespace mlcarbon::sensors
