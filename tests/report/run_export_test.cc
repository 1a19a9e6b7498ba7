// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/run_export.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/carbon/embodied.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/report/run_import.h"
#include "mlcarbon/report/run_text.h"

#include "support/test_support.h"

namespace mlcarbon::report {
namespace {

measure::Run sample_run() {
  measure::Run run;
  run.run_id = "00000000-0000-4000-8000-000000000000";
  run.project = "demo";
  run.tags = {"a", "b"};
  run.command = {"python", "train.py", "--lr", "0.1 x"};
  run.exit_status = 0;
  measure::Measurement& m = run.measurement;
  m.start = WallTime(std::chrono::seconds(1'800'000'000));
  m.end = m.start + std::chrono::seconds(10);
  m.duration = Seconds(10.0);
  m.domains = {
      {.domain = "cpu",
       .kind = sensors::DomainKind::kCpu,
       .sensor = "cpu-model",
       .method = Method::kEstimated,
       .description = "TDP model",
       .energy = Joules(360.0),
       .average_power = Watts(36.0)},
      {.domain = "memory",
       .kind = sensors::DomainKind::kMemory,
       .sensor = "memory-model",
       .method = Method::kEstimated,
       .description = "0.3725 W/GB",
       .energy = Joules(36.0),
       .average_power = Watts(3.6)},
  };
  m.total = Joules(396.0);
  m.above_idle = m.total;
  m.attributed_share = 0.5;
  m.attributed = Joules(198.0);
  run.carbon.region = "DE";
  run.carbon.country_name = "Germany";
  run.carbon.country_iso_code = "DEU";
  run.carbon.intensity = GramsCo2ePerKwh(400.0);
  run.carbon.pue = 1.5;
  run.context.cpu_count = 8;
  // 396 J x 1.5 = 594 J = 1.65e-4 kWh; x 400 g/kWh = 0.066 g.
  run.co2e = GramsCo2e(0.066);
  run.attributed_co2e = GramsCo2e(0.033);
  return run;
}

TEST(RunExportTest, JsonCarriesSchemaContextAndMethods) {
  const auto doc = nlohmann::json::parse(run_to_json(sample_run()));

  EXPECT_EQ(doc["schema_version"], kRunSchemaVersion);
  EXPECT_EQ(doc["tool"], "mlcarbon");
  EXPECT_EQ(doc["kind"], "run");
  EXPECT_TRUE(doc.contains("context"));
  EXPECT_EQ(doc["energy"]["method"], "estimated");
  EXPECT_DOUBLE_EQ(doc["energy"]["total_j"].get<double>(), 396.0);
  for (const auto& d : doc["energy"]["domains"]) {
    EXPECT_TRUE(d.contains("method")) << d;
  }
  EXPECT_DOUBLE_EQ(doc["carbon"]["co2e_kg"].get<double>(), 0.066 / 1000.0);
  EXPECT_EQ(doc["start"], "2027-01-15T08:00:00.000Z");
}

TEST(RunExportTest, JsonListsEachWindowWithEnergyMethodAndCo2e) {
  measure::Run run = sample_run();
  measure::WindowRecord w;
  w.name = "epoch-1";
  w.measurement = run.measurement;
  w.measurement.name = "epoch-1";
  w.measurement.total = Joules(120.0);
  w.intensity = GramsCo2ePerKwh(400.0);
  w.co2e = GramsCo2e(0.02);
  w.attributed_co2e = GramsCo2e(0.01);
  run.windows.push_back(w);

  const auto doc = nlohmann::json::parse(run_to_json(run));
  const auto no_windows = nlohmann::json::parse(run_to_json(sample_run()));

  ASSERT_EQ(doc["windows"].size(), 1U);
  const auto& win = doc["windows"][0];
  EXPECT_EQ(win["name"], "epoch-1");
  EXPECT_DOUBLE_EQ(win["energy_j"].get<double>(), 120.0);
  EXPECT_EQ(win["method"], "estimated");
  EXPECT_DOUBLE_EQ(win["co2e_kg"].get<double>(), 0.02 / 1000.0);
  EXPECT_DOUBLE_EQ(win["attributed_co2e_kg"].get<double>(), 0.01 / 1000.0);
  EXPECT_DOUBLE_EQ(win["intensity_g_per_kwh"].get<double>(), 400.0);
  EXPECT_EQ(win["start"], "2027-01-15T08:00:00.000Z");
  EXPECT_TRUE(no_windows["windows"].is_array());
  EXPECT_TRUE(no_windows["windows"].empty());
  // The run's own fields are unchanged by its windows.
  EXPECT_EQ(doc["energy"], no_windows["energy"]);
  EXPECT_EQ(doc["carbon"], no_windows["carbon"]);
}

TEST(RunExportTest, CsvRowMatchesHeaderAndCodeCarbonUnits) {
  const measure::Run run = sample_run();
  const auto header = parse_csv_line(run_csv_header());
  const auto row = parse_csv_line(run_csv_row(run));

  ASSERT_EQ(header.size(), row.size());
  auto field = [&](std::string_view name) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name)
        return row[i];
    }
    ADD_FAILURE() << "no column " << name;
    return std::string();
  };
  // CodeCarbon: emissions in kg, energies in kWh, powers in W.
  EXPECT_DOUBLE_EQ(parse_double(field("emissions")).value(), 0.066e-3);
  EXPECT_DOUBLE_EQ(parse_double(field("cpu_energy")).value(), 1e-4);
  EXPECT_DOUBLE_EQ(parse_double(field("ram_energy")).value(), 1e-5);
  EXPECT_DOUBLE_EQ(parse_double(field("energy_consumed")).value(), 1.1e-4);
  EXPECT_DOUBLE_EQ(parse_double(field("cpu_power")).value(), 36.0);
  EXPECT_EQ(field("country_iso_code"), "DEU");
  EXPECT_EQ(field("pue"), "1.5");
  EXPECT_EQ(field("energy_method"), "estimated");
  EXPECT_EQ(field("command"), "python train.py --lr '0.1 x'");
  EXPECT_EQ(field("tags"), "a;b");
}

// The value of column `name` in the row of `run`.
std::string csv_field(const measure::Run& run, std::string_view name) {
  const auto fields = parse_csv_line(run_csv_row(run));
  const auto& columns = run_csv_columns();
  const auto it = std::find(columns.begin(), columns.end(), name);
  EXPECT_NE(it, columns.end()) << "no column " << name;
  if (it == columns.end())
    return "";
  return fields.at(static_cast<std::size_t>(it - columns.begin()));
}

TEST(RunExportTest, CsvFrontEndFieldsFillTheirColumnsOnly) {
  const measure::Run run = sample_run();
  const auto plain = parse_csv_line(run_csv_row(run));
  const auto filled =
      parse_csv_line(run_csv_row(run, {.experiment_id = "exp-7",
                                       .python_version = "3.11.2",
                                       .codecarbon_version = "compat"}));
  const auto& columns = run_csv_columns();
  ASSERT_EQ(filled.size(), columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == "experiment_id") {
      EXPECT_EQ(filled[i], "exp-7");
    } else if (columns[i] == "python_version") {
      EXPECT_EQ(filled[i], "3.11.2");
    } else if (columns[i] == "codecarbon_version") {
      EXPECT_EQ(filled[i], "compat");
    } else {
      EXPECT_EQ(filled[i], plain[i]) << columns[i];
    }
  }
  EXPECT_EQ(csv_field(run, "python_version"), "");
}

