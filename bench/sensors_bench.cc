// SPDX-License-Identifier: Apache-2.0
// One sample() of each sensor on fixtures, and detection + one sample of
// all. ARCHITECTURE.md section 6: one sample of all sensors is microseconds.
#include <cstdint>
#include <filesystem>
#include <string>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include "mlcarbon/sensors/models.h"
#include "mlcarbon/sensors/nvml.h"
#include "mlcarbon/sensors/rapl.h"
#include "mlcarbon/sensors/sensor.h"

namespace {

using namespace mlcarbon;
using namespace mlcarbon::sensors;

std::filesystem::path fixture(const std::string& relative) {
  return std::filesystem::path(MLCARBON_SOURCE_DIR) / "tests" / "fixtures" /
         relative;
}

// The fake NVML built by the test suite, when the build has it.
std::string fake_nvml() {
  const char* env = std::getenv("MLCARBON_NVML_LIBRARY");
  if (env != nullptr)
    return env;
#ifdef MLCARBON_FAKE_NVML
  return MLCARBON_FAKE_NVML;
#else
  return "libmlcarbon_fake_nvml.so";
#endif
}

void run(benchmark::State& state, EnergySensor& sensor) {
  for (auto _ : state) {
    auto sample = sensor.sample();
    benchmark::DoNotOptimize(sample);
    if (!sample) {
      state.SkipWithError(sample.error().to_string().c_str());
      break;
    }
  }
}

void BM_PowercapTwoSocket(benchmark::State& state) {
  auto sensor = open_powercap_sensor(
      SensorOptions{.powercap_root = fixture("powercap/two_socket")});
  if (!sensor) {
    state.SkipWithError(sensor.error().to_string().c_str());
    return;
  }
  run(state, **sensor);
}
BENCHMARK(BM_PowercapTwoSocket);

void BM_MsrIntel(benchmark::State& state) {
  char dir[] = "/tmp/mlcarbon-bench-XXXXXX";
  if (::mkdtemp(dir) == nullptr)
    return state.SkipWithError("mkdtemp");
  const auto path = std::filesystem::path(dir) / "0" / "msr";
  std::filesystem::create_directories(path.parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  const std::uint64_t unit = 0xA0E03;
  const std::uint64_t pkg = 1000;
  (void)!::pwrite(fd, &unit, 8, kMsrRaplPowerUnit);
  (void)!::pwrite(fd, &pkg, 8, kMsrPkgEnergyStatus);
  (void)!::pwrite(fd, &pkg, 8, kMsrDramEnergyStatus);
  ::close(fd);
  auto sensor = open_msr_sensor(
      SensorOptions{.msr_root = dir, .proc_root = "/nonexistent"},
      CpuVendor::kIntel);
  if (sensor)
    run(state, **sensor);
  else
    state.SkipWithError(sensor.error().to_string().c_str());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_MsrIntel);

void BM_FakeNvml(benchmark::State& state) {
  auto sensor = open_nvml_sensor(SensorOptions{.nvml_library = fake_nvml()});
  if (!sensor) {
    state.SkipWithError(sensor.error().to_string().c_str());
    return;
  }
  run(state, **sensor);
}
BENCHMARK(BM_FakeNvml);

void BM_CpuModelRealProc(benchmark::State& state) {
  auto sensor = CpuModelSensor::create(SensorOptions{});
  if (!sensor) {
    state.SkipWithError(sensor.error().to_string().c_str());
    return;
  }
  run(state, **sensor);
}
BENCHMARK(BM_CpuModelRealProc);

void BM_MemoryModelRealProc(benchmark::State& state) {
  auto sensor = MemoryModelSensor::create(SensorOptions{});
  if (!sensor) {
    state.SkipWithError(sensor.error().to_string().c_str());
    return;
  }
  run(state, **sensor);
}
BENCHMARK(BM_MemoryModelRealProc);

SensorOptions fixture_options() {
  SensorOptions o;
  o.powercap_root = fixture("powercap/two_socket");
  o.nvml_library = fake_nvml();
  return o;
}

void BM_DetectSensors(benchmark::State& state) {
  const SensorOptions o = fixture_options();
  for (auto _ : state) {
    Detection d = detect_sensors(o);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_DetectSensors);

// The meter's steady state: one sample of every detected sensor.
void BM_SampleAllDetected(benchmark::State& state) {
  Detection d = detect_sensors(fixture_options());
  state.SetLabel(std::to_string(d.sensors.size()) + " sensors");
  for (auto _ : state) {
    for (auto& s : d.sensors) {
      auto sample = s->sample();
      benchmark::DoNotOptimize(sample);
    }
  }
}
BENCHMARK(BM_SampleAllDetected);

}  // namespace
