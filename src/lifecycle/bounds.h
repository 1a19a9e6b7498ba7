// SPDX-License-Identifier: Apache-2.0
// Shared by the parser and the overrides, so a --what-if is checked like a
// scenario file.
#pragma once

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/range.h"
#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle::detail {

/// What a number may be; checked on the low end of a range.
enum class Bound { kNonNegative, kPositive, kPue };

/// "must not be negative, got -1" and the like; low <= high too.
[[nodiscard]] Status check_bound(Range r, Bound bound);

/// "cpu", "gpu" or "tpu", any case.
[[nodiscard]] Result<Hardware> parse_hardware(std::string_view text);

/// Takes the region's intensity, its citation and its default PUE.
void use_region(Scenario& s, const carbon::Region& r);

}  // namespace mlcarbon::lifecycle::detail
