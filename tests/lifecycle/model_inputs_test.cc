// SPDX-License-Identifier: Apache-2.0
// Scenario phases whose energy per sample comes from a model: what the
// parser records, how resolve_model_inputs() fills it in, and the errors.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kPredictTraining =
    "carbon_intensity_g_per_kwh: 400\n"        // 1
    "profile: lab.json\n"                      // 2
    "training:\n"                              // 3
    "  model: mlp:depth=2,width=8,inputs=4\n"  // 4
    "  samples: 1000\n"                        // 5
    "  epochs: 2\n"                            // 6
    "  energy_per_inference_j: predict\n"      // 7
    "inference:\n"                             // 8
    "  model: net.yaml\n"                      // 9
    "  profile: other.json\n"                  // 10
    "  energy_per_call_j: predict\n"           // 11
    "  samples_per_call: 4\n"                  // 12
    "  calls: 100\n";                          // 13

// A resolver that answers every request with fixed figures and records
// what it was asked.
struct FakeResolver {
  std::vector<ModelRequest> asked;
  ModelEnergy answer{
      Range::exact(0.5), Range::exact(3.0), "fake source", {"a warning"}};

  ModelResolver get() {
    return [this](const ModelRequest& r) -> Result<ModelEnergy> {
      asked.push_back(r);
      return answer;
    };
  }
};

Scenario parse(std::string_view yaml) {
  auto s = parse_scenario(yaml, "s.yaml");
  EXPECT_TRUE(s.has_value()) << s.error().to_string();
  return s ? *s : Scenario{};
}

std::string error_of(std::string_view yaml) {
  auto s = parse_scenario(yaml, "s.yaml");
  return s ? std::string("(parsed)") : s.error().message();
}

TEST(ModelInputsTest, TheParserRecordsTheRequests) {
  const Scenario s = parse(kPredictTraining);

  ASSERT_TRUE(s.training->model.has_value());
  const ModelRequest& t = *s.training->model;
  EXPECT_EQ(t.way, ModelWay::kPredict);
  EXPECT_EQ(t.model, "mlp:depth=2,width=8,inputs=4");
  EXPECT_EQ(t.model_pos.line, 4);
  EXPECT_EQ(t.model_pos.column, 10);
  EXPECT_EQ(t.profile, "lab.json");  // the top level's
  EXPECT_EQ(t.profile_pos.line, 2);
  EXPECT_EQ(t.way_pos.line, 7);
  EXPECT_EQ(t.where, "training");
  EXPECT_EQ(t.field, "energy_per_inference_j");
  EXPECT_EQ(t.origin, "s.yaml");
  EXPECT_FALSE(t.overhead_given);
  EXPECT_FALSE(t.resolved);
  ASSERT_TRUE(s.inference->model.has_value());
  EXPECT_EQ(s.inference->model->profile, "other.json");  // the block's
  EXPECT_EQ(s.inference->model->samples_per_call, Range::exact(4.0));
}

TEST(ModelInputsTest, EstimateRefusesAnUnresolvedRequest) {
  const Scenario s = parse(kPredictTraining);

  auto f = estimate(s);

  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().message(),
            "s.yaml:7:27: training.energy_per_inference_j: 'predict' was not "
            "resolved: the model's energy is obtained before estimating "
            "(mlcarbon estimate does it; a library caller calls "
            "lifecycle::resolve_model_inputs)");
}

TEST(ModelInputsTest, ResolvingFillsIThetaAndPerCallEnergy) {
  Scenario s = parse(kPredictTraining);
  FakeResolver fake;

  ASSERT_TRUE(resolve_model_inputs(s, fake.get()).has_value());
  auto f = estimate(s);

  ASSERT_EQ(fake.asked.size(), 2U);
  EXPECT_EQ(s.training->energy_per_inference_j, Range::exact(0.5));
  EXPECT_EQ(s.training->overhead, Range::exact(3.0));
  EXPECT_EQ(s.inference->energy_per_call_j, Range::exact(2.0));  // 4 samples
  EXPECT_EQ(s.training->model->warnings, std::vector<std::string>{"a warning"});
  ASSERT_TRUE(f.has_value()) << f.error().to_string();
  // T = E · D · I · θ = 2 · 1000 · 0.5 · 3
  EXPECT_DOUBLE_EQ(f->phase(Phase::kTraining)->device_energy_j.central, 3000.0);
  EXPECT_DOUBLE_EQ(f->phase(Phase::kInference)->device_energy_j.central, 200.0);
  const auto inputs = model_inputs(s);
  ASSERT_EQ(inputs.size(), 3U);
  EXPECT_EQ(inputs[0].field, "training.energy_per_inference_j");
  EXPECT_EQ(inputs[0].source, "fake source");
  EXPECT_EQ(inputs[1].field, "training.overhead");
  EXPECT_EQ(inputs[1].value, Range::exact(3.0));
  EXPECT_EQ(inputs[2].field, "inference.energy_per_call_j");
}

