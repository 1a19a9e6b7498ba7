// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/rapl.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/fs.h"

#include "support/test_support.h"
#include "test_helpers.h"

namespace mlcarbon::sensors {
namespace {

using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;
using testing::write_msr;
using testing::write_text;

// Copies the two-socket powercap fixture so a test can change counters.
std::filesystem::path copy_two_socket(const TempDir& dir) {
  const auto root = dir.path() / "powercap";
  std::filesystem::copy(fixture("powercap/two_socket"), root,
                        std::filesystem::copy_options::recursive);
  return root;
}

void set_energy(const std::filesystem::path& root, const std::string& zone,
                std::uint64_t uj) {
  write_text(root / zone / "energy_uj", std::to_string(uj) + "\n");
}

// One package zone under `root` with an optional max_energy_range_uj and
// its counter at `uj`, and the sensor opened on it.
Result<std::unique_ptr<EnergySensor>> open_one_package(
    const std::filesystem::path& root, const std::optional<std::string>& range,
    std::uint64_t uj) {
  write_text(root / "intel-rapl:0/name", "package-0\n");
  if (range)
    write_text(root / "intel-rapl:0/max_energy_range_uj", *range);
  set_energy(root, "intel-rapl:0", uj);
  return open_powercap_sensor(SensorOptions{.powercap_root = root});
}

TEST(RaplPowercapTest, TwoSocketsGivePerDomainEnergy) {
  TempDir dir;
  const auto root = copy_two_socket(dir);
  ManualClock clock;
  SensorOptions options{.powercap_root = root, .clock = &clock};
  auto sensor = open_powercap_sensor(options);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  set_energy(root, "intel-rapl:0", 1000000 + 10000000);   // +10 J
  set_energy(root, "intel-rapl:0:0", 400000 + 6000000);   // +6 J
  set_energy(root, "intel-rapl:0:1", 100000 + 500000);    // +0.5 J
  set_energy(root, "intel-rapl:0:2", 200000 + 2000000);   // +2 J
  set_energy(root, "intel-rapl:1", 2000000 + 20000000);   // +20 J
  set_energy(root, "intel-rapl:1:0", 800000 + 12000000);  // +12 J
  set_energy(root, "intel-rapl:1:1", 50000 + 250000);     // +0.25 J
  set_energy(root, "intel-rapl:1:2", 300000 + 3000000);   // +3 J

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  const auto& domains = (*sensor)->domains();
  ASSERT_EQ(domains.size(), 8U);
  const std::vector<std::string> names{"package-0", "core-0",    "uncore-0",
                                       "dram-0",    "package-1", "core-1",
                                       "uncore-1",  "dram-1"};
  const std::vector<double> joules{10, 6, 0.5, 2, 20, 12, 0.25, 3};
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(domains[i].name, names[i]);
    // Exact to the microjoule the counter resolves.
    EXPECT_NEAR(sample->energy[i].value(), joules[i], 1e-6) << names[i];
  }
  EXPECT_FALSE(domains[0].nested);
  EXPECT_TRUE(domains[1].nested);
  EXPECT_TRUE(domains[2].nested);
  EXPECT_FALSE(domains[3].nested);
  EXPECT_EQ(domains[4].index, 1);
  EXPECT_EQ(domains[7].kind, DomainKind::kDram);
}

TEST(RaplPowercapTest, AccumulatesAcrossWraparound) {
  TempDir dir;
  const auto root = dir.path();
  auto sensor = open_one_package(root, "1000000000\n", 999000000);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  set_energy(root, "intel-rapl:0", 500000);  // wrapped: 1 J + 0.5 J

  auto first = (*sensor)->sample();
  set_energy(root, "intel-rapl:0", 2500000);  // +2 J
  auto second = (*sensor)->sample();

  ASSERT_TRUE(first && second);
  EXPECT_NEAR(first->energy[0].value(), 1.5, 1e-6);
  EXPECT_NEAR(second->energy[0].value(), 3.5, 1e-6);
}

// A counter that goes down is only a wrap when the range explains it.
// Without that check unsigned arithmetic gave ~1.8e13 J for a 1 s run.
class RaplPowercapBadRangeTest
    : public ::testing::TestWithParam<std::optional<std::string>> {};

TEST_P(RaplPowercapBadRangeTest, CounterGoingDownIsDroppedWithAWarning) {
  TempDir dir;
  const auto root = dir.path();
  auto sensor = open_one_package(root, GetParam(), 5000000);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  set_energy(root, "intel-rapl:0", 6000000);  // +1 J

  auto up = (*sensor)->sample();
  set_energy(root, "intel-rapl:0", 4000000);  // down: no wrap explains it
  auto down = (*sensor)->sample();
  set_energy(root, "intel-rapl:0", 4500000);  // +0.5 J from the new value
  auto after = (*sensor)->sample();

  ASSERT_TRUE(up && down && after);
  EXPECT_NEAR(up->energy[0].value(), 1.0, 1e-6);
  EXPECT_TRUE(up->warnings.empty());
  EXPECT_NEAR(down->energy[0].value(), 1.0, 1e-6);
  ASSERT_EQ(down->warnings.size(), 1U);
  EXPECT_NE(down->warnings[0].find("from 6000000 to 4000000"),
            std::string::npos)
      << down->warnings[0];
  EXPECT_NE(down->warnings[0].find("dropped"), std::string::npos);
  EXPECT_NEAR(after->energy[0].value(), 1.5, 1e-6);
  EXPECT_TRUE(after->warnings.empty());
}

// Zero (seen on VMs), smaller than the counter, and missing.
INSTANTIATE_TEST_SUITE_P(Ranges, RaplPowercapBadRangeTest,
                         ::testing::Values(std::optional<std::string>("0\n"),
                                           std::optional<std::string>("1000\n"),
                                           std::nullopt));

TEST(RaplPowercapTest, MissingRangeStillCountsForwardSteps) {
  TempDir dir;
  const auto root = dir.path();
  auto sensor = open_one_package(root, std::nullopt, 7000000000000);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  set_energy(root, "intel-rapl:0", 7000003000000);  // +3 J

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_NEAR(sample->energy[0].value(), 3.0, 1e-6);
  EXPECT_TRUE(sample->warnings.empty());
}

TEST(RaplPowercapTest, ReadingAboveAValidRangeIsDropped) {
  TempDir dir;
  const auto root = dir.path();
  auto sensor = open_one_package(root, "1000000000\n", 1000000);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  set_energy(root, "intel-rapl:0", 18446744073709551000U);  // garbage

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_NEAR(sample->energy[0].value(), 0.0, 1e-6);
  ASSERT_EQ(sample->warnings.size(), 1U);
}

TEST(RaplPowercapTest, PsysIsNestedAndMmioSkipped) {
  TempDir dir;
  const auto root = dir.path();
  write_text(root / "intel-rapl:0/name", "package-0\n");
  set_energy(root, "intel-rapl:0", 1);
  write_text(root / "intel-rapl:1/name", "psys\n");
  set_energy(root, "intel-rapl:1", 1);
  write_text(root / "intel-rapl-mmio:0/name", "package-0\n");
  set_energy(root, "intel-rapl-mmio:0", 1);

  auto sensor = open_powercap_sensor(SensorOptions{.powercap_root = root});

  ASSERT_TRUE(sensor) << sensor.error().to_string();
  const auto& domains = (*sensor)->domains();
  ASSERT_EQ(domains.size(), 2U);
  EXPECT_EQ(domains[1].name, "psys");
  EXPECT_TRUE(domains[1].nested);
}

// Root ignores file modes, so the tests inject EACCES through the reader.
class DenyingReader final : public SysfsReader {
 public:
  Result<std::uint64_t> read_u64(
      const std::filesystem::path& path) const override {
    if (path.filename() == "energy_uj")
      return make_error(Errc::kPermissionDenied, "cannot open {}: denied",
                        path.string());
    return real_sysfs_reader().read_u64(path);
  }
};

TEST(RaplPowercapTest, UnreadableEnergyGivesPermissionDeniedWithRemedy) {
  const DenyingReader reader;
  SensorOptions options{.powercap_root = fixture("powercap/two_socket")};

  auto sensor = open_powercap_sensor(options, reader);

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kPermissionDenied);
  EXPECT_NE(sensor.error().message().find("permission denied"),
            std::string::npos);
  EXPECT_NE(sensor.error().remedy().find("readable by root only"),
            std::string::npos);
  EXPECT_NE(sensor.error().remedy().find("sudo chmod a+r"), std::string::npos);
}

