// SPDX-License-Identifier: Apache-2.0
// Between ONNX import's loader (onnx_loader.cc, in mlcarbon_models) and its
// implementation (onnx.cc, linked into the plugin libmlcarbon_onnx.so with
// libonnx and protobuf, which take milliseconds to load).
#pragma once

#include <cstddef>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::models::detail {

/// What import_onnx does, in the process that links libonnx.
[[nodiscard]] Result<Model> read_onnx(std::string_view bytes,
                                      std::string_view origin);

/// Changes whenever the types that cross the plugin boundary change, so a
/// stale plugin is refused instead of misread.
inline constexpr std::size_t kOnnxPluginAbi =
    1000 + sizeof(Model) + sizeof(Layer) + sizeof(LayerStats) +
    sizeof(UnsupportedOp) + sizeof(Error);

/// The plugin's one entry point, `mlcarbon_onnx_read`: fills `*out` and
/// returns true, or returns false when `abi` is not its kOnnxPluginAbi.
using OnnxReadFn = bool (*)(std::size_t abi, const char* bytes,
                            std::size_t size, const char* origin,
                            std::size_t origin_size, Result<Model>* out);

}  // namespace mlcarbon::models::detail
