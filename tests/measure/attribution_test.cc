// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/attribution.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlcarbon/measure/monitor.h"

#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::measure {
namespace {

using mlcarbon::testing::FakeSensor;
using mlcarbon::testing::TempDir;
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
  std::optional<std::uint64_t> last_tree_rss_bytes() const override {
    return rss;
  }
  std::optional<std::uint64_t> machine_memory_bytes() override {
    return memory_total;
  }

  std::vector<int> tree_pids;
  std::optional<std::uint64_t> rss;
  std::optional<std::uint64_t> memory_total;

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

TEST_F(AttributionTest, MemoryModelEnergyGoesByResidentShareNotCpuShare) {
  FakeCpuReader reader;
  reader.busy = {100.0, 100.0, 108.0};
  reader.tree = {10.0, 10.0, 16.0};
  reader.rss = 1ULL << 30;
  reader.memory_total = 16ULL << 30;
  auto fake = std::make_unique<FakeSensor>(std::vector<sensors::Domain>{
      {.name = "cpu", .kind = DomainKind::kCpu},
      {.name = "memory", .kind = DomainKind::kMemory}});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<sensors::EnergySensor>> owned;
  owned.push_back(std::move(fake));
  Monitor monitor(std::move(owned), MonitorOptions{.clock = &clock_,
                                                   .tracked_pid = 42,
                                                   .cpu_reader = &reader});

  ASSERT_TRUE(monitor.begin_window("w"));
  sensor->set_energy({80.0, 32.0});
  Result<Measurement> m = monitor.end_window("w");

  ASSERT_TRUE(m);
  ASSERT_TRUE(m->attributed_memory_share.has_value());
  EXPECT_NEAR(*m->attributed_memory_share, 1.0 / 16.0, kTol);
  // CPU by CPU time (0.75), memory by resident share (1 of 16 GiB).
  EXPECT_NEAR(m->attributed.value(), 0.75 * 80.0 + 32.0 / 16.0, kTol);
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

// --- The Attribution unit on its own ---

TEST(AttributionUnitTest, ShareIsTheTreesPositiveStepsOverTheMachines) {
  FakeCpuReader reader;
  reader.busy = {0.0, 4.0, 6.0, 10.0};
  reader.tree = {0.0, 4.0, 1.0, 3.0};  // a descendant left between reads
  Attribution attribution(reader, 0);
  attribution.track(42);  // reads 0, 0
  const AttributionMark mark = attribution.mark();

  attribution.read_cpu();
  attribution.read_cpu();
  attribution.read_cpu();
  const AttributedShare share = attribution.share_since(mark);

  ASSERT_TRUE(share.share.has_value());
  EXPECT_NEAR(*share.share, 0.6, kTol);  // (4 + 2) / 10
  EXPECT_TRUE(share.warnings.empty());
}

TEST(AttributionUnitTest, NoTrackedProcessGivesNoShareAndNoWarning) {
  FakeCpuReader reader;
  reader.busy = {0.0};
  reader.tree = {0.0};
  Attribution attribution(reader, 0);

  attribution.read_cpu();
  const AttributedShare share = attribution.share_since(attribution.mark());

  EXPECT_FALSE(share.share.has_value());
  EXPECT_TRUE(share.warnings.empty());
}

TEST(AttributionUnitTest, UnreadableTreeAtTheMarkGivesNoShareAndAWarning) {
  FakeCpuReader reader;
  reader.busy = {0.0};
  reader.tree = {-1.0};
  Attribution attribution(reader, 0);
  attribution.track(7);

  const AttributedShare share = attribution.share_since(attribution.mark());

  EXPECT_FALSE(share.share.has_value());
  ASSERT_EQ(share.warnings.size(), 1U);
  EXPECT_NE(share.warnings[0].find("process 7 could not be read"),
            std::string::npos);
}

TEST(AttributionUnitTest, GpuIsOursWhenTheTreeRanOnItOrNoListWasRead) {
  FakeCpuReader reader;
  reader.busy = {0.0};
  reader.tree = {0.0};
  reader.tree_pids = {42, 43};
  Attribution attribution(reader, 3);
  attribution.track(42);
  ASSERT_TRUE(attribution.wants_gpu_lists());
  const AttributionMark mark = attribution.mark();
  const std::vector<int> ours = {900, 43};
  const std::vector<int> theirs = {900};

  attribution.record_gpu_processes(0, ours);
  attribution.record_gpu_processes(1, theirs);
  attribution.record_gpu_processes(1, theirs);

  EXPECT_TRUE(attribution.gpu_is_ours(0, mark));
  EXPECT_TRUE(attribution.gpu_seen_since(0, mark));
  EXPECT_FALSE(attribution.gpu_is_ours(1, mark));
  EXPECT_EQ(attribution.gpu_lists_since(1, mark), 2U);
  EXPECT_TRUE(attribution.gpu_is_ours(2, mark));  // never listed
  EXPECT_FALSE(attribution.gpu_seen_since(2, mark));
}

// --- Monitor with the real /proc reader on a fixture /proc ---

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A <pid>/stat line with ppid and utime stime cutime cstime in ticks.
void write_stat(const std::filesystem::path& root, int pid, int ppid, int utime,
                int stime, int cutime, int cstime) {
  write_file(root / std::to_string(pid) / "stat",
             fmt::format("{} (spin) R {} 1 1 0 -1 4194304 98 0 0 0 {} {} {} "
                         "{} 20 0 1 0 81775 3133440 390\n",
                         pid, ppid, utime, stime, cutime, cstime));
}

// /proc/stat with `user` ticks of user time and `idle` ticks idle.
void write_machine(const std::filesystem::path& root, int user, int idle) {
  write_file(root / "stat", fmt::format("cpu  {} 0 0 {} 0 0 0 0 0 0\n"
                                        "cpu0 {} 0 0 {} 0 0 0 0 0 0\n",
                                        user, idle, user, idle));
}

// A child and five grandchildren spin; the grandchildren are reaped by the
// child before the window ends, so their time comes from its cutime. The
// rest of the machine does 40 ticks of other work.
TEST(AttributionProcTest, BusyProcessTreeGetsItsShareOfTheBusyTime) {
  TempDir dir;
  const std::filesystem::path proc = dir.path();
  write_machine(proc, 1000, 5000);
  write_stat(proc, 1, 0, 500, 0, 0, 0);
  write_stat(proc, 100, 1, 0, 0, 0, 0);
  ManualClock clock;
  Monitor monitor({}, {.clock = &clock, .tracked_pid = 100, .proc_root = proc});
  ASSERT_TRUE(monitor.begin_window("run"));

  // Mid-run: the child spun 10 ticks, five grandchildren 10 each (alive).
  clock.advance(std::chrono::milliseconds(500));
  write_stat(proc, 100, 1, 10, 0, 0, 0);
  for (int kid = 101; kid <= 105; ++kid)
    write_stat(proc, kid, 100, 10, 0, 0, 0);
  write_machine(proc, 1000 + 60 + 20, 5100);
  monitor.tick();
  // The end: grandchildren reaped into the child's cutime; 40 other ticks.
  clock.advance(std::chrono::milliseconds(500));
  for (int kid = 101; kid <= 105; ++kid)
    std::filesystem::remove_all(proc / std::to_string(kid));
  write_stat(proc, 100, 1, 10, 0, 50, 0);
  write_machine(proc, 1000 + 60 + 40, 5200);
  Result<Measurement> m = monitor.end_window("run");

  ASSERT_TRUE(m) << m.error().to_string();
  ASSERT_TRUE(m->attributed_share.has_value());
  EXPECT_TRUE(m->warnings.empty()) << m->warnings[0];
  // 60 ticks of the tree's in 100 busy ticks, whatever the tick rate.
  EXPECT_NEAR(*m->attributed_share, 60.0 / 100.0, kTol);
}

}  // namespace
}  // namespace mlcarbon::measure
