// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::sensors {

/// A process using a GPU, for attribution by the meter.
struct GpuProcess {
  int pid = 0;
  /// Device memory it holds; 0 when the driver does not say.
  std::uint64_t used_memory_bytes = 0;
};

/// What the sensor knows about one GPU.
struct GpuInfo {
  int index = 0;
  std::string name;  // "NVIDIA A100-SXM4-40GB"
  std::string uuid;  // "GPU-8f6d..."
  /// True when the total-energy counter (Volta and later) is used; false
  /// when power samples are integrated.
  bool energy_counter = false;
};

/// The few NVML calls mlcarbon makes, converted to our units. The real
/// implementation dlopens the driver library; tests use a fake library
/// through the same loader. Not thread-safe.
class NvmlApi {
 public:
  virtual ~NvmlApi() = default;
  [[nodiscard]] virtual Result<int> device_count() = 0;
  [[nodiscard]] virtual Result<std::string> name(int gpu) = 0;
  [[nodiscard]] virtual Result<std::string> uuid(int gpu) = 0;
  /// Energy since the driver loaded; nullopt when the GPU has no counter
  /// (NVML_ERROR_NOT_SUPPORTED, GPUs before Volta).
  [[nodiscard]] virtual Result<std::optional<Joules>> total_energy(int gpu) = 0;
  /// Power draw now (averaged by the driver over about a second).
  [[nodiscard]] virtual Result<Watts> power(int gpu) = 0;
  /// Compute processes on the GPU; kUnavailable when the driver has no
  /// process list (process_list_call() is empty).
  [[nodiscard]] virtual Result<std::vector<GpuProcess>> processes(int gpu) = 0;
  /// The NVML call that lists processes ("..._v3", or "..._v2" on older
  /// drivers), or empty when there is none and GPU energy cannot be
  /// attributed per process.
  [[nodiscard]] virtual std::string_view process_list_call() const {
    return "nvmlDeviceGetComputeRunningProcesses_v3";
  }
};

/// dlopens `library` (a name searched like dlopen does, or a path), binds
/// the symbols and calls nvmlInit_v2. The process list is optional: _v3,
/// else _v2, else none (see NvmlApi::process_list_call). Errors: kUnavailable
/// when the library is missing, kBackend with nvmlErrorString when nvmlInit
/// fails. The returned object calls nvmlShutdown and dlclose when destroyed.
[[nodiscard]] Result<std::unique_ptr<NvmlApi>> load_nvml(
    const std::string& library);

/// NVIDIA GPUs ("nvml"): one domain gpu-N per device. Uses the total-energy
/// counter where the GPU has one; otherwise integrates power samples with
/// the trapezoid rule between sample() calls (so sample often: about 1 s).
class NvmlSensor final : public EnergySensor {
 public:
  /// Enumerates the GPUs and takes the first reading.
  [[nodiscard]] static Result<std::unique_ptr<NvmlSensor>> create(
      std::unique_ptr<NvmlApi> api, const Clock& clock);

  std::string_view name() const override { return "nvml"; }
  Method method() const override { return Method::kMeasured; }
  std::string description() const override;
  const std::vector<Domain>& domains() const override { return domains_; }
  Result<EnergySample> sample() override;
  std::optional<std::vector<int>> device_processes(std::size_t domain) override;
  /// False when every GPU has the 64-bit total-energy counter: NVML calls
  /// cost milliseconds of CPU time in some VMs, so ticks skip them.
  bool needs_periodic_sampling() const override;

  [[nodiscard]] const std::vector<GpuInfo>& gpus() const { return gpus_; }
  /// NvmlApi::process_list_call() of the loaded driver.
  [[nodiscard]] std::string_view process_list_call() const {
    return api_->process_list_call();
  }
  /// Compute processes running on GPU `gpu` now.
  [[nodiscard]] Result<std::vector<GpuProcess>> processes(int gpu);

 private:
  struct State {
    Joules start{0};      // counter path: counter at creation
    Watts last_power{0};  // power path: previous sample
    Joules integrated{0};
  };
  NvmlSensor(std::unique_ptr<NvmlApi> api, const Clock& clock)
      : api_(std::move(api)), clock_(clock) {}

  std::unique_ptr<NvmlApi> api_;
  const Clock& clock_;
  std::vector<Domain> domains_;
  std::vector<GpuInfo> gpus_;
  std::vector<State> state_;
  SteadyTime last_time_{};
};

/// load_nvml(options.nvml_library) + NvmlSensor::create, for detection.
[[nodiscard]] Result<std::unique_ptr<NvmlSensor>> open_nvml_sensor(
    const SensorOptions& options);

}  // namespace mlcarbon::sensors
