// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/nvml.h"

#include <array>

#include <dlfcn.h>

namespace mlcarbon::sensors {
namespace {

// The NVML ABI, declared here so no NVIDIA header is needed to build.
using NvmlReturn = int;
using NvmlDevice = struct NvmlDeviceOpaque*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr NvmlReturn kNvmlErrorNotSupported = 3;
constexpr NvmlReturn kNvmlErrorInsufficientSize = 7;

// nvmlProcessInfo_t as used by the _v3 process queries; the _v2 queries
// (drivers R470 to R510) fill the same layout (nvmlProcessInfo_v2_t).
struct NvmlProcessInfo {
  unsigned int pid;
  unsigned long long used_gpu_memory;
  unsigned int gpu_instance_id;
  unsigned int compute_instance_id;
};

struct NvmlFunctions {
  NvmlReturn (*init)() = nullptr;
  NvmlReturn (*shutdown)() = nullptr;
  NvmlReturn (*device_count)(unsigned int*) = nullptr;
  NvmlReturn (*handle_by_index)(unsigned int, NvmlDevice*) = nullptr;
  NvmlReturn (*name)(NvmlDevice, char*, unsigned int) = nullptr;
  NvmlReturn (*uuid)(NvmlDevice, char*, unsigned int) = nullptr;
  NvmlReturn (*total_energy)(NvmlDevice, unsigned long long*) = nullptr;
  NvmlReturn (*power)(NvmlDevice, unsigned int*) = nullptr;
  NvmlReturn (*processes)(NvmlDevice, unsigned int*,
                          NvmlProcessInfo*) = nullptr;
  const char* (*error_string)(NvmlReturn) = nullptr;
};

class DlNvmlApi final : public NvmlApi {
 public:
  DlNvmlApi(void* handle, NvmlFunctions f, std::string process_call)
      : handle_(handle), f_(f), process_call_(std::move(process_call)) {}
  DlNvmlApi(const DlNvmlApi&) = delete;
  DlNvmlApi& operator=(const DlNvmlApi&) = delete;
  ~DlNvmlApi() override {
    f_.shutdown();
    ::dlclose(handle_);
  }

  Result<int> device_count() override {
    unsigned int n = 0;
    MLCARBON_RETURN_IF_ERROR(check(f_.device_count(&n), "nvmlDeviceGetCount"));
    handles_.assign(n, nullptr);
    for (unsigned int i = 0; i < n; ++i) {
      MLCARBON_RETURN_IF_ERROR(check(f_.handle_by_index(i, &handles_[i]),
                                     "nvmlDeviceGetHandleByIndex"));
    }
    return static_cast<int>(n);
  }
  Result<std::string> name(int gpu) override {
    std::array<char, 96> buf{};
    MLCARBON_RETURN_IF_ERROR(check(f_.name(device(gpu), buf.data(), buf.size()),
                                   "nvmlDeviceGetName"));
    return std::string(buf.data());
  }
  Result<std::string> uuid(int gpu) override {
    std::array<char, 96> buf{};
    MLCARBON_RETURN_IF_ERROR(check(f_.uuid(device(gpu), buf.data(), buf.size()),
                                   "nvmlDeviceGetUUID"));
    return std::string(buf.data());
  }
  Result<std::optional<Joules>> total_energy(int gpu) override {
    unsigned long long energy_mj = 0;
    const NvmlReturn r = f_.total_energy(device(gpu), &energy_mj);
    if (r == kNvmlErrorNotSupported)
      return std::optional<Joules>();
    MLCARBON_RETURN_IF_ERROR(check(r, "nvmlDeviceGetTotalEnergyConsumption"));
    return std::optional<Joules>(Joules(static_cast<double>(energy_mj) * 1e-3));
  }
  Result<Watts> power(int gpu) override {
    unsigned int power_mw = 0;
    MLCARBON_RETURN_IF_ERROR(
        check(f_.power(device(gpu), &power_mw), "nvmlDeviceGetPowerUsage"));
    return Watts(static_cast<double>(power_mw) * 1e-3);
  }
  std::string_view process_list_call() const override { return process_call_; }
  Result<std::vector<GpuProcess>> processes(int gpu) override {
    if (f_.processes == nullptr) {
      return make_error(Errc::kUnavailable,
                        "the NVIDIA driver has no per-process list "
                        "(nvmlDeviceGetComputeRunningProcesses_v3 or _v2)");
    }
    std::vector<NvmlProcessInfo> infos(16);
    while (true) {
      auto count = static_cast<unsigned int>(infos.size());
      const NvmlReturn r = f_.processes(device(gpu), &count, infos.data());
      if (r == kNvmlErrorInsufficientSize) {
        infos.resize(count + 8);  // processes may start meanwhile
        continue;
      }
      MLCARBON_RETURN_IF_ERROR(check(r, process_call_));
      std::vector<GpuProcess> out;
      out.reserve(count);
      for (unsigned int i = 0; i < count; ++i) {
        out.push_back(
            {static_cast<int>(infos[i].pid), infos[i].used_gpu_memory});
      }
      return out;
    }
  }