TEST(RunExportTest, CsvStartsWithCodeCarbonsThirtyEightColumnsInOrder) {
  const auto& all = run_csv_columns();
  const auto& cc = codecarbon_csv_columns();

  ASSERT_EQ(cc.size(), 38U);
  ASSERT_GT(all.size(), cc.size());
  EXPECT_TRUE(std::equal(cc.begin(), cc.end(), all.begin()));
  EXPECT_EQ(cc[3], "experiment_id");
  EXPECT_EQ(cc[14], "water_consumed");
  EXPECT_EQ(cc[34], "ram_used_gb");
  EXPECT_EQ(cc[37], "wue");
  EXPECT_EQ(all[38], "mlcarbon_version");
  EXPECT_EQ(parse_csv_line(run_csv_row(sample_run())).size(), all.size());
}

TEST(RunExportTest, CsvWritesFloatsAsFloatsEvenWhenWhole) {
  measure::Run run = sample_run();
  run.carbon.pue = 1.0;

  // Before: "1" and "0", which pandas reads back as integers.
  EXPECT_EQ(csv_field(run, "pue"), "1.0");
  EXPECT_EQ(csv_field(run, "gpu_power"), "0.0");
  EXPECT_EQ(csv_field(run, "gpu_energy"), "0.0");
  EXPECT_EQ(csv_field(run, "duration"), "10.0");
  EXPECT_EQ(csv_field(run, "cpu_count"), "8");
  EXPECT_EQ(csv_field(run, "water_consumed"), "");
}

