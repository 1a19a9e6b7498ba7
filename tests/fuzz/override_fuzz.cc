// SPDX-License-Identifier: Apache-2.0
// Fuzzes `--what-if KEY=VALUE` and `--sweep KEY=START:STOP:COUNT` values on
// parsed scenarios of each energy method. The first byte picks the base
// scenario; every following line is one what-if, or a sweep when it starts
// with "sweep ". Each changed scenario is estimated.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "footprint_check.h"
#include "fuzz_util.h"
#include "small_regions.h"

namespace {

using namespace mlcarbon;

// Model-based, resource-time, measured and a search given as runs.
constexpr std::array<std::string_view, 4> kBases = {
    R"(name: model
region: DE
pue: 1.2
hardware: gpu
search: {trials: 20, per_trial: {samples: 20000, epochs: 5,
         energy_per_inference_j: 0.002, overhead: 5}}
training: {samples: 100000, epochs: 10,
           energy_per_inference_j: "0.002 ± 20%", overhead: 5}
inference: {energy_per_call_j: "0.002 ± 20%", rate_per_s: 30,
            lifetime_days: 730}
)",
    R"(name: resource
carbon_intensity_kg_per_kwh: 0.429
pue: 1.10
training: {devices: 10000, power_w: 330, days: 14.8}
inference: {energy_per_call_j: [1000, 4000], calls: [1.0e8, 1.0e9]}
)",
    R"(name: measured
region: FR
training: {measured_run: train.json}
inference: {measured_run: serve.json, calls_in_run: 100000, calls: 1e9}
)",
    R"(name: runs
carbon_intensity_g_per_kwh: 400
search:
  runs:
    - {samples: 1000, epochs: 2, energy_per_inference_j: 0.01, overhead: 4}
    - {devices: 2, power_w: 300, hours: 5}
    - {energy_kwh: 12}
)"};

constexpr std::string_view kRunFile = R"({"schema_version": 1,
  "tool": "mlcarbon", "kind": "run",
  "energy": {"total_j": 7200000.0}})";

// The CLI's cap is far above what a fuzzer can afford per input.
constexpr std::size_t kMaxSweepPoints = 64;

void sweep_once(const lifecycle::Scenario& base, std::string_view text) {
  auto spec = lifecycle::parse_sweep_spec(text);
  if (!spec) {
    (void)spec.error().to_string();
    return;
  }
  auto points =
      lifecycle::sweep(base, spec->key, spec->start, spec->stop,
                       std::min<std::size_t>(spec->count, kMaxSweepPoints));
  if (points) {
    for (const auto& p : *points)
      fuzz::require_finite(p.footprint);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0)
    return 0;
  static const std::vector<lifecycle::Scenario> kParsed = [] {
    std::vector<lifecycle::Scenario> out;
    for (std::string_view text : kBases) {
      auto s = lifecycle::parse_scenario(text, "base.yaml");
      if (!s)
        fuzz::fail(s.error().to_string());
      const auto resolved = lifecycle::resolve_measured_runs(
          *s, [](std::string_view) -> Result<std::string> {
            return std::string(kRunFile);
          });
      if (!resolved)
        fuzz::fail(resolved.error().to_string());
      out.push_back(std::move(*s));
    }
    return out;
  }();
  const carbon::RegionTable& regions = fuzz::small_regions();
  const lifecycle::Scenario* base = &kParsed[data[0] % kParsed.size()];
  std::string_view text = fuzz::as_text(data + 1, size - 1);
  for (std::string_view line : split(text, '\n')) {
    constexpr std::string_view kSweep = "sweep ";
    if (line.substr(0, kSweep.size()) == kSweep) {
      sweep_once(*base, line.substr(kSweep.size()));
      continue;
    }
    const auto kv = lifecycle::split_assignment("--what-if", line);
    if (!kv)
      continue;
    lifecycle::Scenario changed = *base;
    const auto applied =
        lifecycle::apply_override(changed, kv->first, kv->second, &regions);
    if (!applied) {
      (void)applied.error().to_string();
      continue;
    }
    if (auto footprint = lifecycle::estimate(changed))
      fuzz::require_finite(*footprint);
  }
  return 0;
}
