// SPDX-License-Identifier: Apache-2.0
// When to run a scenario's jobs under a forecast of the grid's intensity:
// carbon's planner applied to the search and training of a footprint.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlcarbon/carbon/plan.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/estimate.h"

namespace mlcarbon::lifecycle {

/// The part of a footprint one schedules as a job: search and training.
/// Inference serves calls as they come, so it is left where it is.
struct SchedulableEnergy {
  double device_energy_j = 0.0;  ///< central, before PUE
  Range co2e_kg;                 ///< of those phases, at the scenario's EF
  std::vector<Phase> phases;     ///< those present, in order
  /// "search and training", "training", ...; empty without either.
  [[nodiscard]] std::string label() const;
};

[[nodiscard]] SchedulableEnergy schedulable_energy(const Footprint& footprint);

/// How long the scheduled phases run, when the scenario says: the training's
/// resource-time hours (central) when training is the only such phase.
[[nodiscard]] std::optional<Seconds> scheduled_duration(
    const Scenario& scenario);

/// The advice "start the search and training at T": plan_start() on their
/// device energy, the footprint's central PUE and `duration`. The summary
/// gives both starts, both emissions and the saving; co2e_kg is the life
/// cycle with those phases at the best start under the forecast and the
/// rest at the scenario's EF. Errors: a footprint without search or
/// training (Errc::kInvalidArgument), and plan_start()'s.
[[nodiscard]] Result<Recommendation> schedule_recommendation(
    const Footprint& footprint, const carbon::IntensitySeries& forecast,
    Seconds duration, const carbon::PlanWindow& window, WallTime now);

}  // namespace mlcarbon::lifecycle
