// SPDX-License-Identifier: Apache-2.0
// Scenario text or file -> footprint report: the part of `estimate` that
// every front end shares.
#include <system_error>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/report/footprint.h"

namespace mlcarbon::report {

Result<lifecycle::Scenario> load_scenario(std::string_view text,
                                          std::string_view origin,
                                          const std::filesystem::path& folder) {
  MLCARBON_ASSIGN_OR_RETURN(lifecycle::Scenario scenario,
                            lifecycle::parse_scenario(text, origin));
  MLCARBON_RETURN_IF_ERROR(lifecycle::resolve_measured_runs(
      scenario, [&](std::string_view path) -> Result<std::string> {
        const std::filesystem::path p(path);
        return read_file(p.is_absolute() ? p : folder / p);
      }));
  return scenario;
}

Result<lifecycle::Scenario> load_scenario_file(
    const std::filesystem::path& file) {
  const std::string origin = file.string();
  // Refuse a huge file before reading it.
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec) {
    MLCARBON_RETURN_IF_ERROR(lifecycle::check_scenario_size(size, origin));
  }
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(file));
  return load_scenario(text, origin, file.parent_path());
}

Result<FootprintReport> footprint_report(const lifecycle::Scenario& scenario) {
  FootprintReport r;
  MLCARBON_ASSIGN_OR_RETURN(r.base, lifecycle::estimate(scenario));
  r.region_code = scenario.region_code;
  r.intensity_source = scenario.intensity_source;
  r.model_inputs = lifecycle::model_inputs(scenario);
  r.recommendations = lifecycle::recommend(scenario, r.base);
  return r;
}

}  // namespace mlcarbon::report
