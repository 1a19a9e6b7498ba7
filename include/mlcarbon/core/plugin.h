// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

/// Plugins: parts of mlcarbon built as shared libraries and loaded with
/// dlopen only by the commands that need them, so that heavy libraries
/// (LibTorch, libonnx and protobuf, libpq, cpp-httplib) cost the other
/// commands nothing at start-up.
namespace mlcarbon {

/// Where the plugin `file` is looked for, in order: `build_path` when the
/// running program, or the shared library holding mlcarbon's code (the C
/// API, the Python module), lies inside `build_dir` (run from its build
/// tree; empty strings skip this), then the install's
/// <prefix>/lib/mlcarbon/`file` next to <prefix>/bin, then, for code in a
/// shared library <libdir>/libX.so, the install's <prefix>/lib/mlcarbon
/// seen from <libdir>, and <libdir>/mlcarbon/`file` (the Python package).
[[nodiscard]] std::vector<std::filesystem::path> plugin_candidates(
    std::string_view file, std::string_view build_dir,
    std::string_view build_path);

/// dlopens the first of `candidates` that exists (RTLD_NOW | RTLD_LOCAL)
/// and returns its handle, never closed. Errc::kUnavailable naming
/// `what` and the places tried when none exists or loads.
[[nodiscard]] Result<void*> open_plugin(
    std::string_view what,
    const std::vector<std::filesystem::path>& candidates);

/// open_plugin, then the address of the plugin's entry point `symbol`;
/// Errc::kUnavailable naming `what` when the plugin lacks it.
[[nodiscard]] Result<void*> open_plugin_entry(
    std::string_view what, const std::vector<std::filesystem::path>& candidates,
    const char* symbol);

}  // namespace mlcarbon