TEST(ModelInputsTest, AGivenOverheadIsKept) {
  std::string yaml(kPredictTraining);
  yaml.replace(yaml.find("  epochs: 2\n"), 12, "  epochs: 2\n  overhead: 7\n");
  Scenario s = parse(yaml);
  FakeResolver fake;

  ASSERT_TRUE(resolve_model_inputs(s, fake.get()).has_value());

  EXPECT_EQ(s.training->overhead, Range::exact(7.0));
  // Only I came from the model.
  ASSERT_EQ(model_inputs(s).size(), 2U);
  EXPECT_EQ(model_inputs(s)[1].field, "inference.energy_per_call_j");
}

TEST(ModelInputsTest, SearchTrialsAndRunsAskToo) {
  Scenario s = parse(
      "carbon_intensity_g_per_kwh: 400\n"
      "search:\n"
      "  runs:\n"
      "    - {model: a.yaml, samples: 10, epochs: 1, "
      "energy_per_inference_j: calibrate}\n"
      "    - {calibration: b.json, samples: 10, epochs: 1}\n");
  FakeResolver fake;

  ASSERT_TRUE(resolve_model_inputs(s, fake.get()).has_value());

  ASSERT_EQ(fake.asked.size(), 2U);
  EXPECT_EQ(fake.asked[0].way, ModelWay::kCalibrate);
  EXPECT_EQ(fake.asked[0].where, "search.runs[1]");
  EXPECT_EQ(fake.asked[1].way, ModelWay::kCalibration);
  EXPECT_EQ(fake.asked[1].calibration, "b.json");
  EXPECT_EQ(fake.asked[1].model, "");
  EXPECT_TRUE(estimate(s).has_value());
}

TEST(ModelInputsTest, AResolverErrorIsReturned) {
  Scenario s = parse(kPredictTraining);
  ModelResolver failing = [](const ModelRequest& r) -> Result<ModelEnergy> {
    return make_error(Errc::kInvalidArgument, "{}:{}:{}: no such model",
                      r.origin, r.model_pos.line, r.model_pos.column);
  };

  auto ok = resolve_model_inputs(s, failing);

  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(ok.error().message(), "s.yaml:4:10: no such model");
}

TEST(ModelInputsTest, AResolverThatGivesNoEnergyIsAnError) {
  Scenario s = parse(kPredictTraining);
  FakeResolver fake;
  fake.answer.inference_j_per_sample = Range::exact(0.0);

  auto ok = resolve_model_inputs(s, fake.get());

  ASSERT_FALSE(ok.has_value());
  EXPECT_EQ(ok.error().message(),
            "s.yaml:7:27: training.energy_per_inference_j: fake source gave "
            "0 [0 to 0] J per inference, not a positive range");
}

TEST(ModelInputsTest, AnOverheadWhoseRangeCrossesZeroIsAnErrorShowingIt) {
  Scenario s = parse(kPredictTraining);
  FakeResolver fake;
  fake.answer.overhead = Range{.low = -1.0, .central = 2.0, .high = 5.0};

  auto ok = resolve_model_inputs(s, fake.get());

  ASSERT_FALSE(ok.has_value());
  EXPECT_THAT(ok.error().message(),
              HasSubstr("gave an overhead θ of 2 [-1 to 5], not a positive "
                        "range"));
}

TEST(ModelInputsTest, AWhatIfReplacesAPredictedFigureAndItsLabel) {
  Scenario s = parse(kPredictTraining);
  FakeResolver fake;
  ASSERT_TRUE(resolve_model_inputs(s, fake.get()).has_value());

  ASSERT_TRUE(
      apply_override(s, "training.energy_per_inference_j", "0.1").has_value());

  EXPECT_EQ(s.training->energy_per_inference_j, Range::exact(0.1));
  EXPECT_EQ(model_inputs(s)[0].source,
            "set by the what-if training.energy_per_inference_j");
  EXPECT_EQ(model_inputs(s)[1].source, "fake source");
}

