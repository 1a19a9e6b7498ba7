// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include "mlcarbon/lifecycle/predict.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::report {

inline constexpr int kModelSchemaVersion = 1;

/// A model's predicted energy (`model describe --predict`) and where the
/// machine profile came from.
struct ModelEnergyReport {
  std::string profile;  ///< the profile file as given
  lifecycle::MachineProfile machine;
  lifecycle::ModelPrediction prediction;
};

/// What `mlcarbon model describe` prints: one row per layer (name, type,
/// output shape, parameters, forward FLOPs and activation memory per
/// sample) and the totals per sample and for a batch of `batch`.
/// With `energy`, also the per-layer predictor's J per layer and the
/// totals of every predictor, labelled estimated.
[[nodiscard]] std::string model_text(const models::Model& model,
                                     std::int64_t batch, bool color,
                                     const ModelEnergyReport* energy = nullptr);

/// The same as JSON (schema_version 1), every figure with its unit in its
/// field name, plus each layer's input shape and file position.
[[nodiscard]] std::string model_json(const models::Model& model,
                                     std::int64_t batch,
                                     const ModelEnergyReport* energy = nullptr);

}  // namespace mlcarbon::report
