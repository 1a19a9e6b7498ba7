// SPDX-License-Identifier: Apache-2.0
// `predict`, `calibrate` and `calibration:` in a scenario: I and θ from a
// machine profile's predictor, from a calibration of the model on this
// machine (cached, or made now), or from a file of `mlcarbon calibrate
// --json` checked against the model and this machine.
#include "mlcarbon/calibrate/scenario_inputs.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/log.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"

namespace mlcarbon::calibrate {

namespace {

std::string at(const lifecycle::ModelRequest& r, lifecycle::SourcePos pos) {
  return fmt::format("{}:{}:{}", r.origin, pos.line, pos.column);
}

std::filesystem::path under(const std::filesystem::path& folder,
                            std::string_view path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : folder / p;
}

Result<lifecycle::ModelEnergy> resolve_predict(
    const lifecycle::ModelRequest& r, const std::filesystem::path& folder) {
  auto model = load_model_from(r.model, folder);
  if (!model) {
    return tl::unexpected(
        Error(model.error().code() == Errc::kNotFound ? Errc::kInvalidArgument
                                                      : model.error().code(),
              fmt::format("{}: {}.model: {}", at(r, r.model_pos), r.where,
                          model.error().message()))
            .with_remedy(model.error().remedy()));
  }
  auto profile = read_profile(under(folder, r.profile));
  if (!profile) {
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("{}: profile: {}", at(r, r.profile_pos),
                          profile.error().message()))
            .with_remedy("write one with 'mlcarbon calibrate --fit'; a "
                         "relative path is read from the scenario's folder"));
  }
  auto p = lifecycle::predict(*model, *profile);
  if (!p) {
    return make_error(Errc::kInvalidArgument, "{}: {}.{}: {}", at(r, r.way_pos),
                      r.where, r.field, p.error().message());
  }
  const lifecycle::Prediction& layer = p->get(lifecycle::Predictor::kPerLayer);
  lifecycle::ModelEnergy e;
  e.inference_j_per_sample =
      lifecycle::Range::exact(layer.inference_j_per_sample);
  e.overhead = lifecycle::Range::exact(layer.overhead);
  e.source =
      fmt::format("predicted per-layer for {} from {}, fit MAPE {:.1f} %",
                  model->name, r.profile, layer.fit_error.inference_mape);
  for (const auto& w : p->warnings) {
    e.warnings.push_back(w);
    log_warning("{}: {}.model: {}", at(r, r.model_pos), r.where, w);
  }
  return e;
}

}  // namespace

Result<models::Model> load_model_from(std::string_view shorthand_or_path,
                                      const std::filesystem::path& folder) {
  if (models::is_shorthand(shorthand_or_path))
    return models::load_model(shorthand_or_path);
  return models::load_model(under(folder, shorthand_or_path).string());
}

Result<lifecycle::MachineProfile> read_profile(
    const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return lifecycle::parse_profile(text, path.string());
}

lifecycle::ModelResolver model_resolver(std::filesystem::path folder,
                                        StatusFn status) {
  return
      [folder = std::move(folder), status = std::move(status)](
          const lifecycle::ModelRequest& r) -> Result<lifecycle::ModelEnergy> {
        if (r.way == lifecycle::ModelWay::kPredict)
          return resolve_predict(r, folder);
        return resolve_calibration(r, folder, status);
      };
}

Result<engine::Engine*> load_engine_plugin(int threads, engine::Device device) {
  Result<engine::Engine*> loaded = engine::load_engine({.threads = threads});
  if (!loaded && loaded.error().remedy().empty()) {
    return tl::unexpected(std::move(loaded).error().with_remedy(
        "build mlcarbon with LibTorch (apt-get install libtorch-dev, then "
        "reconfigure and build; see docs/engine.md), or point "
        "MLCARBON_ENGINE at libmlcarbon_engine.so"));
  }
  if (loaded && device == engine::Device::kCuda &&
      !(*loaded)->cuda_available()) {
    return make_error(Errc::kUnavailable,
                      "--device cuda: the engine has no CUDA device ({})",
                      (*loaded)->description());
  }
  return loaded;
}

