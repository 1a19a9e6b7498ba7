// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/history.h"

namespace mlcarbon::report {

inline constexpr int kRunSchemaVersion = 1;

/// The run as a JSON document (schema in docs/measure.md): schema_version,
/// a context block, every energy figure with its method.
/// `indented` false writes it on one line: the history stores it that way,
/// since a timeline's columns take a line per number when indented.
[[nodiscard]] std::string run_to_json(const measure::Run& run,
                                      bool indented = true);

/// CodeCarbon 3.3's emissions.csv columns, in its order (38).
[[nodiscard]] const std::vector<std::string>& codecarbon_csv_columns();
/// The CSV header: codecarbon_csv_columns(), then mlcarbon's own
/// (docs/csv.md).
[[nodiscard]] const std::vector<std::string>& run_csv_columns();
/// The header line, without newline.
[[nodiscard]] std::string run_csv_header();
/// CodeCarbon columns that describe the front end rather than the run: a
/// Python front end fills python_version (and, for scripts written for
/// CodeCarbon, an experiment id); empty stays empty (NaN in pandas).
struct RunCsvFields {
  std::string experiment_id;
  std::string python_version;
  std::string codecarbon_version;
};
/// One CSV row for the run, without newline.
[[nodiscard]] std::string run_csv_row(const measure::Run& run,
                                      const RunCsvFields& fields = {});

/// Appends the run's row to the CSV file at `path` (writing the header
/// first when the file is new or empty). The file is rewritten through a
/// temporary file and a rename while holding an flock on the CSV itself
/// (no lock file is left beside it), so that concurrent writers lose no
/// row and a reader never sees half a file. A file whose header is not
/// ours, or is the older mlcarbon 0.1 layout, is an error, not overwritten.
/// A character device or FIFO is written straight through: the header,
/// then the row.
[[nodiscard]] Status append_run_csv(const std::filesystem::path& path,
                                    const measure::Run& run,
                                    const RunCsvFields& fields = {});

/// Checks before a run that append_run_csv(path, ...) can succeed: the
/// file (or its folder) is writable and an existing file has our header.
/// Leaves nothing behind.
[[nodiscard]] Status check_run_csv(const std::filesystem::path& path);

/// The history's view of a run.
[[nodiscard]] HistoryEntry to_history_entry(const measure::Run& run);

}  // namespace mlcarbon::report
