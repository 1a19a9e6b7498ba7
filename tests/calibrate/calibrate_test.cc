// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/calibrate/calibrate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/calibrate/architectures.h"
#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/fs.h"

#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::calibrate {
namespace {

using mlcarbon::testing::FakeSensor;
using mlcarbon::testing::TempDir;
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
    o.interval = kMeterInterval;
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

  [[nodiscard]] std::string description() const override {
    return "fake engine";
  }
  [[nodiscard]] bool cuda_available() const override { return false; }
  Result<std::unique_ptr<engine::Session>> open(
      const models::Model& /*model*/, const engine::DataSpec& data,
      const engine::TrainOptions& train_options,
      const engine::Settings& /*settings*/) override {
    last_data = data;
    machine_.spend(1, open_cost);
    return std::unique_ptr<engine::Session>(
        new FakeSession(machine_, train_options.batch, infer, train,
                        cold_batches, cold_factor, data.samples));
  }

 private:
  FakeMachine& machine_;
};

models::Model small_model() {
  auto m = models::parse_shorthand("mlp:depth=2,width=8,inputs=4");
  EXPECT_TRUE(m.has_value()) << m.error().to_string();
  return *m;
}

constexpr double kRel = 1e-9;

TEST(CalibrateTest, MeasuresIAndThetaFromTheWindows) {
  FakeMachine machine;
  FakeEngine engine(machine);

  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(10.0)}, machine.meter());

  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_NEAR(c->energy_per_inference_j(), 0.002, 0.002 * kRel);
  EXPECT_NEAR(c->training.energy_per_sample_j.mean, 0.008, 0.008 * kRel);
  EXPECT_NEAR(c->theta, 4.0, 4.0 * kRel);
  EXPECT_NEAR(c->theta_spread.mean, 4.0, 4.0 * kRel);
  EXPECT_NEAR(c->inference.seconds_per_sample.mean, 1e-4, 1e-4 * kRel);
  EXPECT_NEAR(c->training.seconds_per_sample.mean, 3e-4, 3e-4 * kRel);
  EXPECT_EQ(c->inference.repeats.size(), 3U);
  EXPECT_EQ(c->training.repeats.size(), 3U);
  EXPECT_NEAR(c->inference.energy_per_sample_j.stddev, 0.0, 1e-12);
  EXPECT_EQ(c->batch, 16);
  EXPECT_EQ(c->engine, "fake engine");
  EXPECT_EQ(c->model.parameters, small_model().parameters());
  EXPECT_EQ(c->model.fingerprint, models::fingerprint(small_model()));
}

TEST(CalibrateTest, WarmupBatchesAreExcluded) {
  FakeMachine machine;
  FakeEngine engine(machine);
  engine.cold_batches = 3;
  engine.cold_factor = 20.0;

  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(10.0)}, machine.meter());

  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_GE(c->warmup.inference_batches, 3);
  EXPECT_GE(c->warmup.training_batches, 3);
  EXPECT_GT(c->warmup.energy_j, 0.0);
  // The cold batches would raise I well above 0.002 J if counted.
  EXPECT_NEAR(c->energy_per_inference_j(), 0.002, 0.002 * kRel);
  EXPECT_NEAR(c->theta, 4.0, 4.0 * kRel);
}

TEST(CalibrateTest, WindowsFillTheBudget) {
  FakeMachine machine;
  FakeEngine engine(machine);

  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(20.0)}, machine.meter());

  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_LE(c->duration_s, 20.0);
  EXPECT_GE(c->duration_s, 0.8 * 20.0);
  // Each window gets about the same share: 0.9 x what the warm-up left,
  // over 6 windows.
  const double window = c->inference.repeats[0].seconds;
  EXPECT_NEAR(c->training.repeats[0].seconds, window, 0.01 * window);
  EXPECT_GT(window, 2.0);
}

TEST(CalibrateTest, UsesTheProcessShareNotTheMachine) {
  FakeMachine machine;
  machine.share = 0.25;
  FakeEngine engine(machine);

  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(10.0)}, machine.meter());

  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_NEAR(c->energy_per_inference_j(), 0.002, 0.002 * 1e-6);
  const Repeat& r = c->inference.repeats[0];
  EXPECT_NEAR(r.machine_energy_j, 4.0 * r.energy_j, 1e-6 * r.energy_j);
}

TEST(CalibrateTest, SaysWhetherItWasMeasuredOrEstimated) {
  for (const Method method : {Method::kMeasured, Method::kEstimated}) {
    FakeMachine machine;
    machine.method = method;
    FakeEngine engine(machine);

    auto c = run_calibration(engine, small_model(),
                             {.batch = 16, .budget = Seconds(10.0)},
                             machine.meter());

    ASSERT_TRUE(c) << c.error().to_string();
    EXPECT_EQ(c->method(), method);
    EXPECT_EQ(c->inference.repeats[0].method, method);
    ASSERT_EQ(c->context.sensors.size(), 1U);
    EXPECT_EQ(c->context.sensors[0].method, method);
    const bool warned = std::any_of(
        c->warnings.begin(), c->warnings.end(), [](const std::string& w) {
          return w.find("estimated") != std::string::npos;
        });
    EXPECT_EQ(warned, method == Method::kEstimated);
  }
}

