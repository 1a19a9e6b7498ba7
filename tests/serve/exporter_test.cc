// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/serve/exporter.h"

#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/serve/exposition.h"
#include "mlcarbon/serve/http.h"

#include "support/fake_sensor.h"
#include "support/test_support.h"

namespace mlcarbon::serve {
namespace {

namespace fs = std::filesystem;
using testing::FakeSensor;
using testing::TempDir;

TEST(ExpositionTest, EscapesLabelValuesAndSkipsEmptyOnes) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_TRUE(is_valid_utf8(escape_label_value("job\xff")));
  Exposition out;
  out.family("m_total", "Help with \\ and\nnewline.", "counter");
  out.sample("m_total", {{"a", "x\"y"}, {"empty", ""}, {"b", "z"}}, 1.5);
  out.sample("m_total", {}, 2);
  EXPECT_EQ(out.text(),
            "# HELP m_total Help with \\\\ and\\nnewline.\n"
            "# TYPE m_total counter\n"
            "m_total{a=\"x\\\"y\",b=\"z\"} 1.5\n"
            "m_total 2\n");
}

TEST(MonotonicCounterTest, GrowsAcrossRestartsOfItsSource) {
  MonotonicCounter c;
  EXPECT_EQ(c.advance(Joules(1000)), Joules(0));  // baseline
  EXPECT_EQ(c.advance(Joules(1050)), Joules(50));
  // The source restarted from zero: what it reads now is new energy.
  EXPECT_EQ(c.advance(Joules(20)), Joules(20));
  EXPECT_EQ(c.advance(Joules(30)), Joules(10));
  EXPECT_EQ(c.total(), Joules(80));
}

TEST(ListenTest, ParsesAddressesAndNamesTheFlag) {
  auto a = parse_listen("127.0.0.1:9464", "--listen");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  auto b = parse_listen("[::1]:80", "--listen");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  auto c = parse_listen(":0", "--listen");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 0);
  for (const char* bad : {"9464", "host:", "host:70000", "host:x"}) {
    auto e = parse_listen(bad, "--listen");
    ASSERT_FALSE(e) << bad;
    EXPECT_NE(e.error().message().find("--listen"), std::string::npos);
  }
}

// Busy time of the machine, scripted.
class FakeCpu final : public measure::ProcessCpuReader {
 public:
  Result<Seconds> machine_busy_time() override { return busy; }
  Result<Seconds> tree_cpu_time(int) override {
    return make_error(Errc::kNotFound, "no tree");
  }
  Seconds busy{0};
};

void put(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

double value_of(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  const std::size_t at = text.find("\n" + prefix);
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + 1 + prefix.size()));
}

const std::string kPackage =
    "mlcarbon_energy_joules_total{domain=\"package-0\",kind=\"package\","
    "sensor=\"rapl-powercap\",method=\"measured\",nested=\"false\"}";

struct Node {
  TempDir dir;
  FakeSensor* cpu = nullptr;
  FakeSensor* gpu = nullptr;
  FakeCpu busy;
  std::unique_ptr<Exporter> exporter;

  Node() {
    const fs::path cg = dir.path() / "cg";
    put(cg / "cgroup.controllers", "cpu\n");
    put(cg / "system.slice/slurmstepd.scope/job_42/cpu.stat", "usage_usec 0\n");
    put(cg / "system.slice/slurmstepd.scope/job_42/step_0/cgroup.procs",
        "77\n");
    put(dir.path() / "proc/77/cgroup",
        "0::/system.slice/slurmstepd.scope/job_42/step_0\n");
    auto detect = [this] {
      sensors::Detection d;
      auto c = std::make_unique<FakeSensor>(
          std::vector<sensors::Domain>{
              {.name = "package-0", .kind = sensors::DomainKind::kPackage},
              {.name = "core-0",
               .kind = sensors::DomainKind::kCore,
               .nested = true}},
          Method::kMeasured, "rapl-powercap");
      auto g = std::make_unique<FakeSensor>(
          std::vector<sensors::Domain>{
              {.name = "gpu-0", .kind = sensors::DomainKind::kGpu}},
          Method::kMeasured, "nvml");
      cpu = c.get();
      gpu = g.get();
      d.sensors.push_back(std::move(c));
      d.sensors.push_back(std::move(g));
      return d;
    };
    auto made = Exporter::create(
        {.interval = std::chrono::milliseconds(100),
         .carbon = {.region = "DE", .carbon_intensity = 400.0, .pue = 1.5},
         .cgroups = measure::CgroupOptions{.cgroup_root = cg,
                                           .proc_root = dir.path() / "proc"},
         .fakes = {.detect = detect, .cpu_reader = &busy}});
    EXPECT_TRUE(made) << made.error().to_string();
    exporter = std::move(*made);
  }
  void set_job_cpu(int usec) {
    put(dir.path() / "cg/system.slice/slurmstepd.scope/job_42/cpu.stat",
        "usage_usec " + std::to_string(usec) + "\n");
  }
};

