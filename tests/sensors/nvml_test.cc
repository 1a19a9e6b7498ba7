// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/nvml.h"

#include <chrono>
#include <string>
#include <vector>

#include <dlfcn.h>

#include <gtest/gtest.h>

#include "mlcarbon/core/clock.h"

namespace mlcarbon::sensors {
namespace {

using namespace std::chrono_literals;

// Holds the fake library open so its scripted state survives the sensor's
// own dlopen/dlclose, and resets it before each test.
class NvmlFakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    handle_ = ::dlopen(MLCARBON_FAKE_NVML, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle_, nullptr) << ::dlerror();
    reset_ = fn<void (*)(unsigned)>("fake_nvml_reset");
    set_device_ = fn<void (*)(unsigned, const char*, const char*, int)>(
        "fake_nvml_set_device");
    push_energy_ =
        fn<void (*)(unsigned, unsigned long long)>("fake_nvml_push_energy_mj");
    push_power_ = fn<void (*)(unsigned, unsigned)>("fake_nvml_push_power_mw");
    add_process_ = fn<void (*)(unsigned, unsigned, unsigned long long)>(
        "fake_nvml_add_process");
    set_init_error_ = fn<void (*)(int)>("fake_nvml_set_init_error");
  }
  void TearDown() override {
    if (handle_ != nullptr)
      ::dlclose(handle_);
  }
  template <typename F>
  F fn(const char* name) {
    void* p = ::dlsym(handle_, name);
    EXPECT_NE(p, nullptr) << name;
    return reinterpret_cast<F>(p);
  }
  Result<std::unique_ptr<NvmlSensor>> open(const Clock& clock) {
    MLCARBON_ASSIGN_OR_RETURN(auto api, load_nvml(MLCARBON_FAKE_NVML));
    return NvmlSensor::create(std::move(api), clock);
  }

  void* handle_ = nullptr;
  void (*reset_)(unsigned) = nullptr;
  void (*set_device_)(unsigned, const char*, const char*, int) = nullptr;
  void (*push_energy_)(unsigned, unsigned long long) = nullptr;
  void (*push_power_)(unsigned, unsigned) = nullptr;
  void (*add_process_)(unsigned, unsigned, unsigned long long) = nullptr;
  void (*set_init_error_)(int) = nullptr;
};

TEST_F(NvmlFakeTest, CounterPathGivesEnergySinceCreation) {
  reset_(2);
  set_device_(0, "NVIDIA A100-SXM4-40GB", "GPU-aaaa", 1);
  set_device_(1, "NVIDIA A100-SXM4-40GB", "GPU-bbbb", 1);
  push_energy_(0, 1000000);  // read at creation
  push_energy_(0, 1005000);  // +5 J
  push_energy_(1, 20);
  push_energy_(1, 250020);  // +250 J
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
  reset_(1);
  set_device_(0, "Tesla P100", "GPU-p100", 0);  // no energy counter
  push_power_(0, 100000);                       // 100 W at creation
  push_power_(0, 200000);                       // 200 W after 10 s
  push_power_(0, 200000);                       // 200 W after 5 more s
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
  reset_(1);
  set_init_error_(9);  // NVML_ERROR_DRIVER_NOT_LOADED

  auto api = load_nvml(MLCARBON_FAKE_NVML);

  ASSERT_FALSE(api);
  EXPECT_EQ(api.error().code(), Errc::kBackend);
  EXPECT_NE(api.error().message().find("Driver Not Loaded"), std::string::npos);
}

TEST_F(NvmlFakeTest, ListsProcessesPerGpu) {
  reset_(2);
  add_process_(1, 4242, 1ULL << 30);
  add_process_(1, 4343, 0);
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
  reset_(1);
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