TEST(CalibrateTest, ShortWindowsAreWarnedAbout) {
  FakeMachine machine;
  FakeEngine engine(machine);

  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(2.0)}, machine.meter());

  ASSERT_TRUE(c) << c.error().to_string();
  const bool warned = std::any_of(
      c->warnings.begin(), c->warnings.end(), [](const std::string& w) {
        return w.find("shortest window") != std::string::npos;
      });
  EXPECT_TRUE(warned);
}

TEST(CalibrateTest, RefusesBadOptions) {
  EXPECT_FALSE(validate({.batch = 0}));
  EXPECT_FALSE(validate({.threads = 0}));
  EXPECT_FALSE(validate({.budget = Seconds(0.0)}));
  EXPECT_FALSE(validate({.budget = Seconds(NAN)}));
  EXPECT_FALSE(validate({.repeats = 0}));
  EXPECT_TRUE(validate({}));
}

TEST(TrainingTest, TheWindowCoversTheLoopAndTheRunTheRest) {
  FakeMachine machine;
  FakeEngine engine(machine);

  auto r = run_training(engine, small_model(),
                        {.samples = 1000, .epochs = 2, .batch = 32},
                        machine.meter());

  ASSERT_TRUE(r) << r.error().to_string();
  // 32 batches per epoch (the last one short, but the engine cycles).
  EXPECT_EQ(r->loop.batches, 64);
  EXPECT_EQ(engine.last_data.samples, 1000);
  const double loop_j = 64 * 32 * 0.008;
  EXPECT_NEAR(r->window.measurement.attributed.value(), loop_j, loop_j * kRel);
  EXPECT_NEAR(r->run.measurement.attributed.value(), loop_j + 5.0,
              (loop_j + 5.0) * kRel);
  EXPECT_NEAR(r->open_seconds, 0.5, 1e-9);
  EXPECT_EQ(r->window.name, "training");
  // 0.6 s of loop: shorter than the CPU-time sensors' resolution allows.
  const auto& warnings = r->run.measurement.warnings;
  EXPECT_TRUE(
      std::any_of(warnings.begin(), warnings.end(), [](const std::string& w) {
        return w.find("training loop lasted 0.61 s") != std::string::npos;
      }));
}

// A calibration with every field set, as run_calibration makes them.
Calibration sample_calibration() {
  FakeMachine machine;
  FakeEngine engine(machine);
  auto c =
      run_calibration(engine, small_model(),
                      {.batch = 16, .budget = Seconds(10.0)}, machine.meter());
  EXPECT_TRUE(c) << c.error().to_string();
  c->context.gpus = {"gpu-0"};
  c->context.unavailable = {"rapl-powercap: not here"};
  return *c;
}

TEST(CalibrationJsonTest, RoundTrips) {
  const Calibration c = sample_calibration();

  auto back = parse_calibration(to_json(c), "c.json");

  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(to_json(*back), to_json(c));
  EXPECT_EQ(back->model.fingerprint, c.model.fingerprint);
  EXPECT_DOUBLE_EQ(back->energy_per_inference_j(), c.energy_per_inference_j());
  EXPECT_DOUBLE_EQ(back->theta, c.theta);
  EXPECT_EQ(back->context.host, c.context.host);
  EXPECT_EQ(back->context.sensors.size(), c.context.sensors.size());
  EXPECT_EQ(back->method(), c.method());
}

TEST(CalibrationJsonTest, EveryEnergyFigureHasAMethod) {
  const std::string json = to_json(sample_calibration());

  for (const char* key :
       {"\"energy_per_inference_j\": {", "\"energy_per_sample_j\": {"}) {
    std::size_t at = 0;
    int seen = 0;
    while ((at = json.find(key, at)) != std::string::npos) {
      const std::size_t close = json.find('}', at);
      EXPECT_NE(json.substr(at, close - at).find("\"method\""),
                std::string::npos)
          << key;
      ++seen;
      at = close;
    }
    EXPECT_GT(seen, 0) << key;
  }
}

std::string with_replaced(std::string text, const std::string& from,
                          const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(CalibrationJsonTest, ErrorsNameTheFileAndTheField) {
  const std::string good = to_json(sample_calibration());
  struct Case {
    std::string from;
    std::string to;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"\"batch\": 16", "\"batch\": \"16\"", "settings.batch"},
      {"\"kind\": \"calibration\"", "\"kind\": \"run\"",
       "not an mlcarbon calibration"},
      {"\"schema_version\": 1", "\"schema_version\": 7", "schema_version"},
      {"\"fingerprint\": \"", "\"fingerprint\": 3, \"x\": \"",
       "model.fingerprint"},
      {"\"samples\": ", "\"samples\": -", "inference.repeats[0].samples"},
      {"\"method\": \"estimated\"", "\"method\": \"guessed\"", "method"},
  };
  for (const Case& k : cases) {
    auto r = parse_calibration(with_replaced(good, k.from, k.to), "c.json");
    ASSERT_FALSE(r) << k.from;
    EXPECT_NE(r.error().to_string().find("c.json"), std::string::npos)
        << r.error().to_string();
    EXPECT_NE(r.error().to_string().find(k.field), std::string::npos)
        << r.error().to_string();
  }
  auto truncated = parse_calibration(good.substr(0, good.size() / 2), "c.json");
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().to_string().find("c.json"), std::string::npos);
}

