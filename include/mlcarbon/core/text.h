// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

namespace mlcarbon {

/// Removes leading and trailing ASCII whitespace.
[[nodiscard]] std::string_view trim(std::string_view s);
/// Splits on `sep`, keeping empty fields.
[[nodiscard]] std::vector<std::string_view> split(std::string_view s, char sep);
[[nodiscard]] std::string to_lower(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);
[[nodiscard]] bool starts_with(std::string_view s, std::string_view prefix);

/// Parses a whole string as a finite double; rejects trailing text, NaN and
/// infinities.
[[nodiscard]] Result<double> parse_double(std::string_view s);
/// Parses a whole string as an unsigned 64-bit integer.
[[nodiscard]] Result<std::uint64_t> parse_u64(std::string_view s);

/// Levenshtein distance, case-insensitive.
[[nodiscard]] std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word`, if one is close enough to be a typo
/// (distance at most max(2, |word|/3)).
[[nodiscard]] std::optional<std::string> suggest(
    std::string_view word, std::span<const std::string> candidates);

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates,
/// code points above U+10FFFF or truncated sequences).
[[nodiscard]] bool is_valid_utf8(std::string_view s);
/// Byte offset of the first ill-formed sequence in `s`, or npos.
[[nodiscard]] std::size_t first_invalid_utf8(std::string_view s);
/// `s` with each ill-formed subsequence replaced by U+FFFD (one per maximal
/// subpart, as Unicode recommends), so JSON, CSV and SQLite get valid text.
[[nodiscard]] std::string to_valid_utf8(std::string_view s);
/// `s` made safe to print on a terminal: ill-formed bytes become U+FFFD and
/// control characters (C0, DEL, C1, so also ANSI escapes) a visible escape
/// such as `\x1b` or `\u009b`. Newlines stay when `keep_newlines`.
[[nodiscard]] std::string terminal_safe(std::string_view s,
                                        bool keep_newlines = false);

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
[[nodiscard]] std::vector<std::string> parse_csv_line(std::string_view line);
/// Quotes a CSV field when it holds a comma, quote or newline; ill-formed
/// UTF-8 becomes U+FFFD.
[[nodiscard]] std::string csv_escape(std::string_view field);

}  // namespace mlcarbon
