// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/history_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/time.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/run_export.h"
#include "mlcarbon/report/table.h"

#include "json_text.h"

namespace mlcarbon::report {

std::string history_text(std::span<const HistoryEntry> runs,
                         const HistoryTotals& totals, const JobTotals* job) {
  std::string out;
  if (!runs.empty()) {
    // start, duration, energy, CO2e, method, exit, command and tags
    Table table({{Align::kLeft, 24},
                 {Align::kRight, 9},
                 {Align::kRight, 11},
                 {Align::kRight, 14},
                 {Align::kLeft, 9},
                 {Align::kRight, 4},
                 {Align::kLeft, 0, 2}});
    table.add_row({"start (UTC)", "duration", "energy", "CO2e", "method",
                   "exit", "command"});
    for (const auto& r : runs) {
      std::string command = r.command;
      for (const auto& t : r.tags)
        command += " #" + t;
      table.add_row({format_time(r.start).substr(0, 19),
                     fmt::format("{:.1f}s", r.duration_s),
                     human_energy(Joules(r.energy_j)),
                     human_co2e(GramsCo2e(r.co2e_g)), r.method,
                     r.exit_status ? fmt::format("{}", *r.exit_status) : "-",
                     command});
    }
    out += table.render(false);
  }
  out += fmt::format("{} run{}, {:.1f} s, {} ({} attributed), {}\n",
                     totals.runs, totals.runs == 1 ? "" : "s",
                     totals.duration_s, human_energy(Joules(totals.energy_j)),
                     human_energy(Joules(totals.attributed_energy_j)),
                     human_co2e(GramsCo2e(totals.co2e_g)));
  if (job != nullptr) {
    out += fmt::format("job {}: {} run{} on {} node{}\n", job->job_id,
                       job->runs, job->runs == 1 ? "" : "s", job->nodes.size(),
                       job->nodes.size() == 1 ? "" : "s");
    for (const auto& n : job->nodes) {
      out += fmt::format("  node {}: {} run{}, {} over {:.1f} s, {}\n", n.node,
                         n.runs, n.runs == 1 ? "" : "s",
                         human_energy(Joules(n.energy_j)), n.busy_s,
                         human_co2e(GramsCo2e(n.co2e_g)));
    }
    out += fmt::format(
        "  attributed to the job's processes: {}, {} ({})\n"
        "  the nodes' machine energy, each node once: {}, {} ({})\n",
        human_energy(Joules(job->attributed_energy_j)),
        human_co2e(GramsCo2e(job->attributed_co2e_g)), job->method,
        human_energy(Joules(job->energy_j)), human_co2e(GramsCo2e(job->co2e_g)),
        job->method);
  }
  return out;
}

std::string history_json(std::string_view database,
                         std::span<const HistoryEntry> runs, bool with_runs,
                         const HistoryTotals& totals, const JobTotals* job) {
  using nlohmann::ordered_json;
  ordered_json doc;
  doc["schema_version"] = kHistorySchemaVersion;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "history";
  doc["database"] = database;
  if (with_runs) {
    ordered_json list = ordered_json::array();
    for (const auto& r : runs) {
      list.push_back(
          {{"run_id", r.run_id},
           {"start", format_time(r.start)},
           {"duration_s", r.duration_s},
           {"project_name", r.project},
           {"command", r.command},
           {"tags", r.tags},
           {"exit_status", r.exit_status ? ordered_json(*r.exit_status)
                                         : ordered_json(nullptr)},
           {"energy_j", r.energy_j},
           {"attributed_energy_j", r.attributed_energy_j},
           {"co2e_kg", r.co2e_g / 1000.0},
           {"attributed_co2e_kg", r.attributed_co2e_g / 1000.0},
           {"method", r.method},
           {"region", r.region},
           {"node", r.node}});
      if (!r.job_id.empty()) {
        const auto number = [](const std::optional<int>& v) {
          return v ? ordered_json(*v) : ordered_json(nullptr);
        };
        list.back()["slurm"] = {{"job_id", r.job_id},
                                {"proc_id", number(r.proc_id)},
                                {"node_id", number(r.node_id)}};
      }
    }
    doc["runs"] = std::move(list);
  }
  doc["total"] = {{"runs", totals.runs},
                  {"duration_s", totals.duration_s},
                  {"energy_j", totals.energy_j},
                  {"energy_kwh", totals.energy_j / kJoulesPerKwh},
                  {"attributed_energy_j", totals.attributed_energy_j},
                  {"co2e_kg", totals.co2e_g / 1000.0},
                  {"attributed_co2e_kg", totals.attributed_co2e_g / 1000.0}};
  if (job != nullptr) {
    ordered_json nodes = ordered_json::array();
    for (const auto& n : job->nodes) {
      nodes.push_back({{"node", n.node},
                       {"runs", n.runs},
                       {"busy_s", n.busy_s},
                       {"energy_j", n.energy_j},
                       {"co2e_kg", n.co2e_g / 1000.0}});
    }
    doc["job"] = {{"job_id", job->job_id},
                  {"runs", job->runs},
                  {"method", job->method},
                  {"attributed_energy_j", job->attributed_energy_j},
                  {"attributed_co2e_kg", job->attributed_co2e_g / 1000.0},
                  {"node_energy_j", job->energy_j},
                  {"node_co2e_kg", job->co2e_g / 1000.0},
                  {"nodes", std::move(nodes)}};
  }
  return dump_json(doc);
}

}  // namespace mlcarbon::report
