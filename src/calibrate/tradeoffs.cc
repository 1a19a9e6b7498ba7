// SPDX-License-Identifier: Apache-2.0
// Transfer learning against a small dedicated model, and pruning and
// distillation against the model they reduce, each one measured run
// (docs/calibrate.md, "Transfer learning and model reduction").
#include "mlcarbon/calibrate/tradeoffs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/engine/idx.h"

#include "windows.h"

namespace mlcarbon::calibrate {

namespace {

using models::Layer;
using models::LayerType;
using models::Model;

Phase to_phase(const measure::WindowRecord& w, std::int64_t samples) {
  return Phase{.window = w.name,
               .energy_j = w.measurement.attributed.value(),
               .machine_energy_j = w.measurement.total.value(),
               .seconds = w.measurement.duration.count(),
               .samples = samples,
               .method = w.measurement.method()};
}

/// The settings every session of a run shares.
struct Common {
  std::int64_t batch = 32;
  double learning_rate = 1e-3;
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  std::uint64_t seed = 42;
};

/// One run under one pipeline: opens sessions, runs windows, keeps the
/// warnings and whether every window was measured.
class Runner {
 public:
  Runner(engine::Engine& engine, measure::Pipeline& pipeline, Common common,
         RunInfo& info, std::function<void(std::string_view)> progress)
      : engine_(engine),
        pipeline_(pipeline),
        common_(common),
        info_(info),
        progress_(std::move(progress)) {}

  void stage(std::string_view what) const {
    if (progress_)
      progress_(what);
  }

  Result<std::unique_ptr<engine::Session>> open(const Model& model,
                                                const engine::DataSpec& data) {
    const engine::TrainOptions train{.optimizer = engine::Optimizer::kAdam,
                                     .loss = engine::Loss::kCrossEntropy,
                                     .learning_rate = common_.learning_rate,
                                     .batch = common_.batch};
    const engine::Settings settings{.device = common_.device,
                                    .threads = common_.threads,
                                    .seed = common_.seed};
    return engine_.open(model, data, train, settings);
  }

  /// `loop` inside the window `name`, as a Phase.
  template <typename Loop>
  Result<Phase> phase(const std::string& name, Loop loop) {
    MLCARBON_ASSIGN_OR_RETURN(auto measured,
                              in_window(pipeline_, name, std::move(loop)));
    note(measured.second);
    return to_phase(measured.second, measured.first.samples);
  }

  Result<Phase> train(engine::Session& session, const std::string& name,
                      std::int64_t epochs) {
    const std::int64_t batches = session.batches_per_epoch() * epochs;
    return phase(name, [&] { return session.train(batches, {}); });
  }

  /// Inference for about `target`: chunks of batches, each at most twice
  /// the last and no longer than the time left at the rate so far, until
  /// the time is up. Sizing it from a few timed batches instead went 20x
  /// over on a loaded machine. One batch before the window warms the
  /// caches.
  Result<Phase> infer(engine::Session& session, const std::string& name,
                      Seconds target) {
    MLCARBON_RETURN_IF_ERROR(session.infer(1, {}));
    return phase(name, [&]() -> Result<engine::LoopResult> {
      engine::LoopResult total;
      total.mean_loss = std::numeric_limits<double>::quiet_NaN();
      std::int64_t chunk = 1;
      while (total.seconds < target.count()) {
        MLCARBON_ASSIGN_OR_RETURN(engine::LoopResult r,
                                  session.infer(chunk, {}));
        total.samples += r.samples;
        total.batches += r.batches;
        total.seconds += r.seconds;
        const double per_batch =
            total.seconds / static_cast<double>(total.batches);
        const double left = target.count() - total.seconds;
        chunk = 2 * chunk;
        if (per_batch > 0.0)
          chunk = std::clamp<std::int64_t>(
              static_cast<std::int64_t>(std::ceil(left / per_batch)), 1, chunk);
      }
      return total;
    });
  }

