// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/weights.h"
#include "mlcarbon/models/model.h"

/// Smaller models from larger ones (docs/engine.md, "Pruning" and
/// "Distillation"): structured pruning of trained weights, and narrower
/// copies of an architecture for distillation students. No LibTorch.
namespace mlcarbon::engine {

struct PruneOptions {
  /// Share of each prunable layer's units (dense) or filters (conv) to
  /// drop, in [0, 1): floor(fraction x units) go, at least one stays.
  double fraction = 0.5;
};

/// Checks a fraction in [0, 1).
[[nodiscard]] Status validate(const PruneOptions& options);

/// What pruning did to one layer.
struct PrunedLayer {
  std::size_t layer = 0;  ///< index in the model
  std::string name;
  std::int64_t units_before = 0;
  /// The units (filters) kept, ascending: those of the largest norms.
  std::vector<std::int64_t> kept;
  /// The L2 norm of every unit's weights before pruning: the row of a dense
  /// layer's weight, the whole filter of a conv layer (bias not counted).
  std::vector<double> norms;
};

struct Pruned {
  models::Model model;  ///< the new widths, shapes inferred
  Weights weights;      ///< the kept weights, in `model`'s layout
  std::vector<PrunedLayer> layers;
  /// Dense and conv layers left whole, each with the reason ("the output
  /// layer", "followed by a transformer_encoder").
  std::vector<std::string> left_whole;
};

/// Structured pruning by magnitude: in every dense and conv layer but the
/// output layer, drops the `fraction` of units (filters) whose weights have
/// the smallest L2 norm, and the matching inputs of what reads them (the
/// next dense or conv layer, batchnorm and layernorm in between, the
/// flattened positions of a dropped filter). Norms are taken from the
/// weights as given, all layers at once. A layer whose units feed
/// something that cannot shrink with them (a transformer block, a softmax
/// over them, the model's end) is left whole and listed. `weights` must be
/// the model's (Session::weights()): a missing tensor or one of another
/// shape is Errc::kInvalidArgument naming it.
[[nodiscard]] Result<Pruned> prune(const models::Model& model,
                                   const Weights& weights,
                                   const PruneOptions& options);

/// The same architecture with every dense layer's units and every conv
/// layer's filters but the output layer's scaled by `width` (rounded, at
/// least 1): a distillation student. `width` in (0, 1]. Shapes inferred.
[[nodiscard]] Result<models::Model> narrow(const models::Model& model,
                                           double width);

}  // namespace mlcarbon::engine
