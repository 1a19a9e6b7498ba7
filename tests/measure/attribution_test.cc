// SPDX-License-Identifier: Apache-2.0
#include <chrono>
#include <ctime>
#include <deque>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/measure/monitor.h"

#include "support/fake_sensor.h"

namespace mlcarbon::measure {
namespace {

using mlcarbon::testing::FakeSensor;
using sensors::DomainKind;

constexpr double kTol = 1e-9;  // exact arithmetic on small doubles

// Scripted CPU-time counters: each call takes the next value, then repeats.
class FakeCpuReader final : public ProcessCpuReader {
 public:
  std::deque<double> busy;
  std::deque<double> tree;  // a negative value scripts a read failure

  Result<Seconds> machine_busy_time() override { return next(busy); }
  Result<Seconds> tree_cpu_time(int /*pid*/) override { return next(tree); }
  std::vector<int> last_tree() const override { return tree_pids; }

  std::vector<int> tree_pids;

 private:
  static Result<Seconds> next(std::deque<double>& values) {
    double v = values.front();
    if (values.size() > 1) {
      values.pop_front();
    }
    if (v < 0) {
      return make_error(Errc::kNotFound, "scripted: no such process");
    }
    return Seconds(v);
  }
};

class AttributionTest : public ::testing::Test {
 protected:
  // package-0 (CPU), dram-0 (memory), gpu-0 (GPU) on one fake sensor.
  std::unique_ptr<Monitor> make(FakeCpuReader* reader,
                                std::optional<int> pid = 42) {
    auto fake = std::make_unique<FakeSensor>(std::vector<sensors::Domain>{
        {.name = "package-0", .kind = DomainKind::kPackage},
        {.name = "dram-0", .kind = DomainKind::kDram},
        {.name = "gpu-0", .kind = DomainKind::kGpu}});
    sensor_ = fake.get();
    std::vector<std::unique_ptr<sensors::EnergySensor>> owned;
    owned.push_back(std::move(fake));
    return std::make_unique<Monitor>(
        std::move(owned),
        MonitorOptions{
            .clock = &clock_, .tracked_pid = pid, .cpu_reader = reader});
  }

