// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/nvml.h"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"

#include "support/fake_nvml.h"

namespace mlcarbon::sensors {
namespace {

using namespace std::chrono_literals;

class NvmlFakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fake_.loaded()); }
  Result<std::unique_ptr<NvmlSensor>> open(const Clock& clock) {
    MLCARBON_ASSIGN_OR_RETURN(auto api, load_nvml(MLCARBON_FAKE_NVML));
    return NvmlSensor::create(std::move(api), clock);
  }

  mlcarbon::testing::FakeNvml fake_{MLCARBON_FAKE_NVML};
};

TEST_F(NvmlFakeTest, CounterPathGivesEnergySinceCreation) {
  fake_.reset(2);
  fake_.set_device(0, "NVIDIA A100-SXM4-40GB", "GPU-aaaa", 1);
  fake_.set_device(1, "NVIDIA A100-SXM4-40GB", "GPU-bbbb", 1);
  fake_.push_energy_mj(0, 1000000);  // read at creation
  fake_.push_energy_mj(0, 1005000);  // +5 J
  fake_.push_energy_mj(1, 20);
  fake_.push_energy_mj(1, 250020);  // +250 J
  ManualClock clock;

  auto sensor = open(clock);
  ASSERT_TRUE(sensor) << sensor.error().to_string();
  clock.advance(1s);
  auto sample = (*sensor)->sample();

  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_NEAR(sample->energy[0].value(), 5.0, 1e-9);
  EXPECT_NEAR(sample->energy[1].value(), 250.0, 1e-9);
  EXPECT_EQ((*sensor)->domains()[1].name, "gpu-1");
  EXPECT_EQ((*sensor)->domains()[1].kind, DomainKind::kGpu);
  EXPECT_EQ((*sensor)->gpus()[0].name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ((*sensor)->gpus()[1].uuid, "GPU-bbbb");
  EXPECT_TRUE((*sensor)->gpus()[0].energy_counter);
  EXPECT_EQ((*sensor)->description(), "NVML total-energy counter");
}

TEST_F(NvmlFakeTest, PowerPathIntegratesTrapezoids) {
  fake_.reset(1);
  fake_.set_device(0, "Tesla P100", "GPU-p100", 0);  // no energy counter
  fake_.push_power_mw(0, 100000);                    // 100 W at creation
  fake_.push_power_mw(0, 200000);                    // 200 W after 10 s
  fake_.push_power_mw(0, 200000);                    // 200 W after 5 more s
  ManualClock clock;
  auto sensor = open(clock);
  ASSERT_TRUE(sensor) << sensor.error().to_string();

  clock.advance(10s);
  auto first = (*sensor)->sample();
  clock.advance(5s);
  auto second = (*sensor)->sample();

  ASSERT_TRUE(first && second);
  // (100 + 200) / 2 W x 10 s = 1500 J, then 200 W x 5 s = 1000 J more.
  EXPECT_NEAR(first->energy[0].value(), 1500.0, 1e-6);
  EXPECT_NEAR(second->energy[0].value(), 2500.0, 1e-6);
  EXPECT_EQ((*sensor)->description(), "NVML integrated power samples");
}

TEST_F(NvmlFakeTest, InitFailureReportsNvmlErrorString) {
  fake_.reset(1);
  fake_.set_init_error(9);  // NVML_ERROR_DRIVER_NOT_LOADED

  auto api = load_nvml(MLCARBON_FAKE_NVML);

  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), Errc::kBackend);
  EXPECT_NE(api.error().message().find("Driver Not Loaded"), std::string::npos);
}

TEST_F(NvmlFakeTest, ListsProcessesPerGpu) {
  fake_.reset(2);
  fake_.add_process(1, 4242, 1ULL << 30);
  fake_.add_process(1, 4343, 0);
  ManualClock clock;
  auto sensor = open(clock);
  ASSERT_TRUE(sensor) << sensor.error().to_string();

  auto none = (*sensor)->processes(0);
  auto two = (*sensor)->processes(1);

  ASSERT_TRUE(none && two);
  EXPECT_TRUE(none->empty());
  ASSERT_EQ(two->size(), 2U);
  EXPECT_EQ((*two)[0].pid, 4242);
  EXPECT_EQ((*two)[0].used_memory_bytes, 1ULL << 30);
  EXPECT_EQ((*two)[1].pid, 4343);
  EXPECT_FALSE((*sensor)->processes(2));
  EXPECT_EQ((*sensor)->device_processes(1), (std::vector<int>{4242, 4343}));
  EXPECT_EQ((*sensor)->device_processes(2), std::nullopt);
}

