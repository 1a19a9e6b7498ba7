// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/footprint.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/text.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/report/plan.h"

namespace mlcarbon::report {
namespace {

using lifecycle::EnergyMethod;
using lifecycle::Footprint;
using lifecycle::PhaseFootprint;
using lifecycle::Range;

// Training exact, inference uncertain, no search.
FootprintReport sample() {
  Footprint f;
  f.name = "sample";
  f.pue = Range::exact(1.2);
  f.intensity_g_per_kwh = Range::exact(400.0);
  PhaseFootprint training{EnergyMethod::kResourceTime, Range::exact(3.0e6),
                          Range::exact(1.0), Range::exact(0.4), 0.5};
  PhaseFootprint inference{EnergyMethod::kModelBased, Range{2e6, 3e6, 4e6},
                           Range{0.5, 1.0, 1.5}, Range{0.2, 0.4, 0.6}, 0.5};
  f.phases[1] = training;
  f.phases[2] = inference;
  f.energy_kwh = Range{1.5, 2.0, 2.5};
  f.co2e_kg = Range{0.6, 0.8, 1.0};
  return FootprintReport{f, "", "given", {}, {}, "", {}};
}

TEST(FootprintJsonTest, HasSchemaPhasesAndTotals) {
  auto text = footprint_json(sample());
  ASSERT_TRUE(text);

  const auto j = nlohmann::json::parse(*text);

  EXPECT_EQ(j["schema_version"], kFootprintSchemaVersion);
  EXPECT_FALSE(j["phases"].contains("search"));  // left out: absent
  EXPECT_EQ(j["phases"]["training"]["method"], "resource-time");
  EXPECT_NEAR(j["phases"]["training"]["energy_kwh"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(j["total"]["co2e_kg"].get<double>(), 0.8, 1e-12);
}

TEST(FootprintReportTest, EveryWriterSaysHowAModelInputWasObtained) {
  FootprintReport r = sample();
  r.model_inputs.push_back({"training.energy_per_inference_j",
                            Range{0.001, 0.002, 0.003}, "J",
                            "calibrated on host x", true});
  r.model_inputs.push_back({"training.overhead", Range::exact(4.5), "",
                            "predicted per-layer", false});

  auto json = footprint_json(r);
  const std::string text = footprint_text(r);
  const std::string markdown = footprint_markdown(r);

  ASSERT_TRUE(json);
  const auto j = nlohmann::json::parse(*json)["model_inputs"];
  ASSERT_EQ(j.size(), 2U);
  EXPECT_EQ(j[0]["field"], "training.energy_per_inference_j");
  EXPECT_EQ(j[0]["method"], "measured");
  EXPECT_EQ(j[0]["source"], "calibrated on host x");
  EXPECT_NEAR(j[0]["value_low"].get<double>(), 0.001, 1e-15);
  EXPECT_EQ(j[1]["method"], "estimated");
  EXPECT_NE(text.find("inputs from models:\n"
                      "  training.energy_per_inference_j = 0.00200 [0.00100 "
                      "to 0.00300] J, measured: calibrated on host x\n"
                      "  training.overhead = 4.50, estimated: predicted "
                      "per-layer\n"),
            std::string::npos)
      << text;
  EXPECT_NE(markdown.find("- `training.overhead` = 4.50, estimated: "
                          "predicted per-layer\n"),
            std::string::npos)
      << markdown;
}

TEST(FootprintJsonTest, LowAndHighOnlyWhereUncertain) {
  auto text = footprint_json(sample());
  ASSERT_TRUE(text);

  const auto j = nlohmann::json::parse(*text);

  EXPECT_FALSE(j["phases"]["training"].contains("energy_kwh_low"));
  EXPECT_NEAR(j["phases"]["inference"]["energy_kwh_low"].get<double>(), 0.5,
              1e-12);
  EXPECT_NEAR(j["phases"]["inference"]["energy_kwh_high"].get<double>(), 1.5,
              1e-12);
  EXPECT_NEAR(j["total"]["co2e_kg_high"].get<double>(), 1.0, 1e-12);
}

TEST(FootprintTextTest, PrintsRangesAndAbsentPhases) {
  const std::string text = footprint_text(sample());

  EXPECT_NE(text.find("search     -"), std::string::npos) << text;
  EXPECT_NE(text.find("1.00 [0.500 to 1.50]"), std::string::npos) << text;
}

TEST(FootprintCsvTest, OneRowPerPhaseAndTotal) {
  const std::string csv = footprint_csv(sample());

  EXPECT_EQ(csv,
            "scenario,phase,method,energy_kwh,energy_kwh_low,energy_kwh_high,"
            "co2e_kg,co2e_kg_low,co2e_kg_high,share\n"
            "sample,training,resource-time,1,1,1,0.4,0.4,0.4,0.5\n"
            "sample,inference,model-based,1,0.5,1.5,0.4,0.2,0.6,0.5\n"
            "sample,total,,2,1.5,2.5,0.8,0.6,1,1\n");
}

TEST(FootprintWritersTest, NonUtf8NameNeverMakesAWriterFail) {
  FootprintReport r = sample();
  r.base.name = "caf\xE9 \x1b[31m";

  const auto json = footprint_json(r);
  const std::string text = footprint_text(r);
  const std::string csv = footprint_csv(r);

  // Before: footprint_json failed with nlohmann's type_error.316.
  ASSERT_TRUE(json) << json.error().to_string();
  EXPECT_EQ(nlohmann::json::parse(*json)["name"], "caf\xEF\xBF\xBD \x1b[31m");
  EXPECT_EQ(text.rfind("caf\xEF\xBF\xBD \\x1b[31m: life-cycle footprint", 0),
            0U)
      << text;
  EXPECT_TRUE(is_valid_utf8(csv));
}

TEST(FootprintImportTest, ReadsBackWhatFootprintJsonWrote) {
  auto text = footprint_json(sample());
  ASSERT_TRUE(text);

  auto f = footprint_from_json(*text, "est.json");

  ASSERT_TRUE(f.has_value()) << f.error().to_string();
  EXPECT_EQ(f->name, "sample");
  EXPECT_DOUBLE_EQ(f->pue.central, 1.2);
  EXPECT_FALSE(f->phases[0].has_value());
  ASSERT_TRUE(f->phases[1].has_value());
  EXPECT_EQ(f->phases[1]->method, EnergyMethod::kResourceTime);
  EXPECT_DOUBLE_EQ(f->phases[1]->device_energy_j.central, 3.0e6);
  ASSERT_TRUE(f->phases[2].has_value());
  EXPECT_DOUBLE_EQ(f->phases[2]->energy_kwh.low, 0.5);
  EXPECT_DOUBLE_EQ(f->phases[2]->co2e_kg.high, 0.6);
  EXPECT_DOUBLE_EQ(f->co2e_kg.central, 0.8);
}

TEST(FootprintImportTest, ErrorsNameTheFileAndField) {
  auto run = footprint_from_json(
      R"({"schema_version":1,"tool":"mlcarbon","kind":"run"})", "r.json");
  auto field = footprint_from_json(
      R"({"schema_version":1,"tool":"mlcarbon","kind":"estimate","pue":1,)"
      R"("phases":{"training":{"method":"model-based","device_energy_j":"x"}},)"
      R"("total":{}})",
      "e.json");

  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().message(),
            "r.json is not an mlcarbon estimate (expected \"tool\": "
            "\"mlcarbon\" and \"kind\": \"estimate\", as written by mlcarbon "
            "estimate --json)");
  ASSERT_FALSE(field.has_value());
  EXPECT_EQ(field.error().message(),
            "e.json: phases.training.device_energy_j is missing or not a "
            "number");
}

TEST(PlanJobTest, AnEstimatesJobIsItsSearchAndTraining) {
  FootprintReport r = sample();
  r.base.phases[0] = r.base.phases[1];  // search as much as training
  auto text = footprint_json(r);
  ASSERT_TRUE(text);

  auto job = plan_job_from_estimate_json(*text, "est.json");

  ASSERT_TRUE(job.has_value()) << job.error().to_string();
  EXPECT_DOUBLE_EQ(job->energy.value(), 6.0e6);
  EXPECT_EQ(job->method, Method::kEstimated);
  EXPECT_EQ(job->energy_source,
            "search and training of estimate 'sample' (est.json)");
  EXPECT_FALSE(job->duration.has_value());
  EXPECT_EQ(job->pue, 1.2);
}

TEST(PlanJobTest, ARunsJobIsItsMachineEnergyAndDuration) {
  const std::string run = R"({"schema_version":1,"tool":"mlcarbon",
    "kind":"run","run_id":"ab12","start":"2026-11-30T09:00:00Z",
    "duration_s":5400,"project_name":"p","command":["true"],"tags":[],
    "energy":{"total_j":7.2e6,"attributed_j":7e6,"method":"measured"},
    "carbon":{"region":"DE","co2e_kg":1,"attributed_co2e_kg":1}})";