TEST(ExporterTest, ExportsCountersPowerCo2eAndJobs) {
  Node node;
  node.cpu->set_energy({1000, 500});
  node.gpu->set_energy({7000});
  node.gpu->set_device_processes(std::vector<int>{77});
  node.exporter->sample();  // baseline
  node.cpu->set_energy({1100, 540});
  node.gpu->set_energy({7300});
  node.busy.busy = Seconds(4);
  node.set_job_cpu(1'000'000);
  node.exporter->sample();
  const std::string text = node.exporter->metrics();

  EXPECT_EQ(value_of(text, kPackage), 100.0);
  EXPECT_EQ(value_of(text,
                     "mlcarbon_energy_joules_total{domain=\"core-0\","
                     "kind=\"core\",sensor=\"rapl-powercap\",method="
                     "\"measured\",nested=\"true\"}"),
            40.0);
  // (100 + 300) J x PUE 1.5 x 400 g/kWh.
  EXPECT_NEAR(value_of(text,
                       "mlcarbon_co2e_grams_total{region=\"DE\","
                       "method=\"measured\"}"),
              400.0 * 1.5 / 3.6e6 * 400.0, 1e-12);
  EXPECT_EQ(value_of(text,
                     "mlcarbon_carbon_intensity_grams_per_kwh{region="
                     "\"DE\",source=\"given by the user\"}"),
            400.0)
      << text;
  // The job's CPU share (1 s of 4 s busy: 25 J) and the GPU it ran on.
  const std::string job =
      "mlcarbon_cgroup_energy_joules_total{cgroup=\"/system.slice/"
      "slurmstepd.scope/job_42\",kind=\"slurm-job\",job_id=\"42\"";
  const std::size_t at = text.find(job);
  ASSERT_NE(at, std::string::npos) << text;
  const std::string line = text.substr(at, text.find('\n', at) - at);
  EXPECT_EQ(std::stod(line.substr(line.rfind(' ') + 1)), 325.0);
  EXPECT_EQ(value_of(text,
                     "mlcarbon_cgroup_energy_joules_total{cgroup=\"("
                     "unattributed)\",kind=\"unattributed\",method="
                     "\"measured\"}"),
            75.0);
  EXPECT_NE(text.find("# TYPE mlcarbon_power_watts gauge"), std::string::npos);
  EXPECT_NE(text.find("mlcarbon_build_info{version="), std::string::npos);
  EXPECT_NE(text.find("\nmlcarbon_scrape_duration_seconds "),
            std::string::npos);
  // Every HELP is followed by its TYPE, and each family comes once.
  std::regex help("# HELP (\\w+) [^\n]*\n# TYPE \\1 (counter|gauge)\n");
  std::size_t helps = 0;
  for (std::size_t p = text.find("# HELP"); p != std::string::npos;
       p = text.find("# HELP", p + 1)) {
    ++helps;
  }
  const auto matches =
      std::distance(std::sregex_iterator(text.begin(), text.end(), help),
                    std::sregex_iterator());
  EXPECT_EQ(static_cast<std::size_t>(matches), helps);
}

TEST(ExporterTest, CountersContinueWhenASensorFailsAndRestarts) {
  Node node;
  node.cpu->set_energy({1000, 0});
  node.exporter->sample();
  node.cpu->set_energy({1100, 0});
  node.exporter->sample();
  // Fails twice: the counter holds, then catches up when it comes back.
  node.cpu->fail_next(2);
  node.exporter->sample();
  node.exporter->sample();
  const std::string held = node.exporter->metrics();
  EXPECT_NE(held.find("mlcarbon_sensor_read_errors_total{sensor="
                      "\"rapl-powercap\"} 2"),
            std::string::npos);
  node.cpu->set_energy({1300, 0});
  node.exporter->sample();
  // The device counter restarted from zero.
  node.cpu->set_energy({50, 0});
  node.exporter->sample();
  const std::string text = node.exporter->metrics();
  EXPECT_EQ(value_of(text, kPackage), 350.0);
}

TEST(ExporterTest, StepsWithoutACgroupTreeAreUnattributed) {
  Node node;
  node.cpu->set_energy({0, 0});
  node.exporter->sample();
  fs::remove_all(node.dir.path() / "cg");
  node.cpu->set_energy({60, 0});
  node.exporter->sample();
  const std::string text = node.exporter->metrics();
  EXPECT_EQ(value_of(text, "mlcarbon_cgroup_read_errors_total"), 1.0);
  EXPECT_EQ(value_of(text,
                     "mlcarbon_cgroup_energy_joules_total{cgroup=\"("
                     "unattributed)\",kind=\"unattributed\",method="
                     "\"measured\"}"),
            60.0);
}

TEST(ExporterTest, BadIntervalAndRegionAreErrors) {
  auto bad = Exporter::create({.interval = Seconds(0)});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("interval"), std::string::npos);
  auto region = Exporter::create({.carbon = {.region = "Atlantis"}});
  ASSERT_FALSE(region);
}

}  // namespace
}  // namespace mlcarbon::serve
