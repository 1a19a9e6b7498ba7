// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/monitor.h"

#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"

#include "support/fake_sensor.h"

namespace mlcarbon::measure {
namespace {

using mlcarbon::testing::FakeSensor;
using sensors::Domain;
using sensors::DomainKind;
using std::chrono::seconds;

constexpr double kTolJ = 1e-9;  // exact arithmetic on small doubles

class MonitorTest : public ::testing::Test {
 protected:
  // A monitor over `sensors` on the manual clock; no thread is started.
  std::unique_ptr<Monitor> make(std::vector<std::unique_ptr<FakeSensor>> fakes,
                                MonitorOptions options = {}) {
    std::vector<std::unique_ptr<sensors::EnergySensor>> owned;
    for (auto& f : fakes) {
      owned.push_back(std::move(f));
    }
    options.clock = &clock_;
    return std::make_unique<Monitor>(std::move(owned), std::move(options));
  }

  ManualClock clock_;
};

TEST_F(MonitorTest, WindowEnergyIsEndMinusBeginCumulative) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  sensor->set_energy({100.0});
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));

  sensor->set_energy({110.0});
  ASSERT_TRUE(monitor->begin_window("train"));
  clock_.advance(seconds(2));
  sensor->set_energy({130.0});
  Result<Measurement> m = monitor->end_window("train");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->name, "train");
  EXPECT_NEAR(m->duration.count(), 2.0, kTolJ);
  ASSERT_EQ(m->domains.size(), 1U);
  EXPECT_EQ(m->domains[0].domain, "package-0");
  EXPECT_EQ(m->domains[0].sensor, "fake");
  EXPECT_NEAR(m->domains[0].energy.value(), 20.0, kTolJ);
  EXPECT_NEAR(m->domains[0].average_power.value(), 10.0, kTolJ);
  EXPECT_NEAR(m->total.value(), 20.0, kTolJ);
  EXPECT_NEAR(m->above_idle.value(), 20.0, kTolJ);
  EXPECT_NEAR(m->attributed.value(), 20.0, kTolJ);
  EXPECT_FALSE(m->attributed_share.has_value());
  EXPECT_EQ(m->samples, 2U);
  EXPECT_EQ(m->method(), Method::kMeasured);
  EXPECT_TRUE(m->warnings.empty());
  EXPECT_EQ(std::chrono::duration_cast<seconds>(m->end - m->start).count(), 2);
}

TEST_F(MonitorTest, OverlappingAndNestedWindowsEachGetTheirOwnEnergy) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));

  sensor->set_energy({10.0});
  ASSERT_TRUE(monitor->begin_window("a"));
  sensor->set_energy({20.0});
  ASSERT_TRUE(monitor->begin_window("b"));
  sensor->set_energy({25.0});
  ASSERT_TRUE(monitor->begin_window("inner"));
  sensor->set_energy({28.0});
  Result<Measurement> inner = monitor->end_window("inner");
  sensor->set_energy({35.0});
  Result<Measurement> a = monitor->end_window("a");
  sensor->set_energy({50.0});
  Result<Measurement> b = monitor->end_window("b");

  ASSERT_TRUE(inner && a && b);
  EXPECT_NEAR(inner->total.value(), 3.0, kTolJ);
  EXPECT_NEAR(a->total.value(), 25.0, kTolJ);
  EXPECT_NEAR(b->total.value(), 30.0, kTolJ);
  EXPECT_TRUE(monitor->open_windows().empty());
}

TEST_F(MonitorTest, NestedDomainsAreReportedButNotAddedToTotal) {
  std::vector<Domain> domains = {
      {.name = "package-0", .kind = DomainKind::kPackage},
      {.name = "core-0", .kind = DomainKind::kCore, .nested = true},
      {.name = "dram-0", .kind = DomainKind::kDram}};
  auto fake = std::make_unique<FakeSensor>(domains);
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));

  sensor->set_energy({0.0, 0.0, 0.0});
  ASSERT_TRUE(monitor->begin_window("w"));
  sensor->set_energy({50.0, 30.0, 5.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  ASSERT_EQ(m->domains.size(), 3U);
  EXPECT_TRUE(m->domains[1].nested);
  EXPECT_NEAR(m->domains[1].energy.value(), 30.0, kTolJ);
  EXPECT_NEAR(m->total.value(), 55.0, kTolJ);
}

TEST_F(MonitorTest, MethodIsEstimatedWhenAnyCountedDomainIsAModel) {
  auto counter =
      FakeSensor::with_domains({"package-0"}, Method::kMeasured, "rapl");
  auto model =
      FakeSensor::with_domains({"memory"}, Method::kEstimated, "memory-model");
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(counter));
  fakes.push_back(std::move(model));
  auto monitor = make(std::move(fakes));

  ASSERT_TRUE(monitor->begin_window("w"));
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_EQ(m->domains[0].method, Method::kMeasured);
  EXPECT_EQ(m->domains[1].method, Method::kEstimated);
  EXPECT_EQ(m->method(), Method::kEstimated);
}

