// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

/// Plugins: parts of mlcarbon built as shared libraries and loaded with
/// dlopen only by the commands that need them, so that heavy libraries
/// (LibTorch, libonnx and protobuf) cost the other commands nothing at
/// start-up.
namespace mlcarbon {

/// Where the plugin `file` is looked for, in order: `build_path` when the
/// running program lies inside `build_dir` (a program run from its build
/// tree; empty strings skip this), then the install's
/// <prefix>/lib/mlcarbon/`file` next to <prefix>/bin.
[[nodiscard]] std::vector<std::filesystem::path> plugin_candidates(
    std::string_view file, std::string_view build_dir,
    std::string_view build_path);

/// dlopens the first of `candidates` that exists (RTLD_NOW | RTLD_LOCAL)
/// and returns its handle, never closed. Errc::kUnavailable naming
/// `what` and the places tried when none exists or loads.
[[nodiscard]] Result<void*> open_plugin(
    std::string_view what,
    const std::vector<std::filesystem::path>& candidates);

}  // namespace mlcarbon
