// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/report/history.h"

namespace mlcarbon::report {

/// The history's view of a run document written by `mlcarbon measure
/// --json` (schema_version 1), for `mlcarbon history import`. A document
/// of another tool, kind or schema version, or one missing a field, is an
/// error naming `source` and the field.
[[nodiscard]] Result<HistoryEntry> history_entry_from_run_json(
    std::string_view text, std::string_view source);

}  // namespace mlcarbon::report