TEST(CalibrationJsonTest, AnEditedMeanIsRefused) {
  Calibration c = sample_calibration();
  c.inference.energy_per_sample_j.mean *= 2.0;

  auto r = parse_calibration(to_json(c), "c.json");

  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("inference.energy_per_sample_j.mean"),
            std::string::npos)
      << r.error().to_string();
}

TEST(CalibrationMatchTest, NamesEachDifference) {
  const Calibration c = sample_calibration();
  const Target same = target_of(c);
  EXPECT_TRUE(mismatches(c, same, "c.json").empty());

  Target other = same;
  other.fingerprint = "0000";
  other.batch = 64;
  other.device = "cuda";
  other.host = "elsewhere";
  other.cpu_model = "Other CPU";
  const auto lines = mismatches(c, other, "c.json");

  ASSERT_EQ(lines.size(), 5U);
  for (const char* what :
       {"model fingerprint", "batch", "device", "host", "CPU model"}) {
    const bool named =
        std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
          return l.find(what) != std::string::npos &&
                 l.find("c.json") != std::string::npos;
        });
    EXPECT_TRUE(named) << what;
  }
  EXPECT_NE(lines[0].find("0000"), std::string::npos);
}

TEST(CalibrationCacheTest, KeyDependsOnEveryPartOfTheTarget) {
  const Target t{.fingerprint = "abc",
                 .batch = 32,
                 .device = "cpu",
                 .threads = 1,
                 .host = "h",
                 .cpu_model = "c"};
  EXPECT_EQ(cache_key(t), cache_key(t));
  for (auto change : std::vector<void (*)(Target&)>{
           [](Target& x) { x.fingerprint = "abd"; },
           [](Target& x) { x.batch = 33; },
           [](Target& x) { x.device = "cuda"; },
           [](Target& x) { x.threads = 2; }, [](Target& x) { x.host = "g"; },
           [](Target& x) { x.cpu_model = "d"; }}) {
    Target other = t;
    change(other);
    EXPECT_NE(cache_key(other), cache_key(t));
  }
  Target hostile = t;
  hostile.fingerprint = "../../etc/passwd";
  EXPECT_EQ(cache_key(hostile).find('/'), std::string::npos);
}

TEST(CalibrationCacheTest, StoresAndFindsByTarget) {
  TempDir dir;
  const Calibration c = sample_calibration();

  auto saved = store_cached(dir.path() / "cache", c);
  ASSERT_TRUE(saved) << saved.error().to_string();
  auto found = find_cached(dir.path() / "cache", target_of(c));
  Target elsewhere = target_of(c);
  elsewhere.host = "elsewhere";
  auto missing = find_cached(dir.path() / "cache", elsewhere);

  ASSERT_TRUE(found) << found.error().to_string();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(to_json(**found), to_json(c));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST(CalibrationCacheTest, AMalformedCachedFileIsAnErrorNamingIt) {
  TempDir dir;
  const Calibration c = sample_calibration();
  auto saved = store_cached(dir.path(), c);
  ASSERT_TRUE(saved);
  ASSERT_TRUE(write_file_atomic(*saved, "{"));

  auto found = find_cached(dir.path(), target_of(c));

  ASSERT_FALSE(found);
  EXPECT_NE(found.error().to_string().find(saved->string()), std::string::npos);
}

TEST(CalibrationCacheTest, DefaultFolderFollowsXdg) {
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg-cache", 1);
  EXPECT_EQ(default_cache_dir(),
            std::filesystem::path("/tmp/xdg-cache/mlcarbon/calibrations"));
  ::unsetenv("XDG_CACHE_HOME");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_cache_dir(),
            std::filesystem::path("/home/u/.cache/mlcarbon/calibrations"));
}

TEST(SpreadTest, MeanSampleStddevAndRange) {
  const std::vector<double> v = {1.0, 2.0, 3.0, 4.0};
  const Spread s = spread_of(v);
  EXPECT_DOUBLE_EQ(s.mean, 2.5);
  EXPECT_NEAR(s.stddev, std::sqrt(5.0 / 3.0), 1e-12);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 4.0);
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(spread_of({}).count, 0);
}

TEST(ArchitecturesTest, FitAndHeldOutSetsAreDisjointAndBuild) {
  auto fit = fit_architectures();
  auto held = held_out_architectures();
  ASSERT_TRUE(fit) << fit.error().to_string();
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_GE(fit->size(), 12U);
  EXPECT_EQ(held->size(), 4U);
  for (const auto& h : *held) {
    for (const auto& f : *fit)
      EXPECT_NE(models::fingerprint(h), models::fingerprint(f)) << h.name;
  }
}

}  // namespace
}  // namespace mlcarbon::calibrate