  /// The model's held-out quality and its energy per inference.
  Result<ModelOutcome> outcome(engine::Session& session, const Model& model,
                               const engine::DataSpec& test,
                               const std::string& role, Seconds target) {
    stage(fmt::format("evaluating the {} model", role));
    MLCARBON_ASSIGN_OR_RETURN(engine::Evaluation e, session.evaluate(test, {}));
    stage(fmt::format("inference of the {} model", role));
    MLCARBON_ASSIGN_OR_RETURN(Phase inference,
                              infer(session, "infer-" + role, target));
    ModelOutcome out{.model = model_info(model),
                     .trainable_parameters = session.trainable_parameters(),
                     .test_samples = e.samples,
                     .accuracy = e.accuracy,
                     .test_loss = e.loss,
                     .inference = inference,
                     .energy_per_inference_j = 0.0};
    if (inference.samples > 0)
      out.energy_per_inference_j =
          inference.energy_j / static_cast<double>(inference.samples);
    return out;
  }

 private:
  void note(const measure::WindowRecord& w) {
    add_warnings(info_.warnings, w.measurement);
    if (w.measurement.method() != Method::kMeasured)
      info_.method = Method::kEstimated;
  }

  engine::Engine& engine_;
  measure::Pipeline& pipeline_;
  Common common_;
  RunInfo& info_;
  std::function<void(std::string_view)> progress_;
};

/// The images' per-sample shape, from the test images' header: [1, H, W]
/// for images, [F] for flat vectors.
Result<models::Shape> image_shape(const engine::MnistFiles& files) {
  MLCARBON_ASSIGN_OR_RETURN(engine::IdxArray images,
                            engine::read_idx(files.test_images));
  if (images.dims.size() == 3)
    return models::Shape{1, images.dims[1], images.dims[2]};
  if (images.dims.size() == 2)
    return models::Shape{images.dims[1]};
  return make_error(Errc::kInvalidArgument,
                    "{}: images of {} dimensions; expected [n, height, width] "
                    "or [n, features]",
                    files.test_images, images.dims.size());
}

engine::DataSpec idx_data(const std::string& images, const std::string& labels,
                          std::int64_t samples, std::vector<int> classes) {
  engine::DataSpec d;
  d.kind = engine::DataSpec::Kind::kIdx;
  d.samples = samples;
  d.classes = static_cast<int>(classes.size());
  d.images_path = images;
  d.labels_path = labels;
  d.class_subset = std::move(classes);
  return d;
}

Status check_common(
    const Common& c, Seconds inference_window,
    std::initializer_list<std::pair<const char*, std::int64_t>> at_least_one,
    std::initializer_list<std::pair<const char*, std::int64_t>> not_negative) {
  if (c.batch < 1 || c.threads < 1)
    return make_error(Errc::kInvalidArgument,
                      "the batch size and the thread count must each be at "
                      "least 1 (got {} and {})",
                      c.batch, c.threads);
  if (!(std::isfinite(c.learning_rate) && c.learning_rate > 0.0))
    return make_error(Errc::kInvalidArgument,
                      "the learning rate must be finite and > 0, got {}",
                      c.learning_rate);
  if (!(std::isfinite(inference_window.count()) &&
        inference_window.count() > 0.0))
    return make_error(Errc::kInvalidArgument,
                      "the inference window must be finite and > 0 s, got {}",
                      inference_window.count());
  for (const auto& [name, v] : at_least_one)
    if (v < 1)
      return make_error(Errc::kInvalidArgument, "{} must be at least 1, got {}",
                        name, v);
  for (const auto& [name, v] : not_negative)
    if (v < 0)
      return make_error(Errc::kInvalidArgument,
                        "{} must be 0 (all) or more, got {}", name, v);
  return {};
}

/// Starts the run's pipeline, tracking this process.
Result<std::unique_ptr<measure::Pipeline>> start_pipeline(
    measure::PipelineOptions meter, std::string_view window) {
  if (meter.run_window == "run")
    meter.run_window = std::string(window);
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            measure::Pipeline::create(std::move(meter)));
  MLCARBON_RETURN_IF_ERROR(pipeline->start(static_cast<int>(::getpid())));
  return pipeline;
}

void finish_info(RunInfo& info, measure::Run run) {
  if (info.method == Method::kEstimated)
    info.warnings.emplace_back(
        "energy is estimated (a model of CPU time x power), not measured by "
        "a hardware counter");
  info.run = std::move(run);
}

std::vector<int> first_classes(int n) {
  std::vector<int> out;
  for (int c = 0; c < n; ++c)
    out.push_back(c);
  return out;
}

template <typename Options>
Common common_of(const Options& o) {
  return Common{.batch = o.batch,
                .learning_rate = o.learning_rate,
                .device = o.device,
                .threads = o.threads,
                .seed = o.seed};
}

/// The data folder's files and its images' shape.
struct DataFolder {
  engine::MnistFiles files;
  models::Shape input;
};

Result<DataFolder> data_folder(const std::string& dir) {
  DataFolder d;
  MLCARBON_ASSIGN_OR_RETURN(d.files, engine::find_mnist_files(dir));
  MLCARBON_ASSIGN_OR_RETURN(d.input, image_shape(d.files));
  return d;
}

/// The options as run and what the run shares, before anything runs.
template <typename Out, typename Options>
void begin(Out& out, const Options& options, const engine::Engine& engine) {
  out.options = options;
  out.options.progress = nullptr;
  out.info.engine = engine.description();
  out.info.data_dir = options.data_dir;
  out.info.method = Method::kMeasured;
}

}  // namespace

