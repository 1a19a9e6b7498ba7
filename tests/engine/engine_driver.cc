// SPDX-License-Identifier: Apache-2.0
// Runs the LibTorch plugin from outside, for the comparison with PyTorch
// (tests/engine/test_vs_pytorch.py) and bench/engine_vs_pytorch.sh: trains
// and then infers a model and prints what happened as one JSON object.
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "mlcarbon/engine/engine.h"
#include "mlcarbon/models/model.h"

namespace {

using mlcarbon::engine::DataSpec;
using mlcarbon::engine::LoopResult;
using nlohmann::json;

/// The layers as built, so that PyTorch can build the same modules.
json layers_json(const mlcarbon::models::Model& model) {
  json out = json::array();
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const auto& l = model.layers[i];
    out.push_back({{"type", mlcarbon::models::to_string(l.type)},
                   {"input", model.stats[i].input},
                   {"output", model.stats[i].output},
                   {"units", l.units},
                   {"kernel", l.kernel},
                   {"stride", l.stride},
                   {"padding", l.padding},
                   {"groups", l.groups},
                   {"bias", l.bias},
                   {"rate", l.rate},
                   {"vocab", l.vocab},
                   {"heads", l.heads},
                   {"mlp_dim", l.mlp_dim}});
  }
  return out;
}

/// CPU time of the whole process: with one thread, the loop's work even
/// when other processes share the CPUs.
double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

json loop_json(const LoopResult& r, double cpu) {
  json out = {{"seconds", r.seconds},
              {"cpu_seconds", cpu},
              {"batches", r.batches},
              {"samples", r.samples}};
  if (r.mean_loss == r.mean_loss)
    out["mean_loss"] = r.mean_loss;
  return out;
}

int fail(const mlcarbon::Error& e) {
  std::cerr << "engine_driver: " << e.to_string();
  if (!e.remedy().empty())
    std::cerr << " (" << e.remedy() << ")";
  std::cerr << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace engine = mlcarbon::engine;
  CLI::App app{"Train and run a model with the LibTorch engine; print JSON"};
  std::string model_spec;
  std::string data_kind = "regression";
  std::string optimizer = "sgd";
  std::string loss = "mse";
  std::string device = "cpu";
  std::string plugin = MLCARBON_ENGINE_PLUGIN;
  std::int64_t gemm = 0;
  std::int64_t train_batches = -1;
  std::int64_t infer_batches = -1;
  std::int64_t warmup_batches = 0;
  bool print_losses = true;
  DataSpec data;
  engine::TrainOptions train;
  engine::Settings settings;
  app.add_option("--model", model_spec, "Model file or shorthand");
  app.add_option("--gemm", gemm,
                 "Instead of --model: one N->N dense layer, batches of N "
                 "(an N x N x N matrix product per batch)");
  app.add_option("--data", data_kind, "regression, classification or idx");
  app.add_option("--samples", data.samples, "Samples in the data set");
  app.add_option("--classes", data.classes, "Classes (classification)");
  app.add_option("--data-seed", data.seed, "Seed of the synthetic data");
  app.add_option("--images", data.images_path, "IDX images (idx)");
  app.add_option("--labels", data.labels_path, "IDX labels (idx)");
  app.add_option("--seed", settings.seed, "Seed of the weights");
  app.add_option("--threads", settings.threads, "Torch and BLAS threads");
  app.add_option("--device", device, "cpu or cuda");
  app.add_option("--optimizer", optimizer, "sgd or adam");
  app.add_option("--loss", loss, "mse or cross-entropy");
  app.add_option("--lr", train.learning_rate, "Learning rate");
  app.add_option("--batch", train.batch, "Batch size");
  app.add_option("--train-batches", train_batches,
                 "Training batches (default: one epoch)");
  app.add_option("--infer-batches", infer_batches,
                 "Inference batches (default: one epoch)");
  app.add_option("--warmup-batches", warmup_batches,
                 "Untimed training and inference batches first, so that "
                 "one-time kernel set-up is not timed");
  app.add_flag("!--no-losses", print_losses, "Leave out per-batch losses");
  app.add_flag("!--keep-denormals", settings.flush_denormals,
               "Do not flush denormal floats to zero");
  app.add_option("--plugin", plugin, "The engine plugin");
  CLI11_PARSE(app, argc, argv);

  data.kind = data_kind == "idx"              ? DataSpec::Kind::kIdx
              : data_kind == "classification" ? DataSpec::Kind::kClassification
                                              : DataSpec::Kind::kRegression;
  train.optimizer =
      optimizer == "adam" ? engine::Optimizer::kAdam : engine::Optimizer::kSgd;
  train.loss = loss == "cross-entropy" ? engine::Loss::kCrossEntropy
                                       : engine::Loss::kMse;
  auto parsed_device = engine::parse_device(device);
  if (!parsed_device)
    return fail(parsed_device.error());
  settings.device = *parsed_device;

  mlcarbon::models::Model model;
  if (gemm > 0) {
    model.name = model.origin = "gemm";
    model.input = {gemm};
    mlcarbon::models::Layer dense;
    dense.units = gemm;
    dense.name = "dense";
    model.layers.push_back(dense);
    train.batch = gemm;
    data.samples = gemm;
    if (auto status = mlcarbon::models::infer_shapes(model); !status)
      return fail(status.error());
  } else {
    auto loaded = mlcarbon::models::load_model(model_spec);
    if (!loaded)
      return fail(loaded.error());
    model = std::move(*loaded);
  }

  auto eng = engine::load_engine({.path = plugin, .threads = settings.threads});
  if (!eng)
    return fail(eng.error());
  auto session = (*eng)->open(model, data, train, settings);
  if (!session)
    return fail(session.error());
  auto& s = **session;
  json out = {{"engine", (*eng)->description()},
              {"model", model.name},
              {"input", model.input},
              {"layers", layers_json(model)},
              {"parameters", s.parameters()},
              {"model_parameters", model.parameters()},
              {"batches_per_epoch", s.batches_per_epoch()}};
  std::size_t warmup_losses = 0;
  if (warmup_batches > 0) {
    if (auto warm = s.train(warmup_batches, nullptr); !warm)
      return fail(warm.error());
    if (auto warm = s.infer(warmup_batches, nullptr); !warm)
      return fail(warm.error());
    warmup_losses = s.losses().size();
  }
  if (train_batches != 0) {
    double cpu = cpu_seconds();
    auto trained = s.train(
        train_batches < 0 ? s.batches_per_epoch() : train_batches, nullptr);
    if (!trained)
      return fail(trained.error());
    out["train"] = loop_json(*trained, cpu_seconds() - cpu);
    if (print_losses)
      out["losses"] = std::vector<double>(
          s.losses().begin() + static_cast<std::ptrdiff_t>(warmup_losses),
          s.losses().end());
  }
  if (infer_batches != 0) {
    double cpu = cpu_seconds();
    auto inferred = s.infer(
        infer_batches < 0 ? s.batches_per_epoch() : infer_batches, nullptr);
    if (!inferred)
      return fail(inferred.error());
    out["infer"] = loop_json(*inferred, cpu_seconds() - cpu);
  }
  std::cout << out.dump() << "\n";
  return 0;
}