TEST(RaplPowercapTest, ChmodZeroEnergyGivesPermissionDenied) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads mode-000 files; covered by the reader test";
  TempDir dir;
  const auto root = copy_two_socket(dir);
  ::chmod((root / "intel-rapl:0/energy_uj").c_str(), 0);

  auto sensor = open_powercap_sensor(SensorOptions{.powercap_root = root});

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kPermissionDenied);
}

// Found by powercap_fuzz: a file longer than the read buffer was cut short
// and its first digits taken for the counter (here a range of 1000 uJ
// instead of no number at all).
TEST(RaplPowercapTest, CounterFileLongerThanANumberIsNotReadInPart) {
  TempDir dir;
  const auto path = dir.path() / "max_energy_range_uj";
  write_text(path, "1000" + std::string(70, '\v') + "5\n");

  auto value = real_sysfs_reader().read_u64(path);

  ASSERT_FALSE(value);
  EXPECT_EQ(value.error().code(), Errc::kParse);
  EXPECT_NE(value.error().message().find("longer than a counter value"),
            std::string::npos)
      << value.error().message();
}

TEST(RaplPowercapTest, MissingRootIsUnavailableWithRemedy) {
  auto sensor = open_powercap_sensor(
      SensorOptions{.powercap_root = "/nonexistent/powercap"});

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kUnavailable);
  EXPECT_FALSE(sensor.error().remedy().empty());
}

