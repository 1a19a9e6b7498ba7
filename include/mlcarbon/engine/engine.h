// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/weights.h"
#include "mlcarbon/models/model.h"

/// The LibTorch engine, seen from outside: plain C++ types only, so that
/// nothing but the plugin (src/engine/torch/) includes <torch/torch.h>.
/// LibTorch takes about 0.8 s and 288 libraries to load; mlcarbon loads the
/// plugin with dlopen only in the commands that run models (load_engine).
namespace mlcarbon::engine {

enum class Device { kCpu, kCuda };
enum class Optimizer { kSgd, kAdam };
enum class Loss { kMse, kCrossEntropy };

[[nodiscard]] std::string_view to_string(Device device);  // "cpu", "cuda"
[[nodiscard]] Result<Device> parse_device(std::string_view text);

/// Where the samples come from. Synthetic sets are generated from `seed`
/// so that two runs (and PyTorch from Python) see the same numbers.
struct DataSpec {
  enum class Kind {
    kRegression,      ///< x ~ N(0,1); y = a fixed random linear map of x
    kClassification,  ///< x ~ N(0,1); label = argmax of a random map
    kIdx,             ///< MNIST-format files (images_path, labels_path)
  };
  Kind kind = Kind::kRegression;
  std::int64_t samples = 1024;
  int classes = 10;  ///< kClassification
  std::string images_path;
  std::string labels_path;
  std::uint64_t seed = 42;
  /// kIdx: keep only the samples whose label is listed, relabelled by
  /// their place in the list ({5, 6, 7, 8, 9} become 0 to 4); `classes`
  /// must equal the list's size and `samples` counts the kept ones. Empty:
  /// every sample, labels as they are.
  std::vector<int> class_subset;
};

struct TrainOptions {
  Optimizer optimizer = Optimizer::kSgd;
  Loss loss = Loss::kMse;
  double learning_rate = 0.01;
  std::int64_t batch = 32;
};

struct Settings {
  Device device = Device::kCpu;
  int threads = 1;          ///< intra-op threads (torch and BLAS)
  std::uint64_t seed = 42;  ///< weight initialisation
  /// Flush denormal floats to zero in the loops (x86 FTZ and DAZ on the
  /// calling thread, restored after). The gradients of deep networks
  /// underflow into denormals, which the CPU handles in microcode: a
  /// 100-layer MLP trains 2.3x faster with them flushed. Values below
  /// 1.2e-38 become 0; PyTorch's equivalent is torch.set_flush_denormal.
  bool flush_denormals = true;
};

/// Samples done so far of a loop, for progress bars; return false to stop.
using ProgressFn = std::function<bool(std::int64_t done, std::int64_t total)>;

/// What a loop did.
struct LoopResult {
  std::int64_t samples = 0;
  std::int64_t batches = 0;
  double seconds = 0.0;    ///< wall time of the loop
  double mean_loss = 0.0;  ///< training loops; NaN for inference
  bool cancelled = false;  ///< the progress callback returned false
};

/// A model's quality on a data set (Session::evaluate).
struct Evaluation {
  std::int64_t samples = 0;
  /// Mean loss over the samples: the session's loss (cross-entropy, or MSE
  /// against one-hot labels) on the labels, never a distillation loss.
  double loss = 0.0;
  /// Share of the samples whose largest output is their label, in [0, 1];
  /// NaN for regression data.
  double accuracy = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;  ///< wall time of the forward passes
};

/// How a session reuses weights (Session::load_weights).
struct LoadWeightsOptions {
  /// The last this-many layers with parameters keep their fresh
  /// initialisation: a new head (for another number of classes, or the
  /// same number of other classes). The given weights' tensors of those
  /// layers are ignored.
  int new_head_layers = 0;
  /// The loaded tensors are not trained afterwards (requires_grad off):
  /// fine-tuning trains the new head only, and the backward pass stops
  /// there.
  bool freeze = false;
};

struct WeightsLoaded {
  int tensors = 0;                     ///< tensors copied in
  std::int64_t parameters_loaded = 0;  ///< parameters among them
  std::int64_t trainable = 0;          ///< parameters trained from now on
};

/// Knowledge distillation (Hinton et al. 2015): the student learns the
/// teacher's outputs on its own training samples instead of (alpha = 1) or
/// beside the labels.
enum class DistillLoss {
  /// T^2 x KL(softmax(teacher / T) || softmax(student / T)), mean over
  /// the batch: the soft targets of the paper; needs [classes] outputs.
  kKlDivergence,
  /// Mean squared error between the logits (no temperature).
  kMseLogits,
};

struct DistillOptions {
  DistillLoss loss = DistillLoss::kKlDivergence;
  double temperature = 4.0;  ///< T, > 0; kKlDivergence only
  /// Weight of the teacher's targets in [0, 1]; 1 - alpha goes to the
  /// session's own loss on the labels.
  double alpha = 1.0;
};

/// Checks a finite temperature > 0 and alpha in [0, 1].
[[nodiscard]] Status validate(const DistillOptions& options);

/// One model built on one device with its data set, ready to run.
class Session {
 public:
  virtual ~Session() = default;
  /// Forward passes without gradients over `batches` batches of the data
  /// set (cycling through it).
  virtual Result<LoopResult> infer(std::int64_t batches,
                                   const ProgressFn& progress) = 0;
  /// Training steps (forward, loss, backward, optimizer step) over
  /// `batches` batches (cycling through the data set).
  virtual Result<LoopResult> train(std::int64_t batches,
                                   const ProgressFn& progress) = 0;
  /// Losses of the training steps run so far, one per batch.
  [[nodiscard]] virtual const std::vector<double>& losses() const = 0;
  /// Parameters of the built module, as torch counts them.
  [[nodiscard]] virtual std::int64_t parameters() const = 0;
  /// Batches in one epoch of the data set.
  [[nodiscard]] virtual std::int64_t batches_per_epoch() const = 0;

