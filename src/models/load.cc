// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <string>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/models/onnx.h"

#include "parse_util.h"

namespace mlcarbon::models {
namespace {

// protobuf refuses messages of 2 GiB and more.
constexpr std::size_t kMaxOnnxBytes = (std::size_t{2} << 30) - 1;

}  // namespace

Result<Model> load_model(std::string_view path_or_shorthand) {
  if (is_shorthand(path_or_shorthand))
    return parse_shorthand(path_or_shorthand);
  const std::filesystem::path path(path_or_shorthand);
  const bool onnx = iequals(path.extension().string(), ".onnx");
  auto bytes = read_file(path, onnx ? kMaxOnnxBytes : kMaxModelBytes);
  if (!bytes) {
    Error e = std::move(bytes).error();
    // "mpl:depth=2" is a shorthand mistyped more often than a file name.
    if (e.code() == Errc::kNotFound &&
        path_or_shorthand.find('=') != std::string_view::npos)
      return tl::unexpected(std::move(e).with_remedy(
          "a shorthand starts with mlp: or cnn: (docs/model-files.md)"));
    return tl::unexpected(std::move(e));
  }
  if (onnx) {
    if (bytes->size() > kMaxOnnxBytes)
      return make_error(Errc::kParse,
                        "{}: an ONNX file may have at most {} bytes (2 GiB)",
                        path_or_shorthand, kMaxOnnxBytes);
    return import_onnx(*bytes, path_or_shorthand);
  }
  MLCARBON_RETURN_IF_ERROR(check_model_size(bytes->size(), path_or_shorthand));
  return parse_model(*bytes, path_or_shorthand);
}

}  // namespace mlcarbon::models
