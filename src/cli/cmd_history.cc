// SPDX-License-Identifier: Apache-2.0
// `mlcarbon history`: lists, filters and sums the runs recorded by
// `mlcarbon measure`.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/run_export.h"

#include "command.h"
#include "options.h"
#include "summary.h"

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

  if (args.json) {
    nlohmann::ordered_json doc;
    doc["schema_version"] = 1;
    doc["tool"] = "mlcarbon";
    doc["kind"] = "history";
    doc["database"] = path.string();
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& r : runs) {
      list.push_back({{"run_id", r.run_id},
                      {"start", format_time(r.start)},
                      {"duration_s", r.duration_s},
                      {"project_name", r.project},
                      {"command", r.command},
                      {"tags", r.tags},
                      {"exit_status",
                       r.exit_status ? nlohmann::ordered_json(*r.exit_status)
                                     : nlohmann::ordered_json(nullptr)},
                      {"energy_j", r.energy_j},
                      {"attributed_energy_j", r.attributed_energy_j},
                      {"co2e_kg", r.co2e_g / 1000.0},
                      {"attributed_co2e_kg", r.attributed_co2e_g / 1000.0},
                      {"method", r.method},
                      {"region", r.region}});
    }
    if (!args.sum_only)
      doc["runs"] = std::move(list);
    doc["total"] = {{"runs", totals.runs},
                    {"duration_s", totals.duration_s},
                    {"energy_j", totals.energy_j},
                    {"energy_kwh", totals.energy_j / kJoulesPerKwh},
                    {"attributed_energy_j", totals.attributed_energy_j},
                    {"co2e_kg", totals.co2e_g / 1000.0},
                    {"attributed_co2e_kg", totals.attributed_co2e_g / 1000.0}};
    std::printf("%s\n", doc.dump(2).c_str());
    return 0;
  }

  if (!runs.empty()) {
    std::printf("%-24s %9s %11s %14s %-9s %4s  %s\n", "start (UTC)", "duration",
                "energy", "CO2e", "method", "exit", "command");
  }
  for (const auto& r : runs) {
    std::string tags;
    for (const auto& t : r.tags)
      tags += " #" + t;
    std::printf("%-24s %8.1fs %11s %14s %-9s %4s  %s%s\n",
                format_time(r.start).substr(0, 19).c_str(), r.duration_s,
                human_energy(Joules(r.energy_j)).c_str(),
                human_co2e(GramsCo2e(r.co2e_g)).c_str(), r.method.c_str(),
                r.exit_status ? fmt::format("{}", *r.exit_status).c_str() : "-",
                r.command.c_str(), tags.c_str());
  }
  std::printf("%zu run%s, %.1f s, %s (%s attributed), %s\n", totals.runs,
              totals.runs == 1 ? "" : "s", totals.duration_s,
              human_energy(Joules(totals.energy_j)).c_str(),
              human_energy(Joules(totals.attributed_energy_j)).c_str(),
              human_co2e(GramsCo2e(totals.co2e_g)).c_str());
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
