// SPDX-License-Identifier: Apache-2.0
// libmlcarbon_onnx.so: ONNX import with libonnx and protobuf, loaded by
// import_onnx on first use (onnx_loader.cc).
#include <cstddef>
#include <exception>
#include <string_view>

#include "onnx_read.h"

extern "C" __attribute__((visibility("default"))) bool mlcarbon_onnx_read(
    std::size_t abi, const char* bytes, std::size_t size, const char* origin,
    std::size_t origin_size, mlcarbon::Result<mlcarbon::models::Model>* out) {
  using mlcarbon::models::detail::kOnnxPluginAbi;
  if (abi != kOnnxPluginAbi || out == nullptr)
    return false;
  const std::string_view where(origin, origin_size);
  try {
    *out = mlcarbon::models::detail::read_onnx(std::string_view(bytes, size),
                                               where);
  } catch (const std::exception& e) {
    // read_onnx catches libonnx's exceptions; this is for bad_alloc.
    *out = mlcarbon::make_error(mlcarbon::Errc::kParse,
                                "{}: reading the ONNX model failed: {}", where,
                                e.what());
  }
  return true;
}
