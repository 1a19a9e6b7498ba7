// SPDX-License-Identifier: Apache-2.0
// Integer parsing without allocation, shared by the sensor sources; files
// are read with core's read_file_prefix().
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon::sensors::detail {

/// Parses leading decimal digits of `s` (after spaces); nullopt if none.
/// Advances `s` past them.
[[nodiscard]] std::optional<std::uint64_t> take_u64(std::string_view& s);

/// Parses the whole trimmed string as an unsigned integer.
[[nodiscard]] Result<std::uint64_t> parse_u64_trimmed(std::string_view s);

}  // namespace mlcarbon::sensors::detail