 private:
  NvmlDevice device(int gpu) const {
    return handles_.at(static_cast<std::size_t>(gpu));
  }
  Status check(NvmlReturn r, std::string_view call) const {
    if (r == kNvmlSuccess)
      return {};
    return make_error(Errc::kBackend, "{}: {} (NVML error {})", call,
                      f_.error_string(r), r);
  }

  void* handle_;
  NvmlFunctions f_;
  std::string process_call_;  // empty when the driver has none
  std::vector<NvmlDevice> handles_;
};

template <typename F>
bool bind(void* handle, const char* symbol, F& out) {
  void* p = ::dlsym(handle, symbol);
  // POSIX guarantees object/function pointer conversion for dlsym.
  out = reinterpret_cast<F>(p);
  return p != nullptr;
}

}  // namespace

Result<std::unique_ptr<NvmlApi>> load_nvml(const std::string& library) {
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("NVIDIA driver library {} not found (no NVIDIA GPU "
                          "or driver): {}",
                          library, why != nullptr ? why : "dlopen failed"))
            .with_remedy("install the NVIDIA driver, or set "
                         "MLCARBON_NVML_LIBRARY / --nvml-library to the path "
                         "of libnvidia-ml.so.1"));
  }
  NvmlFunctions f;
  const char* missing = nullptr;
  auto need = [&](const char* symbol, auto& out) {
    if (!bind(handle, symbol, out) && missing == nullptr)
      missing = symbol;
  };
  need("nvmlInit_v2", f.init);
  need("nvmlShutdown", f.shutdown);
  need("nvmlDeviceGetCount_v2", f.device_count);
  need("nvmlDeviceGetHandleByIndex_v2", f.handle_by_index);
  need("nvmlDeviceGetName", f.name);
  need("nvmlDeviceGetUUID", f.uuid);
  need("nvmlDeviceGetTotalEnergyConsumption", f.total_energy);
  need("nvmlDeviceGetPowerUsage", f.power);
  need("nvmlErrorString", f.error_string);
  if (missing != nullptr) {
    ::dlclose(handle);
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("{} lacks {} (driver too old)", library, missing))
            .with_remedy("update the NVIDIA driver to R470 or newer"));
  }
  // The process list only attributes GPU energy: an older driver without
  // _v3 still measures, through _v2 or without attribution.
  std::string process_call;
  for (const char* symbol : {"nvmlDeviceGetComputeRunningProcesses_v3",
                             "nvmlDeviceGetComputeRunningProcesses_v2"}) {
    if (bind(handle, symbol, f.processes)) {
      process_call = symbol;
      break;
    }
  }
  if (const NvmlReturn r = f.init(); r != kNvmlSuccess) {
    std::string why = f.error_string(r);
    ::dlclose(handle);
    return tl::unexpected(
        Error(Errc::kBackend, fmt::format("nvmlInit failed: {}", why))
            .with_remedy("check the driver with `nvidia-smi`"));
  }
  return std::make_unique<DlNvmlApi>(handle, f, std::move(process_call));
}

