// SPDX-License-Identifier: Apache-2.0
// ONNX import in a build with ONNX: the work is done by the plugin
// libmlcarbon_onnx.so, loaded on the first import. Linking libonnx and
// protobuf into mlcarbon would add their start-up (about 9 ms, most of it
// protobuf's) to every command, `mlcarbon measure -- true` included.
#include <string>

#include "mlcarbon/core/plugin.h"
#include "mlcarbon/models/onnx.h"

#include "onnx_read.h"

namespace mlcarbon::models {
namespace {

constexpr std::string_view kRemedy =
    "install libonnx-dev (scripts/install-deps.sh) and rebuild mlcarbon, or "
    "reinstall it with its lib/mlcarbon folder";

Result<detail::OnnxReadFn> load_plugin() {
  MLCARBON_ASSIGN_OR_RETURN(
      void* entry,
      open_plugin_entry(
          "the ONNX importer",
          plugin_candidates("libmlcarbon_onnx.so", MLCARBON_ONNX_BUILD_DIR,
                            MLCARBON_ONNX_BUILD_PLUGIN),
          "mlcarbon_onnx_read"));
  // POSIX guarantees that a dlsym result converts to a function pointer.
  return reinterpret_cast<detail::OnnxReadFn>(entry);
}

}  // namespace

bool onnx_supported() {
  return true;
}

Result<Model> import_onnx(std::string_view bytes, std::string_view origin) {
  static const Result<detail::OnnxReadFn> read = load_plugin();
  if (!read) {
    Error error = read.error();
    return tl::unexpected(
        std::move(error)
            .with_context(fmt::format("{}: reading an ONNX model", origin))
            .with_remedy(std::string(kRemedy)));
  }
  Result<Model> model;
  if (!(*read)(detail::kOnnxPluginAbi, bytes.data(), bytes.size(),
               origin.data(), origin.size(), &model)) {
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("{}: the ONNX importer was built for another "
                          "version of mlcarbon",
                          origin))
            .with_remedy("rebuild mlcarbon and its plugins together"));
  }
  return model;
}

}  // namespace mlcarbon::models