/// The target a calibration made now would have, sensors included: the
/// same detection the calibration's pipeline makes.
Result<Target> target_here(const models::Model& model, std::int64_t batch,
                           engine::Device device, int threads,
                           const sensors::SensorOptions& sensors) {
  MLCARBON_ASSIGN_OR_RETURN(const sensors::Detection detection,
                            measure::detect_pipeline_sensors(sensors, {}));
  const measure::RunContext here = measure::collect_context(detection);
  return Target{.fingerprint = models::fingerprint(model),
                .batch = batch,
                .device = std::string(engine::to_string(device)),
                .threads = threads,
                .host = here.host,
                .cpu_model = here.cpu_model,
                .sensors = sensor_lines(here)};
}

Result<ObtainedCalibration> obtain_calibration(
    const models::Model& model, const CalibrationRequest& request) {
  const CalibrateOptions& o = request.options;
  MLCARBON_RETURN_IF_ERROR(validate(o));
  ObtainedCalibration out;
  const bool cache = request.use_cache && !request.cache_dir.empty();
  if (cache) {
    MLCARBON_ASSIGN_OR_RETURN(
        const Target target,
        target_here(model, o.batch, o.device, o.threads, request.sensors));
    MLCARBON_ASSIGN_OR_RETURN(std::optional<Calibration> cached,
                              find_cached(request.cache_dir, target));
    if (cached) {
      out.calibration = std::move(*cached);
      out.cached = request.cache_dir / cache_key(target);
      return out;
    }
  }
  const StatusFn& status = request.status;
  if (status)
    status(fmt::format("calibrating {}: loading the engine", model.name));
  MLCARBON_ASSIGN_OR_RETURN(engine::Engine * engine,
                            load_engine_plugin(o.threads, o.device));
  CalibrateOptions options = o;
  if (status) {
    options.progress = [&status, &model](std::string_view stage,
                                         Seconds elapsed, Seconds budget) {
      status(fmt::format("calibrating {}: {} ({:.0f}/{:.0f} s)", model.name,
                         stage, elapsed.count(), budget.count()));
    };
  }
  measure::PipelineOptions meter{.interval = kMeterInterval,
                                 .sensors = request.sensors};
  auto measured = run_calibration(*engine, model, options, std::move(meter));
  if (status)
    status("");
  if (!measured)
    return tl::unexpected(std::move(measured).error());
  out.calibration = std::move(*measured);
  if (cache) {
    auto saved = store_cached(request.cache_dir, out.calibration);
    if (saved)
      out.saved = *saved;
    else
      out.save_error = saved.error().to_string();
  }
  return out;
}

namespace {

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
lifecycle::ModelEnergy energy_of(const Calibration& c, std::string source) {
  const Spread& i = c.inference.energy_per_sample_j;
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
  auto loaded = load_calibration(path);
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
  const Calibration& c = *loaded;
  // Without a model the calibration's own model and settings stand; the
  // machine is checked all the same.
  const measure::RunContext here = measure::collect_context({});
  Target target = target_of(c);
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
  for (std::string& w : mismatches(c, target, r.calibration))
    e.warnings.push_back(std::move(w));
  return e;
}

Result<lifecycle::ModelEnergy> calibrate_now(
    const lifecycle::ModelRequest& r, const std::filesystem::path& folder,
    const StatusFn& status) {
  MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                            scenario_model(r, folder));
  CalibrationRequest request{.status = status};
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
  const Calibration& c = got->calibration;
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
    const lifecycle::ModelRequest& request, const std::filesystem::path& folder,
    const StatusFn& status) {
  auto e = request.way == lifecycle::ModelWay::kCalibration
               ? from_file(request, folder)
               : calibrate_now(request, folder, status);
  if (e) {
    for (const std::string& w : e->warnings)
      log_warning("{}: {}: {}", at(request, request.way_pos), request.where, w);
  }
  return e;
}

}  // namespace mlcarbon::calibrate
