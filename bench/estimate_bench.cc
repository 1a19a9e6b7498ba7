// SPDX-License-Identifier: Apache-2.0
// ARCHITECTURE.md section 6: estimate answers instantly; a sweep of 10^5
// what-if scenarios takes well under a second.
#include <string>

#include <benchmark/benchmark.h>

#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

namespace {

using namespace mlcarbon::lifecycle;  // NOLINT(google-build-using-namespace)

constexpr const char* kScenario = R"(name: bench
carbon_intensity_g_per_kwh: 400
pue: 1.2
search:
  trials: 20
  per_trial: {samples: 20000, epochs: 5, energy_per_inference_j: 0.002}
training:
  samples: [50000, 150000]
  epochs: 10
  energy_per_inference_j: "0.002 ± 20%"
  overhead: 5
inference:
  energy_per_call_j: 0.002
  rate_per_s: 30
  lifetime_days: 730
)";

Scenario scenario() {
  auto s = parse_scenario(kScenario, "bench.yaml");
  if (!s)
    std::abort();
  return *s;
}

void BM_ParseScenario(benchmark::State& state) {
  for (auto _ : state) {
    auto s = parse_scenario(kScenario, "bench.yaml");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ParseScenario);

void BM_Estimate(benchmark::State& state) {
  const Scenario s = scenario();
  for (auto _ : state) {
    auto f = estimate(s);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_Estimate);

void BM_Sweep(benchmark::State& state) {
  const Scenario s = scenario();
  const auto count = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto points = sweep(s, "training.epochs", 1.0, 100.0, count);
    benchmark::DoNotOptimize(points);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sweep)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
