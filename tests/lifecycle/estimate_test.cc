// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/lifecycle/estimate.h"

#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "support/test_support.h"

namespace mlcarbon::lifecycle {
namespace {

using mlcarbon::testing::fixture;

Scenario load(const std::string& name) {
  auto text = read_file(fixture("scenarios/" + name));
  EXPECT_TRUE(text) << text.error().to_string();
  auto s = parse_scenario(*text, name);
  EXPECT_TRUE(s) << s.error().to_string();
  return *s;
}

Footprint footprint_of(const Scenario& s) {
  auto f = estimate(s);
  EXPECT_TRUE(f) << f.error().to_string();
  return *f;
}

// Within 1 % of a published figure: the papers round their results.
void expect_within_1_percent(double actual, double published) {
  EXPECT_NEAR(actual, published, 0.01 * published);
}

TEST(EstimateTest, ReproducesStrubell2019BertBase) {
  // Strubell et al. 2019, Table 3, BERT-base: 1,507 kWh and 1,438 lb CO2e
  // from 12,041.51 W, 79.2 h, PUE 1.58 and 0.954 lb/kWh.
  const Scenario s = load("strubell_bert_base.yaml");

  const Footprint f = footprint_of(s);

  ASSERT_TRUE(f.phase(Phase::kTraining));
  EXPECT_EQ(f.phase(Phase::kTraining)->method, EnergyMethod::kResourceTime);
  expect_within_1_percent(f.energy_kwh.central, 1507.0);
  expect_within_1_percent(f.co2e_kg.central * 1000.0 / kGramsPerPound, 1438.0);
}

TEST(EstimateTest, ReproducesPatterson2021Gpt3) {
  // Patterson et al. 2021, Table 4, GPT-3: 1,287 MWh and 552 tCO2e from
  // 10,000 V100 x 14.8 days x 330 W, PUE 1.10, 0.429 kg/kWh.
  const Scenario s = load("patterson_gpt3.yaml");

  const Footprint f = footprint_of(s);

  expect_within_1_percent(f.energy_kwh.central / 1000.0, 1287.0);
  expect_within_1_percent(f.co2e_kg.central / 1000.0, 552.0);
}

TEST(EstimateTest, ResourceTimeIsDevicesTimesPowerTimesHoursTimesPue) {
  const Scenario s = load("patterson_gpt3.yaml");

  const Footprint f = footprint_of(s);

  // 10,000 x 330 W x (14.8 x 24) h x 1.10 = 1,289,376 kWh exactly.
  EXPECT_NEAR(f.energy_kwh.central, 10000.0 * 330.0 * 14.8 * 24.0 * 1.10 / 1e3,
              1e-6);
}

TEST(EstimateTest, ModelBasedFollowsThePapersFormulas) {
  // D = 100,000, E = 10, I = 0.002 J, θ = 5, H = 20, e = 1e9, PUE 1.2,
  // EF = 400 g/kWh.
  //   T  = E·D·I·θ·PUE = 10 · 100000 · 0.002 · 5 · 1.2 J = 12,000 J
  //   CT = H · T       = 20 · 12,000 J                   = 240,000 J
  //   Ie = e · I · PUE = 1e9 · 0.002 · 1.2 J             = 2,400,000 J
  //   E_life = 12,000 + 240,000 + 2,400,000 J = 2,652,000 J
  //          = 2,652,000 / 3.6e6 kWh = 0.736667 kWh
  //   CO2eq  = 0.736667 kWh · 400 g/kWh = 294.667 g = 0.294667 kg
  //   inference share = 2,400,000 / 2,652,000 = 0.904977
  //   break-even = (CT + T) / (I · PUE) = 252,000 / 0.0024 = 1.05e8 calls
  const Scenario s = load("paper_model_based.yaml");

  const Footprint f = footprint_of(s);

  ASSERT_TRUE(f.phase(Phase::kSearch) && f.phase(Phase::kTraining) &&
              f.phase(Phase::kInference));
  constexpr double kJ = 1e-9;  // relative rounding of doubles, in kWh
  EXPECT_NEAR(f.phase(Phase::kTraining)->energy_kwh.central, 12000.0 / 3.6e6,
              kJ);
  EXPECT_NEAR(f.phase(Phase::kSearch)->energy_kwh.central, 240000.0 / 3.6e6,
              kJ);
  EXPECT_NEAR(f.phase(Phase::kInference)->energy_kwh.central, 2400000.0 / 3.6e6,
              kJ);
  EXPECT_NEAR(f.energy_kwh.central, 2652000.0 / 3.6e6, kJ);
  EXPECT_NEAR(f.co2e_kg.central, 0.294667, 1e-6);
  EXPECT_NEAR(f.phase(Phase::kInference)->share, 0.904977, 1e-6);
  ASSERT_TRUE(f.break_even_calls);
  EXPECT_NEAR(f.break_even_calls->central, 1.05e8, 1e-3);
  EXPECT_TRUE(f.energy_kwh.is_exact());
  for (const auto& p : f.phases) {
    EXPECT_EQ(p->method, EnergyMethod::kModelBased);
  }
}

TEST(EstimateTest, UncertainInputsGiveLowCentralAndHigh) {
  // samples [50000, 150000] (central 100000, the midpoint), I 0.002 ± 20 %:
  //   training low  = 10 · 50000 · 0.0016 · 5 J = 4,000 J
  //   training high = 10 · 150000 · 0.0024 · 5 J = 18,000 J
  // calls [1e8, 1e10] spans 100x: central is the geometric mean 1e9;
  // per call 0.002 ± 10 %:
  //   inference low = 1e8 · 0.0018 J = 180,000 J, high = 1e10 · 0.0022 J
  const Scenario s = load("uncertain.yaml");

  const Footprint f = footprint_of(s);

  const auto& t = f.phase(Phase::kTraining)->device_energy_j;
  EXPECT_NEAR(t.low, 4000.0, 1e-6);
  EXPECT_NEAR(t.central, 10000.0, 1e-6);
  EXPECT_NEAR(t.high, 18000.0, 1e-6);
  const auto& i = f.phase(Phase::kInference)->device_energy_j;
  EXPECT_NEAR(i.low, 1.8e5, 1e-3);
  EXPECT_NEAR(i.central, 2e6, 1e-3);
  EXPECT_NEAR(i.high, 2.2e7, 1e-3);
  EXPECT_NEAR(f.co2e_kg.low, (4000.0 + 1.8e5) / 3.6e6 * 0.4, 1e-9);
  EXPECT_NEAR(f.co2e_kg.high, (18000.0 + 2.2e7) / 3.6e6 * 0.4, 1e-9);
}

TEST(EstimateTest, MeasuredRunsUseTotalEnergyBeforePue) {
  // runs/train.json: energy.total_j 7.2e6 J = 2 kWh; runs/serve.json 360 J
  // for 100,000 calls = 0.0036 J a call; 30 calls/s for 730 days =
  // 1.89216e9 calls. DE is a country: PUE 1.0 (a local machine).
  Scenario s = load("measured.yaml");
  const auto folder = fixture("scenarios");
  ASSERT_TRUE(resolve_measured_runs(s, [&](std::string_view path) {
    return read_file(folder / std::string(path));
  }));

  const Footprint f = footprint_of(s);

  EXPECT_EQ(f.phase(Phase::kTraining)->method, EnergyMethod::kMeasured);
  EXPECT_EQ(f.phase(Phase::kInference)->method, EnergyMethod::kMeasured);
  EXPECT_NEAR(f.phase(Phase::kTraining)->energy_kwh.central, 2.0, 1e-12);
  EXPECT_NEAR(f.phase(Phase::kInference)->device_energy_j.central,
              0.0036 * 30.0 * 730.0 * 86400.0, 1e-3);
  EXPECT_NEAR(f.pue.central, 1.0, 1e-12);
}

TEST(EstimateTest, UnresolvedMeasuredRunIsAnError) {
  const Scenario s = load("measured.yaml");

  auto f = estimate(s);

  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("measured.yaml:5:17"), std::string::npos)
      << f.error().message();
}

// Found by scenario_fuzz and measured_run_fuzz: products of huge inputs
// came out as inf (or NaN), printed as "inf" and written as JSON null.
TEST(EstimateTest, OverflowingInputsAreAnErrorNamingThePhase) {
  auto model = parse_scenario(
      "name: big\ncarbon_intensity_g_per_kwh: 400\n"
      "training: {samples: 1e308, epochs: 10, energy_per_inference_j: 0.1}\n",
      "big.yaml");
  auto measured = parse_scenario(
      "name: big\ncarbon_intensity_g_per_kwh: 400\n"
      "inference: {measured_run: run.json, calls_in_run: 1e-300, calls: 10}\n",
      "run.yaml");
  ASSERT_TRUE(model && measured);
  ASSERT_TRUE(resolve_measured_runs(
      *measured, [](std::string_view) -> Result<std::string> {
        return R"({"tool": "mlcarbon", "kind": "run",
                   "energy": {"total_j": 1e308}})";
      }));

  auto from_model = estimate(*model);
  auto from_run = estimate(*measured);

  ASSERT_FALSE(from_model);
  EXPECT_EQ(from_model.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(from_model.error().message().find(
                "big.yaml: the training energy is too large"),
            std::string::npos)
      << from_model.error().message();
  ASSERT_FALSE(from_run);
  EXPECT_NE(from_run.error().message().find("inference energy is too large"),
            std::string::npos)
      << from_run.error().message();
}