std::string_view to_string(Scale scale) {
  switch (scale) {
    case Scale::kQuick:
      return "quick";
    case Scale::kDefault:
      return "default";
    case Scale::kPaper:
      return "paper";
  }
  return "?";
}

Result<Scale> parse_scale(std::string_view text) {
  const std::string lower = to_lower(trim(text));
  for (Scale s : {Scale::kQuick, Scale::kDefault, Scale::kPaper})
    if (lower == to_string(s))
      return s;
  return make_error(Errc::kInvalidArgument,
                    "--scale: unknown scale '{}': expected quick, default or "
                    "paper",
                    text);
}

Result<Model> image_classifier(std::string name, const models::Shape& input,
                               const ClassifierSpec& spec,
                               std::int64_t classes) {
  if (classes < 2)
    return make_error(Errc::kInvalidArgument,
                      "{}: a classifier needs at least 2 classes, got {}", name,
                      classes);
  Model m;
  m.name = name;
  m.origin = "built-in:" + name;
  m.input = input;
  for (std::int64_t f : spec.filters) {
    m.layers.push_back(Layer{.type = LayerType::kConv2d,
                             .units = f,
                             .kernel = {3, 3},
                             .stride = {1, 1},
                             .padding = {1, 1}});
    m.layers.push_back(Layer{.type = LayerType::kRelu});
    m.layers.push_back(Layer{.type = LayerType::kMaxPool2d,
                             .kernel = {2, 2},
                             .stride = {2, 2},
                             .padding = {0, 0}});
  }
  m.layers.push_back(Layer{.type = LayerType::kFlatten});
  if (spec.hidden > 0) {
    m.layers.push_back(Layer{.type = LayerType::kDense, .units = spec.hidden});
    m.layers.push_back(Layer{.type = LayerType::kRelu});
  }
  m.layers.push_back(Layer{.type = LayerType::kDense, .units = classes});
  for (std::size_t i = 0; i < m.layers.size(); ++i)
    m.layers[i].name =
        fmt::format("{}_{}", models::to_string(m.layers[i].type), i);
  MLCARBON_RETURN_IF_ERROR(models::infer_shapes(m));
  return m;
}

double joules_per_point(double energy_j, double accuracy) {
  if (!(accuracy > 0.0))
    return std::numeric_limits<double>::infinity();
  return energy_j / (accuracy * 100.0);
}

TransferOptions transfer_options(Scale scale) {
  TransferOptions o;
  switch (scale) {
    case Scale::kQuick:
      // Every window long enough for CPU-time sensors (10 ms steps) to see
      // work in it; few steps, so a higher learning rate.
      o.large = {.filters = {8, 16}, .hidden = 32};
      o.small = {.filters = {}, .hidden = 16};
      o.pretrain_samples = 2048;
      o.target_samples = 2048;
      o.finetune_epochs = 2;
      o.dedicated_epochs = 4;
      o.test_samples = 500;
      o.inference_window = Seconds(0.2);
      o.learning_rate = 0.01;
      break;
    case Scale::kDefault:
      o.large = {.filters = {16, 32}, .hidden = 64};
      o.small = {.filters = {}, .hidden = 32};
      o.pretrain_samples = 0;
      o.pretrain_epochs = 2;
      o.target_samples = 10'000;
      o.finetune_epochs = 2;
      o.dedicated_epochs = 2;
      o.inference_window = Seconds(2.0);
      break;
    case Scale::kPaper:
      o.large = {.filters = {32, 64}, .hidden = 128};
      o.small = {.filters = {}, .hidden = 64};
      o.pretrain_samples = 0;
      o.pretrain_epochs = 5;
      o.target_samples = 0;
      o.finetune_epochs = 3;
      o.dedicated_epochs = 5;
      o.inference_window = Seconds(5.0);
      break;
  }
  return o;
}

