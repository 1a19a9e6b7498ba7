// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/calibrate/tradeoffs.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/models/model.h"

/// The paper's section 4 experiments on this machine: each a sweep of
/// training and inference runs of the engine under measure's pipeline,
/// saved after every point so that an interrupted sweep resumes
/// (docs/experiments.md).
namespace mlcarbon::experiments {

/// How big the sweeps are: seconds (tests), minutes on 2 cores, or the
/// paper's sizes (hours on a CPU). The same scales as calibrate's transfer
/// and reduce runs.
using calibrate::parse_scale;
using calibrate::Scale;
using calibrate::to_string;

/// The experiments in the order `all` runs them; "predictors" comes last
/// because it reads the others' runs.
[[nodiscard]] const std::vector<std::string>& experiment_names();

/// One planned run: a model trained for `epochs` epochs over `samples`
/// synthetic samples, with inference over the same samples measured too.
struct Point {
  std::string key;     ///< unique in the experiment: what --resume matches
  std::string series;  ///< the curve it belongs to ("width 25", "deep")
  /// A models shorthand (mlp:..., cnn:...) or `convnet:depth=D,filters=F,
  /// inputs=N`: D conv1d layers (kernel 3, padding 1, relu) on a [1, N]
  /// sequence, global average pooling and one output, a purely
  /// convolutional net.
  std::string model;
  std::int64_t samples = 0;
  std::int64_t epochs = 1;
  int depth = 0;
  int width = 0;  ///< units, or filters for convolutional nets
  /// Pairs points of equal parameter count in `shape` and `layertype`.
  int pair = -1;
};

/// An experiment's sweep at one scale.
struct Plan {
  std::string name;
  Scale scale = Scale::kDefault;
  std::int64_t batch = 32;
  std::string claim;  ///< the paper's claim it tests
  std::vector<Point> points;
};

/// The plan of a named experiment (not "predictors", which runs nothing).
/// An unknown name is an error listing the known ones.
[[nodiscard]] Result<Plan> make_plan(std::string_view name, Scale scale);

/// The paper's claim that `name` tests.
[[nodiscard]] std::string claim_of(std::string_view name);

/// Builds a point's model and infers its shapes.
[[nodiscard]] Result<models::Model> build_model(std::string_view spec);

/// A stable digest of everything in the plan that determines its results
/// (scale, batch, device, threads, every point): a resumed sweep must have
/// the same.
[[nodiscard]] std::string plan_fingerprint(const Plan& plan,
                                           engine::Device device, int threads);

/// What one point measured. Energies are attributed to mlcarbon's process
/// (docs/calibrate.md, "Energy basis").
struct PointResult {
  Point point;
  std::int64_t parameters = 0;
  double forward_flops = 0.0;   ///< per sample
  double training_flops = 0.0;  ///< per sample
  double training_j = 0.0;      ///< the whole training loop
  double inference_j = 0.0;     ///< inference over the same samples
  double training_s = 0.0;
  double inference_s = 0.0;
  double machine_training_j = 0.0;   ///< everything the sensors saw
  std::int64_t trained_samples = 0;  ///< samples × epochs
  std::int64_t inferred_samples = 0;
  double final_loss = 0.0;
  std::string method = "estimated";  ///< "measured" only from counters

  /// (T − I) ÷ T over the same samples.
  [[nodiscard]] double overhead() const;
};

/// The saved state of one experiment's sweep.
struct Results {
  std::string name;
  std::string scale;
  std::string fingerprint;
  std::string engine;  ///< the engine's description
  /// The machine and sensors of the first point, as a JSON object.
  std::string context_json = "{}";
  std::vector<PointResult> points;
};

/// The results as the experiment's JSON file (kind "experiment-results").
[[nodiscard]] std::string results_json(const Results& results);
/// The points as CSV, one row per point, with a header.
[[nodiscard]] std::string results_csv(const Results& results);
/// Parses results_json()'s output; errors name `origin` and the field.
[[nodiscard]] Result<Results> parse_results(std::string_view text,
                                            std::string_view origin);

/// The results to continue from: with `resume` and a file at `path`, its
/// points when its fingerprint matches `fingerprint`, else an error saying
/// what changed; otherwise none.
[[nodiscard]] Result<Results> resume_from(const std::filesystem::path& path,
                                          bool resume, const Plan& plan,
                                          std::string_view fingerprint);

/// Where a sweep stands, for a progress bar: points done (of all), the
/// point running now, and whether it was skipped as already done.
using ProgressFn = std::function<void(std::size_t done, std::size_t total,
                                      const Point& point, bool skipped)>;

struct RunOptions {
  std::filesystem::path out;
  bool resume = false;
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  /// The meter of every point (its run window is renamed "experiment").
  measure::PipelineOptions meter{.interval = calibrate::kMeterInterval};
  ProgressFn progress;
};

/// Runs the plan's points not yet in `out`/NAME.json (with `resume`),
/// writing NAME.json and NAME.csv after every point. The machine's context
/// is kept in the JSON.
[[nodiscard]] Result<Results> run_plan(engine::Engine& engine, const Plan& plan,
                                       const RunOptions& options);

}  // namespace mlcarbon::experiments