  // The capabilities below have defaults that say the session lacks them
  // (Errc::kUnavailable), so that test doubles need not implement them.

  /// Loads `data` (the model's input shape; labelled data for accuracy)
  /// and runs forward passes over all of it without gradients, in batches
  /// of the session's size, in eval mode. The session's own data set and
  /// weights stay as they are.
  virtual Result<Evaluation> evaluate(const DataSpec& data,
                                      const ProgressFn& progress);
  /// A copy of every parameter and buffer, on the CPU.
  [[nodiscard]] virtual Result<Weights> weights() const;
  /// Copies `weights` in, tensor by tensor by name. Every tensor of this
  /// model outside its new head must be there with the same shape, and
  /// every given tensor outside the head must belong to this model;
  /// otherwise Errc::kInvalidArgument naming the tensor and both shapes.
  virtual Result<WeightsLoaded> load_weights(const Weights& weights,
                                             const LoadWeightsOptions& options);
  /// Distillation: runs `teacher` (same input, same output shape) over
  /// this session's samples once, without gradients, and from then on
  /// trains this session on its outputs (DistillOptions). Returns the
  /// teacher's forward loop, whose energy the reduction costs.
  virtual Result<LoopResult> distill_from(Session& teacher,
                                          const DistillOptions& options);
  /// Parameters that training changes (all but the frozen ones).
  [[nodiscard]] virtual std::int64_t trainable_parameters() const;
};

class Engine {
 public:
  virtual ~Engine() = default;
  /// "LibTorch 1.13.1 (cpu), OpenBLAS 0.3.21 pthread, 1 thread".
  [[nodiscard]] virtual std::string description() const = 0;
  [[nodiscard]] virtual bool cuda_available() const = 0;
  /// Builds `model` as a torch::nn module, loads or generates the data set.
  /// A model the engine cannot build (an ONNX graph that is not a chain, a
  /// kOther layer) is Errc::kInvalidArgument naming the layer.
  virtual Result<std::unique_ptr<Session>> open(const models::Model& model,
                                                const DataSpec& data,
                                                const TrainOptions& train,
                                                const Settings& settings) = 0;
};

/// Bumped whenever these classes change; the plugin refuses another.
inline constexpr int kEngineAbiVersion = 3;

struct LoadOptions {
  /// The plugin file; empty: $MLCARBON_ENGINE, then the build tree's and
  /// the install's lib/mlcarbon/libmlcarbon_engine.so next to the program.
  std::string path;
  /// Threads for torch and BLAS, applied before LibTorch loads (OpenBLAS
  /// reads OPENBLAS_NUM_THREADS once, when it loads).
  int threads = 1;
};

/// Applies the settings LibTorch needs on this kind of machine (see
/// docs/engine.md: BLAS threads, malloc thresholds) and loads the plugin.
/// Without it: Errc::kUnavailable with a remedy saying how to get it.
/// The engine lives until the process ends (LibTorch cannot be unloaded).
[[nodiscard]] Result<Engine*> load_engine(const LoadOptions& options);

}  // namespace mlcarbon::engine

/// The plugin's one symbol: returns its Engine (owned by the plugin) when
/// `abi_version` matches, else null.
extern "C" mlcarbon::engine::Engine* mlcarbon_engine_create(int abi_version);