TEST(RunExportTest, CsvRamTotalSizeIsInGibLikeCodeCarbon) {
  measure::Run run = sample_run();
  run.context.ram_total_gb = 17.179869184;  // 16 GiB

  EXPECT_EQ(csv_field(run, "ram_total_size"), "16.0");
}

TEST(RunExportTest, CsvRegionIsTheSubNationalRegionOrEmpty) {
  measure::Run run = sample_run();

  EXPECT_EQ(csv_field(run, "region"), "");  // DE is a country
  run.carbon.region = "US-IA";
  EXPECT_EQ(csv_field(run, "region"), "iowa");
  run.carbon.region = "gcp:europe-west3";
  run.carbon.cloud_provider = "gcp";
  EXPECT_EQ(csv_field(run, "region"), "");
}

TEST(RunExportTest, CsvTimestampIsLocalTimeAtTheEndWithItsOffset) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", "Etc/GMT-2", 1);  // POSIX sign: UTC+2
  ::tzset();

  const std::string stamp = csv_field(sample_run(), "timestamp");

  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  // The run ends at 2027-01-15T08:00:10Z.
  EXPECT_EQ(stamp, "2027-01-15T10:00:10+02:00");
}

TEST(RunExportTest, AppendLeavesNoLockFileBeside) {
  testing::TempDir dir;
  const auto path = dir.path() / "emissions.csv";

  ASSERT_TRUE(append_run_csv(path, sample_run()).has_value());

  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"emissions.csv"});
}

TEST(RunExportTest, AnOlderMlcarbonCsvIsRefusedWithARemedy) {
  testing::TempDir dir;
  const auto path = dir.path() / "old.csv";
  const std::string old =
      "timestamp,project_name,run_id,duration,emissions,emissions_rate,"
      "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,"
      "energy_consumed,country_name,country_iso_code,region,cloud_provider,"
      "cloud_region,os,python_version,codecarbon_version,cpu_count,"
      "cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,"
      "tracking_mode,on_cloud,pue,mlcarbon_version,energy_method,"
      "cpu_energy_method,gpu_energy_method,ram_energy_method,"
      "attributed_energy,attributed_share,attributed_emissions,idle_energy,"
      "carbon_intensity,carbon_intensity_source,command,exit_status,tags\n"
      "2026-01-01T00:00:00,p,id,1,0,0,1,0,0,0,0,0,0,France,FRA,FR,,,Linux,,,"
      "8,cpu,0,,,,16,machine,N,1,0.1.0,estimated,estimated,,estimated,0,,0,"
      "0,50,src,true,0,\n";
  ASSERT_TRUE(write_file_atomic(path, old).has_value());

  const auto checked = check_run_csv(path);
  const auto appended = append_run_csv(path, sample_run());

  ASSERT_FALSE(checked.has_value());
  ASSERT_FALSE(appended.has_value());
  EXPECT_NE(appended.error().message().find("mlcarbon 0.1"), std::string::npos);
  EXPECT_NE(appended.error().remedy().find("move it aside"), std::string::npos);
  EXPECT_EQ(read_file(path).value(), old);
}