ReduceOptions reduce_options(Scale scale) {
  ReduceOptions o;
  switch (scale) {
    case Scale::kQuick:
      o.base = {.filters = {8, 16}, .hidden = 32};
      o.train_samples = 4096;
      o.finetune_samples = 2048;
      o.distill_samples = 4096;
      o.test_samples = 500;
      o.inference_window = Seconds(0.2);
      o.learning_rate = 0.01;
      break;
    case Scale::kDefault:
      o.base = {.filters = {16, 32}, .hidden = 64};
      o.train_samples = 20'000;
      o.base_epochs = 2;
      o.finetune_samples = 10'000;
      o.distill_samples = 20'000;
      o.distill_epochs = 2;
      o.inference_window = Seconds(2.0);
      break;
    case Scale::kPaper:
      o.base = {.filters = {32, 64}, .hidden = 128};
      o.train_samples = 0;
      o.base_epochs = 5;
      o.finetune_samples = 0;
      o.finetune_epochs = 2;
      o.distill_samples = 0;
      o.distill_epochs = 5;
      o.inference_window = Seconds(5.0);
      break;
  }
  return o;
}

Result<TransferResult> run_transfer(engine::Engine& engine,
                                    const TransferOptions& options,
                                    measure::PipelineOptions meter) {
  const Common common = common_of(options);
  MLCARBON_RETURN_IF_ERROR(
      check_common(common, options.inference_window,
                   {{"the pre-training epochs", options.pretrain_epochs},
                    {"the fine-tuning epochs", options.finetune_epochs},
                    {"the dedicated model's epochs", options.dedicated_epochs}},
                   {{"the pre-training samples", options.pretrain_samples},
                    {"the target samples", options.target_samples},
                    {"the test samples", options.test_samples}}));
  for (int c : options.source_classes) {
    if (std::find(options.target_classes.begin(), options.target_classes.end(),
                  c) != options.target_classes.end())
      return make_error(Errc::kInvalidArgument,
                        "class {} is in both the source [{}] and the target "
                        "[{}] classes: transfer needs two different tasks",
                        c, fmt::join(options.source_classes, ", "),
                        fmt::join(options.target_classes, ", "));
  }
  MLCARBON_ASSIGN_OR_RETURN(DataFolder folder, data_folder(options.data_dir));
  const engine::MnistFiles& files = folder.files;
  const models::Shape& input = folder.input;
  const auto n_source =
      static_cast<std::int64_t>(options.source_classes.size());
  const auto n_target =
      static_cast<std::int64_t>(options.target_classes.size());
  MLCARBON_ASSIGN_OR_RETURN(
      Model large,
      image_classifier("transfer-large", input, options.large, n_source));
  MLCARBON_ASSIGN_OR_RETURN(Model finetuned,
                            image_classifier("transfer-large-finetuned", input,
                                             options.large, n_target));
  MLCARBON_ASSIGN_OR_RETURN(
      Model small,
      image_classifier("transfer-small", input, options.small, n_target));

  TransferResult result;
  begin(result, options, engine);
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            start_pipeline(std::move(meter), "transfer"));
  Runner runner(engine, *pipeline, common, result.info, options.progress);

  const auto source_train =
      idx_data(files.train_images, files.train_labels, options.pretrain_samples,
               options.source_classes);
  const auto source_test =
      idx_data(files.test_images, files.test_labels, options.test_samples,
               options.source_classes);
  const auto target_train =
      idx_data(files.train_images, files.train_labels, options.target_samples,
               options.target_classes);
  const auto target_test =
      idx_data(files.test_images, files.test_labels, options.test_samples,
               options.target_classes);

  engine::Weights pretrained_weights;
  {
    runner.stage("pre-training the large model");
    MLCARBON_ASSIGN_OR_RETURN(auto session, runner.open(large, source_train));
    MLCARBON_ASSIGN_OR_RETURN(
        result.pretrain,
        runner.train(*session, "pretrain", options.pretrain_epochs));
    MLCARBON_ASSIGN_OR_RETURN(
        result.pretrained,
        runner.outcome(*session, large, source_test, "pretrained",
                       options.inference_window));
    MLCARBON_ASSIGN_OR_RETURN(pretrained_weights, session->weights());
  }
  {
    runner.stage("fine-tuning the large model");
    MLCARBON_ASSIGN_OR_RETURN(auto session,
                              runner.open(finetuned, target_train));
    MLCARBON_RETURN_IF_ERROR(session->load_weights(
        pretrained_weights,
        {.new_head_layers = 1, .freeze = options.freeze_body}));
    MLCARBON_ASSIGN_OR_RETURN(
        result.finetune,
        runner.train(*session, "finetune", options.finetune_epochs));
    MLCARBON_ASSIGN_OR_RETURN(
        result.transferred,
        runner.outcome(*session, finetuned, target_test, "transferred",
                       options.inference_window));
  }
  {
    runner.stage("training the small model");
    MLCARBON_ASSIGN_OR_RETURN(auto session, runner.open(small, target_train));
    MLCARBON_ASSIGN_OR_RETURN(
        result.dedicated,
        runner.train(*session, "dedicated", options.dedicated_epochs));
    MLCARBON_ASSIGN_OR_RETURN(
        result.small, runner.outcome(*session, small, target_test, "dedicated",
                                     options.inference_window));
  }
  MLCARBON_ASSIGN_OR_RETURN(measure::Run run, pipeline->stop());
  finish_info(result.info, std::move(run));

  result.transfer_j = result.finetune.energy_j;
  result.transfer_with_pretraining_j =
      result.pretrain.energy_j + result.finetune.energy_j;
  result.dedicated_j = result.dedicated.energy_j;
  const double target_accuracy = result.transferred.accuracy;
  result.transfer_j_per_point =
      joules_per_point(result.transfer_j, target_accuracy);
  result.transfer_with_pretraining_j_per_point =
      joules_per_point(result.transfer_with_pretraining_j, target_accuracy);
  result.dedicated_j_per_point =
      joules_per_point(result.dedicated_j, result.small.accuracy);
  result.accuracy_gap_points =
      (result.small.accuracy - result.transferred.accuracy) * 100.0;
  result.caveat_holds = result.dedicated_j_per_point <
                        result.transfer_with_pretraining_j_per_point;
  result.dedicated_cheaper_than_finetuning =
      result.dedicated_j_per_point < result.transfer_j_per_point;
  return result;
}

