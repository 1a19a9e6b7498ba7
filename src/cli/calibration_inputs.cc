// SPDX-License-Identifier: Apache-2.0
// `calibrate` and `calibration:` in a scenario: I and θ from a calibration
// of the model on this machine (cached, or made now), or from a file of
// `mlcarbon calibrate --json` checked against the model and this machine.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/log.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/measure/run.h"

#include "calibrations.h"
#include "model_inputs.h"

namespace mlcarbon::cli {
namespace {

std::string at(const lifecycle::ModelRequest& r, lifecycle::SourcePos pos) {
  return fmt::format("{}:{}:{}", r.origin, pos.line, pos.column);
}

Result<models::Model> scenario_model(const lifecycle::ModelRequest& r,
                                     const std::filesystem::path& folder) {
  auto model = load_model_from(r.model, folder);
  if (!model) {
    return tl::unexpected(std::move(model).error().with_context(
        fmt::format("{}: {}.model", at(r, r.model_pos), r.where)));
  }
  return model;
}

// I and θ with the spread of the repeats as their range.
lifecycle::ModelEnergy energy_of(const calibrate::Calibration& c,
                                 std::string source) {
  const calibrate::Spread& i = c.inference.energy_per_sample_j;
  lifecycle::ModelEnergy e;
  e.inference_j_per_sample = lifecycle::Range{i.min, i.mean, i.max};
  e.overhead = lifecycle::Range{std::min(c.theta_spread.min, c.theta), c.theta,
                                std::max(c.theta_spread.max, c.theta)};
  e.source = std::move(source);
  e.measured = c.method() == Method::kMeasured;
  for (const std::string& w : c.warnings)
    e.warnings.push_back(fmt::format("calibration: {}", w));
  return e;
}

Result<lifecycle::ModelEnergy> from_file(const lifecycle::ModelRequest& r,
                                         const std::filesystem::path& folder) {
  std::filesystem::path path(r.calibration);
  if (path.is_relative())
    path = folder / path;
  auto loaded = calibrate::load_calibration(path);
  if (!loaded) {
    return tl::unexpected(
        Error(loaded.error().code() == Errc::kNotFound ? Errc::kInvalidArgument
                                                       : loaded.error().code(),
              fmt::format("{}: {}.calibration: {}", at(r, r.way_pos), r.where,
                          loaded.error().to_string()))
            .with_remedy("write one with 'mlcarbon calibrate MODEL --json "
                         "FILE'; a relative path is read from the scenario's "
                         "folder"));
  }
  const calibrate::Calibration& c = *loaded;
  // Without a model the calibration's own model and settings stand; the
  // machine is checked all the same.
  const measure::RunContext here = measure::collect_context({});
  calibrate::Target target = calibrate::target_of(c);
  target.host = here.host;
  target.cpu_model = here.cpu_model;
  if (!r.model.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                              scenario_model(r, folder));
    target.fingerprint = models::fingerprint(model);
  }
  lifecycle::ModelEnergy e =
      energy_of(c, fmt::format("calibration {} of {} ({} on {}, {})",
                               r.calibration, c.model.name, c.created,
                               c.context.host, to_string(c.method())));
  for (std::string& w : calibrate::mismatches(c, target, r.calibration))
    e.warnings.push_back(std::move(w));
  return e;
}

Result<lifecycle::ModelEnergy> calibrate_now(
    const lifecycle::ModelRequest& r, const std::filesystem::path& folder) {
  MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                            scenario_model(r, folder));
  ProgressLine line(ProgressLine::wanted(false));
  CalibrationRequest request{.progress = &line};
  // The budget of `mlcarbon calibrate --budget`, from its environment
  // variable; else the default.
  if (const char* budget = std::getenv("MLCARBON_CALIBRATE_BUDGET")) {
    MLCARBON_ASSIGN_OR_RETURN(
        request.options.budget,
        parse_duration(budget, "MLCARBON_CALIBRATE_BUDGET"));
  }
  auto got = obtain_calibration(model, request);
  if (!got) {
    return tl::unexpected(std::move(got).error().with_context(fmt::format(
        "{}: {}.{}: calibrate", at(r, r.way_pos), r.where, r.field)));
  }
  const calibrate::Calibration& c = got->calibration;
  lifecycle::ModelEnergy e = energy_of(
      c, got->cached
             ? fmt::format("cached calibration of {} ({}, {})", model.name,
                           c.created, to_string(c.method()))
             : fmt::format("calibrated {} now in {:.1f} s ({})", model.name,
                           c.duration_s, to_string(c.method())));
  if (got->save_error) {
    e.warnings.push_back(
        fmt::format("the calibration was not cached: {}", *got->save_error));
  }
  return e;
}

}  // namespace

Result<lifecycle::ModelEnergy> resolve_calibration(
    const lifecycle::ModelRequest& request,
    const std::filesystem::path& folder) {
  auto e = request.way == lifecycle::ModelWay::kCalibration
               ? from_file(request, folder)
               : calibrate_now(request, folder);
  if (e) {
    for (const std::string& w : e->warnings)
      log_warning("{}: {}: {}", at(request, request.way_pos), request.where, w);
  }
  return e;
}

}  // namespace mlcarbon::cli
