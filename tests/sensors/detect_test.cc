// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <stdlib.h>

#include <gtest/gtest.h>

#include "mlcarbon/sensors/sensor.h"

#include "support/test_support.h"

namespace mlcarbon::sensors {
namespace {

using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;

SensorOptions fixture_options() {
  SensorOptions o;
  o.powercap_root = fixture("powercap/two_socket");
  o.perf_power_pmu = "/nonexistent/power";
  o.msr_root = "/nonexistent/msr";
  o.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  o.proc_root = fixture("proc/xeon");
  return o;
}

std::vector<std::string> names(const Detection& d) {
  std::vector<std::string> out;
  for (const auto& s : d.sensors)
    out.emplace_back(s->name());
  return out;
}

const Unavailable* find(const Detection& d, std::string_view sensor) {
  auto it =
      std::find_if(d.unavailable.begin(), d.unavailable.end(),
                   [&](const Unavailable& u) { return u.sensor == sensor; });
  return it == d.unavailable.end() ? nullptr : &*it;
}

TEST(DetectTest, PowercapCoversRaplAndModels) {
  const Detection d = detect_sensors(fixture_options());

  EXPECT_EQ(names(d), std::vector<std::string>{"rapl-powercap"});
  ASSERT_NE(find(d, "rapl-perf"), nullptr);
  EXPECT_NE(find(d, "rapl-perf")->reason.message().find("not needed"),
            std::string::npos);
  ASSERT_NE(find(d, "nvml"), nullptr);
  EXPECT_NE(find(d, "cpu-model"), nullptr);
  EXPECT_NE(find(d, "memory-model"), nullptr);
}

TEST(DetectTest, UnreadablePowercapFallsBackToCpuModel) {
  // energy_uj as a directory fails to read even for root.
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "intel-rapl:0/energy_uj");
  {
    std::FILE* f = std::fopen((dir.path() / "intel-rapl:0/name").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("package-0\n", f);
    std::fclose(f);
  }
  SensorOptions o = fixture_options();
  o.powercap_root = dir.path();

  const Detection d = detect_sensors(o);

  EXPECT_EQ(names(d), (std::vector<std::string>{"cpu-model", "memory-model"}));
  ASSERT_NE(find(d, "rapl-powercap"), nullptr);
  ASSERT_NE(find(d, "rapl-msr"), nullptr);
  EXPECT_NE(find(d, "rapl-msr")->reason.remedy().find("modprobe msr"),
            std::string::npos);
}

TEST(DetectTest, OnlyRestrictsByName) {
  SensorOptions o = fixture_options();
  o.only = {"cpu-model"};

  const Detection d = detect_sensors(o);

  EXPECT_EQ(names(d), std::vector<std::string>{"cpu-model"});
  EXPECT_TRUE(d.unavailable.empty());
}

TEST(DetectTest, UnknownSensorNameIsAnErrorWithSuggestionAndList) {
  SensorOptions o = fixture_options();
  o.only = {"rapl-powercp"};

  const Result<Detection> d = detect_requested_sensors(o);

  ASSERT_FALSE(d.has_value());
  const std::string text = d.error().to_string();
  EXPECT_EQ(d.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(text.find("unknown sensor 'rapl-powercp'"), std::string::npos)
      << text;
  EXPECT_NE(text.find("did you mean 'rapl-powercap'"), std::string::npos)
      << text;
  for (const std::string& known : known_sensor_names())
    EXPECT_NE(text.find(known), std::string::npos) << known;
}

TEST(DetectTest, RequestedSensorThatIsUnavailableIsAnErrorWithItsReason) {
  SensorOptions o = fixture_options();
  o.only = {"nvml"};

  const Result<Detection> d = detect_requested_sensors(o);

  ASSERT_FALSE(d.has_value());
  const std::string text = d.error().to_string();
  EXPECT_NE(text.find("sensor 'nvml' was requested but is unavailable"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("/nonexistent/libnvidia-ml.so.1"), std::string::npos)
      << text;
}

TEST(DetectTest, AutoKeepsAMissingSensorAsUnavailable) {
  const Result<Detection> d = detect_requested_sensors(fixture_options());

  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_EQ(names(*d), std::vector<std::string>{"rapl-powercap"});
  EXPECT_NE(find(*d, "nvml"), nullptr);
}

TEST(DetectTest, RequestedSensorCoveredByAnotherRequestedOneIsNoError) {
  SensorOptions o = fixture_options();
  o.only = {"rapl-powercap", "cpu-model"};

  const Result<Detection> d = detect_requested_sensors(o);

  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_EQ(names(*d), std::vector<std::string>{"rapl-powercap"});
  ASSERT_NE(find(*d, "cpu-model"), nullptr);
  EXPECT_TRUE(find(*d, "cpu-model")->redundant);
}

TEST(DetectTest, EnvironmentOverridesPaths) {
  ::setenv("MLCARBON_POWERCAP_ROOT", "/tmp/pc", 1);
  ::setenv("MLCARBON_MSR_ROOT", "/tmp/msr", 1);
  ::setenv("MLCARBON_NVML_LIBRARY", "/tmp/libnvml.so", 1);

  const SensorOptions o = with_environment(SensorOptions{});

  ::unsetenv("MLCARBON_POWERCAP_ROOT");
  ::unsetenv("MLCARBON_MSR_ROOT");
  ::unsetenv("MLCARBON_NVML_LIBRARY");
  EXPECT_EQ(o.powercap_root, "/tmp/pc");
  EXPECT_EQ(o.msr_root, "/tmp/msr");
  EXPECT_EQ(o.nvml_library, "/tmp/libnvml.so");
}

}  // namespace
}  // namespace mlcarbon::sensors
