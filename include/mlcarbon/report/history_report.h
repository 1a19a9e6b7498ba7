// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "mlcarbon/report/history.h"

namespace mlcarbon::report {

inline constexpr int kHistorySchemaVersion = 1;

/// What `mlcarbon history` prints: one line per run (start, duration,
/// energy, CO2e, method, exit status, command and tags), then the totals
/// and, for `--job`, the job's totals (job_totals) per node.
[[nodiscard]] std::string history_text(std::span<const HistoryEntry> runs,
                                       const HistoryTotals& totals,
                                       const JobTotals* job = nullptr);

/// The same as JSON (schema_version 1); without `with_runs` only the
/// totals (`history --sum`); with `job`, a "job" object.
[[nodiscard]] std::string history_json(std::string_view database,
                                       std::span<const HistoryEntry> runs,
                                       bool with_runs,
                                       const HistoryTotals& totals,
                                       const JobTotals* job = nullptr);

}  // namespace mlcarbon::report
