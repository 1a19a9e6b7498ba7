// SPDX-License-Identifier: Apache-2.0
// What `mlcarbon plan` reports: the job, when to start it under a forecast
// and where to run it among the table's regions (docs/plan.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/carbon/plan.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::report {

/// Version of the JSON written by plan_json (docs/plan.md).
inline constexpr int kPlanSchemaVersion = 1;

/// The job to plan and where its figures came from.
struct PlanJob {
  Joules energy;  ///< device energy, before PUE
  Method method = Method::kEstimated;
  std::string energy_source;  ///< "given with --energy", "run 8f2c (r.json)"
  std::optional<Seconds> duration;
  std::string duration_source;
  /// The PUE of an estimate (its own), when the job came from one.
  std::optional<double> pue;
};

/// The job a run document of `mlcarbon measure --json` describes: its
/// machine energy (method as the run says) and its duration. Errors as
/// history_entry_from_run_json's.
[[nodiscard]] Result<PlanJob> plan_job_from_run_json(std::string_view text,
                                                     std::string_view source);

/// The job an estimate document of `mlcarbon estimate --json` describes:
/// the device energy of its search and training (lifecycle's
/// schedulable_energy: inference is not a job one schedules), its PUE, no
/// duration (an estimate has none). An estimate with neither phase is an
/// error (Errc::kInvalidArgument).
[[nodiscard]] Result<PlanJob> plan_job_from_estimate_json(
    std::string_view text, std::string_view source);

/// The forecast part of a plan.
struct StartSection {
  std::string origin;
  WallTime forecast_start;
  WallTime forecast_end;
  bool deadline_given = false;
  carbon::StartPlan plan;
};

/// Everything `mlcarbon plan` prints.
struct PlanReport {
  PlanJob job;
  double pue = carbon::kLocalPue;  ///< applied to the forecast
  std::string pue_source;          ///< "--pue", "the estimate's", "local"
  std::optional<StartSection> start;
  std::vector<carbon::RegionOption> regions;
};

/// The console report: the job, the start section (window, start now,
/// best and worst start, saving) and the regions table.
[[nodiscard]] std::string plan_text(const PlanReport& report);
/// JSON: schema_version, tool, kind "plan", job, start, regions; SI units in
/// field names, a method on the energy, times as ISO 8601 UTC.
[[nodiscard]] Result<std::string> plan_json(const PlanReport& report);

}  // namespace mlcarbon::report
