// SPDX-License-Identifier: Apache-2.0
// Fuzzes ONNX import (models::import_onnx): protobuf parsing, the ONNX
// checker and shape inference of libonnx, the shape-arithmetic folding and
// the mapping of nodes to layers. Any Result is fine; a crash, an exception
// leaving import_onnx, or a model whose stats do not match its layers is a
// finding.
#include <cmath>
#include <cstdint>

#include "fuzz_util.h"
#include "onnx_read.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  auto model =
      models::detail::read_onnx(fuzz::as_text(data, size), "fuzz.onnx");
  if (!model) {
    (void)model.error().to_string();
    return 0;
  }
  if (model->stats.size() != model->layers.size())
    __builtin_trap();
  int unsupported = 0;
  for (const auto& op : model->unsupported) {
    if (op.count <= 0)
      __builtin_trap();
    unsupported += op.count;
  }
  int other = 0;
  for (const auto& layer : model->layers)
    other += layer.type == models::LayerType::kOther ? 1 : 0;
  if (other != unsupported)
    __builtin_trap();
  for (const auto& stats : model->stats) {
    if (stats.params < 0 || !(stats.forward_flops >= 0) ||
        !std::isfinite(stats.weight_bytes) || !(stats.activation_bytes >= 0))
      __builtin_trap();
  }
  return 0;
}