namespace {

/// Fills in what a reduction saves against the base model.
void settle(Reduction& r, const ModelOutcome& base) {
  r.cost_j = 0.0;
  for (const Phase& p : r.phases)
    r.cost_j += p.energy_j;
  r.saving_per_inference_j =
      base.energy_per_inference_j - r.outcome.energy_per_inference_j;
  if (r.saving_per_inference_j > 0.0)
    r.payback_inferences = r.cost_j / r.saving_per_inference_j;
  r.accuracy_change_points = (r.outcome.accuracy - base.accuracy) * 100.0;
}

}  // namespace

Result<ReduceResult> run_reduce(engine::Engine& engine,
                                const ReduceOptions& options,
                                measure::PipelineOptions meter) {
  const Common common = common_of(options);
  MLCARBON_RETURN_IF_ERROR(
      check_common(common, options.inference_window,
                   {{"the base model's epochs", options.base_epochs},
                    {"the fine-tuning epochs", options.finetune_epochs},
                    {"the distillation epochs", options.distill_epochs}},
                   {{"the training samples", options.train_samples},
                    {"the fine-tuning samples", options.finetune_samples},
                    {"the distillation samples", options.distill_samples},
                    {"the test samples", options.test_samples}}));
  if (options.classes < 2 || options.classes > 256)
    return make_error(Errc::kInvalidArgument,
                      "the classes must be 2 to 256, got {}", options.classes);
  MLCARBON_RETURN_IF_ERROR(engine::validate(
      engine::PruneOptions{.fraction = options.prune_fraction}));
  MLCARBON_RETURN_IF_ERROR(engine::validate(options.distill));
  MLCARBON_ASSIGN_OR_RETURN(DataFolder folder, data_folder(options.data_dir));
  const engine::MnistFiles& files = folder.files;
  const models::Shape& input = folder.input;
  MLCARBON_ASSIGN_OR_RETURN(
      Model base,
      image_classifier("reduce-base", input, options.base, options.classes));
  MLCARBON_ASSIGN_OR_RETURN(Model student,
                            engine::narrow(base, options.student_width));

  ReduceResult result;
  begin(result, options, engine);
  result.pruning.kind = "pruning";
  result.distillation.kind = "distillation";
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            start_pipeline(std::move(meter), "reduce"));
  Runner runner(engine, *pipeline, common, result.info, options.progress);

  const std::vector<int> classes = first_classes(options.classes);
  auto train_data = [&](std::int64_t samples) {
    return idx_data(files.train_images, files.train_labels, samples, classes);
  };
  const auto test = idx_data(files.test_images, files.test_labels,
                             options.test_samples, classes);

  runner.stage("training the base model");
  MLCARBON_ASSIGN_OR_RETURN(
      auto teacher, runner.open(base, train_data(options.train_samples)));
  MLCARBON_ASSIGN_OR_RETURN(
      result.base_training,
      runner.train(*teacher, "train-base", options.base_epochs));
  MLCARBON_ASSIGN_OR_RETURN(
      result.base,
      runner.outcome(*teacher, base, test, "base", options.inference_window));

  {
    runner.stage("pruning");
    MLCARBON_ASSIGN_OR_RETURN(engine::Weights weights, teacher->weights());
    // The surgery is this process's work too: measured like the loops.
    std::optional<Result<engine::Pruned>> pruned;
    MLCARBON_ASSIGN_OR_RETURN(
        Phase surgery,
        runner.phase("prune", [&]() -> Result<engine::LoopResult> {
          const auto start = std::chrono::steady_clock::now();
          pruned = engine::prune(base, weights,
                                 {.fraction = options.prune_fraction});
          return engine::LoopResult{
              .samples = 0,
              .batches = 0,
              .seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count(),
              .mean_loss = std::numeric_limits<double>::quiet_NaN(),
              .cancelled = false};
        }));
    if (!*pruned)
      return tl::unexpected(std::move(*pruned).error());
    engine::Pruned& p = **pruned;
    result.pruned_layers = p.layers;
    result.left_whole = p.left_whole;

    runner.stage("fine-tuning the pruned model");
    MLCARBON_ASSIGN_OR_RETURN(
        auto session,
        runner.open(p.model, train_data(options.finetune_samples)));
    MLCARBON_RETURN_IF_ERROR(session->load_weights(p.weights, {}));
    MLCARBON_ASSIGN_OR_RETURN(
        Phase finetune,
        runner.train(*session, "prune-finetune", options.finetune_epochs));
    result.pruning.phases = {surgery, finetune};
    MLCARBON_ASSIGN_OR_RETURN(result.pruning.outcome,
                              runner.outcome(*session, p.model, test, "pruned",
                                             options.inference_window));
  }
  {
    runner.stage("distilling into the student");
    MLCARBON_ASSIGN_OR_RETURN(
        auto session,
        runner.open(student, train_data(options.distill_samples)));
    MLCARBON_ASSIGN_OR_RETURN(
        Phase outputs, runner.phase("teacher-outputs", [&] {
          return session->distill_from(*teacher, options.distill);
        }));
    MLCARBON_ASSIGN_OR_RETURN(
        Phase distill,
        runner.train(*session, "distill", options.distill_epochs));
    result.distillation.phases = {outputs, distill};
    MLCARBON_ASSIGN_OR_RETURN(result.distillation.outcome,
                              runner.outcome(*session, student, test, "student",
                                             options.inference_window));
  }
  MLCARBON_ASSIGN_OR_RETURN(measure::Run run, pipeline->stop());
  finish_info(result.info, std::move(run));
  settle(result.pruning, result.base);
  settle(result.distillation, result.base);
  return result;
}

}  // namespace mlcarbon::calibrate
