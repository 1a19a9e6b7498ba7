// SPDX-License-Identifier: Apache-2.0
// ONNX import in a build without ONNX (Debian's libonnx-dev).
#include "mlcarbon/models/onnx.h"

namespace mlcarbon::models {

bool onnx_supported() {
  return false;
}

Result<Model> import_onnx(std::string_view /*bytes*/, std::string_view origin) {
  return tl::unexpected(
      Error(Errc::kUnavailable,
            fmt::format("{}: built without ONNX support", origin))
          .with_remedy("install libonnx-dev (scripts/install-deps.sh) and "
                       "rebuild mlcarbon"));
}

}  // namespace mlcarbon::models
