// SPDX-License-Identifier: Apache-2.0
// One test per kind of bad input: each error names file:line:col (1-based)
// and says what is wrong.
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "support/test_support.h"

namespace mlcarbon::lifecycle {
namespace {

// Lines 1-6 of a valid scenario; cases replace or append lines.
std::string valid(std::string_view samples = "100000",
                  std::string_view epochs = "10",
                  std::string_view energy = "0.002") {
  return "carbon_intensity_g_per_kwh: 400\n"  // 1
         "training:\n"                        // 2
         "  samples: " +
         std::string(samples) +                  // 3, value at col 12
         "\n  epochs: " + std::string(epochs) +  // 4, value at col 11
         "\n  energy_per_inference_j: " + std::string(energy) +  // 5, col 27
         "\n";
}

struct BadScenario {
  std::string what;
  std::string yaml;
  Errc code;
  std::string where;    // "s.yaml:LINE:COL: "
  std::string message;  // expected text after it
};

void PrintTo(const BadScenario& c, std::ostream* os) {
  *os << c.what;
}

class ScenarioErrorTest : public ::testing::TestWithParam<BadScenario> {};

TEST_P(ScenarioErrorTest, NamesFileLineColumnAndTheProblem) {
  const BadScenario& c = GetParam();

  auto s = parse_scenario(c.yaml, "s.yaml");

  ASSERT_FALSE(s) << c.what;
  const std::string text = s.error().to_string();
  EXPECT_EQ(s.error().code(), c.code) << text;
  EXPECT_EQ(text.rfind(c.where, 0), 0u) << text;
  EXPECT_NE(text.find(c.message), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ScenarioErrorTest,
    ::testing::Values(
        BadScenario{"unknown field",
                    "carbon_intensity_g_per_kwh: 400\ntraining:\n"
                    "  samples: 100000\n  epochz: 10\n",
                    Errc::kInvalidArgument, "s.yaml:4:3: ",
                    "unknown field 'epochz' in training, did you mean "
                    "'epochs'?"},
        BadScenario{
            "unknown top-level field", "regoin: DE\n", Errc::kInvalidArgument,
            "s.yaml:1:1: ", "unknown field 'regoin', did you mean 'region'?"},
        BadScenario{"wrong type", valid("ten"), Errc::kInvalidArgument,
                    "s.yaml:3:12: ",
                    "training.samples: expected a number, a range [low, "
                    "high] or 'value ± percent', got 'ten'"},
        BadScenario{"mapping for a number", valid("{a: 1}"),
                    Errc::kInvalidArgument, "s.yaml:3:12: ",
                    "training.samples: expected a number, a range [low, "
                    "high] or 'value ± percent', got a mapping"},
        BadScenario{"block not a mapping",
                    "carbon_intensity_g_per_kwh: 400\ntraining: 5\n",
                    Errc::kInvalidArgument, "s.yaml:2:11: ",
                    "training: expected a mapping of fields, got a scalar"},
        BadScenario{
            "negative", valid("-5"), Errc::kInvalidArgument,
            "s.yaml:3:12: ", "training.samples: must not be negative, got -5"},
        BadScenario{
            "zero", valid("100000", "0"), Errc::kInvalidArgument,
            "s.yaml:4:11: ", "training.epochs: must be greater than zero"},
        BadScenario{"NaN", valid("100000", "10", ".nan"),
                    Errc::kInvalidArgument, "s.yaml:5:27: ",
                    "training.energy_per_inference_j: '.nan' is not a finite "
                    "number"},
        BadScenario{"infinity", valid("100000", "10", ".inf"),
                    Errc::kInvalidArgument,
                    "s.yaml:5:27: ", "'.inf' is not a finite number"},
        BadScenario{"reversed range", valid("[5, 1]"), Errc::kInvalidArgument,
                    "s.yaml:3:12: ", "has its low end above its high end"},
        BadScenario{"phase given two ways", valid() + "  energy_kwh: 3\n",
                    Errc::kInvalidArgument, "s.yaml:6:3: ",
                    "training is given two ways: 'samples' (model-based) and "
                    "'energy_kwh' (measured); keep one"},
        BadScenario{"hours and days",
                    "carbon_intensity_g_per_kwh: 400\ntraining:\n"
                    "  power_w: 300\n  hours: 5\n  days: 1\n",
                    Errc::kInvalidArgument,
                    "s.yaml:5:3: ", "give 'hours' or 'days', not both"},
        BadScenario{"region and intensity",
                    "region: DE\ncarbon_intensity_g_per_kwh: 400\n"
                    "training: {energy_kwh: 1}\n",
                    Errc::kInvalidArgument, "s.yaml:2:1: ",
                    "give 'region' or 'carbon_intensity_g_per_kwh', not both"},
        BadScenario{"neither region nor intensity",
                    "training: {energy_kwh: 1}\n", Errc::kInvalidArgument,
                    "s.yaml:1:1: ", "give 'region: CODE'"},
        BadScenario{
            "unknown region", "region: Germny\ntraining: {energy_kwh: 1}\n",
            Errc::kInvalidArgument, "s.yaml:1:9: ", "unknown region 'Germny'"},
        BadScenario{"pue below one",
                    "carbon_intensity_g_per_kwh: 1\npue: 0.9\n"
                    "training: {energy_kwh: 1}\n",
                    Errc::kInvalidArgument,
                    "s.yaml:2:6: ", "pue: must be at least 1.0"},
        BadScenario{"duplicate field", valid() + "  epochs: 3\n",
                    Errc::kInvalidArgument,
                    "s.yaml:6:3: ", "field 'training.epochs' is given twice"},
        BadScenario{"no phase", "carbon_intensity_g_per_kwh: 1\n",
                    Errc::kInvalidArgument,
                    "s.yaml:1:1: ", "the scenario has no phase"},
        BadScenario{"malformed YAML",
                    "carbon_intensity_g_per_kwh: 1\ntraining:\n"
                    "  samples: [1, 2\n",
                    Errc::kParse, "s.yaml:", "malformed YAML"},
        BadScenario{"not a mapping", "- 1\n- 2\n", Errc::kInvalidArgument,
                    "s.yaml:1:1: ", "a scenario is a mapping of fields"}));

TEST(ScenarioErrorTest, MalformedYamlGivesTheParsersPosition) {
  // The flow sequence opened on line 3 never closes; yaml-cpp reports it at
  // the end of the input (line 4, column 1).
  auto s = parse_scenario(
      "carbon_intensity_g_per_kwh: 1\ntraining:\n  samples: [1, 2\n", "s.yaml");

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message().rfind("s.yaml:4:1: malformed YAML", 0), 0u)
      << s.error().message();
}

Status resolve_with(Scenario& s, const std::string& fixture_dir) {
  const auto folder = testing::fixture(fixture_dir);
  return resolve_measured_runs(s, [&](std::string_view path) {
    return read_file(folder / std::string(path));
  });
}

TEST(ScenarioErrorTest, MissingMeasuredRunNamesThePath) {
  auto s = parse_scenario(
      "region: DE\ntraining:\n  measured_run: runs/missing.json\n", "s.yaml");
  ASSERT_TRUE(s) << s.error().to_string();

  auto st = resolve_with(*s, "scenarios");

  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().to_string().rfind(
                "s.yaml:3:17: measured_run 'runs/missing.json': ", 0),
            0u)
      << st.error().to_string();
  EXPECT_FALSE(st.error().remedy().empty());
}

TEST(ScenarioErrorTest, ForeignRunFileIsNotOurs) {
  auto s = parse_scenario(
      "region: DE\ntraining:\n  measured_run: runs/not_ours.json\n", "s.yaml");
  ASSERT_TRUE(s) << s.error().to_string();

  auto st = resolve_with(*s, "scenarios");

  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().to_string(),
            "s.yaml:3:17: measured_run 'runs/not_ours.json' is not an "
            "mlcarbon run file (expected \"tool\": \"mlcarbon\" and \"kind\": "
            "\"run\")");
}

TEST(ScenarioErrorTest, NeverThrowsOnArbitraryText) {
  for (const char* text : {"", "\t", "[", "{", ": :", "a: [", "&a *a", "!!"}) {
    auto s = parse_scenario(text, "s.yaml");
    EXPECT_FALSE(s) << text;
  }
}

}  // namespace
}  // namespace mlcarbon::lifecycle
