// SPDX-License-Identifier: Apache-2.0
// Cost of the meter (ARCHITECTURE.md section 6: well under 0.1 % of one core
// at a 1 s interval; one sample of all sensors in microseconds).
#include <chrono>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>

#include "mlcarbon/measure/monitor.h"
#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/sensors/sensor.h"

#include "support/fake_sensor.h"

namespace {

using mlcarbon::measure::Monitor;
using mlcarbon::measure::MonitorOptions;

std::vector<std::unique_ptr<mlcarbon::sensors::EnergySensor>> fake_sensors() {
  std::vector<std::unique_ptr<mlcarbon::sensors::EnergySensor>> out;
  auto fake = mlcarbon::testing::FakeSensor::with_domains(
      {"package-0", "dram-0", "gpu-0"});
  fake->set_energy({1.0, 2.0, 3.0});
  out.push_back(std::move(fake));
  return out;
}

std::vector<std::unique_ptr<mlcarbon::sensors::EnergySensor>> real_sensors(
    std::string& label) {
  mlcarbon::sensors::Detection detection = mlcarbon::sensors::detect_sensors(
      mlcarbon::sensors::with_environment({}));
  for (const auto& sensor : detection.sensors) {
    label +=
        std::string(label.empty() ? "" : "+") + std::string(sensor->name());
  }
  return std::move(detection.sensors);
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

// (a) One tick of the meter over a scripted sensor: the meter's own cost.
void BM_TickFakeSensor(benchmark::State& state) {
  Monitor monitor(fake_sensors());
  for (auto _ : state) {
    monitor.tick();
  }
}
BENCHMARK(BM_TickFakeSensor);

// (b) One tick over the sensors detected on this machine, with attribution
// of this process's tree.
void BM_TickDetectedSensorsWithAttribution(benchmark::State& state) {
  std::string label;
  Monitor monitor(real_sensors(label),
                  {.tracked_pid = static_cast<int>(::getpid())});
  for (auto _ : state) {
    monitor.tick();
  }
  state.SetLabel(label + "+attribution");
}
BENCHMARK(BM_TickDetectedSensorsWithAttribution);

// The /proc part of (b) alone.
void BM_AttributionRead(benchmark::State& state) {
  auto reader = mlcarbon::measure::make_proc_cpu_reader("/proc");
  const int pid = static_cast<int>(::getpid());
  for (auto _ : state) {
    benchmark::DoNotOptimize(reader->machine_busy_time());
    benchmark::DoNotOptimize(reader->tree_cpu_time(pid));
  }
}
BENCHMARK(BM_AttributionRead);

// (c) CPU cost of the sampling thread: run it at a 10 ms interval for 2 s
// while this thread sleeps; the process's CPU time is then the thread's.
// Extrapolated to a 1 s and a 100 ms interval as a fraction of one core.
void BM_SamplingThreadCpu(benchmark::State& state) {
  std::string label;
  const bool real = state.range(0) != 0;
  Monitor monitor(real ? real_sensors(label) : fake_sensors(),
                  {.interval = std::chrono::milliseconds(10),
                   .tracked_pid = static_cast<int>(::getpid())});
  double cpu = 0;
  std::uint64_t ticks = 0;
  for (auto _ : state) {
    const std::uint64_t readings0 = monitor.readings();
    const double cpu0 = process_cpu_seconds();
    (void)monitor.start();
    std::this_thread::sleep_for(std::chrono::seconds(2));
    monitor.stop();
    cpu += process_cpu_seconds() - cpu0;
    ticks += monitor.readings() - readings0;
  }
  const double per_tick_s = cpu / static_cast<double>(ticks);
  state.counters["ticks"] = static_cast<double>(ticks);
  state.counters["per_tick_us"] = per_tick_s * 1e6;
  state.counters["core_pct_at_1s"] = per_tick_s / 1.0 * 100.0;
  state.counters["core_pct_at_100ms"] = per_tick_s / 0.1 * 100.0;
  state.SetLabel(real ? label + "+attribution" : "fake+attribution");
}
BENCHMARK(BM_SamplingThreadCpu)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

}  // namespace
