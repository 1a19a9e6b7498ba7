// SPDX-License-Identifier: Apache-2.0
// Real-hardware checks (ctest -L hw). Each skips, saying why, when the
// hardware or permission is absent.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "mlcarbon/sensors/nvml.h"
#include "mlcarbon/sensors/rapl.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::sensors {
namespace {

TEST(SensorsHwTest, PowercapCountsEnergy_RAPL) {
  auto sensor = open_powercap_sensor(with_environment(SensorOptions{}));
  if (!sensor)
    GTEST_SKIP() << sensor.error().to_string();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  // A running package draws at least ~1 W: 0.2 J in 200 ms.
  EXPECT_GT(sample->energy[0].value(), 0.0);
}

TEST(SensorsHwTest, NvmlCountsEnergy_NVML) {
  auto sensor = open_nvml_sensor(with_environment(SensorOptions{}));
  if (!sensor)
    GTEST_SKIP() << sensor.error().to_string();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_FALSE((*sensor)->gpus().front().name.empty());
  EXPECT_GE(sample->energy[0].value(), 0.0);
}

TEST(SensorsHwTest, DetectionFindsACounter_RAPL) {
  const Detection d = detect_sensors(with_environment(SensorOptions{}));
  bool measured = false;
  for (const auto& s : d.sensors)
    measured = measured || s->method() == Method::kMeasured;
  if (!measured)
    GTEST_SKIP() << "no hardware counter on this machine";

  for (auto& s : d.sensors)
    EXPECT_TRUE(s->sample()) << s->name();
}

}  // namespace
}  // namespace mlcarbon::sensors
