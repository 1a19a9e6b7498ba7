// SPDX-License-Identifier: Apache-2.0
// One test per kind of bad input: each error names file:line:col (1-based)
// and says what is wrong.
#include <cstddef>
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
        BadScenario{"embodied: unknown device kind",
                    valid() + "embodied:\n  device: tpu\n  hours: 10\n",
                    Errc::kInvalidArgument, "s.yaml:7:11: ",
                    "embodied.device: unknown device kind 'tpu' for embodied "
                    "emissions; expected one of: vcpu, gpu"},
        BadScenario{"embodied: no hours",
                    valid() + "embodied:\n  device: gpu\n  count: 8\n",
                    Errc::kInvalidArgument,
                    "s.yaml:7:3: ", "embodied needs 'hours' (or 'days')"},
        BadScenario{
            "embodied: hours and days",
            valid() + "embodied:\n  device: gpu\n  hours: 1\n  days: 1\n",
            Errc::kInvalidArgument,
            "s.yaml:9:3: ", "embodied: give 'hours' or 'days', not both"},
        BadScenario{"embodied: fractional count",
                    valid() + "embodied:\n  - device: gpu\n    count: 1.5\n"
                              "    hours: 2\n",
                    Errc::kInvalidArgument,
                    "s.yaml:8:12: ", "embodied[1].count: "},
        BadScenario{"embodied: negative hours",
                    valid() + "embodied:\n  device: vcpu\n  hours: -3\n",
                    Errc::kInvalidArgument,
                    "s.yaml:8:10: ", "embodied.hours: must not be negative"},
        BadScenario{"embodied: unknown field",
                    valid() + "embodied:\n  device: gpu\n  hourz: 3\n",
                    Errc::kInvalidArgument, "s.yaml:8:3: ",
                    "unknown field 'hourz' in embodied, did you mean "
                    "'hours'?"},
        BadScenario{"embodied: not a mapping", valid() + "embodied: 8\n",
                    Errc::kInvalidArgument, "s.yaml:6:11: ",
                    "embodied: expected a mapping (device, count, hours) or "
                    "a non-empty list of them, got"},
        BadScenario{"embodied: no device",
                    valid() + "embodied:\n  - count: 2\n    hours: 1\n",
                    Errc::kInvalidArgument, "s.yaml:7:5: ",
                    "embodied[1] needs 'device' (one of: vcpu, gpu)"},
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
                    "s.yaml:1:1: ", "a scenario is a mapping of fields"},
        BadScenario{"fractional trials",
                    "carbon_intensity_g_per_kwh: 400\n"
                    "search: {trials: 2.5, per_trial: {energy_kwh: 1}}\n",
                    Errc::kInvalidArgument, "s.yaml:2:18: ",
                    "search.trials: must be a whole number, got 2.5"},
        BadScenario{"fractional devices",
                    "carbon_intensity_g_per_kwh: 400\ntraining:\n"
                    "  power_w: 300\n  hours: 5\n  devices: 0.5\n",
                    Errc::kInvalidArgument, "s.yaml:5:12: ",
                    "training.devices: must be a whole number, got 0.5"},
        BadScenario{"fractional end of a device range",
                    "carbon_intensity_g_per_kwh: 400\ntraining:\n"
                    "  power_w: 300\n  hours: 5\n  devices: [1, 7.5]\n",
                    Errc::kInvalidArgument, "s.yaml:5:12: ",
                    "training.devices: must be a whole number, got 7.5"},
        BadScenario{"days overflowing as hours",
                    "carbon_intensity_g_per_kwh: 400\ntraining:\n"
                    "  power_w: 300\n  days: 1e308\n",
                    Errc::kInvalidArgument,
                    "s.yaml:4:9: ", "training.days: 1e+308 d is too large"},
        BadScenario{"percent overflowing",
                    valid("100000", "10", "'1e308 ± 50%'"),
                    Errc::kInvalidArgument,
                    "s.yaml:5:27: ", "is not a finite range of numbers"},
        BadScenario{"second document",
                    valid() + "---\ninference: {energy_per_call_j: 1, "
                              "calls: 5}\n",
                    Errc::kParse, "s.yaml:7: ",
                    "a second YAML document; put one scenario per file"},
        BadScenario{"not UTF-8", "name: caf\xE9\n" + valid(), Errc::kParse,
                    "s.yaml:1:10: ",
                    "byte 0xE9 is not UTF-8; save the scenario as UTF-8"},
        BadScenario{"not UTF-8 after multibyte text",
                    "name: \xC3\xA9t\xC3\n" + valid(), Errc::kParse,
                    "s.yaml:1:9: ", "byte 0xC3 is not UTF-8"},
        BadScenario{"surrogate escape", "name: \"\\ud800\"\n" + valid(),
                    Errc::kParse,
                    "s.yaml:1:14: ", "malformed YAML: invalid unicode"},
        BadScenario{"nested deeper than the limit",
                    "description: " + std::string(40, '[') +
                        std::string(40, ']') + "\n" + valid(),
                    Errc::kParse,
                    "s.yaml:1:46: ", "nested more than 32 levels deep"},
        BadScenario{"nested deeper than yaml-cpp goes",
                    "description: " + std::string(3000, '[') +
                        std::string(3000, ']') + "\n" + valid(),
                    Errc::kParse, "s.yaml:",
                    "malformed YAML: nested more than 32 levels deep"}));