TEST(RaplPerfTest, ParsesPmuTypeConfigAndScale) {
  auto pmu = read_perf_power_pmu(fixture("sysfs/power_pmu"));

  ASSERT_TRUE(pmu) << pmu.error().to_string();
  EXPECT_EQ(pmu->type, 24U);
  ASSERT_EQ(pmu->events.size(), 3U);
  EXPECT_EQ(pmu->events[0].event, "energy-pkg");
  EXPECT_EQ(pmu->events[0].config, 0x02U);
  EXPECT_EQ(pmu->events[1].event, "energy-cores");
  EXPECT_EQ(pmu->events[2].config, 0x03U);
  EXPECT_DOUBLE_EQ(pmu->events[0].scale_j, 2.3283064365386962890625e-10);
  EXPECT_EQ(pmu->cpus, (std::vector<int>{0, 24}));
}

// Counters keyed by (config, cpu); tests move them between samples.
class FakePerf final : public PerfEventApi {
 public:
  explicit FakePerf(
      std::map<std::pair<std::uint64_t, int>, std::uint64_t>* counts,
      Errc fail = Errc::kCancelled)
      : counts_(counts), fail_(fail) {}
  Result<int> open(std::uint32_t type, std::uint64_t config, int cpu) override {
    if (fail_ != Errc::kCancelled)
      return tl::unexpected(Error(fail_, "Permission denied"));
    EXPECT_EQ(type, 24U);
    keys_.emplace_back(config, cpu);
    return static_cast<int>(keys_.size() - 1);
  }
  Result<std::uint64_t> read(int fd) override {
    return (*counts_)[keys_.at(static_cast<std::size_t>(fd))];
  }
  void close(int) override {}

 private:
  std::map<std::pair<std::uint64_t, int>, std::uint64_t>* counts_;
  Errc fail_;
  std::vector<std::pair<std::uint64_t, int>> keys_;
};

