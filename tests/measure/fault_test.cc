// SPDX-License-Identifier: Apache-2.0
// Faults during a run: the run still completes, the affected sensor's
// energy stops at its last good reading, and the measurement says why.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/measure/monitor.h"
#include "mlcarbon/sensors/nvml.h"
#include "mlcarbon/sensors/rapl.h"

#include "support/fake_nvml.h"
#include "support/test_support.h"

namespace mlcarbon::measure {
namespace {

using mlcarbon::testing::TempDir;
using namespace std::chrono_literals;

constexpr double kTol = 1e-6;  // the counters resolve 1 uJ

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

bool any_contains(const std::vector<std::string>& lines,
                  const std::string& needle) {
  for (const std::string& line : lines) {
    if (line.find(needle) != std::string::npos)
      return true;
  }
  return false;
}

// A one-package powercap tree in a TempDir, metered by a Monitor.
class PowercapFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(root() / "intel-rapl:0/name", "package-0\n");
    write_text(root() / "intel-rapl:0/max_energy_range_uj", range_ + "\n");
    set_uj("1000000");
    auto sensor = sensors::open_powercap_sensor(
        {.powercap_root = root(), .clock = &clock_});
    ASSERT_TRUE(sensor) << sensor.error().to_string();
    std::vector<std::unique_ptr<sensors::EnergySensor>> owned;
    owned.push_back(std::move(*sensor));
    monitor_ = std::make_unique<Monitor>(std::move(owned),
                                         MonitorOptions{.clock = &clock_});
  }

  [[nodiscard]] std::filesystem::path root() const { return dir_.path(); }
  void set_uj(const std::string& text) {
    write_text(root() / "intel-rapl:0/energy_uj", text + "\n");
  }

  std::string range_ = "262143328850";
  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<Monitor> monitor_;
};

TEST_F(PowercapFaultTest, FileThatDisappearsMidRunGivesAWarning) {
  ASSERT_TRUE(monitor_->begin_window("run"));
  clock_.advance(1s);
  set_uj("3000000");  // +2 J
  monitor_->tick();
  std::filesystem::remove(root() / "intel-rapl:0/energy_uj");
  clock_.advance(1s);
  monitor_->tick();

  Result<Measurement> m = monitor_->end_window("run");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_NEAR(m->total.value(), 2.0, kTol);
  EXPECT_TRUE(any_contains(m->warnings, "sensor 'rapl-powercap' failed 2"))
      << m->warnings.size();
  EXPECT_TRUE(any_contains(m->warnings, "energy_uj"));
}

TEST_F(PowercapFaultTest, GarbageInTheCounterGivesAWarning) {
  ASSERT_TRUE(monitor_->begin_window("run"));
  clock_.advance(1s);
  set_uj("1500000");  // +0.5 J
  monitor_->tick();
  set_uj("\x01zz\xff");
  monitor_->tick();

  Result<Measurement> m = monitor_->end_window("run");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_NEAR(m->total.value(), 0.5, kTol);
  EXPECT_TRUE(any_contains(m->warnings, "not an integer"));
}

TEST_F(PowercapFaultTest, CounterGoingDownWithoutARangeIsDroppedAndWarned) {
  // Rebuild on a tree whose range is 0, as some VMs report it.
  range_ = "0";
  SetUp();
  ASSERT_TRUE(monitor_->begin_window("run"));
  clock_.advance(1s);
  set_uj("2000000");  // +1 J
  monitor_->tick();
  set_uj("500000");  // down: no wrap explains it

  Result<Measurement> m = monitor_->end_window("run");

  ASSERT_TRUE(m) << m.error().to_string();
  // Not 1.8e13 J: the impossible step is dropped.
  EXPECT_NEAR(m->total.value(), 1.0, kTol);
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_NE(m->warnings[0].find("sensor 'rapl-powercap'"), std::string::npos);
  EXPECT_NE(m->warnings[0].find("from 2000000 to 500000 uJ"), std::string::npos)
      << m->warnings[0];
}

TEST(NvmlFaultTest, ErrorsAfterStartGiveAWarningAndTheRunCompletes) {
  mlcarbon::testing::FakeNvml fake(MLCARBON_FAKE_NVML);
  ASSERT_TRUE(fake.loaded());
  // The power path, read at every tick: a steady 100 W.
  fake.reset(1);
  fake.set_device(0, "Fake GPU", "GPU-fake", /*energy_supported=*/0);
  fake.push_power_mw(0, 100000);
  ManualClock clock;
  auto sensor = sensors::open_nvml_sensor(
      {.nvml_library = MLCARBON_FAKE_NVML, .clock = &clock});
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  std::vector<std::unique_ptr<sensors::EnergySensor>> owned;
  owned.push_back(std::move(*sensor));
  Monitor monitor(std::move(owned), {.clock = &clock});
  ASSERT_TRUE(monitor.begin_window("run"));
  clock.advance(1s);
  monitor.tick();  // +100 J

  fake.set_read_error(15);  // GPU is lost
  clock.advance(1s);
  monitor.tick();
  Result<Measurement> m = monitor.end_window("run");
  fake.set_read_error(0);

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_NEAR(m->total.value(), 100.0, kTol);
  EXPECT_TRUE(any_contains(m->warnings, "sensor 'nvml' failed 2"))
      << (m->warnings.empty() ? "" : m->warnings[0]);
  EXPECT_TRUE(any_contains(m->warnings, "GPU is lost"));
}

}  // namespace
}  // namespace mlcarbon::measure