TEST(RunExportTest, AppendWritesHeaderOnceAndKeepsRows) {
  testing::TempDir dir;
  const auto path = dir.path() / "emissions.csv";

  ASSERT_TRUE(append_run_csv(path, sample_run()).has_value());
  ASSERT_TRUE(append_run_csv(path, sample_run()).has_value());

  const std::string content = read_file(path).value();
  const auto lines = split(trim(content), '\n');
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], run_csv_header());
}

TEST(RunExportTest, ConcurrentAppendsLoseNoRow) {
  testing::TempDir dir;
  const auto path = dir.path() / "emissions.csv";
  std::vector<std::thread> threads;

  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(append_run_csv(path, sample_run()).has_value());
      }
    });
  }
  for (auto& t : threads)
    t.join();

  const std::string content = read_file(path).value();
  EXPECT_EQ(split(trim(content), '\n').size(), 41U);
}

TEST(RunExportTest, ForeignCsvIsNotOverwritten) {
  testing::TempDir dir;
  const auto path = dir.path() / "other.csv";
  ASSERT_TRUE(write_file_atomic(path, "a,b\n1,2\n").has_value());

  const auto result = append_run_csv(path, sample_run());

  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().message().find("header"), std::string::npos);
  EXPECT_EQ(read_file(path).value(), "a,b\n1,2\n");
}

TEST(RunExportTest, HistoryEntryKeepsTheWholeDocument) {
  const measure::Run run = sample_run();

  const HistoryEntry e = to_history_entry(run);

  EXPECT_EQ(e.run_id, run.run_id);
  EXPECT_EQ(e.command, "python train.py --lr '0.1 x'");
  EXPECT_DOUBLE_EQ(e.energy_j, 396.0);
  // The same document, on one line: a timeline indented takes a line per
  // number, which a history of many runs does not need.
  EXPECT_EQ(nlohmann::json::parse(e.document),
            nlohmann::json::parse(run_to_json(run)));
  EXPECT_EQ(e.document.find('\n'), e.document.size() - 1);
}

measure::Run hostile_run() {
  measure::Run run = sample_run();
  run.command = {"sh", "-c", "exit 3", "caf\xE9", "\x1b[2J"};
  run.tags = {"t\xFF"};
  run.project = "p\xC0\xAF";
  run.exit_status = 3;
  run.measurement.warnings = {"sensor \x1b[31m failed"};
  return run;
}

TEST(RunExportTest, InvalidUtf8BecomesReplacementCharactersInJson) {
  // Before: nlohmann-json threw type_error.316 here and measure aborted.
  const std::string json = run_to_json(hostile_run());

  ASSERT_TRUE(is_valid_utf8(json));
  const auto doc = nlohmann::json::parse(json);
  EXPECT_EQ(doc["command"][3], "caf\xEF\xBF\xBD");
  EXPECT_EQ(doc["command"][4], "\x1b[2J");  // JSON escapes it as \u001b
  EXPECT_EQ(doc["tags"][0], "t\xEF\xBF\xBD");
  EXPECT_EQ(doc["exit_status"], 3);
}

