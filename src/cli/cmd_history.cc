// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <optional>
#include <string>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/text.h"
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
  report::HistoryFilter filter{.tag = args.tag,
                               .command = args.command,
                               .project = args.project,
                               .limit = args.limit};
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
