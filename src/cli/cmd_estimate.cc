// SPDX-License-Identifier: Apache-2.0
// `mlcarbon estimate FILE`: the life-cycle footprint of a scenario file,
// with what-ifs, a sweep and exports (docs/estimate.md).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/scenario.h"
#include "mlcarbon/lifecycle/schedule.h"
#include "mlcarbon/report/footprint.h"
#include "mlcarbon/report/output.h"

#include "calibrations.h"
#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct EstimateOptions {
  std::string file;
  std::vector<std::string> what_ifs;
  std::string sweep;
  std::string json;
  std::string markdown;
  std::string csv;
  std::string forecast;
  std::string duration;
  std::string deadline;
};

// The schedule advice of a forecast, appended to the recommendations.
Status add_schedule_advice(const EstimateOptions& o,
                           const lifecycle::Scenario& scenario,
                           report::FootprintReport& r) {
  std::optional<Seconds> duration = lifecycle::scheduled_duration(scenario);
  if (!o.duration.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(duration,
                              parse_duration(o.duration, "--duration"));
  }
  if (!duration) {
    return make_error(Errc::kInvalidArgument,
                      "--forecast needs --duration: how long the search and "
                      "training run (the scenario gives training hours only "
                      "for a resource-time training without search)");
  }
  MLCARBON_ASSIGN_OR_RETURN(const carbon::IntensitySeries forecast,
                            carbon::read_series(o.forecast));
  carbon::PlanWindow window;
  if (!o.deadline.empty()) {
    auto deadline = parse_time(o.deadline);
    if (!deadline) {
      return tl::unexpected(
          std::move(deadline).error().with_context("--deadline"));
    }
    window.deadline = *deadline;
  }
  MLCARBON_ASSIGN_OR_RETURN(const WallTime now, wall_now());
  MLCARBON_ASSIGN_OR_RETURN(lifecycle::Recommendation advice,
                            lifecycle::schedule_recommendation(
                                r.base, forecast, *duration, window, now));
  r.recommendations.push_back(std::move(advice));
  return {};
}

Result<int> run_estimate(const EstimateOptions& o) {
  MLCARBON_ASSIGN_OR_RETURN(lifecycle::Scenario scenario,
                            report::load_scenario_file(o.file));
  // Model files, profiles and calibrations are read from the scenario's
  // folder, as its measured runs are.
  ProgressLine line(ProgressLine::wanted(false));
  MLCARBON_RETURN_IF_ERROR(lifecycle::resolve_model_inputs(
      scenario,
      calibrate::model_resolver(std::filesystem::path(o.file).parent_path(),
                                line.as_status())));
  MLCARBON_ASSIGN_OR_RETURN(report::FootprintReport r,
                            report::footprint_report(scenario));
  if (!o.forecast.empty())
    MLCARBON_RETURN_IF_ERROR(add_schedule_advice(o, scenario, r));
  for (const auto& w : o.what_ifs) {
    MLCARBON_ASSIGN_OR_RETURN(auto kv,
                              lifecycle::split_assignment("--what-if", w));
    lifecycle::Scenario changed = scenario;
    auto applied = lifecycle::apply_override(changed, kv.first, kv.second);
    if (!applied) {
      return tl::unexpected(std::move(applied).error().with_context(
          fmt::format("--what-if {}", w)));
    }
    MLCARBON_ASSIGN_OR_RETURN(auto f, lifecycle::estimate(changed));
    r.what_ifs.push_back({fmt::format("{}={}", kv.first, kv.second), f});
  }
  if (!o.sweep.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(const lifecycle::SweepSpec spec,
                              lifecycle::parse_sweep_spec(o.sweep));
    auto points =
        lifecycle::sweep(scenario, spec.key, spec.start, spec.stop, spec.count);
    if (!points) {
      return tl::unexpected(std::move(points).error().with_context(
          fmt::format("--sweep {}", o.sweep)));
    }
    r.sweep_key = spec.key;
    r.sweep = std::move(*points);
  }

  bool stdout_taken = false;
  if (!o.json.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(std::string json, report::footprint_json(r));
    MLCARBON_RETURN_IF_ERROR(report::write_output(o.json, json));
    stdout_taken = stdout_taken || o.json == "-";
  }
  if (!o.markdown.empty()) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(o.markdown, report::footprint_markdown(r)));
    stdout_taken = stdout_taken || o.markdown == "-";
  }
  if (!o.csv.empty()) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(o.csv, report::footprint_csv(r)));
    stdout_taken = stdout_taken || o.csv == "-";
  }
  if (!stdout_taken) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output("-", report::footprint_text(r)));
  }
  return static_cast<int>(ExitCode::kSuccess);
}

}  // namespace

Action setup_estimate(CLI::App& sub) {
  auto o = std::make_shared<EstimateOptions>();
  sub.add_option("FILE", o->file, "Scenario file (YAML; see docs/scenario.md)")
      ->required();
  sub.add_option("--what-if", o->what_ifs,
                 "Compare with KEY=VALUE changed, e.g. region=FR or "
                 "training.epochs=5 (repeatable; each alone)")
      ->type_name("KEY=VALUE");
  sub.add_option("--sweep", o->sweep,
                 "Footprints for KEY from START to STOP in COUNT even steps")
      ->type_name("KEY=START:STOP:COUNT");
  auto* forecast =
      sub.add_option("--forecast", o->forecast,
                     "Advise when to start the search and training under "
                     "this forecast of the grid's intensity (docs/plan.md)")
          ->type_name("FILE");
  sub.add_option("--duration", o->duration,
                 "How long the search and training run, for --forecast "
                 "(default: the training's hours when it gives them)")
      ->type_name("DURATION")
      ->needs(forecast);
  sub.add_option("--deadline", o->deadline,
                 "With --forecast: finish by T (ISO 8601; default: the "
                 "forecast's end)")
      ->type_name("T")
      ->needs(forecast);
  sub.add_option("--json", o->json,
                 "Write the report as JSON to FILE (- = stdout)")
      ->type_name("FILE");
  sub.add_option("--markdown", o->markdown,
                 "Write the report as Markdown to FILE (- = stdout)")
      ->type_name("FILE");
  sub.add_option("--csv", o->csv,
                 "Write the report as CSV to FILE (- = stdout)")
      ->type_name("FILE");
  return [o]() { return run_estimate(*o); };
}

}  // namespace mlcarbon::cli
