// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/run.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <regex>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_nvml_api.h"

namespace mlcarbon::measure {
namespace {

using std::chrono::hours;

const WallTime kT0 = WallTime(std::chrono::seconds(1'800'000'000));

measure::Run two_hour_run() {
  measure::Run run;
  run.measurement.start = kT0;
  run.measurement.end = kT0 + hours(2);
  run.measurement.duration = Seconds(7200.0);
  run.measurement.total = Joules(7200.0);  // 1 W for two hours
  run.measurement.attributed = Joules(3600.0);
  return run;
}

CarbonSetup doubling_series() {
  CarbonSetup setup;
  setup.info.pue = 1.5;
  setup.series = carbon::IntensitySeries(
      {{kT0, GramsCo2ePerKwh(100.0)}, {kT0 + hours(1), GramsCo2ePerKwh(200.0)}},
      "test");
  return setup;
}

TEST(RunRecordTest, ConstantIntensityPricesMachineAndAttributedEnergy) {
  measure::Run run = two_hour_run();
  CarbonSetup setup;
  setup.info.intensity = GramsCo2ePerKwh(400.0);
  setup.info.pue = 1.2;

  apply_carbon(run, setup);

  // 7200 J = 0.002 kWh; x 1.2 x 400 g/kWh = 0.96 g.
  EXPECT_NEAR(run.co2e.value(), 0.96, 1e-12);
  EXPECT_NEAR(run.attributed_co2e.value(), 0.48, 1e-12);
}

TEST(RunRecordTest, SeriesDoublingHalfwayGivesOneAndAHalfTimesTheFirstRate) {
  measure::Run run = two_hour_run();
  const std::vector<carbon::EnergyPoint> energy = {
      {kT0, Joules(0.0)},
      {kT0 + hours(1), Joules(3600.0)},
      {kT0 + hours(2), Joules(7200.0)}};

  apply_carbon(run, doubling_series(), energy);

  // Mean intensity 150 g/kWh: 1.5 x the first hour's 100.
  EXPECT_NEAR(run.carbon.intensity.value(), 150.0, 1e-9);
  // 0.002 kWh x 1.5 (PUE) x 150 g/kWh = 0.45 g.
  EXPECT_NEAR(run.co2e.value(), 0.45, 1e-12);
}

TEST(RunRecordTest, SeriesWithoutEnergyPointsUsesTheStartHour) {
  measure::Run run = two_hour_run();

  apply_carbon(run, doubling_series());

  EXPECT_NEAR(run.carbon.intensity.value(), 100.0, 1e-12);
}

// An environment from a map, as getenv sees it.
auto environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST(SlurmTaskTest, ReadsTheTaskFromTheEnvironment) {
  const auto task =
      slurm_task_from_environment(environment({{"SLURM_JOB_ID", "4711"},
                                               {"SLURM_PROCID", "3"},
                                               {"SLURM_NODEID", "1"},
                                               {"SLURMD_NODENAME", "gpu07"}}),
                                  "host");

  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->job_id, "4711");
  EXPECT_EQ(task->proc_id, 3);
  EXPECT_EQ(task->node_id, 1);
  EXPECT_EQ(task->node, "gpu07");
}

TEST(SlurmTaskTest, OutsideAJobThereIsNoTaskAndGapsAreLeftOut) {
  EXPECT_FALSE(slurm_task_from_environment(environment({}), "h").has_value());
  EXPECT_FALSE(
      slurm_task_from_environment(environment({{"SLURM_JOB_ID", ""}}), "h")
          .has_value());

  const auto task =
      slurm_task_from_environment(environment({{"SLURM_JOBID", "12"},
                                               {"SLURM_PROCID", "x1"},
                                               {"SLURM_NODEID", "-1"}}),
                                  "node3");

  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->job_id, "12");
  EXPECT_FALSE(task->proc_id.has_value());
  EXPECT_FALSE(task->node_id.has_value());
  EXPECT_EQ(task->node, "node3");
}

TEST(RunRecordTest, RunIdIsAVersion4Uuid) {
  const std::regex uuid4(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  const Result<std::string> a = new_run_id();

  ASSERT_TRUE(a.has_value()) << a.error().to_string();
  EXPECT_TRUE(std::regex_match(*a, uuid4)) << *a;
  EXPECT_NE(*a, new_run_id().value());
}

TEST(RunRecordTest, RunIdFailsWithoutRandomBytesInsteadOfBeingZero) {
  const auto no_random = [](std::span<std::uint8_t>) -> Status {
    return make_error(Errc::kIo, "getrandom: Function not implemented");
  };

  const Result<std::string> id = new_run_id(no_random);

  ASSERT_FALSE(id.has_value());
  EXPECT_NE(id.error().message().find("run id"), std::string::npos);
  EXPECT_NE(id.error().message().find("getrandom"), std::string::npos);
}

TEST(RunRecordTest, RunOutsideTheSeriesSpanIsWarnedNamingTheSpan) {
  measure::Run run = two_hour_run();
  CarbonSetup setup = doubling_series();
  // A series of two hours in 2000 (946684800 = 2000-01-01T00:00:00Z).
  const WallTime y2000 = WallTime(std::chrono::seconds(946'684'800));
  setup.series =
      carbon::IntensitySeries({{y2000, GramsCo2ePerKwh(100.0)},
                               {y2000 + hours(1), GramsCo2ePerKwh(200.0)}},
                              "old.csv");

  apply_carbon(run, setup);

  ASSERT_EQ(run.measurement.warnings.size(), 1U);
  const std::string& w = run.measurement.warnings[0];
  EXPECT_NE(w.find("old.csv"), std::string::npos) << w;
  EXPECT_NE(w.find("2000-01-01T00:00:00Z to 2000-01-01T02:00:00Z"),
            std::string::npos)
      << w;
  EXPECT_NE(w.find("2027-01-15"), std::string::npos) << w;  // the run's start
}

TEST(RunRecordTest, RunInsideTheSeriesSpanHasNoWarning) {
  measure::Run run = two_hour_run();

  apply_carbon(run, doubling_series());

  EXPECT_TRUE(run.measurement.warnings.empty());
}

TEST(RunRecordTest, WindowIsPricedWithTheHoursItCovers) {
  Measurement m;
  m.name = "epoch-2";
  m.start = kT0 + hours(1);
  m.end = kT0 + hours(2);
  m.total = Joules(3600.0);
  m.attributed = Joules(1800.0);
  const std::vector<carbon::EnergyPoint> energy = {
      {kT0, Joules(0.0)},
      {kT0 + hours(1), Joules(3600.0)},
      {kT0 + hours(2), Joules(7200.0)}};

  const WindowRecord w = price_window(m, doubling_series(), energy);

  // The second hour only: 200 g/kWh x 0.001 kWh x 1.5 (PUE) = 0.3 g.
  EXPECT_EQ(w.name, "epoch-2");
  EXPECT_NEAR(w.intensity.value(), 200.0, 1e-9);
  EXPECT_NEAR(w.co2e.value(), 0.3, 1e-12);
  EXPECT_NEAR(w.attributed_co2e.value(), 0.15, 1e-12);
}

TEST(RunRecordTest, QuotesCommandsLikeAShell) {
  EXPECT_EQ(quote_command({"python", "train.py", "--lr", "0.1"}),
            "python train.py --lr 0.1");
  EXPECT_EQ(quote_command({"sh", "-c", "echo 'hi' && exit 3"}),
            "sh -c 'echo '\\''hi'\\'' && exit 3'");
  EXPECT_EQ(quote_command({""}), "''");
}

TEST(RunRecordTest, UnknownRegionIsRejectedWithASuggestion) {
  const auto setup = resolve_carbon({.region = "Germny"});

  ASSERT_FALSE(setup.has_value());
  EXPECT_NE(setup.error().to_string().find("Germany"), std::string::npos);
}

TEST(RunRecordTest, RegionGivesCountryAndPue) {
  const auto de = resolve_carbon({.region = "DEU"});
  const auto gcp = resolve_carbon({.region = "gcp:europe-west3"});
  const auto bad_pue = resolve_carbon({.region = "DE", .pue = 0.5});
  const auto own = resolve_carbon({.region = "DE", .carbon_intensity = 50.0});

  ASSERT_TRUE(de.has_value());
  EXPECT_EQ(de->info.region, "DE");
  EXPECT_EQ(de->info.country_iso_code, "DEU");
  EXPECT_DOUBLE_EQ(de->info.pue, 1.0);
  ASSERT_TRUE(gcp.has_value());
  EXPECT_EQ(gcp->info.cloud_provider, "gcp");
  EXPECT_EQ(gcp->info.cloud_region, "europe-west3");
  EXPECT_GT(gcp->info.pue, 1.0);
  EXPECT_FALSE(bad_pue.has_value());
  ASSERT_TRUE(own.has_value());
  EXPECT_DOUBLE_EQ(own->info.intensity.value(), 50.0);
}

TEST(RunRecordTest, ContextNamesGpusByModel) {
  ManualClock clock;
  sensors::Detection detection;
  detection.sensors.push_back(mlcarbon::testing::fake_nvml_sensor(
      {"NVIDIA A100-SXM4-40GB", "Tesla T4"}, clock));

  const RunContext ctx = collect_context(detection);

  EXPECT_EQ(ctx.gpus,
            (std::vector<std::string>{"NVIDIA A100-SXM4-40GB", "Tesla T4"}));
}

}  // namespace
}  // namespace mlcarbon::measure

namespace mlcarbon::measure {
namespace {

DomainEnergy domain(std::string name, sensors::DomainKind kind, double joules,
                    double idle, sensors::Band band, bool nested = false) {
  DomainEnergy d;
  d.domain = std::move(name);
  d.kind = kind;
  d.method = band.low == 1.0 && band.high == 1.0 ? Method::kMeasured
                                                 : Method::kEstimated;
  d.energy = Joules(joules);
  d.idle_energy = Joules(idle);
  d.band = std::move(band);
  d.nested = nested;
  return d;
}

// A measured GPU (zero width), an estimated CPU x0.5..x2 and memory x0.8..x1.5,
// and a nested core domain that must not count.
Measurement mixed() {
  Measurement m;
  m.domains = {
      domain("gpu-0", sensors::DomainKind::kGpu, 1000.0, 100.0, {}),
      domain("cpu", sensors::DomainKind::kCpu, 200.0, 50.0, {0.5, 2.0, "fit"}),
      domain("memory", sensors::DomainKind::kMemory, 20.0, 30.0,
             {0.8, 1.5, "stated"}),
      domain("core-0", sensors::DomainKind::kCore, 150.0, 0.0, {0.1, 10.0, "x"},
             true),
  };
  m.total = Joules(1220.0);
  m.above_idle = Joules(900.0 + 150.0 + 0.0);
  return m;
}

TEST(BandTest, TotalBoundsSumEachCountedDomainsBounds) {
  const Measurement m = mixed();
  const EnergyBounds b = m.total_bounds();
  // 1000 + 200 x 0.5 + 20 x 0.8; 1000 + 200 x 2 + 20 x 1.5.
  EXPECT_DOUBLE_EQ(b.low.value(), 1116.0);
  EXPECT_DOUBLE_EQ(b.high.value(), 1430.0);
  EXPECT_LE(b.low, m.total);
  EXPECT_GE(b.high, m.total);
}

TEST(BandTest, MeasuredDomainsAloneHaveZeroWidth) {
  Measurement m;
  m.domains = {
      domain("package-0", sensors::DomainKind::kPackage, 50.0, 0.0, {})};
  m.total = Joules(50.0);
  m.attributed = m.total;
  EXPECT_EQ(m.total_bounds(), (EnergyBounds{Joules(50.0), Joules(50.0)}));
  EXPECT_EQ(m.attributed_bounds(), m.total_bounds());
}

TEST(BandTest, IdleAndAboveIdleCarryTheSameBands) {
  const Measurement m = mixed();
  const EnergyBounds idle = m.idle_bounds();
  EXPECT_DOUBLE_EQ(idle.low.value(), 100.0 + 25.0 + 24.0);
  EXPECT_DOUBLE_EQ(idle.high.value(), 100.0 + 100.0 + 45.0);
  // Memory is below its idle figure: it adds nothing above idle.
  const EnergyBounds above = m.above_idle_bounds();
  EXPECT_DOUBLE_EQ(above.low.value(), 900.0 + 75.0);
  EXPECT_DOUBLE_EQ(above.high.value(), 900.0 + 300.0);
}

TEST(BandTest, AttributedBoundsScaleCpuAndMemoryByTheShareAndKeepTheGpu) {
  Measurement m = mixed();
  m.attributed_share = 0.25;
  // The meter attributes share x (CPU + memory) + the GPU it saw in use.
  m.attributed = Joules(0.25 * 220.0 + 1000.0);
  const EnergyBounds b = m.attributed_bounds();
  EXPECT_DOUBLE_EQ(b.low.value(), 0.25 * (100.0 + 16.0) + 1000.0);
  EXPECT_DOUBLE_EQ(b.high.value(), 0.25 * (400.0 + 30.0) + 1000.0);
  // Without the GPU attributed, only the share remains.
  m.attributed = Joules(0.25 * 220.0);
  EXPECT_NEAR(m.attributed_bounds().high.value(), 0.25 * 430.0, 1e-9);
}

TEST(BandTest, AttributedBoundsTakeTheMemoryModelAtItsResidentShare) {
  Measurement m = mixed();
  m.attributed_share = 0.25;
  m.attributed_memory_share = 0.1;
  // As the meter: CPU x CPU-time share, memory x resident share, the GPU.
  m.attributed = Joules(0.25 * 200.0 + 0.1 * 20.0 + 1000.0);
  const EnergyBounds b = m.attributed_bounds();
  EXPECT_DOUBLE_EQ(b.low.value(), 0.25 * 100.0 + 0.1 * 16.0 + 1000.0);
  EXPECT_DOUBLE_EQ(b.high.value(), 0.25 * 400.0 + 0.1 * 30.0 + 1000.0);
  EXPECT_LE(b.low, m.attributed);
  EXPECT_GE(b.high, m.attributed);
}

TEST(BandTest, Co2eBoundsFollowTheEnergyAtThePricePerJoule) {
  const Co2eBounds b = priced_bounds(GramsCo2e(10.0), Joules(1000.0),
                                     {Joules(500.0), Joules(3000.0)});
  EXPECT_DOUBLE_EQ(b.low.value(), 5.0);
  EXPECT_DOUBLE_EQ(b.high.value(), 30.0);
  const Co2eBounds none =
      priced_bounds(GramsCo2e(0.0), Joules(0.0), {Joules(0.0), Joules(0.0)});
  EXPECT_EQ(none.low.value(), 0.0);
  EXPECT_EQ(none.high.value(), 0.0);
}

TEST(BandTest, ApplyCarbonAddsTheEmbodiedTermOfTheMachine) {
  measure::Run run = two_hour_run();
  run.context.cpu_count = 4;
  run.context.gpus = {"NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB"};
  CarbonSetup setup;
  setup.info.intensity = GramsCo2ePerKwh(100.0);
  apply_carbon(run, setup);
  const auto& table = carbon::EmbodiedTable::builtin();
  const double expected = 4 * 2.0 * (*table.find("vcpu"))->g_per_hour() +
                          2 * 2.0 * (*table.find("gpu"))->g_per_hour();
  EXPECT_NEAR(run.embodied.central.value(), expected, 1e-9);
  EXPECT_LE(run.embodied.low, run.embodied.central);
  EXPECT_GE(run.embodied.high, run.embodied.central);
  ASSERT_EQ(run.embodied.terms.size(), 2U);
  EXPECT_NE(run.embodied.terms[1].find("2 gpu"), std::string::npos)
      << run.embodied.terms[1];
  // A separate term: the operational CO2e is unchanged.
  EXPECT_NEAR(run.co2e.value(), 0.2, 1e-12);
}

}  // namespace
}  // namespace mlcarbon::measure