TEST(ScenarioLimitTest, ByteOrderMarkIsSkipped) {
  // An editor's BOM is not part of the first key, and positions stay as an
  // editor shows them.
  auto ok = parse_scenario("\xEF\xBB\xBF" + valid(), "s.yaml");
  auto bad = parse_scenario("\xEF\xBB\xBF" + valid("-5"), "s.yaml");

  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_NEAR(ok->training->samples.central, 100000.0, 0.0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("s.yaml:3:12: ", 0), 0u)
      << bad.error().message();
}

TEST(ScenarioLimitTest, FileNameThatIsNotUtf8ReachesReportsReplaced) {
  // The name defaults to the file name, which goes into JSON.
  auto s = parse_scenario(valid(), "caf\xE9.yaml");

  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->name, "caf\xEF\xBF\xBD.yaml");
  EXPECT_EQ(s->intensity_source,
            "carbon_intensity_g_per_kwh in caf\xEF\xBF\xBD.yaml");
  EXPECT_EQ(s->origin, "caf\xE9.yaml");  // errors name the file as it is
}

TEST(ScenarioLimitTest, AnEmptyTrailingDocumentIsNotASecondScenario) {
  auto s = parse_scenario("---\n" + valid() + "---\n", "s.yaml");

  EXPECT_TRUE(s) << s.error().to_string();
}

TEST(ScenarioLimitTest, FileLargerThanTheLimitIsRefusedBeforeParsing) {
  std::string text = valid();
  text.resize(kMaxScenarioBytes + 1, '\n');

  auto s = parse_scenario(text, "s.yaml");

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), Errc::kParse);
  EXPECT_EQ(s.error().message(),
            "s.yaml: the file has 2097153 bytes; a scenario may have at most "
            "2097152 (2 MiB)");
  EXPECT_TRUE(parse_scenario(text.substr(0, kMaxScenarioBytes), "s.yaml"));
}

// "runs: [&r {energy_kwh: 1}, *r, ...]" with `count` entries.
std::string runs_list(std::size_t count) {
  std::string text =
      "carbon_intensity_g_per_kwh: 400\nsearch:\n  runs: [&r {energy_kwh: 1}";
  for (std::size_t i = 1; i < count; ++i)
    text += ", *r";
  return text + "]\n";
}

