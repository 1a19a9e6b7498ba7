// SPDX-License-Identifier: Apache-2.0
// The scenario's fields, described once: the YAML parser, --what-if and
// --sweep all read this table, so a --what-if is checked like a scenario file.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/range.h"
#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle::detail {

/// What a number may be; checked on the low end of a range.
enum class Bound { kNonNegative, kPositive, kPue };

/// How a field is written.
enum class Kind { kNumber, kText, kBlock, kList };

/// Where a number is stored once parsed (or set by a what-if).
using Target =
    std::variant<std::monostate, Range Scenario::*,
                 std::optional<Range> Scenario::*, Range SearchSpec::*,
                 Range TrainingSpec::*, Range InferenceSpec::*>;

/// One field of a scenario file.
struct Field {
  /// "" (top level), "search", "training" (also search.per_trial and
  /// search.runs[i]) or "inference".
  std::string_view block;
  std::string_view name;
  Kind kind = Kind::kNumber;
  std::string_view unit;  ///< of the value as written; "" for a count
  Bound bound = Bound::kNonNegative;
  bool whole = false;  ///< a count of things: a whole number
  /// The way of giving the phase's energy that the field belongs to.
  std::optional<EnergyMethod> way;
  Target target;       ///< monostate: read by hand, not a what-if key
  double scale = 1.0;  ///< stored value = written value · scale
  std::optional<double> fallback;  ///< the value when left out
  bool required = false;           ///< by its way
  bool what_if = false;            ///< a text a --what-if may set
};

/// Every field, in the order docs/scenario.md lists them.
[[nodiscard]] std::span<const Field> fields();

/// The fields of one block, in table order.
[[nodiscard]] std::vector<std::string_view> field_names(std::string_view block);

/// The field `name` of `block`; nullptr when there is none.
[[nodiscard]] const Field* find_field(std::string_view block,
                                      std::string_view name);

/// "training.samples, training.epochs, ..." for the number fields of a way,
/// prefixed with `where` ("search.runs[2]"): the inputs of a phase's energy.
[[nodiscard]] std::string inputs_of(std::string_view block, EnergyMethod way,
                                    std::string_view where);

/// Checks a value written for `f` (before scaling): low <= high, the bound,
/// a whole number where one is required; then that the scaled value is
/// finite. "must not be negative, got -1" and the like, without the path.
[[nodiscard]] Status check_value(Range r, const Field& f);

/// The what-if keys: every number field with a target, and region and
/// hardware; training fields also as search.per_trial.<field>.
[[nodiscard]] const std::vector<std::string>& what_if_keys();

/// "cpu", "gpu" or "tpu", any case.
[[nodiscard]] Result<Hardware> parse_hardware(std::string_view text);

/// Takes the region's intensity, its citation and its default PUE.
void use_region(Scenario& s, const carbon::Region& r);

}  // namespace mlcarbon::lifecycle::detail