// A driver library built without some symbols, scripted through its own
// control functions (each variant is a separate library with its own state).
class OlderDriver {
 public:
  explicit OlderDriver(const char* path) : path_(path) {
    handle_ = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(handle_, nullptr) << ::dlerror();
    reinterpret_cast<void (*)(unsigned)>(::dlsym(handle_, "fake_nvml_reset"))(
        1);
    reinterpret_cast<void (*)(unsigned, unsigned, unsigned long long)>(
        ::dlsym(handle_, "fake_nvml_add_process"))(0, 4242, 0);
    reinterpret_cast<void (*)(unsigned, unsigned long long)>(
        ::dlsym(handle_, "fake_nvml_push_energy_mj"))(0, 5000);
    reinterpret_cast<void (*)(unsigned, unsigned long long)>(
        ::dlsym(handle_, "fake_nvml_push_energy_mj"))(0, 7000);
  }
  OlderDriver(const OlderDriver&) = delete;
  OlderDriver& operator=(const OlderDriver&) = delete;
  ~OlderDriver() { ::dlclose(handle_); }
  Result<std::unique_ptr<NvmlSensor>> open(const Clock& clock) const {
    MLCARBON_ASSIGN_OR_RETURN(auto api, load_nvml(path_));
    return NvmlSensor::create(std::move(api), clock);
  }

 private:
  std::string path_;
  void* handle_ = nullptr;
};

TEST_F(NvmlFakeTest, CurrentDriverListsProcessesWithV3) {
  fake_.reset(1);
  ManualClock clock;

  auto sensor = open(clock);

  ASSERT_TRUE(sensor) << sensor.error().to_string();
  EXPECT_EQ((*sensor)->process_list_call(),
            "nvmlDeviceGetComputeRunningProcesses_v3");
}

TEST(NvmlOlderDriverTest, WithoutV3FallsBackToV2ProcessList) {
  const OlderDriver driver(MLCARBON_FAKE_NVML_V2);
  ManualClock clock;

  auto sensor = driver.open(clock);

  ASSERT_TRUE(sensor) << sensor.error().to_string();
  EXPECT_EQ((*sensor)->process_list_call(),
            "nvmlDeviceGetComputeRunningProcesses_v2");
  EXPECT_EQ((*sensor)->device_processes(0), (std::vector<int>{4242}));
  auto sample = (*sensor)->sample();
  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_DOUBLE_EQ(sample->energy.at(0).value(), 2.0);
}

TEST(NvmlOlderDriverTest, WithoutProcessListMeasuresEnergyAndSaysSo) {
  const OlderDriver driver(MLCARBON_FAKE_NVML_NOPROCS);
  ManualClock clock;

  auto sensor = driver.open(clock);

  ASSERT_TRUE(sensor) << sensor.error().to_string();
  EXPECT_EQ((*sensor)->process_list_call(), "");
  EXPECT_EQ((*sensor)->device_processes(0), std::nullopt);
  auto listed = (*sensor)->processes(0);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code(), Errc::kUnavailable);
  EXPECT_NE((*sensor)->description().find("lists no processes"),
            std::string::npos);
  auto sample = (*sensor)->sample();
  ASSERT_TRUE(sample) << sample.error().to_string();
  EXPECT_DOUBLE_EQ(sample->energy.at(0).value(), 2.0);
}

TEST(NvmlTest, MissingLibraryIsUnavailableNotFatal) {
  auto api = load_nvml("/nonexistent/libnvidia-ml.so.1");

  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), Errc::kUnavailable);
  EXPECT_NE(api.error().message().find("not found (no NVIDIA GPU or driver)"),
            std::string::npos);
  EXPECT_FALSE(api.error().remedy().empty());
}

}  // namespace
}  // namespace mlcarbon::sensors