Result<std::unique_ptr<NvmlSensor>> NvmlSensor::create(
    std::unique_ptr<NvmlApi> api, const Clock& clock) {
  std::unique_ptr<NvmlSensor> sensor(new NvmlSensor(std::move(api), clock));
  NvmlApi& nvml = *sensor->api_;
  MLCARBON_ASSIGN_OR_RETURN(const int count, nvml.device_count());
  if (count == 0)
    return make_error(Errc::kUnavailable, "NVML reports no GPU");
  for (int i = 0; i < count; ++i) {
    GpuInfo info;
    info.index = i;
    MLCARBON_ASSIGN_OR_RETURN(info.name, nvml.name(i));
    MLCARBON_ASSIGN_OR_RETURN(info.uuid, nvml.uuid(i));
    State state;
    MLCARBON_ASSIGN_OR_RETURN(const auto energy, nvml.total_energy(i));
    if (energy) {
      info.energy_counter = true;
      state.start = *energy;
    } else {
      MLCARBON_ASSIGN_OR_RETURN(state.last_power, nvml.power(i));
    }
    sensor->domains_.push_back(
        {fmt::format("gpu-{}", i), DomainKind::kGpu, i, false});
    sensor->gpus_.push_back(std::move(info));
    sensor->state_.push_back(state);
  }
  sensor->last_time_ = clock.now();
  return sensor;
}

std::string NvmlSensor::description() const {
  bool counter = false;
  bool integrated = false;
  for (const GpuInfo& g : gpus_)
    (g.energy_counter ? counter : integrated) = true;
  std::string out =
      counter && integrated
          ? "NVML total-energy counter; integrated power samples on GPUs "
            "without one"
      : counter ? "NVML total-energy counter"
                : "NVML integrated power samples";
  if (api_->process_list_call().empty()) {
    out +=
        "; the driver lists no processes, so each GPU's energy counts in "
        "full for the measured command";
  }
  return out;
}

Result<EnergySample> NvmlSensor::sample() {
  EnergySample out;
  out.time = clock_.now();
  const Seconds dt = out.time - last_time_;
  out.energy.reserve(gpus_.size());
  for (std::size_t i = 0; i < gpus_.size(); ++i) {
    const int gpu = static_cast<int>(i);
    State& s = state_[i];
    if (gpus_[i].energy_counter) {
      MLCARBON_ASSIGN_OR_RETURN(const auto energy, api_->total_energy(gpu));
      if (!energy)
        return make_error(Errc::kBackend, "gpu-{} lost its energy counter",
                          gpu);
      out.energy.push_back(*energy - s.start);
    } else {
      MLCARBON_ASSIGN_OR_RETURN(const Watts now, api_->power(gpu));
      s.integrated += (s.last_power + now) * 0.5 * dt;
      s.last_power = now;
      out.energy.push_back(s.integrated);
    }
  }
  last_time_ = out.time;
  return out;
}

Result<std::vector<GpuProcess>> NvmlSensor::processes(int gpu) {
  if (gpu < 0 || static_cast<std::size_t>(gpu) >= gpus_.size())
    return make_error(Errc::kInvalidArgument, "no gpu-{}", gpu);
  return api_->processes(gpu);
}

bool NvmlSensor::needs_periodic_sampling() const {
  for (const GpuInfo& g : gpus_) {
    if (!g.energy_counter)
      return true;
  }
  return false;
}

std::optional<std::vector<int>> NvmlSensor::device_processes(
    std::size_t domain) {
  if (api_->process_list_call().empty())
    return std::nullopt;
  auto list = processes(static_cast<int>(domain));
  if (!list)
    return std::nullopt;
  std::vector<int> pids;
  pids.reserve(list->size());
  for (const GpuProcess& p : *list)
    pids.push_back(p.pid);
  return pids;
}

Result<std::unique_ptr<NvmlSensor>> open_nvml_sensor(
    const SensorOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(auto api, load_nvml(options.nvml_library));
  return NvmlSensor::create(std::move(api), *options.clock);
}

}  // namespace mlcarbon::sensors
