// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/range.h"
#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::carbon {
class RegionTable;
}

namespace mlcarbon::lifecycle {

/// The three life-cycle phases of the paper, section 3.
enum class Phase { kSearch = 0, kTraining = 1, kInference = 2 };
inline constexpr std::size_t kPhaseCount = 3;

/// "search", "training" or "inference".
[[nodiscard]] std::string_view to_string(Phase phase);

/// One phase's footprint.
struct PhaseFootprint {
  EnergyMethod method = EnergyMethod::kModelBased;
  Range device_energy_j;  ///< before PUE
  Range energy_kwh;       ///< with PUE
  Range co2e_kg;
  double share = 0.0;  ///< of the life cycle's central energy, 0..1
};

/// Everyday equivalents of the central CO2e (carbon/equivalents.h).
struct Equivalents {
  double car_years = 0.0;       ///< 11,000 lb a year (Strubell et al. 2019)
  double car_km = 0.0;          ///< 175 g/km
  double flight_km = 0.0;       ///< economy passenger-km, 171 g/km
  double flights_nyc_sf = 0.0;  ///< one-way New York - San Francisco
};

/// The footprint of a scenario: E_life = CT + T + I·e, CO2eq = E_life · EF.
struct Footprint {
  std::string name;
  /// Indexed by Phase; a phase left out of the scenario is absent.
  std::array<std::optional<PhaseFootprint>, kPhaseCount> phases;
  Range energy_kwh;  ///< with PUE
  Range co2e_kg;
  Range pue;
  Range intensity_g_per_kwh;
  /// Device energy of one call, joules (inference only).
  std::optional<Range> energy_per_call_j;
  /// Calls after which inference outweighs search and training together:
  /// (CT + T) / I. Absent without inference or without search and training.
  std::optional<Range> break_even_calls;
  Equivalents equivalents;
  /// The scenario's embodied term (absent without an `embodied:` block):
  /// kg CO2e, and one line per entry saying how it was obtained.
  std::optional<Range> embodied_co2e_kg;
  std::vector<std::string> embodied_terms;

  /// co2e_kg (operational, the paper's number) plus the embodied term.
  [[nodiscard]] Range co2e_with_embodied_kg() const {
    return embodied_co2e_kg ? co2e_kg + *embodied_co2e_kg : co2e_kg;
  }

  [[nodiscard]] const std::optional<PhaseFootprint>& phase(Phase p) const {
    return phases[static_cast<std::size_t>(p)];
  }
};

/// Computes the footprint. Fails (Errc::kInvalidArgument) on a measured_run
/// that was not resolved, and on a figure that is not a finite number (an
/// input too large for a double): the error names the inputs it came from.
/// Pure and fast (no I/O, no lookup).
[[nodiscard]] Result<Footprint> estimate(const Scenario& scenario);

/// Sets one input, as `--what-if key=value` does: "region" (a region code or
/// name), "pue", "carbon_intensity_g_per_kwh" (also _kg_, _lb_),
/// "hardware", "search.trials", "search.per_trial.<field>",
/// "training.<field>", "inference.<field>". The value takes the scenario's
/// number forms. Errors (Errc::kInvalidArgument) name the key and suggest
/// the nearest one. `regions` (builtin when null) resolves "region".
[[nodiscard]] Status apply_override(
    Scenario& scenario, std::string_view key, std::string_view value,
    const carbon::RegionTable* regions = nullptr);

/// Sets one numeric input (any key but "region" and "hardware").
[[nodiscard]] Status apply_override(Scenario& scenario, std::string_view key,
                                    Range value);

/// "key=value" split at its first '=', both sides trimmed; an error names
/// `flag` ("--what-if") when there is no '=' or no key.
[[nodiscard]] Result<std::pair<std::string, std::string>> split_assignment(
    std::string_view flag, std::string_view text);

/// A sweep as `--sweep KEY=START:STOP:COUNT` gives it.
struct SweepSpec {
  std::string key;
  double start = 0.0;
  double stop = 0.0;
  std::size_t count = 0;
};

/// Parses KEY=START:STOP:COUNT (1 <= COUNT <= kMaxSweepPoints); errors
/// (Errc::kInvalidArgument) quote the text and show the form.
[[nodiscard]] Result<SweepSpec> parse_sweep_spec(std::string_view text);

/// One point of a sweep.
struct SweepPoint {
  double value = 0.0;
  Footprint footprint;
};

/// The most points a sweep may have, the budget of ARCHITECTURE.md
/// (docs/estimate.md gives what it costs).
inline constexpr std::size_t kMaxSweepPoints = 100'000;

/// Footprints for `key` = start, ..., stop in `count` evenly spaced steps
/// (1 <= count <= kMaxSweepPoints; count 1 gives start).
[[nodiscard]] Result<std::vector<SweepPoint>> sweep(const Scenario& scenario,
                                                    std::string_view key,
                                                    double start, double stop,
                                                    std::size_t count);

/// A quantified suggestion computed from the scenario.
struct Recommendation {
  std::string topic;    ///< "region", "hardware", "search", "inference"
  std::string summary;  ///< one or two sentences with the figures
  /// Life-cycle CO2e if followed, when it can be computed.
  std::optional<Range> co2e_kg;
  bool rule_of_thumb = false;  ///< a literature rule, not a computation
  std::string source;          ///< "Gitzel et al. 2023, section 3.1; ..."
};

/// Recommendations for region, hardware, search and inference. `regions`
/// (builtin when null) gives the cleanest and the median country.
[[nodiscard]] std::vector<Recommendation> recommend(
    const Scenario& scenario, const Footprint& footprint,
    const carbon::RegionTable* regions = nullptr);

}  // namespace mlcarbon::lifecycle
