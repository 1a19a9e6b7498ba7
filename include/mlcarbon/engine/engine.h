// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
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
inline constexpr int kEngineAbiVersion = 2;

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
