// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/time.h"
#include "mlcarbon/lifecycle/schedule.h"
#include "mlcarbon/report/footprint.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/plan.h"
#include "mlcarbon/report/run_import.h"
#include "mlcarbon/report/table.h"

#include "json_text.h"

namespace mlcarbon::report {
namespace {

using json = nlohmann::ordered_json;

void start_text(const StartSection& s, std::string& out) {
  const carbon::StartPlan& p = s.plan;
  out += fmt::format(
      "\nwhen to start, under the forecast {} ({} to {}):\n  window: {} ({}) "
      "to {} ({})\n",
      s.origin, format_time_short(s.forecast_start),
      format_time_short(s.forecast_end), format_time_short(p.window_start),
      carbon::describe(p.window_start_from), format_time_short(p.window_end),
      s.deadline_given ? "deadline" : "forecast end");
  Table table({{Align::kLeft},
               {Align::kLeft, 0, 2},
               {Align::kLeft, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2}},
              "  ");
  table.add_row({"", "start", "end", "g/kWh", "CO2e"});
  auto row = [&](std::string label, const carbon::Placement& pl) {
    table.add_row({std::move(label), format_time_short(pl.start),
                   format_time_short(pl.end),
                   fmt::format("{:.1f}", pl.mean_intensity.value()),
                   human_co2e(pl.emissions)});
  };
  row(std::string(carbon::describe(p.window_start_from)), p.baseline);
  row("best", p.best);
  row("worst", p.worst);
  out += table.render(false);
  if (p.best.start == p.baseline.start) {
    out += fmt::format("  starting {} is already the best start\n",
                       carbon::describe(p.window_start_from));
  } else {
    out += fmt::format(
        "  saving: {} ({:.1f} %) by starting at {} instead of {}\n",
        human_co2e(p.saving()),
        100.0 * p.saving().value() / p.baseline.emissions.value(),
        format_time_short(p.best.start), carbon::describe(p.window_start_from));
  }
}

void regions_text(const PlanReport& r, std::string& out) {
  out +=
      "\nwhere to run (annual average intensity from the project's "
      "tables, each region's PUE):\n";
  Table table({{Align::kLeft},
               {Align::kLeft, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2}},
              "  ");
  table.add_row({"region", "name", "g/kWh", "PUE", "CO2e"});
  for (const carbon::RegionOption& o : r.regions) {
    table.add_row({o.region->code, o.region->name,
                   fmt::format("{:.1f}", o.region->intensity.value()),
                   fmt::format("{:.2f}", o.pue.pue), human_co2e(o.emissions)},
                  fmt::format("({})", o.pue.reason), 2);
  }
  out += table.render(false);
  if (r.regions.size() > 1) {
    const auto& best = r.regions.front();
    const auto& worst = r.regions.back();
    out += fmt::format("  {} instead of {} saves {}\n", best.region->code,
                       worst.region->code,
                       human_co2e(worst.emissions - best.emissions));
  }
}

json placement(const carbon::Placement& p) {
  return {{"start", format_time(p.start)},
          {"end", format_time(p.end)},
          {"mean_intensity_g_per_kwh", p.mean_intensity.value()},
          {"co2e_kg", p.emissions.value() / 1000.0}};
}

}  // namespace

Result<PlanJob> plan_job_from_run_json(std::string_view text,
                                       std::string_view source) {
  MLCARBON_ASSIGN_OR_RETURN(const HistoryEntry e,
                            history_entry_from_run_json(text, source));
  PlanJob job;
  job.energy = Joules(e.energy_j);
  job.method = e.method == "measured" ? Method::kMeasured : Method::kEstimated;
  job.energy_source = fmt::format("run {} ({})", e.run_id, source);
  job.duration = Seconds(e.duration_s);
  job.duration_source = "the run's duration_s";
  return job;
}

Result<PlanJob> plan_job_from_estimate_json(std::string_view text,
                                            std::string_view source) {
  MLCARBON_ASSIGN_OR_RETURN(const lifecycle::Footprint f,
                            footprint_from_json(text, source));
  const lifecycle::SchedulableEnergy jobs = lifecycle::schedulable_energy(f);
  if (jobs.phases.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "{} has no search or training phase, the jobs one "
                      "schedules (inference serves calls as they come)",
                      source);
  }
  PlanJob job;
  job.energy = Joules(jobs.device_energy_j);
  job.method = Method::kEstimated;
  // Only a phase measured by a run carries a measured figure, and then the
  // estimate says so per phase; the sum is labelled by its weakest part.
  bool all_measured = true;
  for (lifecycle::Phase p : jobs.phases) {
    all_measured = all_measured &&
                   f.phase(p)->method == lifecycle::EnergyMethod::kMeasured;
  }
  if (all_measured)
    job.method = Method::kMeasured;
  job.energy_source =
      fmt::format("{} of estimate '{}' ({})", jobs.label(), f.name, source);
  job.pue = f.pue.central;
  return job;
}

std::string plan_text(const PlanReport& r) {
  std::string out = fmt::format("job: {} ({}: {})", human_energy(r.job.energy),
                                to_string(r.job.method), r.job.energy_source);
  if (r.job.duration) {
    out += fmt::format(" over {} ({})", format_duration(*r.job.duration),
                       r.job.duration_source);
  }
  out += "\n";
  if (r.start) {
    out += fmt::format("PUE under the forecast: {:.2f} ({})\n", r.pue,
                       r.pue_source);
    start_text(*r.start, out);
  }
  if (!r.regions.empty())
    regions_text(r, out);
  return out;
}

Result<std::string> plan_json(const PlanReport& r) {
  try {
    json j;
    j["schema_version"] = kPlanSchemaVersion;
    j["tool"] = "mlcarbon";
    j["kind"] = "plan";
    json job = {{"energy_j", r.job.energy.value()},
                {"energy_kwh", to_kwh(r.job.energy).value()},
                {"method", to_string(r.job.method)},
                {"energy_source", r.job.energy_source}};
    if (r.job.duration) {
      job["duration_s"] = r.job.duration->count();
      job["duration_source"] = r.job.duration_source;
    }
    j["job"] = job;
    if (r.start) {
      const carbon::StartPlan& p = r.start->plan;
      json s = {{"forecast", r.start->origin},
                {"forecast_start", format_time(r.start->forecast_start)},
                {"forecast_end", format_time(r.start->forecast_end)},
                {"pue", r.pue},
                {"pue_source", r.pue_source},
                {"window_start", format_time(p.window_start)},
                {"window_start_from", carbon::to_string(p.window_start_from)},
                {"window_end", format_time(p.window_end)},
                {"window_end_from",
                 r.start->deadline_given ? "deadline" : "forecast_end"},
                {"baseline", placement(p.baseline)},
                {"best", placement(p.best)},
                {"worst", placement(p.worst)},
                {"saving_co2e_kg", p.saving().value() / 1000.0}};
      j["start"] = s;
    }
    if (!r.regions.empty()) {
      json regions = json::array();
      for (const carbon::RegionOption& o : r.regions) {
        regions.push_back({{"region", o.region->code},
                           {"name", o.region->name},
                           {"g_per_kwh", o.region->intensity.value()},
                           {"intensity_year", o.region->year},
                           {"pue", o.pue.pue},
                           {"pue_source", o.pue.reason},
                           {"co2e_kg", o.emissions.value() / 1000.0}});
      }
      j["regions"] = regions;
    }
    return dump_json(j);
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::kInvalidArgument, "writing the plan as JSON: {}",
                      e.what());
  }
}

}  // namespace mlcarbon::report