TEST(RunExportTest, InvalidUtf8BecomesReplacementCharactersInCsvAndHistory) {
  const measure::Run run = hostile_run();

  const std::string row = run_csv_row(run);
  const HistoryEntry entry = to_history_entry(run);

  EXPECT_TRUE(is_valid_utf8(row));
  const auto fields = parse_csv_line(row);
  const auto& columns = run_csv_columns();
  const auto at = [&](std::string_view name) {
    return fields.at(static_cast<std::size_t>(
        std::find(columns.begin(), columns.end(), name) - columns.begin()));
  };
  EXPECT_EQ(at("tags"), "t\xEF\xBF\xBD");
  EXPECT_EQ(at("project_name"), "p\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(is_valid_utf8(entry.document));
}

TEST(RunExportTest, SummaryEscapesControlBytesFromTheCommand) {
  const std::string text = run_summary_text(hostile_run(), false);

  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("\\x1b[2J"), std::string::npos);
  EXPECT_NE(text.find("\\x1b[31m failed"), std::string::npos);
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_NE(text.find("exited 3"), std::string::npos);
}

TEST(RunExportTest, SummaryAlignsEveryRowOnTheWidestFigure) {
  // "66.0 mg CO2e" is the widest figure: every row's energy column ends
  // where it ends.
  const std::string text = run_summary_text(sample_run(), false);

  EXPECT_NE(text.find("  domain             energy      power  method     "
                      "source\n"
                      "  cpu                 360 J     36.0 W  estimated  "
                      "cpu-model: TDP model\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  machine             396 J             estimated  "
                      "(with idle)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  CO2e         66.0 mg CO2e  (33.0 mg CO2e attributed)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  PUE          1.50 ("), std::string::npos) << text;
}

TEST(RunExportTest, CsvNamesGpuModelsWithTheirCounts) {
  measure::Run run = sample_run();
  run.context.gpus = {"NVIDIA A100", "NVIDIA A100", "Tesla T4"};

  const auto fields = parse_csv_line(run_csv_row(run));
  const auto& columns = run_csv_columns();
  const auto index = static_cast<std::size_t>(
      std::find(columns.begin(), columns.end(), "gpu_model") - columns.begin());

  EXPECT_EQ(fields.at(index), "2 x NVIDIA A100, 1 x Tesla T4");
}

TEST(RunExportTest, CheckRefusesAForeignCsvAndLeavesNothingBehind) {
  testing::TempDir dir;
  const auto foreign = dir.path() / "other.csv";
  ASSERT_TRUE(write_file_atomic(foreign, "a,b\n1,2\n").has_value());
  const auto fresh = dir.path() / "new.csv";

  const auto refused = check_run_csv(foreign);
  const auto accepted = check_run_csv(fresh);

  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("header"), std::string::npos);
  EXPECT_TRUE(accepted.has_value());
  EXPECT_FALSE(std::filesystem::exists(fresh));
}

TEST(RunExportTest, AppendToAFifoWritesHeaderAndRowThrough) {
  testing::TempDir dir;
  const auto path = dir.path() / "pipe";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);

  const auto appended = append_run_csv(path, sample_run());

  std::string got(65536, '\0');
  const ssize_t n = ::read(reader, got.data(), got.size());
  ::close(reader);
  ASSERT_TRUE(appended.has_value()) << appended.error().to_string();
  got.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  EXPECT_EQ(got, run_csv_header() + "\n" + run_csv_row(sample_run()) + "\n");
  EXPECT_TRUE(std::filesystem::is_fifo(path));
}

TEST(RunExportTest, ImportReadsBackWhatTheJsonWrote) {
  const measure::Run run = sample_run();
  const HistoryEntry written = to_history_entry(run);

  const auto read = history_entry_from_run_json(run_to_json(run), "run.json");

  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_EQ(read->run_id, written.run_id);
  EXPECT_EQ(read->start, written.start);
  EXPECT_EQ(read->command, written.command);
  EXPECT_EQ(read->tags, written.tags);
  EXPECT_EQ(read->exit_status, written.exit_status);
  EXPECT_DOUBLE_EQ(read->energy_j, written.energy_j);
  EXPECT_DOUBLE_EQ(read->attributed_energy_j, written.attributed_energy_j);
  EXPECT_NEAR(read->co2e_g, written.co2e_g, 1e-12);
  EXPECT_EQ(read->method, written.method);
  EXPECT_EQ(read->region, written.region);
  EXPECT_EQ(nlohmann::json::parse(read->document),
            nlohmann::json::parse(written.document));
}

