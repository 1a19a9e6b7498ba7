// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <optional>
#include <string>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/history_report.h"
#include "mlcarbon/report/output.h"

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
  std::size_t limit = 0;
  bool json = false;
  bool sum_only = false;
};

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
  report::HistoryFilter filter{.tag = args.tag,
                               .command = args.command,
                               .project = args.project,
                               .limit = args.limit};
  if (args.since) {
    MLCARBON_ASSIGN_OR_RETURN(filter.since,
                              parse_since(*args.since, "--since"));
  }
  if (args.until) {
    MLCARBON_ASSIGN_OR_RETURN(filter.until,
                              parse_since(*args.until, "--until"));
  }
  const std::filesystem::path path = args.db;
  if (!std::filesystem::exists(path)) {
    return make_error(Errc::kNotFound, "no history at {}", path.string());
  }
  MLCARBON_ASSIGN_OR_RETURN(const report::History history,
                            report::History::open(path));
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
  return [args]() { return run_history(*args); };
}

}  // namespace mlcarbon::cli
