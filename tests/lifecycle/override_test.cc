// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "support/test_support.h"

namespace mlcarbon::lifecycle {
namespace {

Scenario paper() {
  auto text = read_file(testing::fixture("scenarios/paper_model_based.yaml"));
  EXPECT_TRUE(text);
  auto s = parse_scenario(*text, "paper_model_based.yaml");
  EXPECT_TRUE(s) << s.error().to_string();
  return *s;
}

double training_kwh(const Scenario& s) {
  auto f = estimate(s);
  EXPECT_TRUE(f);
  return f->phase(Phase::kTraining)->energy_kwh.central;
}

TEST(OverrideTest, EpochsScaleTraining) {
  Scenario s = paper();
  const double before = training_kwh(s);

  ASSERT_TRUE(apply_override(s, "training.epochs", "5"));

  EXPECT_NEAR(training_kwh(s), before / 2.0, 1e-15);
}

TEST(OverrideTest, RegionReplacesTheIntensity) {
  Scenario s = paper();

  ASSERT_TRUE(apply_override(s, "region", "FR"));

  EXPECT_EQ(s.region_code, "FR");
  EXPECT_LT(s.intensity_g_per_kwh.central, 400.0);
  EXPECT_NEAR(s.effective_pue().central, 1.2, 1e-12);  // given pue stays
}

TEST(OverrideTest, AcceptsRangesAndPercent) {
  Scenario s = paper();

  ASSERT_TRUE(apply_override(s, "inference.calls", "[1e8, 1e9]"));

  EXPECT_NEAR(s.inference->calls.low, 1e8, 1e-3);
  EXPECT_NEAR(s.inference->calls.high, 1e9, 1e-3);
}

TEST(OverrideTest, PerTrialFieldsChangeTheSearch) {
  Scenario s = paper();

  ASSERT_TRUE(apply_override(s, "search.per_trial.samples", "50000"));
  ASSERT_TRUE(apply_override(s, "search.trials", "10"));

  auto f = estimate(s);
  ASSERT_TRUE(f);
  // 10 trials · 10 · 50000 · 0.002 · 5 · 1.2 J = 60,000 J
  EXPECT_NEAR(f->phase(Phase::kSearch)->energy_kwh.central, 60000.0 / 3.6e6,
              1e-12);
}

struct BadOverride {
  std::string key;
  std::string value;
  std::string message;
};

class BadOverrideTest : public ::testing::TestWithParam<BadOverride> {};

TEST_P(BadOverrideTest, IsRejectedWithAClearMessage) {
  Scenario s = paper();
  const BadOverride& c = GetParam();

  auto st = apply_override(s, c.key, c.value);

  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(st.error().to_string().find(c.message), std::string::npos)
      << st.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadOverrideTest,
    ::testing::Values(
        BadOverride{"training.epochz", "5",
                    "unknown what-if key 'training.epochz', did you mean "
                    "'training.epochs'?"},
        BadOverride{"training.hours", "5",
                    "training is given by model-based, which has no such"},
        BadOverride{"training.epochs", "-1", "must not be negative"},
        BadOverride{"training.epochs", "0", "must be greater than zero"},
        BadOverride{"pue", "0.5", "must be at least 1.0"},
        BadOverride{"inference.calls", "lots", "expected a number"},
        BadOverride{"region", "Germny", "unknown region"},
        BadOverride{"hardware", "fpga", "expected cpu, gpu or tpu"},
        // The file's rules hold for a what-if too: one table of fields.
        BadOverride{"search.trials", "2.5",
                    "search.trials: must be a whole number, got 2.5"},
        BadOverride{"carbon_intensity_lb_per_kwh", "1e308",
                    "1e+308 lb CO2e/kWh is too large"},
        BadOverride{"search.runs", "3", "unknown what-if key 'search.runs'"},
        BadOverride{"training.measured_run", "3",
                    "unknown what-if key 'training.measured_run'"},
        BadOverride{"schema_version", "1",
                    "unknown what-if key 'schema_version'"}));

TEST(OverrideTest, DaysAreStoredAsHours) {
  auto s = parse_scenario(
      "carbon_intensity_g_per_kwh: 400\n"
      "search: {trials: 2, per_trial: {power_w: 100, hours: 1}}\n",
      "s.yaml");
  ASSERT_TRUE(s) << s.error().to_string();

  ASSERT_TRUE(apply_override(*s, "search.per_trial.days", "2"));
  ASSERT_TRUE(apply_override(*s, "search.per_trial.devices", "[2, 4]"));

  EXPECT_EQ(s->search->per_trial.hours, Range::exact(48.0));
  EXPECT_EQ(s->search->per_trial.devices.high, 4.0);
  EXPECT_FALSE(apply_override(*s, "search.per_trial.devices", "1.5"));
}

TEST(SweepSpecTest, ParsesKeyStartStopCount) {
  auto spec = parse_sweep_spec(" training.epochs = 1:20:20 ");

  ASSERT_TRUE(spec.has_value()) << spec.error().to_string();
  EXPECT_EQ(spec->key, "training.epochs");
  EXPECT_DOUBLE_EQ(spec->start, 1.0);
  EXPECT_DOUBLE_EQ(spec->stop, 20.0);
  EXPECT_EQ(spec->count, 20u);
}

TEST(SweepSpecTest, RefusesBadFormsAndTooManyPoints) {
  for (const char* text : {"training.epochs", "=1:2:3", "k=1:2", "k=1:2:0",
                           "k=a:2:3", "k=1:2:3:4", "k=1:2:-1"}) {
    auto spec = parse_sweep_spec(text);
    ASSERT_FALSE(spec.has_value()) << text;
    EXPECT_EQ(spec.error().code(), Errc::kInvalidArgument);
  }
  auto huge = parse_sweep_spec("inference.calls=1:1e10:1000000");
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().message().find("more than the 100000"),
            std::string::npos)
      << huge.error().message();
}

TEST(SweepTest, GivesOneFootprintPerValue) {
  const Scenario s = paper();

  auto points = sweep(s, "inference.calls", 0.0, 1e9, 5);

  ASSERT_TRUE(points);
  ASSERT_EQ(points->size(), 5u);
  EXPECT_NEAR((*points)[2].value, 5e8, 1e-3);
  // At 0 calls inference costs nothing; at 1e9 the scenario's own figure.
  EXPECT_NEAR((*points)[0].footprint.phase(Phase::kInference)->co2e_kg.central,
              0.0, 1e-15);
  EXPECT_NEAR((*points)[4].footprint.co2e_kg.central, 0.294667, 1e-6);
}

TEST(SweepTest, StopsAtTheFirstBadValue) {
  auto points = sweep(paper(), "pue", 0.5, 2.0, 4);

  EXPECT_FALSE(points);
}

}  // namespace
}  // namespace mlcarbon::lifecycle
