// SPDX-License-Identifier: Apache-2.0
// The shared pieces of the writers: table, number formats, output sink,
// and what the sensors and history writers show.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/history_report.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/run_text.h"
#include "mlcarbon/report/sensors_report.h"
#include "mlcarbon/report/table.h"
#include "mlcarbon/sensors/models.h"

#include "support/fake_nvml_api.h"
#include "support/test_support.h"

namespace mlcarbon::report {
namespace {

TEST(TableTest, SizesColumnsToTheWidestCellAndKeepsMinimumWidths) {
  Table table({{Align::kLeft, 4}, {Align::kRight, 0, 2}}, "  ");
  table.add_row({"a", "1"});
  table.add_row({"longer", "12345"});

  EXPECT_EQ(table.render(false),
            "  a           1\n"
            "  longer  12345\n");
}

TEST(TableTest, NotesDoNotWidenColumnsAndLinesHaveNoTrailingSpaces) {
  Table table({{Align::kLeft, 3}, {Align::kLeft}});
  table.add_row({"x", "y"});
  table.add_row({""}, "a long note that spans", 2);
  table.add_row({"z", ""});

  EXPECT_EQ(table.render(false),
            "x   y\n"
            "     a long note that spans\n"
            "z\n");
}

TEST(TableTest, CountsCharactersNotBytesAndColoursOnlyWhenAsked) {
  Table table({{Align::kLeft}, {Align::kLeft}});
  table.add_row({"caf\xC3\xA9", "x"});
  table.add_row({Cell("ab", "32"), "y"});

  EXPECT_EQ(table.render(false), "caf\xC3\xA9 x\nab   y\n");
  EXPECT_EQ(table.render(true), "caf\xC3\xA9 x\n\033[32mab\033[0m   y\n");
}

TEST(TableTest, EscapesControlBytesFromCellsAndNotes) {
  Table table({{Align::kLeft}});
  table.add_row({"\x1b[2Jtag"}, "note\x07 caf\xE9");

  EXPECT_EQ(table.render(false), "\\x1b[2Jtag note\\x07 caf\xEF\xBF\xBD\n");
}

TEST(FormatTest, EnergyAndCo2eInTheUnitThatKeepsThreeDigitsReadable) {
  EXPECT_EQ(format_number(0.0000451), "4.51e-05");
  EXPECT_EQ(human_energy(Joules(12.34)), "12.3 J");
  EXPECT_EQ(human_energy(Joules(7200.0)), "2.00 Wh");
  EXPECT_EQ(human_energy(Joules(3.6e7)), "10.0 kWh");
  EXPECT_EQ(human_co2e(GramsCo2e(0.5)), "500 mg CO2e");
  EXPECT_EQ(human_co2e(GramsCo2e(1500.0)), "1.50 kg CO2e");
}

TEST(FormatTest, LiveLinePricesEnergyWithPueAndIntensity) {
  measure::CarbonInfo carbon;
  carbon.pue = 1.5;
  carbon.intensity = GramsCo2ePerKwh(400.0);

  // 7200 J over 10 s = 720 W; 0.002 kWh x 1.5 x 400 g/kWh = 1.2 g.
  const std::string line =
      live_status_line(Seconds(10.0), Joules(7200.0), carbon);

  EXPECT_EQ(line, "mlcarbon:   10.0 s       720 W     2.00 Wh  1.20 g CO2e");
}

TEST(OutputTest, WritesAFileAndNamesThePathOnFailure) {
  const mlcarbon::testing::TempDir dir;
  const auto path = dir.path() / "out.txt";

  ASSERT_TRUE(write_output(path.string(), "hello\n"));
  EXPECT_EQ(read_file(path).value(), "hello\n");

  const auto bad = write_output("/nonexistent/dir/out.txt", "x");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().to_string().find("/nonexistent/dir/out.txt"),
            std::string::npos);
}

TEST(SensorsReportTest, JsonCarriesCpuModelTdpAndGpuNames) {
  ManualClock clock;
  sensors::Detection detection;
  // Bare metal whatever machine runs the test: no DMI, no /sys/hypervisor.
  auto cpu = sensors::CpuModelSensor::create(sensors::SensorOptions{
      .proc_root = mlcarbon::testing::fixture("proc/xeon"),
      .dmi_root = "/nonexistent",
      .hypervisor_root = "/nonexistent",
      .clock = &clock});
  ASSERT_TRUE(cpu) << cpu.error().to_string();
  const sensors::CpuPowerModel model = (*cpu)->model();
  detection.sensors.push_back(std::move(*cpu));
  detection.sensors.push_back(mlcarbon::testing::fake_nvml_sensor(
      {"NVIDIA A100-SXM4-40GB", "Tesla T4"}, clock));

  const auto doc = nlohmann::json::parse(sensors_json(detection));

  const auto& c = doc["sensors"][0]["cpu"];
  EXPECT_EQ(c["model"], "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz");
  EXPECT_EQ(c["logical_cpus"], model.logical_cpus);
  EXPECT_DOUBLE_EQ(c["tdp_used_w"].get<double>(), model.tdp_used.value());
  EXPECT_EQ(c["tdp_source"], model.how);
  EXPECT_EQ(c["power_model"], "tdp-curve");
  EXPECT_EQ(c["origin"], model.origin);
  EXPECT_DOUBLE_EQ(doc["sensors"][0]["band"]["high"].get<double>(),
                   model.band.high);
  EXPECT_EQ(doc["machine"]["kind"], "unknown");
  const auto& gpus = doc["sensors"][1]["gpus"];
  ASSERT_EQ(gpus.size(), 2U);
  EXPECT_EQ(gpus[0]["name"], "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(gpus[1]["domain"], "gpu-1");
  EXPECT_EQ(gpus[1]["name"], "Tesla T4");
  EXPECT_EQ(doc["sensors"][1]["process_list"],
            "nvmlDeviceGetComputeRunningProcesses_v3");
  const std::string text = sensors_text(detection, false);
  EXPECT_NE(text.find("TDP used: "), std::string::npos);
  EXPECT_NE(text.find("gpu-1: Tesla T4"), std::string::npos);
}

TEST(SensorsReportTest, JsonSaysWhenTheDriverListsNoProcesses) {
  ManualClock clock;
  sensors::Detection detection;
  detection.sensors.push_back(
      mlcarbon::testing::fake_nvml_sensor({"Tesla T4"}, clock, ""));

  const auto doc = nlohmann::json::parse(sensors_json(detection));

  EXPECT_TRUE(doc["sensors"][0]["process_list"].is_null());
  EXPECT_NE(doc["sensors"][0]["description"].get<std::string>().find(
                "lists no processes"),
            std::string::npos);
}

HistoryEntry hostile_entry() {
  HistoryEntry e;
  e.run_id = "r1";
  e.start = WallTime(std::chrono::seconds(1'800'000'000));
  e.duration_s = 1.5;
  e.project = "p\xFF";
  e.command = "sh -c 'exit 3' 'caf\xE9' '\x1b[2J'";
  e.tags = {"t\xFF"};
  e.exit_status = 3;
  e.energy_j = 10.0;
  e.method = "estimated";
  return e;
}

TEST(HistoryReportTest, TextEscapesControlBytesAndJsonStaysValid) {
  const std::vector<HistoryEntry> runs = {hostile_entry()};
  const HistoryTotals totals{.runs = 1, .duration_s = 1.5, .energy_j = 10.0};

  const std::string text = history_text(runs, totals);
  const std::string json = history_json("h.db", runs, true, totals);

  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("\\x1b[2J"), std::string::npos);
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_NE(text.find("1 run, 1.5 s"), std::string::npos);
  ASSERT_TRUE(is_valid_utf8(json));
  const auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["runs"][0]["tags"][0], "t\xEF\xBF\xBD");
  EXPECT_EQ(doc["runs"][0]["exit_status"], 3);
  EXPECT_FALSE(nlohmann::json::parse(history_json("h.db", runs, false, totals))
                   .contains("runs"));
  // No bounds: the figures stand for both ends, shown without a range.
  EXPECT_FALSE(doc["runs"][0].contains("energy_j_low"));
  EXPECT_EQ(text.find(" ["), std::string::npos);
}

TEST(HistoryReportTest, ShowsEstimatedRunsAndTotalsAsCentralLowToHigh) {
  HistoryEntry e = hostile_entry();
  e.bounds = FigureBounds{5.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  const std::vector<HistoryEntry> runs = {e};
  HistoryTotals totals{.runs = 1, .duration_s = 1.5, .energy_j = 10.0};
  totals.bounds = e.bounds;

  const std::string text = history_text(runs, totals);
  const auto doc =
      nlohmann::json::parse(history_json("h.db", runs, true, totals));

  EXPECT_NE(text.find("10.0 [5.00 to 20.0] J"), std::string::npos) << text;
  EXPECT_NE(text.find("1 run, 1.5 s, 10.0 [5.00 to 20.0] J"), std::string::npos)
      << text;
  EXPECT_DOUBLE_EQ(doc["runs"][0]["energy_j_low"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(doc["total"]["energy_j_high"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(doc["total"]["energy_kwh_high"].get<double>(), 20.0 / 3.6e6);
}

}  // namespace
}  // namespace mlcarbon::report