TEST(RaplPerfTest, EnergyIsScaleTimesCountDelta) {
  std::map<std::pair<std::uint64_t, int>, std::uint64_t> counts;
  counts[{0x02, 0}] = 1000;
  counts[{0x02, 24}] = 5;
  SensorOptions options{.perf_power_pmu = fixture("sysfs/power_pmu")};
  auto sensor = open_perf_sensor(options, std::make_unique<FakePerf>(&counts));
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  counts[{0x02, 0}] = 1000 + (std::uint64_t{10} << 32);  // 10 J at 2^-32 J
  counts[{0x02, 24}] = 5 + (std::uint64_t{3} << 32);     // 3 J

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  const auto& domains = (*sensor)->domains();
  ASSERT_EQ(domains.size(), 6U);
  EXPECT_EQ(domains[0].name, "package-0");
  EXPECT_EQ(domains[3].name, "package-1");
  EXPECT_NEAR(sample->energy[0].value(), 10.0, 1e-9);
  EXPECT_NEAR(sample->energy[3].value(), 3.0, 1e-9);
  EXPECT_NEAR(sample->energy[1].value(), 0.0, 1e-9);
}

TEST(RaplPerfTest, CountGoingDownIsDroppedWithAWarning) {
  std::map<std::pair<std::uint64_t, int>, std::uint64_t> counts;
  counts[{0x02, 0}] = std::uint64_t{5} << 32;
  SensorOptions options{.perf_power_pmu = fixture("sysfs/power_pmu")};
  auto sensor = open_perf_sensor(options, std::make_unique<FakePerf>(&counts));
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  counts[{0x02, 0}] = std::uint64_t{7} << 32;  // +2 J

  auto up = (*sensor)->sample();
  counts[{0x02, 0}] = std::uint64_t{1} << 32;  // impossible for perf
  auto down = (*sensor)->sample();
  counts[{0x02, 0}] = std::uint64_t{2} << 32;  // +1 J
  auto after = (*sensor)->sample();

  ASSERT_TRUE(up && down && after);
  EXPECT_NEAR(up->energy[0].value(), 2.0, 1e-9);
  EXPECT_NEAR(down->energy[0].value(), 2.0, 1e-9);
  ASSERT_EQ(down->warnings.size(), 1U);
  EXPECT_NE(down->warnings[0].find("package-0"), std::string::npos);
  EXPECT_NEAR(after->energy[0].value(), 3.0, 1e-9);
}

TEST(RaplPerfTest, PermissionDeniedNamesParanoidAndRemedy) {
  TempDir proc;
  write_text(proc.path() / "sys/kernel/perf_event_paranoid", "2\n");
  std::map<std::pair<std::uint64_t, int>, std::uint64_t> counts;
  SensorOptions options{.perf_power_pmu = fixture("sysfs/power_pmu"),
                        .proc_root = proc.path()};

  auto sensor = open_perf_sensor(
      options, std::make_unique<FakePerf>(&counts, Errc::kPermissionDenied));

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kPermissionDenied);
  EXPECT_NE(sensor.error().message().find("perf_event_paranoid = 2"),
            std::string::npos);
  EXPECT_NE(sensor.error().remedy().find("sysctl kernel.perf_event_paranoid=0"),
            std::string::npos);
}

TEST(RaplPerfTest, MissingPmuIsCleanlyUnavailable) {
  SensorOptions options{.perf_power_pmu = "/nonexistent/power"};

  auto sensor = open_perf_sensor(options);

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kUnavailable);
  EXPECT_NE(sensor.error().message().find("no power PMU"), std::string::npos);
}

TEST(RaplMsrTest, UnreadableMsrIsPermissionDeniedWithRemedy) {
  // Root opens any file, so EACCES comes from the injected opener.
  std::vector<std::filesystem::path> asked;
  const MsrOpener deny =
      [&asked](const std::filesystem::path& path) -> Result<UniqueFd> {
    asked.push_back(path);
    return make_error(errc_from_errno(EACCES), "cannot open {}: {}",
                      path.string(), std::strerror(EACCES));
  };

  auto sensor = open_msr_sensor(
      SensorOptions{.msr_root = "/dev/cpu", .proc_root = "/nonexistent"},
      CpuVendor::kIntel, deny);

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kPermissionDenied);
  EXPECT_EQ(sensor.error().message(),
            "cannot open /dev/cpu/0/msr: Permission denied");
  EXPECT_NE(sensor.error().remedy().find("CAP_SYS_RAWIO"), std::string::npos)
      << sensor.error().remedy();
  EXPECT_NE(sensor.error().remedy().find("modprobe msr"), std::string::npos);
  EXPECT_EQ(asked, (std::vector<std::filesystem::path>{"/dev/cpu/0/msr"}));
}