TEST_F(MonitorTest, UnknownAndDuplicateWindowNamesAreErrors) {
  auto monitor = make({});

  ASSERT_TRUE(monitor->begin_window("w"));
  Status duplicate = monitor->begin_window("w");
  Result<Measurement> unknown = monitor->end_window("nope");
  Status cancel_unknown = monitor->cancel_window("nope");
  Status cancel = monitor->cancel_window("w");
  Result<Measurement> after_cancel = monitor->end_window("w");

  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().code(), Errc::kInvalidArgument);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code(), Errc::kNotFound);
  EXPECT_FALSE(cancel_unknown);
  EXPECT_TRUE(cancel);
  EXPECT_FALSE(after_cancel);
}

TEST_F(MonitorTest, CountersAreReadAtWindowEdgesNotOnlyAtTicks) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  // An hour between ticks: only the edges can see these readings.
  auto monitor = make(std::move(fakes), {.interval = std::chrono::hours(1)});
  ASSERT_TRUE(monitor->start());

  sensor->set_energy({7.0});
  ASSERT_TRUE(monitor->begin_window("w"));
  sensor->set_energy({19.5});
  Result<Measurement> m = monitor->end_window("w");
  monitor->stop();

  ASSERT_TRUE(m);
  EXPECT_NEAR(m->total.value(), 12.5, kTolJ);
}

