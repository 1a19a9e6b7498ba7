// SPDX-License-Identifier: Apache-2.0
// A fake machine and engine for tests of code that runs models under the
// meter (calibrate, experiments): each batch moves a manual clock and a
// fake energy counter by a fixed cost per sample.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/core/clock.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/measure/pipeline.h"

#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::testing {

using std::chrono::duration;

// The tracked process has `share` of the machine's busy CPU time.
class ShareReader final : public measure::ProcessCpuReader {
 public:
  ShareReader(const ManualClock& clock, double share)
      : clock_(clock), share_(share) {}
  Result<Seconds> machine_busy_time() override { return elapsed(); }
  Result<Seconds> tree_cpu_time(int /*pid*/) override {
    return elapsed() * share_;
  }

 private:
  [[nodiscard]] Seconds elapsed() const {
    return clock_.now().time_since_epoch();
  }
  const ManualClock& clock_;
  double share_;
};

// What one batch costs the fake machine: a sample takes `joules` and
// `seconds`; the first `cold_batches` of each loop cost `cold_factor`
// times as much (allocation, caches), as a real engine's do.
struct Cost {
  double joules = 0.0;
  double seconds = 0.0;
};

struct FakeMachine {
  ManualClock clock{WallTime(std::chrono::seconds(1'767'225'600))};
  FakeSensor* sensor = nullptr;
  double energy = 0.0;
  double share = 1.0;
  Method method = Method::kEstimated;
  std::unique_ptr<ShareReader> reader;

  // Runs `samples` at `cost` per sample: the clock moves and the sensor's
  // counter grows by the machine's energy (the tracked share's / share).
  void spend(std::int64_t samples, Cost cost) {
    const auto n = static_cast<double>(samples);
    clock.advance(duration<double>(n * cost.seconds));
    energy += n * cost.joules / share;
    // Before the pipeline detects its sensor, the counter just grows.
    if (sensor != nullptr)
      sensor->set_energy({energy});
  }

  measure::PipelineOptions meter() {
    reader = std::make_unique<ShareReader>(clock, share);
    measure::PipelineOptions o;
    o.interval = calibrate::kMeterInterval;
    o.carbon = {.carbon_intensity = 100.0};
    o.sensors.clock = &clock;
    o.sensors.proc_root = mlcarbon::testing::fixture("proc/xeon");
    o.fakes = {
        .detect =
            [this] {
              auto fake = std::make_unique<FakeSensor>(
                  std::vector<sensors::Domain>{
                      {.name = "cpu", .kind = sensors::DomainKind::kCpu}},
                  method, "fake", &clock);
              fake->set_energy({energy});
              sensor = fake.get();
              sensors::Detection d;
              d.sensors.push_back(std::move(fake));
              return d;
            },
        .cpu_reader = reader.get(),
        .background = false};
    return o;
  }
};

class FakeSession final : public engine::Session {
 public:
  FakeSession(FakeMachine& machine, std::int64_t batch, Cost infer, Cost train,
              int cold_batches, double cold_factor, std::int64_t samples)
      : machine_(machine),
        batch_(batch),
        infer_(infer),
        train_(train),
        cold_batches_(cold_batches),
        cold_factor_(cold_factor),
        samples_(samples) {}

  Result<engine::LoopResult> infer(std::int64_t batches,
                                   const engine::ProgressFn&) override {
    return loop(batches, infer_, infer_done_, false);
  }
  Result<engine::LoopResult> train(
      std::int64_t batches, const engine::ProgressFn& progress) override {
    engine::LoopResult r = loop(batches, train_, train_done_, true);
    if (progress)
      progress(r.samples, r.samples);
    return r;
  }
  [[nodiscard]] const std::vector<double>& losses() const override {
    return losses_;
  }
  [[nodiscard]] std::int64_t parameters() const override { return 0; }
  [[nodiscard]] std::int64_t batches_per_epoch() const override {
    return (samples_ + batch_ - 1) / batch_;
  }

 private:
  engine::LoopResult loop(std::int64_t batches, Cost cost, std::int64_t& done,
                          bool training) {
    engine::LoopResult r;
    const SteadyTime t0 = machine_.clock.now();
    for (std::int64_t b = 0; b < batches; ++b, ++done) {
      Cost c = cost;
      if (done < cold_batches_) {
        c.joules *= cold_factor_;
        c.seconds *= cold_factor_;
      }
      machine_.spend(batch_, c);
      if (training)
        losses_.push_back(1.0);
    }
    r.batches = batches;
    r.samples = batches * batch_;
    r.seconds = Seconds(machine_.clock.now() - t0).count();
    r.mean_loss = training ? 1.0 : NAN;
    return r;
  }

  FakeMachine& machine_;
  std::int64_t batch_;
  Cost infer_;
  Cost train_;
  int cold_batches_;
  double cold_factor_;
  std::int64_t samples_;
  std::int64_t infer_done_ = 0;
  std::int64_t train_done_ = 0;
  std::vector<double> losses_;
};

class FakeEngine final : public engine::Engine {
 public:
  explicit FakeEngine(FakeMachine& machine) : machine_(machine) {}
  Cost infer{.joules = 0.002, .seconds = 1e-4};
  Cost train{.joules = 0.008, .seconds = 3e-4};
  int cold_batches = 0;
  double cold_factor = 1.0;
  // Building the model and its data: time and energy outside any loop.
  Cost open_cost{.joules = 5.0, .seconds = 0.5};
  engine::DataSpec last_data;
  int opens = 0;  ///< sessions opened

  [[nodiscard]] std::string description() const override {
    return "fake engine";
  }
  [[nodiscard]] bool cuda_available() const override { return false; }
  Result<std::unique_ptr<engine::Session>> open(
      const models::Model& /*model*/, const engine::DataSpec& data,
      const engine::TrainOptions& train_options,
      const engine::Settings& /*settings*/) override {
    last_data = data;
    ++opens;
    machine_.spend(1, open_cost);
    return std::unique_ptr<engine::Session>(
        new FakeSession(machine_, train_options.batch, infer, train,
                        cold_batches, cold_factor, data.samples));
  }

 private:
  FakeMachine& machine_;
};

}  // namespace mlcarbon::testing
