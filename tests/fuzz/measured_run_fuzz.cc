// SPDX-License-Identifier: Apache-2.0
// Fuzzes the reading of run files (`measured_run:`, the JSON written by
// `mlcarbon measure --json`): the input is the file every measured_run of
// the scenario resolves to; a resolved scenario is estimated.
#include <cstdint>
#include <string>

#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "footprint_check.h"
#include "fuzz_util.h"

namespace {

constexpr std::string_view kScenario = R"(name: measured
region: DE
search:
  runs:
    - {measured_run: a.json}
    - {samples: 10, epochs: 1, energy_per_inference_j: 1, overhead: 5}
training: {measured_run: b.json}
inference: {measured_run: c.json, calls_in_run: 1000, calls: 1e6}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  static const lifecycle::Scenario kBase = [] {
    auto s = lifecycle::parse_scenario(kScenario, "fuzz.yaml");
    if (!s)
      fuzz::fail(s.error().to_string());
    return *s;
  }();
  lifecycle::Scenario scenario = kBase;
  const std::string_view file = fuzz::as_text(data, size);
  const auto resolved = lifecycle::resolve_measured_runs(
      scenario, [file](std::string_view) -> Result<std::string> {
        return std::string(file);
      });
  if (!resolved) {
    (void)resolved.error().to_string();
    return 0;
  }
  if (auto footprint = lifecycle::estimate(scenario))
    fuzz::require_finite(*footprint);
  return 0;
}
