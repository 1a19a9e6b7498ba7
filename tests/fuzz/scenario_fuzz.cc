// SPDX-License-Identifier: Apache-2.0
// Fuzzes the scenario parser (docs/scenario.md) and everything a parsed
// scenario reaches: measured_run resolution, the estimate and the
// recommendations. Any Result is fine; crashes, sanitizer reports, hangs and
// runaway memory are findings.
#include <cstdint>
#include <string>

#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"

#include "footprint_check.h"
#include "fuzz_util.h"
#include "small_regions.h"

namespace {

constexpr std::string_view kRunFile = R"({"schema_version": 1,
  "tool": "mlcarbon", "kind": "run",
  "energy": {"total_j": 7200000.0, "method": "measured"}})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  auto scenario = lifecycle::parse_scenario(
      fuzz::as_text(data, size), "fuzz.yaml", &fuzz::small_regions());
  if (!scenario) {
    (void)scenario.error().to_string();
    return 0;
  }
  const auto resolved = lifecycle::resolve_measured_runs(
      *scenario, [](std::string_view) -> Result<std::string> {
        return std::string(kRunFile);
      });
  if (!resolved)
    return 0;
  auto footprint = lifecycle::estimate(*scenario);
  if (!footprint)
    return 0;
  fuzz::require_finite(*footprint);
  (void)lifecycle::recommend(*scenario, *footprint, &fuzz::small_regions());
  return 0;
}
