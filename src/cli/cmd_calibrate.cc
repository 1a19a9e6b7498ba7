// SPDX-License-Identifier: Apache-2.0
// `mlcarbon calibrate MODEL`: measures I, θ and the time per sample of a
// model on this machine (docs/calibrate.md); `--fit` fits a machine profile
// for the predictors from many small architectures, `--evaluate` checks one
// against measurements of architectures it never saw.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/output.h"

#include "calibrations.h"
#include "command.h"
#include "fit.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct CalibrateArgs {
  std::optional<std::string> model;
  std::int64_t batch = 32;
  std::optional<std::string> budget;
  std::string device = "cpu";
  int threads = 1;
  std::optional<std::string> json;
  bool no_cache = false;
  bool quiet = false;
  bool fit = false;
  std::optional<std::string> out;
  std::optional<std::string> evaluate;
  SensorFlags sensors;
};

Result<int> run_one(const CalibrateArgs& a, Seconds budget,
                    engine::Device device) {
  MLCARBON_ASSIGN_OR_RETURN(sensors::SensorOptions sensor_options,
                            a.sensors.options());
  MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                            models::load_model(*a.model));
  if (a.json && *a.json != "-") {
    MLCARBON_RETURN_IF_ERROR(check_output_file(*a.json));
  }
  ProgressLine line(ProgressLine::wanted(a.quiet));
  calibrate::CalibrationRequest request{.options = {.batch = a.batch,
                                                    .budget = budget,
                                                    .device = device,
                                                    .threads = a.threads},
                                        .sensors = std::move(sensor_options),
                                        .use_cache = !a.no_cache,
                                        .status = line.as_status()};
  MLCARBON_ASSIGN_OR_RETURN(calibrate::ObtainedCalibration got,
                            calibrate::obtain_calibration(model, request));
  if (a.json) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(*a.json, calibrate::to_json(got.calibration)));
  }
  if (!a.quiet) {
    // The JSON may own stdout; the summary then goes to stderr.
    std::FILE* to = a.json && *a.json == "-" ? stderr : stdout;
    std::string text = calibration_text(got.calibration);
    if (got.cached) {
      text += fmt::format(
          "  cached       reused {} (made {}); --no-cache measures again\n",
          got.cached->string(), got.calibration.created);
    } else if (got.saved) {
      text += fmt::format("  cached       saved as {}\n", got.saved->string());
    }
    std::fputs(text.c_str(), to);
  }
  if (got.save_error) {
    std::fprintf(stderr,
                 "mlcarbon: warning: the calibration was not cached: %s\n",
                 got.save_error->c_str());
  }
  return 0;
}

Result<int> run_calibrate(const CalibrateArgs& a) {
  std::optional<Seconds> budget;
  if (a.budget) {
    MLCARBON_ASSIGN_OR_RETURN(budget, parse_duration(*a.budget, "--budget"));
  }
  MLCARBON_ASSIGN_OR_RETURN(const engine::Device device,
                            engine::parse_device(a.device));
  const int modes = (a.model ? 1 : 0) + (a.fit ? 1 : 0) + (a.evaluate ? 1 : 0);
  if (modes != 1) {
    return make_error(Errc::kInvalidArgument,
                      "give exactly one of MODEL, --fit or --evaluate "
                      "PROFILE");
  }
  if (a.out && !a.fit)
    return make_error(Errc::kInvalidArgument, "--out goes with --fit");
  if (a.fit || a.evaluate) {
    MLCARBON_ASSIGN_OR_RETURN(sensors::SensorOptions sensor_options,
                              a.sensors.options());
    const FitArgs fit{.budget = budget,
                      .device = device,
                      .threads = a.threads,
                      .batch = a.batch,
                      .out = a.out,
                      .profile = a.evaluate,
                      .json = a.json,
                      .quiet = a.quiet,
                      .sensors = std::move(sensor_options)};
    return a.fit ? run_fit(fit) : run_evaluate(fit);
  }
  return run_one(a, budget.value_or(Seconds(30.0)), device);
}

}  // namespace

Action setup_calibrate(CLI::App& sub) {
  auto args = std::make_shared<CalibrateArgs>();
  sub.footer(
      "Examples:\n"
      "  mlcarbon calibrate mlp:depth=50,width=100,inputs=100 --json c.json\n"
      "  mlcarbon calibrate --fit --out profile.json\n"
      "  mlcarbon calibrate --evaluate profile.json\n\n"
      "Calibrations are cached in $XDG_CACHE_HOME/mlcarbon/calibrations "
      "(else ~/.cache/...), keyed by model, batch, device, threads and "
      "machine.");
  sub.add_option("model", args->model,
                 "Model file (YAML, JSON, ONNX) or shorthand "
                 "(mlp:depth=D,width=W,inputs=N)");
  sub.add_option("--batch", args->batch, "Batch size (default 32)");
  sub.add_option("--budget", args->budget,
                 "Time the whole calibration may take, e.g. 30s, 2m "
                 "(default 30s; with --fit or --evaluate: for all the "
                 "architectures, default 5s each; env "
                 "MLCARBON_CALIBRATE_BUDGET, also for scenarios)")
      ->envname("MLCARBON_CALIBRATE_BUDGET");
  sub.add_option("--device", args->device, "cpu or cuda (default cpu)");
  sub.add_option("--threads", args->threads,
                 "Threads for torch and BLAS (default 1)");
  sub.add_option("--json", args->json,
                 "Write the calibration (or the evaluation) as JSON to FILE "
                 "('-' for stdout)");
  sub.add_flag("--no-cache", args->no_cache,
               "Measure even when a cached calibration exists, and do not "
               "cache the new one");
  sub.add_flag("--fit", args->fit,
               "Measure the built-in set of small architectures and fit a "
               "machine profile for the per-layer predictor");
  sub.add_option("--out", args->out,
                 "With --fit: write the machine profile to FILE (default "
                 "profile.json)");
  sub.add_option("--evaluate", args->evaluate,
                 "Measure the held-out architectures and print each "
                 "predictor's error against PROFILE");
  sub.add_flag("-q,--quiet", args->quiet, "Print no summary or progress line");
  add_sensor_options(sub, args->sensors);
  return [args]() { return run_calibrate(*args); };
}

}  // namespace mlcarbon::cli
