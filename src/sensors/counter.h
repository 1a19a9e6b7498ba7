// SPDX-License-Identifier: Apache-2.0
// Steps of wrapping hardware energy counters, shared by the RAPL sources.
#pragma once

#include <cstdint>
#include <optional>

namespace mlcarbon::sensors::detail {

/// The step of a counter that wraps to 0 after `range` (0: range unknown)
/// from reading `last` to reading `now`, assuming at most one wrap; nullopt
/// when no wrap explains it (a reading above the range, or a counter that
/// went down without a known range to wrap at). Such a step must be
/// dropped, never summed: unsigned arithmetic would turn it into ~1.8e13 J.
[[nodiscard]] constexpr std::optional<std::uint64_t> counter_step(
    std::uint64_t last, std::uint64_t now, std::uint64_t range) {
  if (range != 0 && now > range)
    return std::nullopt;
  if (now >= last)
    return now - last;
  if (range == 0 || last > range)
    return std::nullopt;
  return range - last + now;
}

}  // namespace mlcarbon::sensors::detail