TEST(RunExportTest, SlurmTaskGoesIntoTheJsonTheHistoryAndBack) {
  measure::Run run = sample_run();
  run.context.host = "login1";
  run.context.slurm = measure::SlurmTask{
      .job_id = "4711", .proc_id = 3, .node_id = 1, .node = "gpu07"};
  measure::Run plain = sample_run();
  plain.context.host = "laptop";

  const HistoryEntry written = to_history_entry(run);
  const auto read = history_entry_from_run_json(run_to_json(run), "run.json");
  const auto read_plain =
      history_entry_from_run_json(run_to_json(plain), "plain.json");

  EXPECT_EQ(written.job_id, "4711");
  EXPECT_EQ(written.proc_id, 3);
  EXPECT_EQ(written.node_id, 1);
  EXPECT_EQ(written.node, "gpu07");
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_EQ(read->job_id, "4711");
  EXPECT_EQ(read->proc_id, 3);
  EXPECT_EQ(read->node_id, 1);
  EXPECT_EQ(read->node, "gpu07");
  EXPECT_NE(run_to_json(run).find("\"slurm\""), std::string::npos);
  ASSERT_TRUE(read_plain.has_value()) << read_plain.error().to_string();
  EXPECT_TRUE(read_plain->job_id.empty());
  EXPECT_EQ(read_plain->node, "laptop");
  EXPECT_EQ(to_history_entry(plain).node, "laptop");
  EXPECT_EQ(run_to_json(plain).find("\"slurm\""), std::string::npos);
}

TEST(RunExportTest, ImportRejectsForeignAndOtherSchemaDocuments) {
  const std::string future =
      R"({"schema_version": 99, "tool": "mlcarbon", "kind": "run"})";
  const std::string footprint =
      R"({"schema_version": 1, "tool": "mlcarbon", "kind": "footprint"})";
  std::string partial = run_to_json(sample_run());
  partial.replace(partial.find("\"total_j\""), 9, "\"total_x\"");

  const auto a = history_entry_from_run_json(future, "f.json");
  const auto b = history_entry_from_run_json(footprint, "g.json");
  const auto c = history_entry_from_run_json(partial, "h.json");
  const auto d = history_entry_from_run_json("not json", "i.json");

  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message().find("schema version 99"), std::string::npos);
  ASSERT_FALSE(b.has_value());
  EXPECT_NE(b.error().message().find("g.json is not an mlcarbon run"),
            std::string::npos);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message().find("/energy/total_j"), std::string::npos);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().message().find("i.json"), std::string::npos);
}

// sample_run() with the model sensors' bands, an idle baseline and a window.
measure::Run banded_run() {
  measure::Run run = sample_run();
  run.measurement.domains[0].band = {0.5, 2.0, "cpu source"};
  run.measurement.domains[1].band = {0.8, 1.5, "memory source"};
  run.measurement.domains[0].idle_energy = Joules(100.0);
  run.measurement.above_idle = Joules(296.0);
  run.context.cpu_count = 8;
  run.embodied = carbon::embodied_for_machine(8, {}, Seconds(10.0));
  measure::WindowRecord w;
  w.name = "epoch-1";
  w.measurement = run.measurement;
  w.intensity = GramsCo2ePerKwh(400.0);
  w.co2e = run.co2e;
  w.attributed_co2e = run.attributed_co2e;
  run.windows.push_back(w);
  return run;
}

measure::Run measured_run() {
  measure::Run run = sample_run();
  for (auto& d : run.measurement.domains) {
    d.method = Method::kMeasured;
    d.sensor = "rapl-powercap";
  }
  return run;
}

