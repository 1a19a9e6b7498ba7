// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon {

/// Reads a whole file. EACCES maps to Errc::kPermissionDenied and ENOENT to
/// Errc::kNotFound; the error names the path. Stops after `max_bytes` + 1
/// bytes, so a caller with a size limit sees that a file is over it without
/// reading all of it (or /dev/zero forever).
[[nodiscard]] Result<std::string> read_file(
    const std::filesystem::path& path,
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max() - 1);

/// Reads up to buf.size() bytes of `path` with one pread into `buf`, without
/// allocating (sysfs and procfs files on hot paths); the view points into
/// `buf`. Errors name the path and map errno with errc_from_errno.
[[nodiscard]] Result<std::string_view> read_file_prefix(const char* path,
                                                        std::span<char> buf);

/// An XDG base directory: $`variable` when it holds an absolute path, else
/// $HOME/`home_relative` (/tmp/`home_relative` without HOME), e.g.
/// xdg_base_dir("XDG_CONFIG_HOME", ".config").
[[nodiscard]] std::filesystem::path xdg_base_dir(
    const char* variable, const std::filesystem::path& home_relative);

/// Reads a small sysfs/procfs file and trims it (one pread, no iostreams).
[[nodiscard]] Result<std::string> read_small_file(
    const std::filesystem::path& path);

/// Writes `content` to `path` without ever turning what `path` names into
/// something else:
/// - a regular file (or a new one) is written to a temporary file beside
///   it, fsynced and renamed over it, so readers see the old or the new
///   file, never half; the replaced file's mode (and, as root, owner) is
///   kept. A file owned by another user, which only root could give back,
///   is rewritten in place instead.
/// - a character device (/dev/null, a terminal) or a FIFO is opened and
///   written straight through.
/// - a symbolic link is followed: its target is written, the link stays.
/// - a directory, block device or socket is refused.
[[nodiscard]] Status write_file_atomic(const std::filesystem::path& path,
                                       std::string_view content);

/// Checks, before any work, that write_file_atomic(path, ...) can succeed:
/// the file (if present) is writable and, where the write is atomic, the
/// temporary file can be created beside it. Leaves nothing behind.
[[nodiscard]] Status check_output_file(const std::filesystem::path& path);

/// Errc for an errno value (EACCES/EPERM -> kPermissionDenied, ...).
[[nodiscard]] Errc errc_from_errno(int err);

}  // namespace mlcarbon
