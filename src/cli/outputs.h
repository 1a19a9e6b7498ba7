// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

#include "mlcarbon/core/error.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/history.h"

namespace mlcarbon::cli {

/// Where `mlcarbon measure` puts a run: each as given on the command line
/// ("-" is stdout), nothing when not asked for.
struct RunOutputs {
  std::optional<std::string> json;
  std::optional<std::string> csv;
  std::optional<std::string> db;  // nothing with --no-history
};

/// Checks before the command starts that every output can be written: the
/// files or their folders (with the atomic write's temporary file), an
/// existing CSV's header, and that no two outputs name the same file.
/// Leaves nothing behind.
[[nodiscard]] Status check_run_outputs(const RunOutputs& outputs);

/// Writes the run to every output. A failed write never loses the run: the
/// JSON document or CSV row goes to stderr instead, with the error and, for
/// the history, how to add the run later (`mlcarbon history import`); a run
/// not recorded is saved as JSON (the --json file, else a file under the
/// data folder's pending/). `history` is null when the history named in
/// `outputs.db` could not be opened, `history_error` saying why.
/// Returns false when anything could not be written where asked.
[[nodiscard]] bool write_run_outputs(
    const measure::Run& run, const RunOutputs& outputs,
    report::History* history,
    const std::optional<Error>& history_error = std::nullopt);

}  // namespace mlcarbon::cli