bool is_figure(const std::string& key) {
  // Energy, power, CO2e and distance figures; the intensity and PUE are
  // point figures, and an _low/_high key is a sibling itself.
  if (key.starts_with("intensity") || key.ends_with("_low") ||
      key.ends_with("_high"))
    return false;
  for (const std::string_view suffix : {"_j", "_kwh", "_kg", "_w", "_km"}) {
    if (key.ends_with(suffix))
      return true;
  }
  return false;
}

// Every figure of `j` (recursively): its path, value and siblings.
void walk(const nlohmann::json& j, const std::string& path,
          const std::function<void(const std::string&, const nlohmann::json&,
                                   const std::string&)>& fn) {
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      walk(j[i], fmt::format("{}[{}]", path, i), fn);
    return;
  }
  if (!j.is_object())
    return;
  for (const auto& [key, value] : j.items()) {
    if (value.is_number())
      fn(path, j, key);
    walk(value, path + "/" + key, fn);
  }
}

TEST(RunExportTest, EveryEstimatedFigureInTheJsonHasLowAndHighSiblings) {
  const auto doc = nlohmann::json::parse(run_to_json(banded_run()));
  int figures = 0;
  walk(doc, "",
       [&](const std::string& path, const nlohmann::json& obj,
           const std::string& key) {
         if (!is_figure(key))
           return;
         ++figures;
         const std::string where = path + "/" + key;
         ASSERT_TRUE(obj.contains(key + "_low")) << where;
         ASSERT_TRUE(obj.contains(key + "_high")) << where;
         const double v = obj[key].get<double>();
         EXPECT_LE(obj[key + "_low"].get<double>(), v) << where;
         EXPECT_GE(obj[key + "_high"].get<double>(), v) << where;
       });
  // energy (5), 2 domains x 3, carbon (2), embodied, car_km, window (6).
  EXPECT_EQ(figures, 5 + 6 + 2 + 1 + 1 + 6);
  EXPECT_DOUBLE_EQ(doc["energy"]["total_j_low"].get<double>(),
                   360.0 * 0.5 + 36.0 * 0.8);
  EXPECT_DOUBLE_EQ(doc["energy"]["total_j_high"].get<double>(),
                   360.0 * 2.0 + 36.0 * 1.5);
  EXPECT_DOUBLE_EQ(doc["energy"]["idle_j"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(doc["energy"]["above_idle_j_low"].get<double>(),
                   260.0 * 0.5 + 36.0 * 0.8);
  EXPECT_EQ(doc["energy"]["domains"][0]["band_source"], "cpu source");
  EXPECT_GT(doc["embodied"]["co2e_kg"].get<double>(), 0.0);
  EXPECT_EQ(doc["embodied"]["included_in_co2e"], false);
}

TEST(RunExportTest, MeasuredFiguresHaveNoSiblingsOnlyTheEmbodiedTermHas) {
  const auto doc = nlohmann::json::parse(run_to_json(measured_run()));
  walk(doc, "",
       [&](const std::string& path, const nlohmann::json& obj,
           const std::string& key) {
         if (key.ends_with("_low") || key.ends_with("_high")) {
           EXPECT_EQ(path, "/embodied") << path << "/" << key;
         }
         (void)obj;
       });
  EXPECT_EQ(doc["energy"]["method"], "measured");
}

TEST(RunExportTest, CsvBandColumnsFollowTheOwnColumnsAndBoundTheFigures) {
  const measure::Run run = banded_run();
  const auto header = parse_csv_line(run_csv_header());
  const auto row = parse_csv_line(run_csv_row(run));
  ASSERT_EQ(header.size(), row.size());
  auto field = [&](std::string_view name) {
    const auto it = std::find(header.begin(), header.end(), name);
    EXPECT_NE(it, header.end()) << name;
    return it == header.end()
               ? 0.0
               : std::stod(row[static_cast<std::size_t>(it - header.begin())]);
  };
  EXPECT_EQ(header[header.size() - 20], "emissions_low");
  EXPECT_EQ(header.back(), "embodied_emissions_high");
  EXPECT_LT(field("emissions_low"), field("emissions"));
  EXPECT_GT(field("emissions_high"), field("emissions"));
  EXPECT_DOUBLE_EQ(field("cpu_energy_low"), 180.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(field("ram_energy_high"), 54.0 / 3.6e6);
  EXPECT_DOUBLE_EQ(field("gpu_energy_low"), 0.0);
  EXPECT_LT(field("energy_consumed_low"), field("energy_consumed"));
  EXPECT_LE(field("attributed_energy_low"), field("attributed_energy"));
  EXPECT_DOUBLE_EQ(field("energy_above_idle"), 296.0 / 3.6e6);
  EXPECT_GT(field("embodied_emissions"), 0.0);
  // A measured run's ends equal its figures.
  const auto measured = parse_csv_line(run_csv_row(measured_run()));
  const auto at = [&](std::string_view name) {
    return measured[static_cast<std::size_t>(
        std::find(header.begin(), header.end(), name) - header.begin())];
  };
  EXPECT_EQ(at("energy_consumed_low"), at("energy_consumed"));
  EXPECT_EQ(at("emissions_high"), at("emissions"));
}

TEST(RunExportTest, ACsvWithoutBandColumnsGetsRowsInItsOwnLayout) {
  testing::TempDir dir;
  const auto path = dir.path() / "emissions.csv";
  const auto& all = run_csv_columns();
  std::string older;
  for (std::size_t i = 0; i + 20 < all.size(); ++i)
    older += (i == 0 ? "" : ",") + all[i];
  ASSERT_TRUE(write_file_atomic(path, older + "\n").has_value());

  ASSERT_TRUE(check_run_csv(path).has_value());
  ASSERT_TRUE(append_run_csv(path, banded_run()).has_value());

  const std::string content = read_file(path).value();
  const auto lines = split(trim(content), '\n');
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], older);
  EXPECT_EQ(parse_csv_line(std::string(lines[1])).size(), all.size() - 20);
}

TEST(RunExportTest, SummaryShowsEstimatesAsCentralLowToHigh) {
  const std::string text = run_summary_text(banded_run(), false);
  EXPECT_NE(text.find("360 [180 to 720] J"), std::string::npos) << text;
  EXPECT_NE(text.find("above idle"), std::string::npos) << text;
  EXPECT_NE(text.find("(idle baseline 100 [50.0 to 200] J)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("band cpu-model: x0.500 to x2.00 (cpu source)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("embodied:"), std::string::npos) << text;
  const std::string measured = run_summary_text(measured_run(), false);
  EXPECT_EQ(measured.find(" ["), std::string::npos) << measured;
  EXPECT_NE(measured.find("(no idle baseline"), std::string::npos) << measured;
}

TEST(RunExportTest, HistoryEntryAndImportCarryTheBounds) {
  const measure::Run run = banded_run();
  const HistoryEntry e = to_history_entry(run);
  EXPECT_DOUBLE_EQ(bounds_of(e).energy_j_low, 180.0 + 28.8);
  EXPECT_DOUBLE_EQ(bounds_of(e).energy_j_high, 720.0 + 54.0);
  EXPECT_LT(bounds_of(e).co2e_g_low, e.co2e_g);
  const auto read = history_entry_from_run_json(e.document, "run.json");
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_DOUBLE_EQ(bounds_of(*read).energy_j_low, bounds_of(e).energy_j_low);
  EXPECT_NEAR(bounds_of(*read).co2e_g_high, bounds_of(e).co2e_g_high, 1e-12);
  const auto measured =
      history_entry_from_run_json(run_to_json(measured_run()), "m.json");
  ASSERT_TRUE(measured.has_value());
  EXPECT_EQ(bounds_of(*measured).energy_j_low, measured->energy_j);
  EXPECT_EQ(bounds_of(*measured).attributed_co2e_g_high,
            measured->attributed_co2e_g);
}

}  // namespace
}  // namespace mlcarbon::report
