// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::models {

/// True when mlcarbon was built with ONNX support (Debian's libonnx-dev).
[[nodiscard]] bool onnx_supported();

/// Reads an ONNX model (the bytes of a .onnx file), runs ONNX shape
/// inference, and maps its graph to layers: Gemm/MatMul(+Add) to dense,
/// Conv to conv1d/conv2d, pooling, normalisation, activations, and
/// attention-shaped subgraphs to transformer_encoder. Operators it cannot
/// map are kept as kOther layers and counted in Model::unsupported, not
/// fatal. Layers come in topological order and their stats from ONNX shape
/// inference, so the graph need not be a chain (the engine builds chains
/// only). A corrupt or truncated file is Errc::kParse naming `origin`;
/// Errc::kUnavailable when built without ONNX.
[[nodiscard]] Result<Model> import_onnx(std::string_view bytes,
                                        std::string_view origin);

}  // namespace mlcarbon::models