  auto job = plan_job_from_run_json(run, "run.json");

  ASSERT_TRUE(job.has_value()) << job.error().to_string();
  EXPECT_DOUBLE_EQ(job->energy.value(), 7.2e6);
  EXPECT_EQ(job->method, Method::kMeasured);
  ASSERT_TRUE(job->duration.has_value());
  EXPECT_DOUBLE_EQ(job->duration->count(), 5400.0);
  EXPECT_EQ(job->energy_source, "run ab12 (run.json)");
}

TEST(FormatTest, ThreeSignificantDigits) {
  EXPECT_EQ(format_number(0.29466), "0.295");
  EXPECT_EQ(format_number(1507.2), "1507");
  EXPECT_EQ(format_number(1.05e8), "1.05e+08");
  EXPECT_EQ(format_number(0.0), "0");
}

TEST(FormatTest, SiPrefixes) {
  EXPECT_EQ(human_si(40.0, "B"), "40 B");
  EXPECT_EQ(human_si(0.0, "B"), "0 B");
  EXPECT_EQ(human_si(2.5, "FLOPs"), "2.50 FLOPs");
  EXPECT_EQ(human_si(25088.0, "B"), "25.1 kB");
  EXPECT_EQ(human_si(999.6, "B"), "1.00 kB");
  EXPECT_EQ(human_si(7.07e5, "FLOPs"), "707 kFLOPs");
  EXPECT_EQ(human_si(2.12e9, "FLOPs"), "2.12 GFLOPs");
  EXPECT_EQ(human_si(3e21, "B"), "3000 EB");
  EXPECT_EQ(human_si(1234.0, ""), "1.23 k");
}

TEST(FormatTest, ThousandsSeparators) {
  EXPECT_EQ(grouped(0), "0");
  EXPECT_EQ(grouped(999), "999");
  EXPECT_EQ(grouped(1000), "1,000");
  EXPECT_EQ(grouped(1234567), "1,234,567");
  EXPECT_EQ(grouped(-1234), "-1,234");
  EXPECT_EQ(grouped(std::numeric_limits<std::int64_t>::min()),
            "-9,223,372,036,854,775,808");
}

}  // namespace
}  // namespace mlcarbon::report