TEST(RaplMsrTest, MissingMsrFileIsUnavailableWithRemedy) {
  auto sensor = open_msr_sensor(
      SensorOptions{.msr_root = "/nonexistent", .proc_root = "/nonexistent"},
      CpuVendor::kIntel);

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kUnavailable);
  EXPECT_NE(sensor.error().message().find("/nonexistent/0/msr"),
            std::string::npos);
  EXPECT_NE(sensor.error().remedy().find("modprobe msr"), std::string::npos);
}

TEST(RaplMsrTest, IntelUnitsGiveJoules) {
  TempDir dir;
  const auto msr = dir.path() / "0" / "msr";
  write_msr(msr, kMsrRaplPowerUnit, 0xA0E03);  // ESU 14: 1/16384 J
  write_msr(msr, kMsrPkgEnergyStatus, 1000);
  write_msr(msr, kMsrDramEnergyStatus, 100);
  SensorOptions options{.msr_root = dir.path(),
                        .proc_root = fixture("proc/xeon")};
  auto sensor = open_msr_sensor(options);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  write_msr(msr, kMsrPkgEnergyStatus, 1000 + 16384 * 5);  // +5 J
  write_msr(msr, kMsrDramEnergyStatus, 100 + 16384);      // +1 J

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  ASSERT_EQ((*sensor)->domains().size(), 2U);
  EXPECT_EQ((*sensor)->domains()[1].name, "dram-0");
  EXPECT_NEAR(sample->energy[0].value(), 5.0, 1e-9);
  EXPECT_NEAR(sample->energy[1].value(), 1.0, 1e-9);
}

TEST(RaplMsrTest, IntelCounterWrapsAt32Bits) {
  TempDir dir;
  const auto msr = dir.path() / "0" / "msr";
  write_msr(msr, kMsrRaplPowerUnit, 0xA0E03);
  write_msr(msr, kMsrPkgEnergyStatus, 0xFFFFF000);
  auto sensor = open_msr_sensor(
      SensorOptions{.msr_root = dir.path(), .proc_root = "/nonexistent"},
      CpuVendor::kIntel);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  write_msr(msr, kMsrPkgEnergyStatus, 0x1000);  // 0x2000 units later

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  EXPECT_NEAR(sample->energy[0].value(), 8192.0 / 16384.0, 1e-9);
}

TEST(RaplMsrTest, AmdUnitsGiveJoules) {
  TempDir dir;
  const auto msr = dir.path() / "0" / "msr";
  write_msr(msr, kMsrAmdRaplPowerUnit, 0xA1003);  // ESU 16: 1/65536 J
  write_msr(msr, kMsrAmdPkgEnergyStatus, 0);
  // proc/unknown says AuthenticAMD.
  SensorOptions options{.msr_root = dir.path(),
                        .proc_root = fixture("proc/unknown")};
  auto sensor = open_msr_sensor(options);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  write_msr(msr, kMsrAmdPkgEnergyStatus, 65536 * 3);

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample);
  ASSERT_EQ((*sensor)->domains().size(), 1U);
  EXPECT_NEAR(sample->energy[0].value(), 3.0, 1e-9);
}

TEST(RaplMsrTest, MissingDeviceSaysModprobe) {
  auto sensor = open_msr_sensor(SensorOptions{.msr_root = "/nonexistent/cpu"},
                                CpuVendor::kIntel);

  ASSERT_FALSE(sensor);
  EXPECT_EQ(sensor.error().code(), Errc::kUnavailable);
  EXPECT_NE(sensor.error().remedy().find("modprobe msr"), std::string::npos);
}

}  // namespace
}  // namespace mlcarbon::sensors
