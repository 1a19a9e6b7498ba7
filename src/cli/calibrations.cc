// SPDX-License-Identifier: Apache-2.0
#include "calibrations.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/format.h"

namespace mlcarbon::cli {

bool ProgressLine::wanted(bool quiet) {
  return !quiet && ::isatty(STDERR_FILENO) != 0;
}

void ProgressLine::show(std::string_view text) {
  if (!enabled_)
    return;
  std::fprintf(stderr, "\r\033[K%s", terminal_safe(text).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_)
    return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
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

calibrate::Target target_here(const models::Model& model, std::int64_t batch,
                              engine::Device device, int threads) {
  const measure::RunContext here = measure::collect_context({});
  return calibrate::Target{.fingerprint = models::fingerprint(model),
                           .batch = batch,
                           .device = std::string(engine::to_string(device)),
                           .threads = threads,
                           .host = here.host,
                           .cpu_model = here.cpu_model};
}

Result<ObtainedCalibration> obtain_calibration(
    const models::Model& model, const CalibrationRequest& request) {
  const calibrate::CalibrateOptions& o = request.options;
  MLCARBON_RETURN_IF_ERROR(calibrate::validate(o));
  ObtainedCalibration out;
  const bool cache = request.use_cache && !request.cache_dir.empty();
  if (cache) {
    const calibrate::Target target =
        target_here(model, o.batch, o.device, o.threads);
    MLCARBON_ASSIGN_OR_RETURN(
        std::optional<calibrate::Calibration> cached,
        calibrate::find_cached(request.cache_dir, target));
    if (cached) {
      out.calibration = std::move(*cached);
      out.cached = request.cache_dir / calibrate::cache_key(target);
      return out;
    }
  }
  ProgressLine* line = request.progress;
  if (line != nullptr)
    line->show(fmt::format("calibrating {}: loading the engine", model.name));
  MLCARBON_ASSIGN_OR_RETURN(engine::Engine * engine,
                            load_engine_plugin(o.threads, o.device));
  calibrate::CalibrateOptions options = o;
  if (line != nullptr) {
    options.progress = [line, &model](std::string_view stage, Seconds elapsed,
                                      Seconds budget) {
      line->show(fmt::format("calibrating {}: {} ({:.0f}/{:.0f} s)", model.name,
                             stage, elapsed.count(), budget.count()));
    };
  }
  measure::PipelineOptions meter{.interval = calibrate::kMeterInterval,
                                 .sensors = request.sensors};
  auto measured =
      calibrate::run_calibration(*engine, model, options, std::move(meter));
  if (line != nullptr)
    line->clear();
  if (!measured)
    return tl::unexpected(std::move(measured).error());
  out.calibration = std::move(*measured);
  if (cache) {
    auto saved = calibrate::store_cached(request.cache_dir, out.calibration);
    if (saved)
      out.saved = *saved;
    else
      out.save_error = saved.error().to_string();
  }
  return out;
}

std::string si(double value, std::string_view unit) {
  static constexpr std::array<std::pair<double, const char*>, 6> kPrefixes{{
      {1e3, "k"},
      {1.0, ""},
      {1e-3, "m"},
      {1e-6, "\xc2\xb5"},
      {1e-9, "n"},
      {1e-12, "p"},
  }};
  if (value == 0.0 || !std::isfinite(value))
    return fmt::format("{} {}", report::format_number(value), unit);
  for (const auto& [scale, prefix] : kPrefixes) {
    if (std::fabs(value) >= scale || scale == 1e-12)
      return fmt::format("{} {}{}", report::format_number(value / scale),
                         prefix, unit);
  }
  return {};
}

namespace {

std::string spread_text(const calibrate::Spread& s, std::string_view unit) {
  const double rel = s.mean > 0.0 ? 100.0 * s.stddev / s.mean : 0.0;
  return fmt::format("{} \xc2\xb1 {:.1f}% (range {} to {}, {} repeats)",
                     si(s.mean, unit), rel, si(s.min, unit), si(s.max, unit),
                     s.count);
}

}  // namespace

std::string calibration_text(const calibrate::Calibration& c) {
  std::string out;
  auto line = [&out](std::string text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("Calibration of {} ({})", c.model.name, c.model.origin));
  line(fmt::format(
      "  model        {} parameters, {} FLOP/sample forward, {} layers, "
      "fingerprint {}",
      c.model.parameters, report::format_number(c.model.forward_flops),
      c.model.layers, c.model.fingerprint));
  line(fmt::format("  settings     batch {}, {}, {} thread{}; {}", c.batch,
                   c.device, c.threads, c.threads == 1 ? "" : "s", c.engine));
  std::string sensors;
  for (const auto& s : c.context.sensors) {
    if (!sensors.empty())
      sensors += ", ";
    sensors += fmt::format("{} ({})", s.name, to_string(s.method));
  }
  line(fmt::format("  machine      {}, {} ({} CPUs)", c.context.host,
                   c.context.cpu_model, c.context.cpu_count));
  line(fmt::format("  sensors      {}", sensors.empty() ? "none" : sensors));
  line(fmt::format("  I            {} per inference sample [{}]",
                   spread_text(c.inference.energy_per_sample_j, "J"),
                   to_string(c.inference.method)));
  line(fmt::format("  training     {} per sample [{}]",
                   spread_text(c.training.energy_per_sample_j, "J"),
                   to_string(c.training.method)));
  line(fmt::format("  theta        {} (per repeat {} to {})",
                   report::format_number(c.theta),
                   report::format_number(c.theta_spread.min),
                   report::format_number(c.theta_spread.max)));
  line(
      fmt::format("  time         {} per inference sample, {} per training "
                  "sample",
                  si(c.inference.seconds_per_sample.mean, "s"),
                  si(c.training.seconds_per_sample.mean, "s")));
  line(fmt::format(
      "  warm-up      {} inference + {} training batches, {:.2f} "
      "s, excluded",
      c.warmup.inference_batches, c.warmup.training_batches, c.warmup.seconds));
  line(fmt::format("  took         {:.1f} s (budget {:.1f} s); energy {}",
                   c.duration_s, c.budget_s, to_string(c.method())));
  for (const std::string& w : c.warnings)
    line(fmt::format("  warning: {}", w));
  return out;
}

}  // namespace mlcarbon::cli