  ManualClock clock_;
  FakeSensor* sensor_ = nullptr;
};

TEST_F(AttributionTest, ShareOfBusyTimeScalesCpuAndMemoryGpuInFull) {
  FakeCpuReader reader;
  // Readings: constructor, begin, end.
  reader.busy = {100.0, 100.0, 108.0};
  reader.tree = {10.0, 10.0, 16.0};
  auto monitor = make(&reader);

  ASSERT_TRUE(monitor->begin_window("w"));
  sensor_->set_energy({80.0, 20.0, 50.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  ASSERT_TRUE(m->attributed_share.has_value());
  EXPECT_NEAR(*m->attributed_share, 0.75, kTol);
  EXPECT_NEAR(m->attributed.value(), 0.75 * 100.0 + 50.0, kTol);
  EXPECT_NEAR(m->total.value(), 150.0, kTol);
}

TEST_F(AttributionTest, GpuEnergyGoesToTheTreeOnlyWhenItRunsThere) {
  FakeCpuReader reader;
  reader.busy = {100.0, 100.0, 108.0};
  reader.tree = {10.0, 10.0, 16.0};
  reader.tree_pids = {42, 43};
  auto monitor = make(&reader);
  sensor_->set_device_processes(std::vector<int>{43, 900});

  ASSERT_TRUE(monitor->begin_window("ours"));
  sensor_->set_energy({80.0, 20.0, 50.0});
  Result<Measurement> ours = monitor->end_window("ours");
  sensor_->set_device_processes(std::vector<int>{900});
  ASSERT_TRUE(monitor->begin_window("theirs"));
  sensor_->set_energy({80.0, 20.0, 90.0});
  Result<Measurement> theirs = monitor->end_window("theirs");

  ASSERT_TRUE(ours && theirs);
  EXPECT_NEAR(ours->attributed.value(), 0.75 * 100.0 + 50.0, kTol);
  // Another process's 40 J of GPU energy is not the tree's.
  EXPECT_NEAR(theirs->attributed.value(), 0.0, kTol);
  ASSERT_EQ(theirs->warnings.size(), 1U);
  EXPECT_NE(theirs->warnings[0].find("gpu-0"), std::string::npos);
}

TEST_F(AttributionTest, StopsListingGpuProcessesOnceEveryWindowSawTheTree) {
  FakeCpuReader reader;
  reader.busy = {0.0};
  reader.tree = {0.0};
  reader.tree_pids = {42};
  auto monitor = make(&reader);
  sensor_->set_device_processes(std::vector<int>{42});
  ASSERT_TRUE(monitor->begin_window("w"));
  const std::size_t at_begin = sensor_->process_lists();

  monitor->tick();  // sees the tree on gpu-0
  monitor->tick();
  monitor->tick();

  EXPECT_EQ(sensor_->process_lists(), at_begin + 1);
  ASSERT_TRUE(monitor->end_window("w"));
}

TEST_F(AttributionTest, ShareIsClampedToOne) {
  FakeCpuReader reader;
  reader.busy = {0.0, 0.0, 1.0};
  reader.tree = {0.0, 0.0, 3.0};  // tick rounding can overshoot
  auto monitor = make(&reader);

  ASSERT_TRUE(monitor->begin_window("w"));
  sensor_->set_energy({10.0, 0.0, 0.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_NEAR(*m->attributed_share, 1.0, kTol);
  EXPECT_NEAR(m->attributed.value(), 10.0, kTol);
}

TEST_F(AttributionTest, DescendantLeavingTheTreeKeepsTheTimeItUsed) {
  FakeCpuReader reader;
  // A descendant with 3 s is orphaned between ticks: the sum drops.
  reader.busy = {0.0, 0.0, 4.0, 6.0, 10.0};
  reader.tree = {0.0, 0.0, 4.0, 1.0, 3.0};
  auto monitor = make(&reader);

  ASSERT_TRUE(monitor->begin_window("w"));
  monitor->tick();
  monitor->tick();
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  // 4 s before the drop + 2 s after, of 10 s busy.
  EXPECT_NEAR(*m->attributed_share, 0.6, kTol);
}

TEST_F(AttributionTest, TrackedProcessGoneAtTheEndKeepsTimeUpToLastReading) {
  FakeCpuReader reader;
  reader.busy = {0.0, 0.0, 2.0, 4.0};
  reader.tree = {0.0, 0.0, 1.0, -1.0};
  auto monitor = make(&reader);

  ASSERT_TRUE(monitor->begin_window("w"));
  monitor->tick();
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_NEAR(*m->attributed_share, 0.5, kTol);
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_NE(m->warnings[0].find("process 42 could not be read"),
            std::string::npos);
}

TEST_F(AttributionTest, WithoutATrackedProcessTheWholeMachineIsAttributed) {
  FakeCpuReader reader;
  reader.busy = {0.0};
  reader.tree = {0.0};
  auto monitor = make(&reader, std::nullopt);

  ASSERT_TRUE(monitor->begin_window("w"));
  sensor_->set_energy({1.0, 2.0, 3.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_FALSE(m->attributed_share.has_value());
  EXPECT_NEAR(m->attributed.value(), 6.0, kTol);
}

TEST_F(AttributionTest, TrackingStartedMidWindowGivesNoShareToThatWindow) {
  FakeCpuReader reader;
  reader.busy = {0.0, 1.0, 2.0, 3.0};
  reader.tree = {0.0, 1.0, 2.0, 3.0};
  auto monitor = make(&reader, std::nullopt);

  ASSERT_TRUE(monitor->begin_window("before"));
  monitor->track_process(7);
  ASSERT_TRUE(monitor->begin_window("after"));
  Result<Measurement> before = monitor->end_window("before");
  Result<Measurement> after = monitor->end_window("after");

  ASSERT_TRUE(before && after);
  EXPECT_FALSE(before->attributed_share.has_value());
  EXPECT_TRUE(after->attributed_share.has_value());
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void spin_and_exit(double cpu_seconds) {
  volatile double x = 0;
  while (process_cpu_seconds() < cpu_seconds) {
    for (int i = 0; i < 10000; ++i) {
      x = x + 1.0;
    }
  }
  ::_exit(0);
}

// Real /proc: a child and five grandchildren spin 0.1 s of CPU each; the
// grandchildren are reaped by the child before the window ends, so their time
// must come from the child's cutime. Six spinners keep the share high even
// The share must match one computed directly from /proc over the same
// window; "share > 0.3" is asserted only when the rest of the machine was
// idle-ish, because on a shared CI machine other jobs (in other scheduler
// groups) can take most of the CPU whatever we spawn.
TEST(AttributionRealTest, BusyProcessTreeGetsMostOfTheBusyTime) {
  constexpr int kGrandchildren = 5;
  constexpr double kSpinSeconds = 0.1;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pid_t kids[kGrandchildren] = {};
    for (pid_t& kid : kids) {
      kid = ::fork();
      if (kid == 0) {
        spin_and_exit(kSpinSeconds);
      }
    }
    volatile double x = 0;
    while (process_cpu_seconds() < kSpinSeconds) {
      x = x + 1.0;
    }
    for (pid_t kid : kids) {
      int status = 0;
      ::waitpid(kid, &status, 0);
    }
    ::_exit(0);
  }
  auto reader = make_proc_cpu_reader("/proc");
  Monitor monitor(
      {}, {.interval = std::chrono::milliseconds(50), .tracked_pid = child});
  Result<Seconds> busy0 = reader->machine_busy_time();
  Result<Seconds> tree0 = reader->tree_cpu_time(child);
  ASSERT_TRUE(monitor.begin_window("run"));
  ASSERT_TRUE(monitor.start());

  // Wait for the exit without reaping, so /proc/<child> stays readable.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT),
            0);
  Result<Measurement> m = monitor.end_window("run");
  Result<Seconds> tree = reader->tree_cpu_time(child);
  Result<Seconds> busy1 = reader->machine_busy_time();
  monitor.stop();
  int status = 0;
  ::waitpid(child, &status, 0);

  ASSERT_TRUE(busy0 && tree0 && tree && busy1);
  // 0.6 s spun; clock-tick rounding and accounting lag stay well under 0.1 s.
  EXPECT_NEAR(tree->count(), (kGrandchildren + 1) * kSpinSeconds, 0.1);
  ASSERT_TRUE(m) << m.error().to_string();
  ASSERT_TRUE(m->attributed_share.has_value());
  const Seconds tree_time = *tree - *tree0;
  const Seconds busy_time = *busy1 - *busy0;
  const double direct_share = tree_time / busy_time;
  // The direct reads bracket the monitor's by a few ms of CPU time.
  EXPECT_NEAR(*m->attributed_share, direct_share, 0.05)
      << "warnings: " << (m->warnings.empty() ? "" : m->warnings[0]);
  EXPECT_LE(*m->attributed_share, 1.0);
  if (busy_time - tree_time < tree_time) {
    EXPECT_GT(*m->attributed_share, 0.3);
  } else {
    std::cout << "machine busy with other work (" << busy_time.count()
              << " s busy, " << tree_time.count()
              << " s ours): share > 0.3 not checked\n";
  }
}

}  // namespace
}  // namespace mlcarbon::measure
