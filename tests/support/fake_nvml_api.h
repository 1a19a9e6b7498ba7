// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/sensors/nvml.h"

namespace mlcarbon::testing {

/// An in-process NvmlApi with named GPUs and energy counters standing
/// still: enough to build a real NvmlSensor without a driver library.
class FakeNvmlApi final : public sensors::NvmlApi {
 public:
  explicit FakeNvmlApi(
      std::vector<std::string> names,
      std::string process_call = "nvmlDeviceGetComputeRunningProcesses_v3")
      : names_(std::move(names)), process_call_(std::move(process_call)) {}

  Result<int> device_count() override {
    return static_cast<int>(names_.size());
  }
  Result<std::string> name(int gpu) override {
    return names_.at(static_cast<std::size_t>(gpu));
  }
  Result<std::string> uuid(int gpu) override {
    return "GPU-fake-" + std::to_string(gpu);
  }
  Result<std::optional<Joules>> total_energy(int /*gpu*/) override {
    return std::optional<Joules>(Joules(100.0));
  }
  Result<Watts> power(int /*gpu*/) override { return Watts(50.0); }
  Result<std::vector<sensors::GpuProcess>> processes(int /*gpu*/) override {
    return std::vector<sensors::GpuProcess>{};
  }
  std::string_view process_list_call() const override { return process_call_; }

 private:
  std::vector<std::string> names_;
  std::string process_call_;
};

/// A real NvmlSensor over FakeNvmlApi.
inline std::unique_ptr<sensors::NvmlSensor> fake_nvml_sensor(
    std::vector<std::string> names, const Clock& clock,
    std::string process_call = "nvmlDeviceGetComputeRunningProcesses_v3") {
  auto sensor = sensors::NvmlSensor::create(
      std::make_unique<FakeNvmlApi>(std::move(names), std::move(process_call)),
      clock);
  return sensor ? std::move(*sensor) : nullptr;
}

}  // namespace mlcarbon::testing
