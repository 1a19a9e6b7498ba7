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

#include "support/fake_engine.h"
#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::calibrate {
namespace {

using mlcarbon::testing::Cost;
using mlcarbon::testing::FakeEngine;
using mlcarbon::testing::FakeMachine;
using mlcarbon::testing::FakeSensor;
using mlcarbon::testing::TempDir;
using std::chrono::duration;

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

TEST(TrainingTest, InferenceOverTheSameSamplesHasAWindowOfItsOwn) {
  FakeMachine machine;
  FakeEngine engine(machine);

  auto r = run_training(
      engine, small_model(),
      {.samples = 1000, .epochs = 2, .batch = 32, .measure_inference = true},
      machine.meter());

  ASSERT_TRUE(r) << r.error().to_string();
  ASSERT_TRUE(r->inference_loop && r->inference_window);
  EXPECT_EQ(r->inference_window->name, "inference");
  EXPECT_EQ(r->inference_loop->batches, 64);
  // The unmeasured batch before each window is in neither figure.
  const double infer_j = 64 * 32 * 0.002;
  const double train_j = 64 * 32 * 0.008;
  EXPECT_NEAR(r->inference_window->measurement.attributed.value(), infer_j,
              infer_j * kRel);
  EXPECT_NEAR(r->window.measurement.attributed.value(), train_j,
              train_j * kRel);
  const double primes = 32 * (0.002 + 0.008);
  EXPECT_NEAR(r->run.measurement.attributed.value(),
              infer_j + train_j + primes + 5.0, 1e-6);
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

TEST(CalibrationCacheTest, OtherSensorsOrPinnedFiguresDoNotMatch) {
  TempDir dir;
  const Calibration c = sample_calibration();
  ASSERT_FALSE(c.context.sensors.empty());
  ASSERT_TRUE(store_cached(dir.path(), c));
  // What a --tdp 48 run would describe: the same sensor, other figures.
  Target pinned = target_of(c);
  pinned.sensors = {"cpu-model: TDP 48.0 W x load curve (flag --tdp)"};
  Target unchecked = target_of(c);
  unchecked.sensors.clear();

  auto found = find_cached(dir.path(), pinned);
  const auto lines = mismatches(c, pinned, "c.json");

  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_FALSE(found->has_value());
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("sensors"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("TDP 48.0 W"), std::string::npos) << lines[0];
  EXPECT_TRUE(mismatches(c, unchecked, "c.json").empty());
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