TEST(EstimateTest, LeftOutPhasesAreAbsentAndCountZero) {
  const Scenario s = load("strubell_bert_base.yaml");

  const Footprint f = footprint_of(s);

  EXPECT_FALSE(f.phase(Phase::kSearch));
  EXPECT_FALSE(f.phase(Phase::kInference));
  EXPECT_FALSE(f.break_even_calls);
  EXPECT_NEAR(f.phase(Phase::kTraining)->share, 1.0, 1e-12);
}

TEST(RecommendTest, CoversRegionHardwareSearchAndInference) {
  const Scenario s = load("paper_model_based.yaml");
  const Footprint f = footprint_of(s);

  const auto recs = recommend(s, f);

  std::vector<std::string> topics;
  for (const auto& r : recs)
    topics.push_back(r.topic);
  EXPECT_EQ(topics, (std::vector<std::string>{"region", "hardware", "hardware",
                                              "search", "inference"}));
  // The cleanest country emits less than this 400 g/kWh scenario.
  ASSERT_TRUE(recs[0].co2e_kg);
  EXPECT_LT(recs[0].co2e_kg->central, f.co2e_kg.central);
  // GPU instead of CPU: 10x less (rule of thumb).
  EXPECT_TRUE(recs[1].rule_of_thumb);
  EXPECT_NEAR(recs[1].co2e_kg->central, f.co2e_kg.central / 10.0, 1e-12);
  // Half the search: total minus half of CT's 240,000 J · 400 g/kWh.
  EXPECT_NEAR(recs[3].co2e_kg->central,
              f.co2e_kg.central - 120000.0 / 3.6e6 * 0.4, 1e-12);
}

}  // namespace
}  // namespace mlcarbon::lifecycle
