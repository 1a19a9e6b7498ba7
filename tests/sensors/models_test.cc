// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/models.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/csv.h"
#include "mlcarbon/sensors/power_config.h"

#include "support/test_support.h"
#include "test_helpers.h"

namespace mlcarbon::sensors {
namespace {

using namespace std::chrono_literals;
using mlcarbon::testing::fixture;
using mlcarbon::testing::source_dir;
using mlcarbon::testing::TempDir;
using testing::write_text;

// A /proc with the cpuinfo and meminfo of `base` and a writable stat.
std::filesystem::path copy_proc(const TempDir& dir, const std::string& base) {
  std::filesystem::copy(fixture(base), dir.path(),
                        std::filesystem::copy_options::recursive);
  return dir.path();
}

// Options that read the machine kind from fixtures only (never this
// machine's DMI).
SensorOptions fixture_options(const std::filesystem::path& proc,
                              const Clock& clock,
                              const std::filesystem::path& dmi = "/nonexistent",
                              PowerOverrides overrides = {}) {
  return SensorOptions{.proc_root = proc,
                       .dmi_root = dmi,
                       .hypervisor_root = "/nonexistent",
                       .overrides = std::move(overrides),
                       .clock = &clock};
}

// Energy of `sensor` over 10 s at utilisation 0.5 (stat advances 10000
// ticks of which 5000 idle from the fixtures' stat).
Joules half_load_energy(EnergySensor& sensor, const std::filesystem::path& proc,
                        ManualClock& clock) {
  write_text(proc / "stat", "cpu  6000 0 500 13000 500 0 0 0 0 0\n");
  clock.advance(10s);
  auto sample = sensor.sample();
  EXPECT_TRUE(sample) << sample.error().to_string();
  return sample ? sample->energy[0] : Joules(-1);
}

TEST(CpuNameTest, NormalisesVendorDecorations) {
  EXPECT_EQ(normalise_cpu_name("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz"),
            "intel xeon e5-2620 v3");
  EXPECT_EQ(normalise_cpu_name("AMD EPYC 7763 64-Core Processor"),
            "amd epyc 7763");
  EXPECT_EQ(normalise_cpu_name("Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz"),
            "intel core i7-8700k");
}

TEST(CpuNameTest, LongestWholeWordMatchWins) {
  auto v2 = lookup_cpu_tdp("Intel(R) Xeon(R) CPU E5-2670 v2 @ 2.50GHz");
  auto v1 = lookup_cpu_tdp("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz");
  auto f = lookup_cpu_tdp("Intel(R) Core(TM) i5-10400F CPU @ 2.90GHz");

  ASSERT_TRUE(v2 && v1 && f);
  EXPECT_EQ(v2->model, "Xeon E5-2670 v2");
  EXPECT_EQ(v1->model, "Xeon E5-2670");
  EXPECT_EQ(f->model, "Core i5-10400F");
  EXPECT_FALSE(lookup_cpu_tdp("AMD EPYC"));
}

TEST(CpuModelTest, BareMetalXeonUsesTdpTimesPackagesAndTheCurve) {
  TempDir dir;
  const auto proc = copy_proc(dir, "proc/xeon");
  ManualClock clock;
  auto sensor = CpuModelSensor::create(fixture_options(proc, clock));
  ASSERT_TRUE(sensor) << sensor.error().to_string();

  const Joules e = half_load_energy(**sensor, proc, clock);

  const CpuPowerModel& m = (*sensor)->model();
  EXPECT_EQ(m.kind, CpuModelKind::kTdpCurve);
  // Gold 6148: 150 W, one package.
  EXPECT_NEAR(m.tdp_used.value(), 150.0, 1e-9);
  // 150 W x (0.10 + 0.61 x 0.5^0.88) x 10 s.
  EXPECT_NEAR(e.value(), 647.18, 0.01);
  EXPECT_EQ(m.origin, "table data/cpu_tdp.csv row 'Xeon Gold 6148'");
  EXPECT_DOUBLE_EQ((*sensor)->band().low, kCpuCurveBandLow);
  EXPECT_DOUBLE_EQ((*sensor)->band().high, kCpuCurveBandHigh);
  EXPECT_EQ((*sensor)->method(), Method::kEstimated);
  EXPECT_EQ((*sensor)->domains()[0].name, "cpu");
}

TEST(CpuModelTest, UnknownCpuOnBareMetalUsesPerCpuDefault) {
  TempDir dir;
  const auto proc = copy_proc(dir, "proc/unknown");
  ManualClock clock;
  auto sensor = CpuModelSensor::create(fixture_options(proc, clock));
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  write_text(proc / "stat", "cpu  11000 0 500 8000 500 0 0 0 0 0\n");  // u=1
  clock.advance(10s);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  EXPECT_FALSE((*sensor)->model().row);
  EXPECT_EQ((*sensor)->model().origin, "default");
  // 12 W x 2 logical CPUs x (0.10 + 0.61) for 10 s.
  EXPECT_NEAR(sample->energy[0].value(), 170.4, 1e-6);
}

TEST(CpuModelTest, VmUsesPerVcpuLinearModelOfItsFamily) {
  TempDir dir;
  const auto proc = copy_proc(dir, "machine/kvm/proc");
  ManualClock clock;
  auto sensor = CpuModelSensor::create(
      fixture_options(proc, clock, fixture("machine/kvm/dmi")));
  ASSERT_TRUE(sensor) << sensor.error().to_string();

  const Joules e = half_load_energy(**sensor, proc, clock);

  const CpuPowerModel& m = (*sensor)->model();
  EXPECT_EQ(m.kind, CpuModelKind::kLinear);
  EXPECT_EQ(m.units, 2);
  EXPECT_EQ(m.origin, "table data/cpu_vm_watts.csv row any/amd-epyc-2");
  // 2 vCPUs x (0.47 + 0.5 x (1.69 - 0.47)) W x 10 s.
  EXPECT_NEAR(e.value(), 21.6, 1e-9);
}

TEST(CpuModelTest, CloudRowWinsOverTheDefaultRow) {
  procfs::CpuInfo cpu;
  cpu.vendor_id = "GenuineIntel";
  cpu.family = 6;
  cpu.model = 85;
  cpu.stepping = 7;
  cpu.logical_cpus = 4;
  const Machine gce{.kind = MachineKind::kVirtual, .cloud = "gcp"};
  const Machine azure{.kind = MachineKind::kVirtual, .cloud = "azure"};

  const CpuPowerModel g = make_cpu_power_model(cpu, gce);
  const CpuPowerModel a = make_cpu_power_model(cpu, azure);

  EXPECT_EQ(g.origin, "table data/cpu_vm_watts.csv row gcp/intel-cascade-lake");
  EXPECT_NEAR(cpu_power(g, 1.0).value(), 4 * 3.97, 1e-9);
  EXPECT_NEAR(cpu_power(a, 0.0).value(), 4 * 0.62, 1e-9);
}

TEST(CpuModelTest, VmOfUnknownFamilyGetsTheDefaultRowAndAWiderBand) {
  procfs::CpuInfo cpu;
  cpu.model_name = "Intel(R) Xeon(R) Processor";
  cpu.vendor_id = "GenuineIntel";
  cpu.family = 6;
  cpu.model = 167;
  cpu.logical_cpus = 2;
  const Machine vm{.kind = MachineKind::kVirtual};

  const CpuPowerModel m = make_cpu_power_model(cpu, vm);

  EXPECT_EQ(m.origin, "table data/cpu_vm_watts.csv row any/average");
  // Idle: 2 x 0.73 W; one of two vCPUs busy adds (3.78 - 0.73) W.
  EXPECT_NEAR(cpu_power(m, 0.0).value(), 1.46, 1e-9);
  EXPECT_NEAR((cpu_power(m, 0.5) - cpu_power(m, 0.0)).value(), 3.05, 1e-9);
  // Ivy Bridge's (3.04 + 8.25) / 2 against (0.73 + 3.78) / 2.
  EXPECT_NEAR(m.band.high, 11.29 / 4.51, 1e-9);
  // EPYC 2nd gen's (0.47 + 1.69) / 2 is the lowest.
  EXPECT_NEAR(m.band.low, 2.16 / 4.51, 1e-9);
}

TEST(CpuModelTest, OverridesWinAndSayWhereTheyCameFrom) {
  procfs::CpuInfo cpu;
  cpu.model_name = "Intel(R) Xeon(R) Gold 6148 CPU @ 2.40GHz";
  cpu.logical_cpus = 8;
  cpu.package_first_cpu = {0, 4};
  const Machine metal{.kind = MachineKind::kBareMetal};
  const Machine vm{.kind = MachineKind::kVirtual};
  PowerOverrides watts;
  watts.cpu_watts =
      Pinned<CpuWatts>{{Watts(10), Watts(50)}, "flag --cpu-watts"};
  PowerOverrides tdp;
  tdp.tdp = Pinned<Watts>{Watts(100), "config file c.yaml:2"};

  const CpuPowerModel per_package = make_cpu_power_model(cpu, metal, watts);
  const CpuPowerModel per_vcpu = make_cpu_power_model(cpu, vm, watts);
  const CpuPowerModel curve = make_cpu_power_model(cpu, vm, tdp);

  EXPECT_EQ(per_package.origin, "flag --cpu-watts");
  EXPECT_NEAR(cpu_power(per_package, 0.5).value(), 2 * 30.0, 1e-9);
  EXPECT_NEAR(cpu_power(per_vcpu, 0.5).value(), 8 * 30.0, 1e-9);
  EXPECT_EQ(curve.origin, "config file c.yaml:2");
  EXPECT_NEAR(curve.tdp_used.value(), 200.0, 1e-9);
}

TEST(CpuModelTest, CurveEndpointsAndClamping) {
  EXPECT_NEAR(cpu_curve(0.0), kCpuIdleFraction, 1e-12);
  EXPECT_NEAR(cpu_curve(1.0), kCpuIdleFraction + kCpuCurveScale, 1e-12);
  EXPECT_NEAR(cpu_curve(2.0), cpu_curve(1.0), 1e-12);
  EXPECT_NEAR(cpu_curve(-1.0), cpu_curve(0.0), 1e-12);
}

TEST(CpuVmWattsTest, EveryRowParsesAndEveryProviderHasAnAverage) {
  const auto& rows = cpu_vm_watts_rows();

  EXPECT_EQ(rows.size(), 43U);
  for (const CpuVmWattsRow& r : rows) {
    EXPECT_GT(r.watts.max.value(), r.watts.min.value()) << r.family;
    EXPECT_GT(r.watts.min.value(), 0.0) << r.family;
  }
  for (const char* p : {"aws", "gcp", "azure", "any"})
    EXPECT_EQ(lookup_cpu_vm_watts(p, "no-such-family").family, "average") << p;
  EXPECT_EQ(lookup_cpu_vm_watts("aws", "amd-epyc-3").provider, "any");
}

// The project's table of codecarbon's load profiles, per run.
struct Profile {
  double tdp = 0;
  std::vector<std::pair<double, double>> points;  // load 0..1, watts
};

std::map<std::string, Profile> read_profiles() {
  std::ifstream in(source_dir() / "data" / "cpu_load_profiles.csv");
  std::stringstream text;
  text << in.rdbuf();
  auto rows = parse_csv_table(text.str(), "cpu_load_profiles.csv");
  EXPECT_TRUE(rows) << rows.error().to_string();
  std::map<std::string, Profile> out;
  for (const CsvRow& row : rows.value_or(std::vector<CsvRow>{})) {
    Profile& p = out[*row.get("run")];
    p.tdp = *row.number("tdp_w") * *row.number("sockets");
    p.points.emplace_back(*row.number("cpu_load_pct") / 100,
                          *row.number("rapl_power_w"));
  }
  return out;
}

struct Fit {
  double mae_w = 0;
  double relative = 0;  // MAE / mean measured power
  double ratio = 0;     // measured / modelled energy over the run
};

Fit evaluate(const Profile& p, const std::function<double(double)>& curve) {
  double err = 0;
  double measured = 0;
  double modelled = 0;
  for (const auto& [u, watts] : p.points) {
    err += std::abs(curve(u) * p.tdp - watts);
    measured += watts;
    modelled += curve(u) * p.tdp;
  }
  return {err / static_cast<double>(p.points.size()), err / measured,
          measured / modelled};
}

// The fitted curve's error on the reference profiles, as docs/models.md
// reports it (tolerance: the table's rounding).
TEST(CpuCurveValidationTest, FittedCurvePinnedOnTheReferenceProfiles) {
  const auto profiles = read_profiles();
  ASSERT_EQ(profiles.size(), 5U);
  const std::map<std::string, double> expected_mae_w = {
      {"e3-1240v2-a", 7.12}, {"e3-1240v2-b", 26.65}, {"e5-2620v3", 16.19},
      {"epyc-8024p", 8.03},  {"tr-1950x", 44.18},
  };
  double low = 1e9;
  double high = 0;
  for (const auto& [run, profile] : profiles) {
    const Fit f = evaluate(profile, cpu_curve);
    ASSERT_TRUE(expected_mae_w.contains(run)) << run;
    EXPECT_NEAR(f.mae_w, expected_mae_w.at(run), 0.01) << run;
    low = std::min(low, f.ratio);
    high = std::max(high, f.ratio);
  }
  // The band is the lowest and highest run's measured/modelled energy.
  EXPECT_NEAR(low, kCpuCurveBandLow, 0.005);
  EXPECT_NEAR(high, kCpuCurveBandHigh, 0.005);
}

TEST(CpuCurveValidationTest, FittedCurveBeatsLinearAndCodeCarbonsCubic) {
  const auto profiles = read_profiles();
  auto mean_relative = [&](const std::function<double(double)>& curve) {
    double sum = 0;
    for (const auto& [run, profile] : profiles)
      sum += evaluate(profile, curve).relative;
    return sum / static_cast<double>(profiles.size());
  };

  const double fitted = mean_relative(cpu_curve);
  const double linear = mean_relative([](double u) { return u; });
  const double cubic =
      mean_relative([](double u) { return 0.1 + 0.9 * u * u * u; });

  EXPECT_NEAR(fitted, 0.309, 0.001);
  EXPECT_NEAR(linear, 0.380, 0.001);
  EXPECT_NEAR(cubic, 0.431, 0.001);
  EXPECT_LT(fitted, linear);
  EXPECT_LT(fitted, cubic);
}

TEST(MemoryModelTest, InstalledMemoryTimesWattsPerGib) {
  ManualClock clock;
  auto sensor =
      MemoryModelSensor::create(fixture_options(fixture("proc/xeon"), clock));
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  clock.advance(10s);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  // 16 GiB installed x 0.392 W/GiB x 10 s.
  EXPECT_NEAR(sample->energy[0].value(), 62.72, 1e-9);
  EXPECT_NEAR((*sensor)->band().low, 0.3725 / 0.392, 1e-12);
}

TEST(MemoryModelTest, MachineFigureIgnoresOtherProcessesMemory) {
  TempDir dir;
  const auto proc = copy_proc(dir, "proc/xeon");
  ManualClock clock;
  auto sensor = MemoryModelSensor::create(fixture_options(proc, clock));
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  clock.advance(10s);
  auto quiet = (*sensor)->sample();
  // Another job takes 7 of the 8 available GiB.
  write_text(proc / "meminfo",
             "MemTotal:       16777216 kB\nMemFree:          524288 kB\n"
             "MemAvailable:     1048576 kB\n");
  clock.advance(10s);

  auto busy = (*sensor)->sample();

  ASSERT_TRUE(quiet && busy);
  EXPECT_NEAR((busy->energy[0] - quiet->energy[0]).value(),
              quiet->energy[0].value(), 1e-9);
}

TEST(MemoryModelTest, OverrideSaysWhereItCameFrom) {
  procfs::MemInfo mem{.total_bytes = 8ULL << 30, .available_bytes = 0};
  PowerOverrides o;
  o.memory_watts_per_gb = Pinned<double>{0.5, "flag --memory-watts-per-gb"};

  const MemoryPowerModel m = make_memory_power_model(mem, o);

  EXPECT_NEAR(m.power.value(), 4.0, 1e-12);
  EXPECT_EQ(m.origin, "flag --memory-watts-per-gb");
}

TEST(PowerConfigTest, ReadsThePinnedFiguresWithTheirLines) {
  TempDir dir;
  const auto path = dir.path() / "config.yaml";
  write_text(path,
             "power:\n  cpu_watts: 0.74:3.5\n"
             "  memory_watts_per_gb: 0.4\n");
  const auto tdp_path = dir.path() / "tdp.yaml";
  write_text(tdp_path, "# pinned by the team\npower:\n  tdp_w: 65\n");

  auto o = load_power_config(path);
  auto t = load_power_config(tdp_path);

  ASSERT_TRUE(o) << o.error().to_string();
  ASSERT_TRUE(t) << t.error().to_string();
  ASSERT_TRUE(o->cpu_watts && o->memory_watts_per_gb && t->tdp);
  EXPECT_DOUBLE_EQ(o->cpu_watts->value.min.value(), 0.74);
  EXPECT_DOUBLE_EQ(o->cpu_watts->value.max.value(), 3.5);
  EXPECT_EQ(o->cpu_watts->origin, "config file " + path.string() + ":2");
  EXPECT_DOUBLE_EQ(o->memory_watts_per_gb->value, 0.4);
  EXPECT_DOUBLE_EQ(t->tdp->value.value(), 65.0);
  EXPECT_EQ(t->tdp->origin, "config file " + tdp_path.string() + ":3");
}

TEST(PowerConfigTest, FlagsWinAndTheCpuFiguresGoTogether) {
  TempDir dir;
  const auto path = dir.path() / "config.yaml";
  write_text(path, "power:\n  cpu_watts: 1:4\n  memory_watts_per_gb: 0.4\n");
  SensorOptions flags;
  flags.overrides.tdp = Pinned<Watts>{Watts(65), "flag --tdp"};

  auto o = with_config_file(flags, path);

  ASSERT_TRUE(o) << o.error().to_string();
  // --tdp replaces the file's cpu_watts; the memory figure stays.
  EXPECT_FALSE(o->overrides.cpu_watts);
  ASSERT_TRUE(o->overrides.tdp && o->overrides.memory_watts_per_gb);
  EXPECT_EQ(o->overrides.tdp->origin, "flag --tdp");
  EXPECT_DOUBLE_EQ(o->overrides.memory_watts_per_gb->value, 0.4);
}

TEST(PowerConfigTest, BothCpuModelsInOneFileIsAnError) {
  TempDir dir;
  const auto path = dir.path() / "config.yaml";
  write_text(path, "power:\n  cpu_watts: 1:4\n  tdp_w: 65\n");

  auto o = load_power_config(path);

  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().message(),
            path.string() +
                ": power.cpu_watts and power.tdp_w are two CPU models: give "
                "one");
}

TEST(PowerConfigTest, MissingFileIsNoOverride) {
  auto o = load_power_config("/nonexistent/mlcarbon/config.yaml");

  ASSERT_TRUE(o);
  EXPECT_FALSE(o->cpu_watts || o->tdp || o->memory_watts_per_gb);
}

TEST(PowerConfigTest, BadValuesNameFileLineAndExpectation) {
  TempDir dir;
  const auto path = dir.path() / "config.yaml";
  const std::string p = path.string();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"power:\n  tdp_w: -5\n",
       p + ":2:10: power.tdp_w: expected a TDP in watts"},
      {"power:\n  cpu_watts: 3\n",
       p + ":2:14: power.cpu_watts: expected MIN:MAX in watts"},
      {"power:\n  cpu_watts: 4:1\n",
       p + ":2:14: power.cpu_watts: expected MIN <= MAX"},
      {"power:\n  tdp: 65\n", p + ":2:3: unknown key 'power.tdp'"},
      {"cpu_watts: 1:2\n", p + ":1:1: unknown key 'cpu_watts'"},
  };
  for (const auto& [text, expected] : cases) {
    write_text(path, text);

    auto o = load_power_config(path);

    ASSERT_FALSE(o) << text;
    EXPECT_EQ(o.error().message().substr(0, expected.size()), expected)
        << o.error().message();
  }
}

