// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/models/model.h"

/// Energy predictors (docs/predictors.md): the energy of one inference and
/// the training overhead θ of an architecture that was never run, from a
/// machine profile fitted on short measured runs of other architectures.
namespace mlcarbon::lifecycle {

/// The three predictors, from the crudest to the finest.
enum class Predictor { kParameters = 0, kFlops = 1, kPerLayer = 2 };
inline constexpr std::size_t kPredictorCount = 3;

/// "parameters", "flops" or "per-layer".
[[nodiscard]] std::string_view to_string(Predictor predictor);

/// Energy of one layer type, per sample at the profile's batch size B:
///   J = j_per_flop · FLOPs + j_per_byte · bytes + j_per_call / B
/// where bytes = weight bytes / B + input and output activation bytes of a
/// sample: weights are read once per call, a call serves B samples.
struct LayerCoefficients {
  double j_per_flop = 0.0;
  double j_per_byte = 0.0;
  double j_per_call = 0.0;  ///< J per call of the layer on a batch
};

/// The coefficients shared by one or more layer types. A type the fit set
/// had too few architectures of is pooled with the others like it into one
/// group named "pooled".
struct LayerGroup {
  std::string name;  ///< the layer type ("dense"), or "pooled"
  std::vector<models::LayerType> types;
  LayerCoefficients inference;
  /// Per training sample (forward, backward and update); its FLOPs are the
  /// training FLOPs of Model::training_flops().
  LayerCoefficients training;
  int architectures = 0;  ///< of the fit set with a layer of the group
};

/// J = slope · x + intercept_j, x the parameter count or the FLOPs.
struct LinearPredictor {
  double slope = 0.0;
  double intercept_j = 0.0;
};

/// Mean absolute percentage error of a predictor on its fit set, percent.
struct FitError {
  double inference_mape = 0.0;
  double training_mape = 0.0;
};

/// Version of the machine-profile JSON (docs/predictors.md).
inline constexpr int kProfileSchemaVersion = 1;

/// What predicts energy on one machine: the per-layer coefficients, the
/// parameter and FLOP predictors, and what they were fitted on.
struct MachineProfile {
  std::string device = "cpu";  ///< "cpu" or "cuda"
  std::int64_t batch = 1;      ///< samples per call in the fit runs
  std::string engine;          ///< "libtorch 1.13.1, 4 threads"
  /// The machine's context block as a JSON object (host, CPU, GPU, ...),
  /// kept as text; "{}" when unknown.
  std::string context_json = "{}";
  std::vector<std::string> fit_set;  ///< the fit architectures' names
  std::vector<LayerGroup> layer_groups;
  /// Intercepts are the per-sample cost that does not grow with the model
  /// (dispatch, data loading); through the origin, small models would be
  /// predicted at almost nothing.
  LinearPredictor parameters_inference;
  LinearPredictor parameters_training;  ///< x = parameters
  LinearPredictor flops_inference;      ///< x = forward FLOPs
  LinearPredictor flops_training;       ///< x = training FLOPs
  /// Indexed by Predictor.
  std::array<FitError, kPredictorCount> fit_error{};
};

/// One architecture measured on the machine, per sample at the fit batch.
struct ArchitectureMeasurement {
  models::Model model;  ///< with its stats (models::infer_shapes)
  double inference_j_per_sample = 0.0;
  double training_j_per_sample = 0.0;
};

/// How the fit runs were made; copied into the profile.
struct FitOptions {
  std::int64_t batch = 1;
  std::string device = "cpu";
  std::string engine;
  std::string context_json = "{}";
};

/// The fewest architectures fit_profile() takes.
inline constexpr std::size_t kMinFitArchitectures = 4;
/// A layer type needs layers in this many fit architectures to get
/// coefficients of its own; rarer types are pooled.
inline constexpr int kMinArchitecturesPerType = 3;

/// Fits a profile: per-layer coefficients by non-negative least squares on
/// relative residuals, the parameter and FLOP predictors the same way with
/// an intercept, and each predictor's MAPE on the fit set. Errors
/// (Errc::kInvalidArgument) on fewer than kMinFitArchitectures, a model
/// without stats, a batch below 1 or an energy that is not positive and
/// finite.
[[nodiscard]] Result<MachineProfile> fit_profile(
    std::span<const ArchitectureMeasurement> runs,
    const FitOptions& options = {});

/// One predictor's figures for a model.
struct Prediction {
  Predictor predictor = Predictor::kPerLayer;
  double inference_j_per_sample = 0.0;  ///< I before PUE
  double training_j_per_sample = 0.0;
  double overhead = 0.0;  ///< θ = training ÷ inference
  FitError fit_error;     ///< the profile's, for this predictor
};

/// The per-layer predictor's share of one layer.
struct LayerPrediction {
  std::string name;
  models::LayerType type = models::LayerType::kDense;
  double inference_j = 0.0;  ///< per sample
  double training_j = 0.0;   ///< per sample
  /// The coefficients used: the type's own, "pooled", or "flops" (the FLOP
  /// predictor's slope, for a type the profile does not know).
  std::string coefficients;
};

/// All three predictors for one model, and the per-layer detail.
struct ModelPrediction {
  std::array<Prediction, kPredictorCount> predictions{};  ///< by Predictor
  std::vector<LayerPrediction> layers;
  /// A layer type absent from the profile, and what was used instead.
  std::vector<std::string> warnings;

  [[nodiscard]] const Prediction& get(Predictor p) const {
    return predictions[static_cast<std::size_t>(p)];
  }
};

/// Predicts a model's energy with every predictor of `profile`. The model
/// must have its stats. Errc::kInvalidArgument when the predicted inference
/// energy is not positive (a profile of zero coefficients).
[[nodiscard]] Result<ModelPrediction> predict(const models::Model& model,
                                              const MachineProfile& profile);

/// Checks a profile: finite, non-negative numbers, a batch of at least 1,
/// a context that is a JSON object, no layer type in two groups.
[[nodiscard]] Status check_profile(const MachineProfile& profile);

/// The profile as JSON: "tool": "mlcarbon", "kind": "machine_profile",
/// "schema_version", then the fields of docs/predictors.md.
[[nodiscard]] std::string profile_json(const MachineProfile& profile);

/// Reads a profile written by profile_json(). Errors
/// (Errc::kInvalidArgument) read "origin: field: what was expected".
[[nodiscard]] Result<MachineProfile> parse_profile(std::string_view json_text,
                                                   std::string_view origin);

/// Non-negative least squares, min ‖A·x − b‖ subject to x ≥ 0, by
/// Lawson and Hanson's active-set method. `a` holds the rows of A, all of
/// the same length. Errc::kInvalidArgument on ragged or empty input or a
/// non-finite entry. Columns are not scaled here: callers scale them.
[[nodiscard]] Result<std::vector<double>> solve_nnls(
    const std::vector<std::vector<double>>& a, std::span<const double> b);

}  // namespace mlcarbon::lifecycle
