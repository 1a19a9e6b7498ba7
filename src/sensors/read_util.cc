// SPDX-License-Identifier: Apache-2.0
#include "read_util.h"

#include "mlcarbon/core/text.h"

namespace mlcarbon::sensors::detail {

std::optional<std::uint64_t> take_u64(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  const std::size_t start = i;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == start)
    return std::nullopt;
  s.remove_prefix(i);
  return v;
}

Result<std::uint64_t> parse_u64_trimmed(std::string_view s) {
  return parse_u64(trim(s));
}

}  // namespace mlcarbon::sensors::detail
