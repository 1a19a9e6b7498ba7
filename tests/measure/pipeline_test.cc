// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/pipeline.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/measure/tracker.h"

#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::measure {
namespace {

using mlcarbon::testing::FakeSensor;
using mlcarbon::testing::TempDir;
using sensors::DomainKind;
using std::chrono::minutes;

constexpr double kTol = 1e-9;
// 2026-01-01T00:30:00Z: the run crosses the 01:00 boundary of the series.
const WallTime kStart = WallTime(std::chrono::seconds(1'767'227'400));

// Scripted CPU time: the tree always has half the machine's busy time.
class HalfCpuReader final : public ProcessCpuReader {
 public:
  explicit HalfCpuReader(const ManualClock& clock) : clock_(clock) {}
  Result<Seconds> machine_busy_time() override { return elapsed(); }
  Result<Seconds> tree_cpu_time(int /*pid*/) override {
    return elapsed() * 0.5;
  }

 private:
  [[nodiscard]] Seconds elapsed() const {
    return clock_.now().time_since_epoch();
  }
  const ManualClock& clock_;
};

// One fake machine: a clock, a package and a GPU counter, /proc, and an
// hourly series (100 g/kWh until 01:00, 300 after).
class FakeMachine {
 public:
  FakeMachine() : clock_(kStart), reader_(clock_) {
    series_ = dir_.path() / "series.csv";
    std::ofstream(series_) << "timestamp,g_per_kwh\n"
                              "2026-01-01T00:00:00Z,100\n"
                              "2026-01-01T01:00:00Z,300\n"
                              "2026-01-01T02:00:00Z,300\n";
  }

  PipelineOptions options() {
    PipelineOptions o;
    o.project = "p";
    o.carbon = {.region = "FR", .intensity_series = series_, .pue = 1.2};
    o.interval = Seconds(60.0);
    o.sensors.clock = &clock_;
    o.sensors.proc_root = mlcarbon::testing::fixture("proc/xeon");
    o.fakes = {.detect = [this] { return detect(); },
               .cpu_reader = &reader_,
               .background = false};
    return o;
  }

  // The timeline: every 15 minutes the package uses 900 J and the GPU
  // 300 J, for an hour from 00:30.
  template <typename Tick>
  void play(Tick tick, int quarters = 4) {
    for (int q = 1; q <= quarters; ++q) {
      clock_.advance(minutes(15));
      sensor_->set_energy({900.0 * q, 300.0 * q});
      tick();
    }
  }

  ManualClock& clock() { return clock_; }
  FakeSensor* sensor() { return sensor_; }

 private:
  sensors::Detection detect() {
    auto fake = std::make_unique<FakeSensor>(
        std::vector<sensors::Domain>{
            {.name = "package-0", .kind = DomainKind::kPackage},
            {.name = "gpu-0", .kind = DomainKind::kGpu}},
        Method::kMeasured, "fake", &clock_);
    sensor_ = fake.get();
    sensors::Detection d;
    d.sensors.push_back(std::move(fake));
    return d;
  }

  TempDir dir_;
  std::filesystem::path series_;
  ManualClock clock_;
  HalfCpuReader reader_;
  FakeSensor* sensor_ = nullptr;
};

// 4800 J over the hour: half before 01:00 at 100 g/kWh, half after at 300,
// so 200 g/kWh on average; x 1.2 PUE.
constexpr double kTotalJ = 4800.0;
constexpr double kMeanIntensity = 200.0;
constexpr double kCo2eG = kTotalJ / 3.6e6 * 1.2 * kMeanIntensity;
// Half of the package, all of the GPU.
constexpr double kAttributedJ = 0.5 * 3600.0 + 1200.0;

TEST(PipelineTest, TrackerAndTheCliPathMakeTheSameRun) {
  FakeMachine cli_machine;
  PipelineOptions cli_options = cli_machine.options();
  Seconds last_status{0};
  cli_options.on_status = [&](Seconds elapsed, Joules) {
    last_status = elapsed;
  };
  auto cli = Pipeline::create(std::move(cli_options));
  ASSERT_TRUE(cli.has_value()) << cli.error().to_string();
  ASSERT_TRUE((*cli)->start(4242));  // the command's pid
  cli_machine.play([&] { (*cli)->tick(); });
  Result<measure::Run> from_cli = (*cli)->stop();

  FakeMachine tracker_machine;
  PipelineOptions o = tracker_machine.options();
  auto tracker = Tracker::create({.project = o.project,
                                  .carbon = o.carbon,
                                  .interval = o.interval,
                                  .sensors = o.sensors,
                                  .fakes = o.fakes});
  ASSERT_TRUE(tracker.has_value()) << tracker.error().to_string();
  ASSERT_TRUE(tracker->start());
  tracker_machine.play([&] { tracker->tick(); });
  Result<measure::Run> from_tracker = tracker->stop();

  ASSERT_TRUE(from_cli.has_value()) << from_cli.error().to_string();
  ASSERT_TRUE(from_tracker.has_value()) << from_tracker.error().to_string();
  for (const measure::Run* run : {&*from_cli, &*from_tracker}) {
    EXPECT_NEAR(run->measurement.total.value(), kTotalJ, kTol);
    EXPECT_NEAR(run->measurement.attributed.value(), kAttributedJ, kTol);
    EXPECT_NEAR(run->carbon.intensity.value(), kMeanIntensity, kTol);
    EXPECT_NEAR(run->co2e.value(), kCo2eG, kTol);
    EXPECT_TRUE(run->carbon.time_varying);
    EXPECT_EQ(run->measurement.start, kStart);
    EXPECT_TRUE(run->measurement.warnings.empty())
        << run->measurement.warnings[0];
  }
  EXPECT_EQ(from_cli->measurement.total, from_tracker->measurement.total);
  EXPECT_EQ(from_cli->co2e, from_tracker->co2e);
  EXPECT_EQ(from_cli->attributed_co2e, from_tracker->attributed_co2e);
  EXPECT_EQ(from_cli->measurement.name, "run");
  EXPECT_EQ(from_tracker->measurement.name, "tracker");
  EXPECT_NE(from_cli->run_id, from_tracker->run_id);
  EXPECT_NEAR(last_status.count(), 3600.0, kTol);
  // Both keep the power of every quarter: 1 W package, 1/3 W GPU.
  for (const measure::Run* run : {&*from_cli, &*from_tracker}) {
    const Timeline& t = run->timeline;
    ASSERT_EQ(t.size(), 4U);
    ASSERT_EQ(t.domains.size(), 2U);
    EXPECT_EQ(t.domains[0].domain, "package-0");
    for (std::size_t i = 0; i < t.size(); ++i) {
      EXPECT_NEAR(t.start_s[i], 900.0 * static_cast<double>(i), kTol);
      EXPECT_NEAR(t.duration_s[i], 900.0, kTol);
      EXPECT_NEAR(t.domains[0].mean_w[i], 1.0, kTol);
      EXPECT_NEAR(t.domains[1].mean_w[i], 1.0 / 3.0, kTol);
    }
  }
}

TEST(PipelineTest, TimelineHoldsTheRunsEnergyPerDomain) {
  FakeMachine machine;
  auto pipeline = Pipeline::create(machine.options());
  ASSERT_TRUE(pipeline.has_value()) << pipeline.error().to_string();
  ASSERT_TRUE((*pipeline)->start());
  // Uneven steps, with a window whose edges add readings in between.
  double package = 0.0;
  for (int step = 1; step <= 9; ++step) {
    machine.clock().advance(std::chrono::seconds(37 * step));
    package += 11.0 * step * step;
    machine.sensor()->set_energy({package, 2.0 * package});
    if (step == 3) {
      ASSERT_TRUE((*pipeline)->begin_window("w"));
    }
    if (step == 6) {
      ASSERT_TRUE((*pipeline)->end_window("w"));
    }
    (*pipeline)->tick();
  }

  Result<measure::Run> run = (*pipeline)->stop();

  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  const Timeline& t = run->timeline;
  ASSERT_FALSE(t.empty());
  for (std::size_t d = 0; d < 2; ++d) {
    double sum = 0.0;
    for (std::size_t i = 0; i < t.size(); ++i)
      sum += t.domains[d].mean_w[i] * t.duration_s[i];
    EXPECT_NEAR(sum, run->measurement.domains[d].energy.value(), 1e-9);
  }
}

TEST(PipelineTest, TimelineCanBeTurnedOff) {
  FakeMachine machine;
  PipelineOptions options = machine.options();
  options.timeline_points = 0;
  auto pipeline = Pipeline::create(std::move(options));
  ASSERT_TRUE(pipeline.has_value()) << pipeline.error().to_string();
  ASSERT_TRUE((*pipeline)->start());
  machine.play([&] { (*pipeline)->tick(); });

  Result<measure::Run> run = (*pipeline)->stop();

  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  EXPECT_TRUE(run->timeline.empty());
}

TEST(PipelineTest, TrackerWindowsOverlapAndArePricedByTheirHours) {
  FakeMachine machine;
  PipelineOptions o = machine.options();
  auto tracker = Tracker::create({.carbon = o.carbon,
                                  .interval = o.interval,
                                  .sensors = o.sensors,
                                  .fakes = o.fakes});
  ASSERT_TRUE(tracker.has_value()) << tracker.error().to_string();
  ASSERT_TRUE(tracker->start());
  int quarter = 0;
  Result<WindowRecord> early = make_error(Errc::kNotFound, "not ended");
  Result<WindowRecord> late = early;

  // "early" spans 00:30-01:00, "late" 00:45-01:30: they overlap.
  ASSERT_TRUE(tracker->begin_window("early"));
  machine.play([&] {
    ++quarter;
    tracker->tick();
    if (quarter == 1) {
      ASSERT_TRUE(tracker->begin_window("late"));
    } else if (quarter == 2) {
      early = tracker->end_window("early");
    }
  });
  late = tracker->end_window("late");
  ASSERT_TRUE(tracker->begin_window("left-open"));
  Result<measure::Run> run = tracker->stop();

  ASSERT_TRUE(early && late && run);
  // early: 2400 J at 100 g/kWh.
  EXPECT_NEAR(early->measurement.total.value(), 2400.0, kTol);
  EXPECT_NEAR(early->intensity.value(), 100.0, kTol);
  EXPECT_NEAR(early->co2e.value(), 2400.0 / 3.6e6 * 1.2 * 100.0, kTol);
  // late: 1200 J at 100 then 2400 J at 300 g/kWh.
  EXPECT_NEAR(late->measurement.total.value(), 3600.0, kTol);
  EXPECT_NEAR(late->co2e.value(),
              (1200.0 * 100.0 + 2400.0 * 300.0) / 3.6e6 * 1.2, kTol);
  ASSERT_EQ(run->windows.size(), 2U);
  EXPECT_EQ(run->windows[0].name, "early");
  EXPECT_EQ(run->windows[1].name, "late");
  EXPECT_EQ(run->windows[1].co2e, late->co2e);
  // The run itself is unchanged by the cuts at window edges.
  EXPECT_NEAR(run->co2e.value(), kCo2eG, kTol);
  ASSERT_EQ(run->measurement.warnings.size(), 1U);
  EXPECT_NE(run->measurement.warnings[0].find("'left-open'"),
            std::string::npos);
}

TEST(PipelineTest, WindowNamesOfThePipelineAreReserved) {
  FakeMachine machine;
  auto pipeline = Pipeline::create(machine.options());
  ASSERT_TRUE(pipeline.has_value());

  EXPECT_FALSE((*pipeline)->begin_window("a"));  // not started
  ASSERT_TRUE((*pipeline)->start());
  EXPECT_FALSE((*pipeline)->begin_window("run"));
  EXPECT_FALSE((*pipeline)->begin_window("mlcarbon.segment"));
  EXPECT_FALSE((*pipeline)->end_window("nope"));
  EXPECT_TRUE((*pipeline)->stop());
}

TEST(PipelineTest, NonFiniteOrNegativeIdleBaselineIsRejected) {
  for (const double bad : {std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(), -1.0}) {
    FakeMachine machine;
    PipelineOptions o = machine.options();
    o.idle_baseline = Seconds(bad);

    auto pipeline = Pipeline::create(std::move(o));

    ASSERT_FALSE(pipeline.has_value()) << bad;
    EXPECT_EQ(pipeline.error().code(), Errc::kInvalidArgument);
    EXPECT_NE(pipeline.error().message().find("idle baseline"),
              std::string::npos);
  }
}

TEST(PipelineTest, TrackerGetsTheSameValidation) {
  TrackerOptions o;
  o.carbon.region = "FR";
  o.idle_baseline = Seconds(std::numeric_limits<double>::infinity());

  EXPECT_FALSE(Tracker::create(o).has_value());
  o.idle_baseline = Seconds(0);
  o.interval = Seconds(std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(Tracker::create(o).has_value());
}

TEST(PipelineTest, IdleBaselineIsMeasuredBeforeTheRun) {
  FakeMachine machine;
  PipelineOptions o = machine.options();
  o.idle_baseline = Seconds(10.0);
  o.fakes.sleep = [&](Seconds d) {
    machine.clock().advance(d);
    machine.sensor()->set_energy({100.0, 0.0});  // 10 W idle package
  };
  auto pipeline = Pipeline::create(std::move(o));
  ASSERT_TRUE(pipeline.has_value()) << pipeline.error().to_string();

  ASSERT_TRUE((*pipeline)->start());
  machine.clock().advance(minutes(1));
  machine.sensor()->set_energy({100.0 + 1200.0, 0.0});  // 20 W
  Result<measure::Run> run = (*pipeline)->stop();

  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  EXPECT_NEAR(run->measurement.total.value(), 1200.0, kTol);
  // 10 W idle over 60 s.
  EXPECT_NEAR(run->measurement.above_idle.value(), 600.0, kTol);
}

TEST(PipelineTest, SensorFailingMidRunGivesAWarningNotAnError) {
  FakeMachine machine;
  auto pipeline = Pipeline::create(machine.options());
  ASSERT_TRUE(pipeline.has_value());
  ASSERT_TRUE((*pipeline)->start());

  machine.play([&] { (*pipeline)->tick(); }, 2);
  machine.sensor()->fail_next(1000);
  machine.play([&] { (*pipeline)->tick(); }, 2);
  Result<measure::Run> run = (*pipeline)->stop();

  ASSERT_TRUE(run.has_value()) << run.error().to_string();
  // The energy stops at the last good reading: the first half hour.
  EXPECT_NEAR(run->measurement.total.value(), 2400.0, kTol);
  ASSERT_FALSE(run->measurement.warnings.empty());
  EXPECT_NE(run->measurement.warnings[0].find("sensor 'fake' failed"),
            std::string::npos)
      << run->measurement.warnings[0];
}

}  // namespace
}  // namespace mlcarbon::measure
