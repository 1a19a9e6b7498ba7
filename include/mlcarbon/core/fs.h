// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon {

/// Reads a whole file. EACCES maps to Errc::kPermissionDenied and ENOENT to
/// Errc::kNotFound; the error names the path.
[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path);

/// Reads up to buf.size() bytes of `path` with one pread into `buf`, without
/// allocating (sysfs and procfs files on hot paths); the view points into
/// `buf`. Errors name the path and map errno with errc_from_errno.
[[nodiscard]] Result<std::string_view> read_file_prefix(const char* path,
                                                        std::span<char> buf);

/// Reads a small sysfs/procfs file and trims it (one pread, no iostreams).
[[nodiscard]] Result<std::string> read_small_file(
    const std::filesystem::path& path);

/// Writes `content` to a temporary file beside `path`, fsyncs it and renames
/// it over `path`, so readers see the old or the new file, never half.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path,
                                       std::string_view content);

/// Errc for an errno value (EACCES/EPERM -> kPermissionDenied, ...).
[[nodiscard]] Errc errc_from_errno(int err);

}  // namespace mlcarbon
