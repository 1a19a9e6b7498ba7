// SPDX-License-Identifier: Apache-2.0
#include <algorithm>

#include <stdlib.h>

#include <gtest/gtest.h>

#include "mlcarbon/sensors/models.h"
#include "mlcarbon/sensors/power_config.h"
#include "mlcarbon/sensors/sensor.h"

#include "support/test_support.h"
#include "test_helpers.h"

namespace mlcarbon::sensors {
namespace {

using mlcarbon::testing::fixture;
using mlcarbon::testing::TempDir;
using testing::write_text;

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

const MemoryPowerModel* memory_model(const Detection& d) {
  for (const auto& s : d.sensors) {
    if (const auto* m = dynamic_cast<const MemoryModelSensor*>(s.get()))
      return &m->model();
  }
  return nullptr;
}

// The memory model on the fixture, with a config file holding `text`.
SensorOptions with_config(const TempDir& dir, const std::string& text) {
  const auto path = dir.path() / "config.yaml";
  write_text(path, text);
  SensorOptions o = fixture_options();
  o.only = {"memory-model"};
  o.config_file = std::make_shared<ConfigFile>(path);
  return o;
}

TEST(DetectTest, ConfigFileFiguresApplyUnderTheFlags) {
  TempDir dir;
  const SensorOptions o =
      with_config(dir, "power:\n  memory_watts_per_gb: 0.5\n");
  SensorOptions flagged = o;
  flagged.overrides.memory_watts_per_gb =
      Pinned<double>{0.25, "flag --memory-watts-per-gb"};

  const Result<Detection> d = detect_requested_sensors(o);
  const Result<Detection> f = detect_requested_sensors(flagged);

  ASSERT_TRUE(d && f);
  ASSERT_TRUE(memory_model(*d) && memory_model(*f));
  EXPECT_DOUBLE_EQ(memory_model(*d)->watts_per_gb, 0.5);
  EXPECT_EQ(memory_model(*d)->origin,
            "config file " + o.config_file->path().string() + ":2");
  EXPECT_DOUBLE_EQ(memory_model(*f)->watts_per_gb, 0.25);
  EXPECT_EQ(memory_model(*f)->origin, "flag --memory-watts-per-gb");
}

TEST(DetectTest, ConfigFileIsReadOnceForEveryCopyOfTheOptions) {
  // A command builds many pipelines from copies of one SensorOptions; a
  // second reading would see the file as rewritten below.
  TempDir dir;
  const SensorOptions o =
      with_config(dir, "power:\n  memory_watts_per_gb: 0.5\n");
  const SensorOptions copy = o;

  const Result<Detection> first = detect_requested_sensors(o);
  write_text(o.config_file->path(), "power:\n  memory_watts_per_gb: nine\n");
  const Result<Detection> second = detect_requested_sensors(copy);
  const Result<Detection> third = detect_requested_sensors(o);

  ASSERT_TRUE(first && second && third);
  for (const Detection* d : {&*first, &*second, &*third}) {
    ASSERT_NE(memory_model(*d), nullptr);
    EXPECT_DOUBLE_EQ(memory_model(*d)->watts_per_gb, 0.5);
  }
}

TEST(DetectTest, BadConfigFileIsADetectionErrorNamingLineAndExpectation) {
  TempDir dir;
  const SensorOptions o = with_config(dir, "power:\n  tdp_w: lots\n");

  const Result<Detection> d = detect_requested_sensors(o);

  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message().rfind(o.config_file->path().string() +
                                          ":2:10: power.tdp_w: expected a "
                                          "TDP in watts",
                                      0),
            0U)
      << d.error().message();
}

TEST(DetectTest, ListedPolicyKeepsANamedUnavailableSensor) {
  SensorOptions o = fixture_options();
  o.only = {"nvml", "cpu-model"};

  const Result<Detection> d =
      detect_requested_sensors(o, NamedUnavailable::kListed);

  ASSERT_TRUE(d.has_value()) << d.error().to_string();
  EXPECT_EQ(names(*d), std::vector<std::string>{"cpu-model"});
  ASSERT_NE(find(*d, "nvml"), nullptr);
}

TEST(DetectTest, EnvironmentGivesTheUserConfigFile) {
  ::setenv("XDG_CONFIG_HOME", "/tmp/xdg", 1);
  const SensorOptions o = with_environment({});
  ::unsetenv("XDG_CONFIG_HOME");

  ASSERT_NE(o.config_file, nullptr);
  EXPECT_EQ(o.config_file->path(),
            std::filesystem::path("/tmp/xdg/mlcarbon/config.yaml"));
  EXPECT_EQ(SensorOptions{}.config_file, nullptr);
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
