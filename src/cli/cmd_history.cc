// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "mlcarbon/carbon/series.h"
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
  std::string db;
  std::optional<std::string> tag;
  std::optional<std::string> command;
  std::optional<std::string> project;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::int64_t> limit;
  bool json = false;
  bool sum_only = false;
  std::string db_timeout;
  std::string import_file;  // `history import FILE`
};

// Waits for a locked history as long as --db-timeout says, saying so.
Result<report::HistoryOptions> history_options(const HistoryArgs& args,
                                               bool read_only) {
  MLCARBON_ASSIGN_OR_RETURN(const Seconds timeout,
                            parse_duration(args.db_timeout, "--db-timeout"));
  report::HistoryOptions options;
  options.lock_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  options.read_only = read_only;
  options.on_wait = [](const std::string& line) {
    std::fprintf(stderr, "mlcarbon: %s\n", terminal_safe(line).c_str());
  };
  return options;
}

// `mlcarbon history import FILE`: adds a run written by `measure --json`.
Result<int> run_import(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                            read_file(args.import_file));
  MLCARBON_ASSIGN_OR_RETURN(
      const report::HistoryEntry entry,
      report::history_entry_from_run_json(text, args.import_file));
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            history_options(args, false));
  MLCARBON_ASSIGN_OR_RETURN(report::History history,
                            report::History::open(args.db, std::move(options)));
  MLCARBON_RETURN_IF_ERROR(history.record(entry));
  std::fprintf(stderr, "mlcarbon: run %s added to %s\n",
               terminal_safe(entry.run_id).c_str(),
               terminal_safe(args.db).c_str());
  return 0;
}

// "7d", "12h", "30m" ago, a date (2026-11-01) or an ISO-8601 timestamp.
Result<WallTime> parse_time(std::string_view text, std::string_view flag) {
  const std::string_view t = trim(text);
  if (!t.empty() && (t.back() == 'd' || t.back() == 'h' || t.back() == 'm')) {
    if (auto n = parse_double(t.substr(0, t.size() - 1)); n && *n >= 0.0) {
      const double unit = t.back() == 'd'   ? 86400.0
                          : t.back() == 'h' ? 3600.0
                                            : 60.0;
      return std::chrono::system_clock::now() -
             std::chrono::duration_cast<WallTime::duration>(Seconds(*n * unit));
    }
  }
  std::string iso(t);
  if (iso.size() == 10)
    iso += "T00:00:00Z";
  auto parsed = carbon::parse_timestamp(iso);
  if (!parsed) {
    return make_error(Errc::kInvalidArgument,
                      "{} expects a date (2026-11-01), an ISO-8601 time or "
                      "an age such as 7d or 12h, got '{}'",
                      flag, text);
  }
  return *parsed;
}

Result<int> run_history(const HistoryArgs& args) {
  if (args.limit && *args.limit <= 0) {
    return make_error(Errc::kInvalidArgument,
                      "--limit expects a positive number of runs, got {} "
                      "(leave it out to list every run)",
                      *args.limit);
  }
  report::HistoryFilter filter{
      .tag = args.tag,
      .command = args.command,
      .project = args.project,
      .limit = static_cast<std::size_t>(args.limit.value_or(0))};
  if (args.since) {
    MLCARBON_ASSIGN_OR_RETURN(filter.since, parse_time(*args.since, "--since"));
  }
  if (args.until) {
    MLCARBON_ASSIGN_OR_RETURN(filter.until, parse_time(*args.until, "--until"));
  }
  const std::filesystem::path path = args.db;
  if (!std::filesystem::exists(path)) {
    return make_error(Errc::kNotFound, "no history at {}", path.string());
  }
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            history_options(args, true));
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
  add_history_option(sub, args->db);
  sub.add_option("--tag", args->tag, "Only runs with this tag");
  sub.add_option("--command", args->command,
                 "Only runs whose command line contains TEXT");
  sub.add_option("--project", args->project, "Only runs of this project");
  sub.add_option("--since", args->since,
                 "Only runs started at or after TIME (2026-11-01, an "
                 "ISO-8601 time, or an age: 7d, 12h)");
  sub.add_option("--until", args->until, "Only runs started before TIME");
  sub.add_option("--limit", args->limit,
                 "List at most N runs, most recent first (totals count all)");
  sub.add_flag("--sum", args->sum_only, "Print only the totals");
  sub.add_flag("--json", args->json, "Write JSON to stdout");
  add_db_timeout_option(sub, args->db_timeout);
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