TEST_F(MonitorTest, TicksBetweenEdgesAreCountedInSamples) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));

  ASSERT_TRUE(monitor->begin_window("w"));
  sensor->set_energy({1.0});
  monitor->tick();
  sensor->set_energy({2.0});
  monitor->tick();
  sensor->set_energy({3.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_EQ(m->samples, 4U);
  EXPECT_NEAR(m->total.value(), 3.0, kTolJ);
}

TEST_F(MonitorTest, SyncHookRunsBeforeTheEdgeReading) {
  auto fake = FakeSensor::with_domains({"gpu-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  int calls = 0;
  double queued_work = 0.0;
  // The hook "finishes queued device work", which moves the counter.
  auto monitor = make(std::move(fakes), {.sync = [&] {
                        ++calls;
                        queued_work += 4.0;
                        sensor->set_energy({queued_work});
                      }});

  ASSERT_TRUE(monitor->begin_window("w"));
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_EQ(calls, 2);
  EXPECT_NEAR(m->total.value(), 4.0, kTolJ);
}

TEST_F(MonitorTest, IdleBaselineSubtractsIdlePowerTimesDuration) {
  auto fake = FakeSensor::with_domains({"package-0", "dram-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor =
      make(std::move(fakes), {.sleep = [&](Seconds d) {
             clock_.advance(d);
             sensor->set_energy({100.0 + 5.0 * d.count(), 1.0 * d.count()});
           }});
  sensor->set_energy({100.0, 0.0});

  Result<IdleBaseline> idle = monitor->measure_idle(seconds(10));
  ASSERT_TRUE(idle) << idle.error().to_string();
  ASSERT_TRUE(monitor->begin_window("w"));  // package 150 J, dram 10 J
  clock_.advance(seconds(4));
  sensor->set_energy({210.0, 12.0});  // +60 J over 20 J idle; +2 J under 4 J
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_EQ(idle->domains.size(), 2U);
  EXPECT_NEAR(idle->duration.count(), 10.0, kTolJ);
  EXPECT_NEAR(idle->domains[0].power.value(), 5.0, kTolJ);
  EXPECT_NEAR(idle->domains[1].power.value(), 1.0, kTolJ);
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->domains[0].idle_energy.value(), 20.0, kTolJ);
  EXPECT_NEAR(m->domains[1].idle_energy.value(), 4.0, kTolJ);
  EXPECT_NEAR(m->total.value(), 62.0, kTolJ);
  // Clamped per domain: dram's -2 J does not cancel package's +40 J.
  EXPECT_NEAR(m->above_idle.value(), 40.0, kTolJ);
}

TEST_F(MonitorTest, SavedIdleBaselineIsMatchedByDomainName) {
  auto fake = FakeSensor::with_domains({"package-0", "dram-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));
  monitor->set_idle_baseline(
      {.duration = seconds(5),
       .domains = {
           {.sensor = "fake", .domain = "dram-0", .power = Watts(2)},
           {.sensor = "other", .domain = "package-0", .power = Watts(99)}}});

  ASSERT_TRUE(monitor->begin_window("w"));
  clock_.advance(seconds(3));
  sensor->set_energy({30.0, 9.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_NEAR(m->domains[0].idle_energy.value(), 0.0, kTolJ);
  EXPECT_NEAR(m->domains[1].idle_energy.value(), 6.0, kTolJ);
  EXPECT_NEAR(m->above_idle.value(), 33.0, kTolJ);
}

TEST_F(MonitorTest, StartMeasuresIdleBaselineFromOptions) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes), {.interval = std::chrono::hours(1),
                                         .idle_baseline = seconds(2),
                                         .sleep = [&](Seconds d) {
                                           clock_.advance(d);
                                           sensor->set_energy({6.0});
                                         }});

  Status started = monitor->start();
  monitor->stop();

  ASSERT_TRUE(started) << started.error().to_string();
  ASSERT_TRUE(monitor->idle_baseline().has_value());
  EXPECT_NEAR(monitor->idle_baseline()->domains[0].power.value(), 3.0, kTolJ);
}

TEST_F(MonitorTest, FailingSensorGivesAWarningAndKeepsTheOthers) {
  auto good = FakeSensor::with_domains({"package-0"}, Method::kMeasured, "a");
  auto bad = FakeSensor::with_domains({"gpu-0"}, Method::kMeasured, "b");
  FakeSensor* good_sensor = good.get();
  FakeSensor* bad_sensor = bad.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(good));
  fakes.push_back(std::move(bad));
  auto monitor = make(std::move(fakes));

  ASSERT_TRUE(monitor->begin_window("w"));
  good_sensor->set_energy({10.0});
  bad_sensor->set_energy({4.0});
  monitor->tick();
  bad_sensor->set_energy({8.0});
  bad_sensor->fail_next(1000);  // dead until the end of the window
  monitor->tick();
  good_sensor->set_energy({25.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_NEAR(m->domains[0].energy.value(), 25.0, kTolJ);
  // Its energy stops at its last good reading.
  EXPECT_NEAR(m->domains[1].energy.value(), 4.0, kTolJ);
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_NE(m->warnings[0].find("sensor 'b' failed 2 of 4 readings"),
            std::string::npos)
      << m->warnings[0];
}

TEST_F(MonitorTest, SensorThatRecoversLosesNoEnergy) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));

  ASSERT_TRUE(monitor->begin_window("w"));
  sensor->fail_next(1);
  monitor->tick();
  sensor->set_energy({12.0});
  Result<Measurement> m = monitor->end_window("w");

  ASSERT_TRUE(m);
  EXPECT_NEAR(m->total.value(), 12.0, kTolJ);
  EXPECT_EQ(m->warnings.size(), 1U);
}

TEST_F(MonitorTest, SamplingThreadTicksAtTheInterval) {
  auto fake = FakeSensor::with_domains({"package-0"});
  FakeSensor* sensor = fake.get();
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor =
      make(std::move(fakes), {.interval = std::chrono::milliseconds(2)});
  const std::size_t before = sensor->samples();

  ASSERT_TRUE(monitor->start());
  // Real thread: wait for a few ticks, with a generous cap for a loaded CI.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sensor->samples() < before + 5 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  monitor->stop();

  EXPECT_GE(sensor->samples(), before + 5);
  EXPECT_FALSE(monitor->running());
}

TEST_F(MonitorTest, StopReturnsPromptlyWithALongInterval) {
  auto monitor = make({}, {.interval = std::chrono::hours(1)});
  ASSERT_TRUE(monitor->start());
  Status again = monitor->start();

  const auto t0 = std::chrono::steady_clock::now();
  monitor->stop();
  const auto waited = std::chrono::steady_clock::now() - t0;

  EXPECT_FALSE(again);
  // It must not wait out the hour; 5 s is far above any scheduling delay.
  EXPECT_LT(waited, std::chrono::seconds(5));
  EXPECT_FALSE(monitor->running());
}

TEST_F(MonitorTest, StopInterruptsARealIdleMeasurement) {
  auto monitor = make({}, {.idle_baseline = std::chrono::hours(1)});

  std::thread stopper([&] {
    while (monitor->readings() < 2) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    monitor->stop();
  });
  Status started = monitor->start();
  stopper.join();

  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), Errc::kCancelled);
}

TEST_F(MonitorTest, WindowsWorkFromSeveralThreads) {
  auto fake = FakeSensor::with_domains({"package-0"});
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor =
      make(std::move(fakes), {.interval = std::chrono::milliseconds(1)});
  ASSERT_TRUE(monitor->start());

  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string name = "w" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        if (monitor->begin_window(name) && monitor->end_window(name)) {
          ++ok[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  monitor->stop();

  for (int n : ok) {
    EXPECT_EQ(n, 50);
  }
}

TEST_F(MonitorTest, TicksSkipSensorsThatNeedNoPeriodicReads) {
  auto fake = FakeSensor::with_domains({"gpu-0"});
  FakeSensor* sensor = fake.get();
  sensor->set_periodic(false);
  std::vector<std::unique_ptr<FakeSensor>> fakes;
  fakes.push_back(std::move(fake));
  auto monitor = make(std::move(fakes));
  ASSERT_TRUE(monitor->begin_window("w"));
  const std::size_t at_begin = sensor->samples();

  monitor->tick();
  monitor->tick();
  sensor->set_energy({25.0});
  Result<Measurement> m = monitor->end_window("w");

  // No reads at ticks, one at the window's end, and the energy is right.
  EXPECT_EQ(sensor->samples(), at_begin + 1);
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->total.value(), 25.0, kTolJ);
}

}  // namespace
}  // namespace mlcarbon::measure