TEST(PowerConfigTest, FlagErrorsNameTheFlag) {
  auto w = parse_cpu_watts("1:abc", "flag --cpu-watts");
  auto t = parse_tdp("0", "flag --tdp");
  auto m = parse_memory_watts_per_gb("392", "flag --memory-watts-per-gb");

  ASSERT_FALSE(w || t || m);
  EXPECT_EQ(w.error().message(),
            "flag --cpu-watts: expected MAX watts of MIN:MAX (above 0 and at "
            "most 1000), got 'abc'");
  EXPECT_EQ(t.error().message(),
            "flag --tdp: expected a TDP in watts (above 0 and at most 10000), "
            "got '0'");
  EXPECT_NE(m.error().message().find("at most 10"), std::string::npos);
}

TEST(PowerConfigTest, NotANumberIsRefusedAsTextAndAsNumber) {
  auto t = parse_tdp("nan", "flag --tdp");
  auto w = parse_cpu_watts("nan:4", "flag --cpu-watts");

  ASSERT_FALSE(t || w);
  EXPECT_EQ(t.error().message(),
            "flag --tdp: expected a TDP in watts (above 0 and at most 10000), "
            "got 'nan'");
}

TEST(PowerConfigTest, NumbersAreCheckedAsTheFlagsAreWithTheSameMessages) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<Status, std::string>> cases = {
      {check_tdp(nan, "tdp_watts").map([](Watts) {}),
       "tdp_watts: expected a TDP in watts (above 0 and at most 10000), got "
       "'nan'"},
      {check_tdp(0, "tdp_watts").map([](Watts) {}),
       "tdp_watts: expected a TDP in watts (above 0 and at most 10000), got "
       "'0'"},
      {check_memory_watts_per_gb(-0.5, "x").map([](double) {}),
       "x: expected watts per GiB of memory (above 0 and at most 10), got "
       "'-0.5'"},
      {check_memory_watts_per_gb(inf, "x").map([](double) {}),
       "x: expected watts per GiB of memory (above 0 and at most 10), got "
       "'inf'"},
      {check_cpu_watts(-1, 4, "w").map([](CpuWatts) {}),
       "w: expected MIN watts of MIN:MAX (at least 0 and at most 1000), got "
       "'-1'"},
      {check_cpu_watts(0, 0, "w").map([](CpuWatts) {}),
       "w: expected MAX watts of MIN:MAX (above 0 and at most 1000), got '0'"},
      {check_cpu_watts(4, 1, "w").map([](CpuWatts) {}),
       "w: expected MIN <= MAX in MIN:MAX, got '4:1'"},
  };
  for (const auto& [status, expected] : cases) {
    ASSERT_FALSE(status) << expected;
    EXPECT_EQ(status.error().message(), expected);
    EXPECT_EQ(status.error().code(), Errc::kInvalidArgument);
  }

  auto ok = check_cpu_watts(0, 3.5, "w");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_DOUBLE_EQ(ok->max.value(), 3.5);
  auto parsed = parse_cpu_watts("0:3.5", "w");
  ASSERT_TRUE(parsed);
  EXPECT_DOUBLE_EQ(parsed->max.value(), ok->max.value());
}

TEST(PowerConfigTest, BothCpuModelsFromOneCallerAreNamedAsGiven) {
  PowerOverrides o;
  o.tdp = Pinned<Watts>{Watts(65), "argument tdp_watts"};
  ASSERT_TRUE(check_one_cpu_model(o, Errc::kInvalidArgument, "", "cpu_watts",
                                  "tdp_watts"));
  o.cpu_watts = Pinned<CpuWatts>{{Watts(1), Watts(4)}, "argument cpu_watts"};

  const Status s = check_one_cpu_model(o, Errc::kInvalidArgument, "",
                                       "cpu_watts", "tdp_watts");

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "cpu_watts and tdp_watts are two CPU models: give one");
}

}  // namespace
}  // namespace mlcarbon::sensors
