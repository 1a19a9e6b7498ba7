// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"
#include "mlcarbon/report/format.h"

namespace mlcarbon::report {

/// Version of the JSON written by footprint_json (docs/estimate.md).
inline constexpr int kFootprintSchemaVersion = 1;

/// A what-if next to the scenario: its label ("region=FR") and footprint.
struct FootprintComparison {
  std::string label;
  lifecycle::Footprint footprint;
};

/// What `mlcarbon estimate` reports.
struct FootprintReport {
  lifecycle::Footprint base;
  std::string region_code;       ///< empty when the intensity was given
  std::string intensity_source;  ///< where EF came from
  std::vector<lifecycle::Recommendation> recommendations;
  std::vector<FootprintComparison> what_ifs;
  std::string sweep_key;  ///< empty without --sweep
  std::vector<lifecycle::SweepPoint> sweep;
  /// Inputs obtained from a model (predicted, calibrated), with how.
  std::vector<lifecycle::ModelInput> model_inputs;
};

/// Parses a scenario text (YAML; docs/scenario.md) and reads its
/// measured_run files, whose relative paths start at `folder`. `origin`
/// names the text in errors ("s.yaml:3:5: ..."). What `mlcarbon estimate`
/// and the C API share.
[[nodiscard]] Result<lifecycle::Scenario> load_scenario(
    std::string_view text, std::string_view origin,
    const std::filesystem::path& folder);
/// The same for a file, refusing one too large before reading it; its
/// measured runs are found beside it.
[[nodiscard]] Result<lifecycle::Scenario> load_scenario_file(
    const std::filesystem::path& file);
/// The scenario's footprint with its region, intensity source and
/// recommendations: the report `estimate` prints before any what-if.
[[nodiscard]] Result<FootprintReport> footprint_report(
    const lifecycle::Scenario& scenario);

/// Writers are pure: they return text and never touch files.
/// The console report: phase table, totals, break-even, equivalents,
/// recommendations, what-ifs side by side, the sweep.
[[nodiscard]] std::string footprint_text(const FootprintReport& report);
/// The same as Markdown.
[[nodiscard]] std::string footprint_markdown(const FootprintReport& report);
/// One row per phase and total, for the scenario, each what-if and each
/// sweep point.
[[nodiscard]] std::string footprint_csv(const FootprintReport& report);
/// JSON with schema_version, phases.{search,training,inference}, total;
/// "<field>_low"/"<field>_high" beside a figure whose inputs are uncertain.
[[nodiscard]] Result<std::string> footprint_json(const FootprintReport& report);

/// The footprint an estimate's JSON (footprint_json) describes, as far as
/// the JSON holds it: name, PUE, total, and each phase's method, device
/// energy, energy and CO2e with their ranges; what-ifs, sweeps and
/// equivalents are not read back. A document of another tool, kind or
/// schema version, or a missing or mistyped field, is an error naming
/// `source` and the field.
[[nodiscard]] Result<lifecycle::Footprint> footprint_from_json(
    std::string_view text, std::string_view source);

/// "0.000153 J, estimated: predicted per-layer for ...": an input obtained
/// from a model, with its method and source.
[[nodiscard]] std::string format_model_input(const lifecycle::ModelInput& in);

}  // namespace mlcarbon::report