struct BadCase {
  std::string what;
  std::string yaml;
  std::string message;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.what;
}

class ModelFieldErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ModelFieldErrorTest, NamesThePositionAndTheProblem) {
  EXPECT_EQ(error_of(GetParam().yaml), GetParam().message);
}

constexpr std::string_view kHead = "carbon_intensity_g_per_kwh: 400\n";

INSTANTIATE_TEST_SUITE_P(
    Scenarios, ModelFieldErrorTest,
    ::testing::Values(
        BadCase{"predict without a profile",
                std::string(kHead) +
                    "training: {model: m.yaml, samples: 1, epochs: 1, "
                    "energy_per_inference_j: predict}\n",
                "s.yaml:2:74: training.energy_per_inference_j: 'predict' "
                "needs a machine profile: 'profile: FILE' in training or at "
                "the top level"},
        BadCase{"predict without a model",
                std::string(kHead) + "profile: p.json\n"
                                     "training: {samples: 1, epochs: 1, "
                                     "energy_per_inference_j: predict}\n",
                "s.yaml:3:59: training.energy_per_inference_j: 'predict' "
                "needs 'model: FILE|SHORTHAND' in training"},
        BadCase{"a word that is not a way",
                std::string(kHead) + "training: {samples: 1, epochs: 1, "
                                     "energy_per_inference_j: foo}\n",
                "s.yaml:2:59: training.energy_per_inference_j: expected a "
                "number (J), a range [low, high], 'value ± percent', "
                "'predict' or 'calibrate', got 'foo'"},
        BadCase{"the inference block's word",
                std::string(kHead) +
                    "inference: {energy_per_call_j: predictt, calls: 1}\n",
                "s.yaml:2:32: inference.energy_per_call_j: expected a number "
                "(J), a range [low, high], 'value ± percent', 'predict' or "
                "'calibrate', got 'predictt'"},
        BadCase{"calibration and a number",
                std::string(kHead) +
                    "training: {samples: 1, epochs: 1, "
                    "energy_per_inference_j: 2, calibration: c.json}\n",
                "s.yaml:2:62: training is given two ways: "
                "'energy_per_inference_j' and 'calibration'; keep one"},
        BadCase{"a model with a number",
                std::string(kHead) +
                    "training: {model: m.yaml, samples: 1, epochs: 1, "
                    "energy_per_inference_j: 2}\n",
                "s.yaml:2:12: training.model goes with "
                "'energy_per_inference_j: predict' or "
                "'energy_per_inference_j: calibrate', or with 'calibration: "
                "FILE.json'"},
        BadCase{"a profile without predict",
                std::string(kHead) +
                    "training: {model: m.yaml, profile: p.json, samples: 1, "
                    "epochs: 1, energy_per_inference_j: calibrate}\n",
                "s.yaml:2:27: training.profile goes with "
                "'energy_per_inference_j: predict'"},
        BadCase{
            "a model with measured energy",
            std::string(kHead) + "training: {model: m.yaml, energy_kwh: 3}\n",
            "s.yaml:2:12: training.model goes with model-based energy, "
            "but training is given by measured"},
        BadCase{"samples_per_call with a number",
                std::string(kHead) +
                    "inference: {energy_per_call_j: 1, samples_per_call: 2, "
                    "calls: 1}\n",
                "s.yaml:2:35: inference.samples_per_call goes with "
                "'energy_per_call_j: predict' or 'energy_per_call_j: "
                "calibrate', or with 'calibration: FILE.json'"},
        BadCase{"a measured run and a model",
                std::string(kHead) +
                    "inference: {measured_run: r.json, calls_in_run: 5, "
                    "model: m.yaml, calls: 1}\n",
                "s.yaml:2:52: inference.model goes with model-based energy, "
                "but inference is given by measured"},
        BadCase{"samples_per_call of zero",
                std::string(kHead) +
                    "inference: {model: m.yaml, energy_per_call_j: "
                    "calibrate, samples_per_call: 0, calls: 1}\n",
                "s.yaml:2:76: inference.samples_per_call: must be greater "
                "than zero, got 0"}));

}  // namespace
}  // namespace mlcarbon::lifecycle
