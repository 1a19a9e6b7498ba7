// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

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
  std::string db;
  std::optional<std::string> tag;
  std::optional<std::string> command;
  std::optional<std::string> project;
  std::optional<std::string> since;
  std::optional<std::string> until;
  std::optional<std::string> job;
  std::optional<std::int64_t> limit;
  bool json = false;
  bool sum_only = false;
  std::string db_timeout;
  std::vector<std::string> import_files;  // `history import FILE...`
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

// `mlcarbon history import FILE...`: adds runs written by `measure --json`
// (or saved when the history could not be written), each in its own
// transaction; a file that fails is named and the others still go in.
Result<int> run_import(const HistoryArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            history_options(args, false));
  MLCARBON_ASSIGN_OR_RETURN(report::History history,
                            report::History::open(args.db, std::move(options)));
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

// An age ("7d", "12h", "30m" ago: the duration grammar, with its unit), a
// date (2026-11-01) or an ISO-8601 time.
Result<WallTime> parse_since(std::string_view text, std::string_view flag) {
  if (auto age = parse_duration(text, flag,
                                {.allow_zero = true, .require_unit = true})) {
    return std::chrono::system_clock::now() -
           std::chrono::duration_cast<WallTime::duration>(*age);
  }
  auto parsed = parse_time(text);
  if (!parsed) {
    return make_error(Errc::kInvalidArgument,
                      "{} expects an age such as 7d or 12h, a date or an "
                      "ISO-8601 time; {}",
                      flag, parsed.error().message());
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
      .job_id = args.job,
      .limit = static_cast<std::size_t>(args.limit.value_or(0))};
  if (args.since) {
    MLCARBON_ASSIGN_OR_RETURN(filter.since,
                              parse_since(*args.since, "--since"));
  }
  if (args.until) {
    MLCARBON_ASSIGN_OR_RETURN(filter.until,
                              parse_since(*args.until, "--until"));
  }
  if (!report::is_postgresql_location(args.db) &&
      !std::filesystem::exists(args.db)) {
    return make_error(Errc::kNotFound, "no history at {}", args.db);
  }
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions options,
                            history_options(args, true));
  MLCARBON_ASSIGN_OR_RETURN(const report::History history,
                            report::History::open(args.db, std::move(options)));
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryTotals totals,
                            history.totals(filter));
  std::vector<report::HistoryEntry> runs;
  if (!args.sum_only) {
    MLCARBON_ASSIGN_OR_RETURN(runs, history.query(filter));
  }
  std::optional<report::JobTotals> job;
  if (args.job) {
    // Every run of the job counts, whatever --limit lists.
    report::HistoryFilter all = filter;
    all.limit = 0;
    MLCARBON_ASSIGN_OR_RETURN(const auto job_runs, history.query(all));
    if (job_runs.empty()) {
      return make_error(Errc::kNotFound, "no run of job {} in the history {}",
                        *args.job, history.location());
    }
    job = report::job_totals(*args.job, job_runs);
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
  add_history_option(sub, args->db);
  sub.add_option("--tag", args->tag, "Only runs with this tag");
  sub.add_option("--command", args->command,
                 "Only runs whose command line contains TEXT");
  sub.add_option("--project", args->project, "Only runs of this project");
  sub.add_option("--since", args->since,
                 "Only runs started at or after TIME (2026-11-01, an "
                 "ISO-8601 time, or an age: 7d, 12h)");
  sub.add_option("--until", args->until, "Only runs started before TIME");
  sub.add_option("--job", args->job,
                 "Only the runs of this Slurm job, and the job's totals: "
                 "its ranks' attributed energy summed, each node's machine "
                 "energy counted once");
  sub.add_option("--limit", args->limit,
                 "List at most N runs, most recent first (totals count all)");
  sub.add_flag("--sum", args->sum_only, "Print only the totals");
  sub.add_flag("--json", args->json, "Write JSON to stdout");
  add_db_timeout_option(sub, args->db_timeout);
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