TEST(ScenarioLimitTest, ListLongerThanTheLimitIsAnError) {
  auto at_limit = parse_scenario(runs_list(kMaxListEntries), "s.yaml");
  auto over = parse_scenario(runs_list(kMaxListEntries + 1), "s.yaml");

  ASSERT_TRUE(at_limit) << at_limit.error().to_string();
  EXPECT_EQ(at_limit->search->runs.size(), kMaxListEntries);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().message(),
            "s.yaml:3:9: search.runs: 100001 runs are more than the 100000 a "
            "scenario may list; give identical trials as 'trials' with "
            "'per_trial'");
}

// ASCII text as UTF-16LE with a BOM; '@' stands for a lone surrogate.
std::string utf16le(std::string_view ascii) {
  std::string out = "\xFF\xFE";
  for (char c : ascii) {
    out += c == '@' ? '\0' : c;
    out += c == '@' ? '\xD8' : '\0';
  }
  return out;
}

TEST(ScenarioLimitTest, UtfSixteenWithAByteOrderMarkIsRead) {
  // YAML allows UTF-16 with a BOM; yaml-cpp decodes it.
  auto s = parse_scenario(utf16le(valid()), "s.yaml");

  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_NEAR(s->training->epochs.central, 10.0, 0.0);
}

TEST(ScenarioLimitTest, TextThatDecodesToInvalidUtf8IsAnError) {
  // yaml-cpp turns a lone UTF-16 surrogate into bytes that are not UTF-8,
  // which the JSON writer would refuse after the estimate.
  auto s = parse_scenario(utf16le("name: a@b\n" + valid()), "s.yaml");

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "s.yaml:1:7: name: the text is not valid UTF-8 (an escape or a "
            "UTF-16 surrogate gives an invalid character)");
}

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

// The error resolve_measured_runs gives for training from runs/`file`.
std::string run_file_error(const std::string& file) {
  auto s = parse_scenario(
      "region: DE\ntraining:\n  measured_run: runs/" + file + "\n", "s.yaml");
  EXPECT_TRUE(s) << s.error().to_string();
  auto st = resolve_with(*s, "scenarios");
  return st ? std::string("no error") : st.error().to_string();
}

TEST(ScenarioErrorTest, ForeignRunFileIsNotOurs) {
  EXPECT_EQ(run_file_error("not_ours.json"),
            "s.yaml:3:17: measured_run 'runs/not_ours.json' is not an "
            "mlcarbon run file (expected \"tool\": \"mlcarbon\" and \"kind\": "
            "\"run\")");
}

TEST(ScenarioErrorTest, RunFileOfAnotherSchemaIsRefused) {
  EXPECT_EQ(run_file_error("future.json"),
            "s.yaml:3:17: measured_run 'runs/future.json' has schema_version "
            "99; this mlcarbon reads run files of schema_version 1");
}

// Found by scenario_fuzz: yaml-cpp 0.7's LoadAll never returned, and
// allocated without bound, on a ',' where a document starts.
TEST(ScenarioErrorTest, StrayCommaWhereADocumentStartsIsMalformed) {
  const std::string cases[] = {
      ",\n", "# a model\n,bon_intensity_g_per_kwh: 1\n", valid() + "---\n,\n"};
  for (const std::string& text : cases) {
    auto s = parse_scenario(text, "s.yaml");

    ASSERT_FALSE(s) << text;
    EXPECT_EQ(s.error().code(), Errc::kParse);
    EXPECT_NE(s.error().message().find("malformed YAML: unexpected ','"),
              std::string::npos)
        << s.error().message();
  }
}

TEST(ScenarioErrorTest, NeverThrowsOnArbitraryText) {
  for (const char* text : {"", "\t", "[", "{", ": :", "a: [", "&a *a", "!!"}) {
    auto s = parse_scenario(text, "s.yaml");
    EXPECT_FALSE(s) << text;
  }
}

}  // namespace
}  // namespace mlcarbon::lifecycle
