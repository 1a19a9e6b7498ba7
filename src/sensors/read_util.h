// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the sensor sources: one read() per file into a
// caller's buffer, and integer parsing without allocation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon::sensors::detail {

/// Reads up to buf.size() bytes of `path` with one pread; the view points
/// into `buf`. Errors name the path and map errno like core/fs.h.
[[nodiscard]] Result<std::string_view> read_prefix(
    const std::filesystem::path& path, std::span<char> buf);

/// Parses leading decimal digits of `s` (after spaces); nullopt if none.
/// Advances `s` past them.
[[nodiscard]] std::optional<std::uint64_t> take_u64(std::string_view& s);

/// Parses the whole trimmed string as an unsigned integer.
[[nodiscard]] Result<std::uint64_t> parse_u64_trimmed(std::string_view s);

}  // namespace mlcarbon::sensors::detail
