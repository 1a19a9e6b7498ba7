// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/history_report.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/run_import.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct HistoryArgs {
  HistorySelection selection;
  bool json = false;
  bool sum_only = false;
  std::vector<std::string> import_files;  // `history import FILE...`
};

// `mlcarbon history import FILE...`: adds runs written by `measure --json`
// (or saved when the history could not be written), each in its own
// transaction; a file that fails is named and the others still go in.
Result<int> run_import(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            args.selection.options(false));
  MLCARBON_ASSIGN_OR_RETURN(
      report::History history,
      report::History::open(args.selection.db, std::move(options)));
  int failed = 0;
  for (const std::string& file : args.import_files) {
    auto added = [&]() -> Result<std::string> {
      MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(file));
      MLCARBON_ASSIGN_OR_RETURN(
          const report::HistoryEntry entry,
          report::history_entry_from_run_json(text, file));
      MLCARBON_RETURN_IF_ERROR(history.record(entry));
      return entry.run_id;
    }();
    if (!added) {
      ++failed;
      print_error(added.error());
      continue;
    }
    std::fprintf(stderr, "mlcarbon: run %s added to %s\n",
                 terminal_safe(*added).c_str(),
                 terminal_safe(history.location()).c_str());
  }
  return failed == 0 ? 0 : 1;
}

Result<int> run_history(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryFilter filter,
                            args.selection.filter());
  MLCARBON_ASSIGN_OR_RETURN(const report::History history,
                            args.selection.open());
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryTotals totals,
                            history.totals(filter));
  std::vector<report::HistoryEntry> runs;
  if (!args.sum_only) {
    MLCARBON_ASSIGN_OR_RETURN(runs, history.query(filter));
  }
  std::optional<report::JobTotals> job;
  if (args.selection.job) {
    // Every run of the job counts, whatever --limit lists.
    report::HistoryFilter all = filter;
    all.limit = 0;
    MLCARBON_ASSIGN_OR_RETURN(const auto job_runs, history.query(all));
    if (job_runs.empty()) {
      return make_error(Errc::kNotFound, "no run of job {} in the history {}",
                        *args.selection.job, history.location());
    }
    job = report::job_totals(*args.selection.job, job_runs);
  }
  const report::JobTotals* job_ptr = job ? &*job : nullptr;
  const std::string text =
      args.json ? report::history_json(history.location(), runs, !args.sum_only,
                                       totals, job_ptr)
                : report::history_text(runs, totals, job_ptr);
  MLCARBON_RETURN_IF_ERROR(report::write_output("-", text));
  return 0;
}

}  // namespace

Action setup_history(CLI::App& sub) {
  auto args = std::make_shared<HistoryArgs>();
  add_history_selection(sub, args->selection);
  sub.add_flag("--sum", args->sum_only, "Print only the totals");
  sub.add_flag("--json", args->json, "Write JSON to stdout");
  CLI::App* import = sub.add_subcommand(
      "import",
      "Add runs written by 'mlcarbon measure --json FILE' to the history "
      "(when the history could not be written at the time)");
  import->add_option("files", args->import_files, "The runs' JSON files")
      ->required();
  import->fallthrough();
  return [args, import]() {
    return import->parsed() ? run_import(*args) : run_history(*args);
  };
}

}  // namespace mlcarbon::cli
