// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
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
  std::string import_file;  // `history import FILE`
};

// `mlcarbon history import FILE`: adds a run written by `measure --json`.
Result<int> run_import(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                            read_file(args.import_file));
  MLCARBON_ASSIGN_OR_RETURN(
      const report::HistoryEntry entry,
      report::history_entry_from_run_json(text, args.import_file));
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            args.selection.options(false));
  MLCARBON_ASSIGN_OR_RETURN(
      report::History history,
      report::History::open(args.selection.db, std::move(options)));
  MLCARBON_RETURN_IF_ERROR(history.record(entry));
  std::fprintf(stderr, "mlcarbon: run %s added to %s\n",
               terminal_safe(entry.run_id).c_str(),
               terminal_safe(args.selection.db).c_str());
  return 0;
}

Result<int> run_history(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryFilter filter,
                            args.selection.filter());
  const std::filesystem::path path = args.selection.db;
  if (!std::filesystem::exists(path)) {
    return make_error(Errc::kNotFound, "no history at {}", path.string());
  }
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            args.selection.options(true));
  MLCARBON_ASSIGN_OR_RETURN(const report::History history,
                            report::History::open(path, std::move(options)));
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryTotals totals,
                            history.totals(filter));
  std::vector<report::HistoryEntry> runs;
  if (!args.sum_only) {
    MLCARBON_ASSIGN_OR_RETURN(runs, history.query(filter));
  }

  const std::string text =
      args.json
          ? report::history_json(path.string(), runs, !args.sum_only, totals)
          : report::history_text(runs, totals);
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
      "Add a run written by 'mlcarbon measure --json FILE' to the history "
      "(when the history could not be written at the time)");
  import->add_option("file", args->import_file, "The run's JSON file")
      ->required();
  import->fallthrough();
  return [args, import]() {
    return import->parsed() ? run_import(*args) : run_history(*args);
  };
}

}  // namespace mlcarbon::cli
