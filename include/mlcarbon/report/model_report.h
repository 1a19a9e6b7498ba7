// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include "mlcarbon/models/model.h"

namespace mlcarbon::report {

inline constexpr int kModelSchemaVersion = 1;

/// What `mlcarbon model describe` prints: one row per layer (name, type,
/// output shape, parameters, forward FLOPs and activation memory per
/// sample) and the totals per sample and for a batch of `batch`.
[[nodiscard]] std::string model_text(const models::Model& model,
                                     std::int64_t batch, bool color);

/// The same as JSON (schema_version 1), every figure with its unit in its
/// field name, plus each layer's input shape and file position.
[[nodiscard]] std::string model_json(const models::Model& model,
                                     std::int64_t batch);

}  // namespace mlcarbon::report
