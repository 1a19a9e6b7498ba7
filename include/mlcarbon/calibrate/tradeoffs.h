// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/engine/idx.h"
#include "mlcarbon/engine/pruning.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/models/model.h"

/// Cheaper models, measured (docs/calibrate.md, "Transfer learning and
/// model reduction"): is a pre-trained large model fine-tuned cheaper than
/// a small dedicated one (the paper's section 4.1), and after how many
/// inferences do pruning and distillation pay back what they cost (its
/// section 3.1). Real data: an MNIST-format folder, Fashion-MNIST by
/// default. Every run is one measure pipeline with a named window per
/// phase; energies are attributed to this process.
namespace mlcarbon::calibrate {

/// How big a run is: seconds in all (tests), a few minutes on 2 cores, or
/// closer to the paper (tens of minutes on a CPU).
enum class Scale { kQuick, kDefault, kPaper };

[[nodiscard]] std::string_view to_string(Scale scale);
/// "quick", "default" or "paper"; anything else is an error naming --scale.
[[nodiscard]] Result<Scale> parse_scale(std::string_view text);

/// An image classifier: per entry of `filters`, a 3x3 conv layer (padding
/// 1) of that many filters, relu and a 2x2 max pool; flatten; a dense
/// layer of `hidden` units and relu (none when 0); a dense output layer of
/// one unit per class. No filters: an MLP.
struct ClassifierSpec {
  std::vector<std::int64_t> filters;
  std::int64_t hidden = 64;
};

/// The classifier for images of `input` ([1, H, W], or [F] without
/// filters) and `classes` classes, its shapes inferred.
[[nodiscard]] Result<models::Model> image_classifier(std::string name,
                                                     const models::Shape& input,
                                                     const ClassifierSpec& spec,
                                                     std::int64_t classes);

/// One measured window of a run.
struct Phase {
  std::string window;  ///< the pipeline window's name
  double energy_j = 0.0;
  double machine_energy_j = 0.0;  ///< everything the sensors saw
  double seconds = 0.0;           ///< the window's length
  std::int64_t samples = 0;       ///< samples processed, epochs included
  Method method = Method::kEstimated;
};

/// A model as it came out: its size, its quality on the held-out test set
/// and what one inference costs.
struct ModelOutcome {
  ModelInfo model;
  std::int64_t trainable_parameters = 0;  ///< in its last training
  std::int64_t test_samples = 0;
  double accuracy = 0.0;  ///< held-out, in [0, 1]
  double test_loss = 0.0;
  /// Inference over samples of its training set, in batches of the run's
  /// batch size, in the window "infer-<role>".
  Phase inference;
  /// inference.energy_j / inference.samples: I of the paper, per sample.
  double energy_per_inference_j = 0.0;
};

/// What the whole run shares.
struct RunInfo {
  std::string engine;  ///< Engine::description()
  std::string data_dir;
  Method method = Method::kEstimated;  ///< measured only if every window is
  std::vector<std::string> warnings;
  measure::Run run;  ///< the pipeline's run, every window in it
};

struct TransferOptions {
  std::string data_dir = std::string(engine::kFashionMnistDir);
  /// The classes the large model is pre-trained on, and the other task's.
  std::vector<int> source_classes = {0, 1, 2, 3, 4};
  std::vector<int> target_classes = {5, 6, 7, 8, 9};
  ClassifierSpec large;
  ClassifierSpec small;
  std::int64_t pretrain_samples = 0;  ///< 0: every source sample
  std::int64_t pretrain_epochs = 1;
  /// Target-task samples; the fine-tuning and the small model both learn
  /// from these. 0: every one.
  std::int64_t target_samples = 0;
  std::int64_t finetune_epochs = 1;
  std::int64_t dedicated_epochs = 1;
  /// Freeze the pre-trained body: fine-tuning trains the new head only.
  bool freeze_body = true;
  std::int64_t test_samples = 0;  ///< of each task's test set; 0: all
  /// Each model's inference window lasts about this long.
  Seconds inference_window{2.0};
  std::int64_t batch = 32;
  double learning_rate = 1e-3;  ///< Adam, cross-entropy
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  std::uint64_t seed = 42;
  /// What runs now ("pre-training", ...), for a progress line.
  std::function<void(std::string_view stage)> progress;
};

/// The options of a scale: quick (seconds), default (a few minutes on 2
/// cores), paper (longer: the larger CNN trained for more epochs).
[[nodiscard]] TransferOptions transfer_options(Scale scale);

/// Energy per accuracy point: `energy_j` / (accuracy x 100), J per
/// percentage point; infinite at accuracy 0.
[[nodiscard]] double joules_per_point(double energy_j, double accuracy);

struct TransferResult {
  RunInfo info;
  TransferOptions options;  ///< as run (progress dropped)
  /// Training windows: "pretrain" (large model, source classes),
  /// "finetune" (new head on the target classes), "dedicated" (small
  /// model, target classes, from scratch).
  Phase pretrain;
  Phase finetune;
  Phase dedicated;
  /// The large model on the source task's test set.
  ModelOutcome pretrained;
  /// The fine-tuned large model and the small model on the target task's.
  ModelOutcome transferred;
  ModelOutcome small;
  double transfer_j = 0.0;                   ///< finetune only
  double transfer_with_pretraining_j = 0.0;  ///< pretrain + finetune
  double dedicated_j = 0.0;
  /// J per accuracy percentage point on the target task.
  double transfer_j_per_point = 0.0;
  double transfer_with_pretraining_j_per_point = 0.0;
  double dedicated_j_per_point = 0.0;
  /// (small − transferred) accuracy, in percentage points.
  double accuracy_gap_points = 0.0;
  /// The paper's caveat: the small dedicated model costs less energy per
  /// accuracy point than transfer learning with its pre-training counted.
  bool caveat_holds = false;
  /// The same, against fine-tuning alone (the pre-training taken as free,
  /// as when someone else paid for it).
  bool dedicated_cheaper_than_finetuning = false;
};

/// Pre-trains the large classifier on the source classes, fine-tunes it
/// with a new head on the target classes (body frozen unless told
/// otherwise), trains the small classifier on the target classes alone,
/// evaluates each on its task's held-out test set and measures each one's
/// energy per inference. Data: `options.data_dir`'s four MNIST files.
[[nodiscard]] Result<TransferResult> run_transfer(
    engine::Engine& engine, const TransferOptions& options,
    measure::PipelineOptions meter);

struct ReduceOptions {
  std::string data_dir = std::string(engine::kFashionMnistDir);
  int classes = 10;  ///< the first this-many labels of the data
  ClassifierSpec base;
  std::int64_t train_samples = 0;  ///< 0: all
  std::int64_t base_epochs = 1;
  /// (a) Pruning: this share of each hidden layer's units and filters,
  /// then fine-tuning on the first `finetune_samples` training samples.
  double prune_fraction = 0.5;
  std::int64_t finetune_samples = 0;  ///< 0: all
  std::int64_t finetune_epochs = 1;
  /// (b) Distillation: the base architecture with every hidden layer's
  /// width times `student_width`, trained on the base model's outputs.
  double student_width = 0.5;
  std::int64_t distill_samples = 0;  ///< 0: all
  std::int64_t distill_epochs = 1;
  engine::DistillOptions distill;
  std::int64_t test_samples = 0;  ///< 0: the whole test set
  Seconds inference_window{2.0};
  std::int64_t batch = 32;
  double learning_rate = 1e-3;  ///< Adam
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  std::uint64_t seed = 42;
  std::function<void(std::string_view stage)> progress;
};

[[nodiscard]] ReduceOptions reduce_options(Scale scale);

/// One way of making the base model cheaper.
struct Reduction {
  std::string kind;  ///< "pruning" or "distillation"
  ModelOutcome outcome;
  /// What making it cost: pruning's "prune" (the weights' surgery) and
  /// "prune-finetune"; distillation's "teacher-outputs" and "distill".
  std::vector<Phase> phases;
  double cost_j = 0.0;  ///< the phases' energy
  /// The base model's energy per inference minus this one's (> 0: saves).
  double saving_per_inference_j = 0.0;
  /// Inference calls after which the saving has paid back cost_j:
  /// cost_j / saving_per_inference_j; none ("never") when it saves
  /// nothing.
  std::optional<double> payback_inferences;
  /// Accuracy minus the base model's, in percentage points.
  double accuracy_change_points = 0.0;
};

struct ReduceResult {
  RunInfo info;
  ReduceOptions options;  ///< as run (progress dropped)
  Phase base_training;    ///< window "train-base"
  ModelOutcome base;
  /// What pruning dropped, layer by layer, and the layers it left whole.
  std::vector<engine::PrunedLayer> pruned_layers;
  std::vector<std::string> left_whole;
  Reduction pruning;
  Reduction distillation;
};

/// Trains the base classifier, then (a) prunes it and fine-tunes the
/// pruned model and (b) distils it into a narrower student; evaluates all
/// three on the held-out test set and measures their energy per inference.
[[nodiscard]] Result<ReduceResult> run_reduce(engine::Engine& engine,
                                              const ReduceOptions& options,
                                              measure::PipelineOptions meter);

}  // namespace mlcarbon::calibrate
