// SPDX-License-Identifier: Apache-2.0
// `mlcarbon train MODEL --samples N --epochs E`: a whole training run on
// synthetic data through the engine, under the meter. The "training"
// window covers the training loop; the run also covers building the model
// and generating its data (docs/calibrate.md).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/measure/context_json.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/output.h"

#include "calibrations.h"
#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

// Training records share the run's schema version.
constexpr int kTrainingSchemaVersion = 1;

struct TrainArgs {
  std::string model;
  std::int64_t samples = 0;
  std::int64_t epochs = 1;
  std::int64_t batch = 32;
  std::string device = "cpu";
  int threads = 1;
  std::optional<std::string> json;
  bool quiet = false;
  SensorFlags sensors;
};

nlohmann::ordered_json energy_json(const measure::Measurement& m) {
  return {{"energy_j", m.attributed.value()},
          {"machine_energy_j", m.total.value()},
          {"method", to_string(m.method())},
          {"seconds", m.duration.count()}};
}

std::string training_json(const calibrate::TrainingRecord& r,
                          double load_seconds) {
  nlohmann::ordered_json doc;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "training";
  doc["schema_version"] = kTrainingSchemaVersion;
  doc["model"] = {{"name", r.model.name},
                  {"origin", r.model.origin},
                  {"fingerprint", r.model.fingerprint},
                  {"parameters", r.model.parameters},
                  {"forward_flops_per_sample", r.model.forward_flops},
                  {"training_flops_per_sample", r.model.training_flops}};
  doc["settings"] = {{"samples", r.options.samples},
                     {"epochs", r.options.epochs},
                     {"batch", r.options.batch},
                     {"device", engine::to_string(r.options.device)},
                     {"threads", r.options.threads}};
  doc["engine"] = r.engine;
  doc["context"] = measure::context_to_json(r.run.context);
  doc["energy_basis"] =
      "attributed: the machine's energy times this process's share of the "
      "busy CPU time, plus its GPUs";
  nlohmann::ordered_json loop = energy_json(r.window.measurement);
  loop["loop_seconds"] = r.loop.seconds;
  loop["samples"] = r.loop.samples;
  loop["batches"] = r.loop.batches;
  loop["mean_loss"] = r.loop.mean_loss;
  doc["training_loop"] = std::move(loop);
  nlohmann::ordered_json run = energy_json(r.run.measurement);
  run["open_seconds"] = r.open_seconds;
  run["engine_load_seconds"] = load_seconds;
  doc["run"] = std::move(run);
  doc["warnings"] = r.run.measurement.warnings;
  return doc.dump(2, ' ', false,
                  nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

Result<int> run_train(const TrainArgs& a) {
  MLCARBON_ASSIGN_OR_RETURN(const engine::Device device,
                            engine::parse_device(a.device));
  if (a.samples < 1) {
    return make_error(Errc::kInvalidArgument,
                      "--samples must be at least 1, got {}", a.samples);
  }
  MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                            models::load_model(a.model));
  if (a.json && *a.json != "-") {
    MLCARBON_RETURN_IF_ERROR(check_output_file(*a.json));
  }
  MLCARBON_ASSIGN_OR_RETURN(sensors::SensorOptions sensor_options,
                            a.sensors.options());
  ProgressLine line(ProgressLine::wanted(a.quiet));
  line.show(fmt::format("training {}: loading the engine", model.name));
  const auto load_start = std::chrono::steady_clock::now();
  MLCARBON_ASSIGN_OR_RETURN(engine::Engine * engine,
                            calibrate::load_engine_plugin(a.threads, device));
  const double load_seconds =
      Seconds(std::chrono::steady_clock::now() - load_start).count();
  const calibrate::TrainOptions options{
      .samples = a.samples,
      .epochs = a.epochs,
      .batch = a.batch,
      .device = device,
      .threads = a.threads,
      .progress = [&](std::int64_t done, std::int64_t total) {
        line.show(
            fmt::format("training {}: {}/{} samples", model.name, done, total));
      }};
  measure::PipelineOptions meter{.interval = calibrate::kMeterInterval,
                                 .sensors = std::move(sensor_options)};
  auto record =
      calibrate::run_training(*engine, model, options, std::move(meter));
  line.clear();
  if (!record)
    return tl::unexpected(std::move(record).error());
  if (a.json) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(*a.json, training_json(*record, load_seconds)));
  }
  if (!a.quiet) {
    std::FILE* to = a.json && *a.json == "-" ? stderr : stdout;
    const measure::Measurement& w = record->window.measurement;
    const measure::Measurement& run = record->run.measurement;
    std::string text = fmt::format(
        "Training of {}: {} epochs x {} samples, batch {}, {}, {} thread{}\n"
        "  training loop  {} in {:.2f} s ({} per sample) [{}], final mean "
        "loss {}\n"
        "  whole run      {} in {:.2f} s, building the model and data {:.2f} "
        "s; engine load {:.2f} s before it [{}]\n",
        model.name, a.epochs, a.samples, a.batch, a.device, a.threads,
        a.threads == 1 ? "" : "s", si(w.attributed.value(), "J"),
        record->loop.seconds,
        si(w.attributed.value() / static_cast<double>(std::max<std::int64_t>(
                                      record->loop.samples, 1)),
           "J"),
        to_string(w.method()), report::format_number(record->loop.mean_loss),
        si(run.attributed.value(), "J"), run.duration.count(),
        record->open_seconds, load_seconds, to_string(run.method()));
    for (const std::string& warning : run.warnings)
      text += fmt::format("  warning: {}\n", warning);
    std::fputs(text.c_str(), to);
  }
  return 0;
}

}  // namespace

Action setup_train(CLI::App& sub) {
  auto args = std::make_shared<TrainArgs>();
  sub.footer(
      "Example:\n  mlcarbon train mlp:depth=50,width=100,inputs=100 "
      "--samples 20000 --epochs 2 --json t.json");
  sub.add_option("model", args->model, "Model file or shorthand")->required();
  sub.add_option("--samples", args->samples,
                 "Synthetic training samples (regression)")
      ->required();
  sub.add_option("--epochs", args->epochs, "Epochs (default 1)");
  sub.add_option("--batch", args->batch, "Batch size (default 32)");
  sub.add_option("--device", args->device, "cpu or cuda (default cpu)");
  sub.add_option("--threads", args->threads,
                 "Threads for torch and BLAS (default 1)");
  sub.add_option("--json", args->json,
                 "Write the training record as JSON to FILE ('-' for "
                 "stdout)");
  sub.add_flag("-q,--quiet", args->quiet, "Print no summary or progress line");
  add_sensor_options(sub, args->sensors);
  return [args]() { return run_train(*args); };
}

}  // namespace mlcarbon::cli
