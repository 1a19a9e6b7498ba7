// SPDX-License-Identifier: Apache-2.0
// `mlcarbon plan`: when to start a job under a forecast of the grid's
// intensity, and where to run it (docs/plan.md). The planning is carbon's,
// the job readers and writers report's: this file only wires flags to them.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/carbon/plan.h"
#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/plan.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

// Run and estimate documents are far smaller; this bounds a wrong file.
constexpr std::size_t kMaxInputBytes = std::size_t{64} << 20;

struct PlanArgs {
  std::string forecast;
  std::string energy;
  std::string duration;
  std::string from_run;
  std::string from_estimate;
  std::string earliest;
  std::string deadline;
  std::string regions;
  std::optional<double> pue;
  std::string json;
  std::string convert_gb;
  std::string output = "-";
};

Result<std::string> read_input(const std::string& path, std::string_view flag) {
  auto text = read_file(path, kMaxInputBytes);
  if (!text) {
    return tl::unexpected(
        std::move(text).error().with_context(fmt::format("{} {}", flag, path)));
  }
  if (text->size() > kMaxInputBytes) {
    return make_error(Errc::kInvalidArgument, "{} {}: larger than {} MiB", flag,
                      path, kMaxInputBytes >> 20);
  }
  return text;
}

Result<std::optional<WallTime>> time_flag(const std::string& text,
                                          std::string_view flag) {
  if (text.empty())
    return std::nullopt;
  auto t = parse_time(text);
  if (!t) {
    return tl::unexpected(std::move(t).error().with_context(std::string(flag)));
  }
  return *t;
}

Result<report::PlanJob> read_job(const PlanArgs& a) {
  const int sources = static_cast<int>(!a.energy.empty()) +
                      static_cast<int>(!a.from_run.empty()) +
                      static_cast<int>(!a.from_estimate.empty());
  if (sources != 1) {
    return make_error(Errc::kInvalidArgument,
                      "give the job's energy with exactly one of --energy, "
                      "--from-run or --from-estimate");
  }
  report::PlanJob job;
  if (!a.energy.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(job.energy, parse_energy(a.energy, "--energy"));
    job.method = Method::kEstimated;
    job.energy_source = "given with --energy";
  } else if (!a.from_run.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                              read_input(a.from_run, "--from-run"));
    MLCARBON_ASSIGN_OR_RETURN(job,
                              report::plan_job_from_run_json(text, a.from_run));
  } else {
    MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                              read_input(a.from_estimate, "--from-estimate"));
    MLCARBON_ASSIGN_OR_RETURN(
        job, report::plan_job_from_estimate_json(text, a.from_estimate));
  }
  if (!a.duration.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(job.duration,
                              parse_duration(a.duration, "--duration"));
    job.duration_source = "given with --duration";
  }
  return job;
}

Result<int> convert(const PlanArgs& a) {
  MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                            read_input(a.convert_gb, "--convert-gb"));
  MLCARBON_ASSIGN_OR_RETURN(
      const std::string csv,
      carbon::convert_gb_carbon_intensity(text, a.convert_gb));
  MLCARBON_RETURN_IF_ERROR(report::write_output(a.output, csv));
  return static_cast<int>(ExitCode::kSuccess);
}

Result<int> run_plan(const PlanArgs& a) {
  if (!a.convert_gb.empty())
    return convert(a);
  if (a.forecast.empty() && a.regions.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "give --forecast FILE (when to start), --regions LIST "
                      "(where to run), or both");
  }
  report::PlanReport r;
  MLCARBON_ASSIGN_OR_RETURN(r.job, read_job(a));
  if (a.pue) {
    r.pue = *a.pue;
    r.pue_source = "given with --pue";
  } else if (r.job.pue) {
    r.pue = *r.job.pue;
    r.pue_source = "the estimate's";
  } else {
    r.pue = carbon::kLocalPue;
    r.pue_source = "a machine outside a data centre; give --pue for one";
  }
  if (!a.forecast.empty()) {
    if (!r.job.duration) {
      return make_error(Errc::kInvalidArgument,
                        "--duration is needed: the job's energy is spread "
                        "over its duration, and {} gives none",
                        r.job.energy_source);
    }
    MLCARBON_ASSIGN_OR_RETURN(const carbon::IntensitySeries forecast,
                              carbon::read_series(a.forecast));
    carbon::PlanWindow window;
    MLCARBON_ASSIGN_OR_RETURN(window.earliest,
                              time_flag(a.earliest, "--earliest"));
    MLCARBON_ASSIGN_OR_RETURN(window.deadline,
                              time_flag(a.deadline, "--deadline"));
    MLCARBON_ASSIGN_OR_RETURN(const WallTime now, wall_now());
    const carbon::Job job{r.job.energy, *r.job.duration, r.pue};
    MLCARBON_ASSIGN_OR_RETURN(carbon::StartPlan plan,
                              carbon::plan_start(forecast, job, window, now));
    r.start =
        report::StartSection{a.forecast, forecast.points().front().start,
                             forecast.end(), window.deadline.has_value(), plan};
  }
  if (!a.regions.empty()) {
    std::vector<std::string> codes;
    for (std::string_view code : split(a.regions, ','))
      codes.emplace_back(trim(code));
    auto options = carbon::compare_regions(carbon::RegionTable::builtin(),
                                           codes, r.job.energy, a.pue);
    if (!options) {
      return tl::unexpected(
          std::move(options).error().with_context("--regions"));
    }
    r.regions = std::move(*options);
  }
  if (!a.json.empty()) {
    MLCARBON_ASSIGN_OR_RETURN(const std::string json, report::plan_json(r));
    MLCARBON_RETURN_IF_ERROR(report::write_output(a.json, json));
    if (a.json == "-")
      return static_cast<int>(ExitCode::kSuccess);
  }
  MLCARBON_RETURN_IF_ERROR(report::write_output("-", report::plan_text(r)));
  return static_cast<int>(ExitCode::kSuccess);
}

}  // namespace

Action setup_plan(CLI::App& sub) {
  auto a = std::make_shared<PlanArgs>();
  sub.add_option("--forecast", a->forecast,
                 "Forecast of the grid's intensity, a CSV (docs/plan.md): "
                 "find the start with the least emissions")
      ->type_name("FILE");
  sub.add_option("--energy", a->energy,
                 "The job's energy at the machine, e.g. 12kWh or 500Wh")
      ->type_name("ENERGY");
  sub.add_option("--duration", a->duration,
                 "How long the job runs, e.g. 3h or 90m (the energy is drawn "
                 "evenly over it)")
      ->type_name("DURATION");
  sub.add_option("--from-run", a->from_run,
                 "Take energy and duration from a run of mlcarbon measure "
                 "--json")
      ->type_name("FILE");
  sub.add_option("--from-estimate", a->from_estimate,
                 "Take the energy of the search and training of mlcarbon "
                 "estimate --json (give --duration)")
      ->type_name("FILE");
  sub.add_option("--earliest", a->earliest,
                 "Start no earlier than T (ISO 8601; default: now, or the "
                 "forecast's start if later)")
      ->type_name("T");
  sub.add_option("--deadline", a->deadline,
                 "Finish by T (ISO 8601; default: the forecast's end)")
      ->type_name("T");
  sub.add_option("--regions", a->regions,
                 "Compare these regions from the project's tables, e.g. "
                 "DE,FR,PL,gcp:europe-west1")
      ->type_name("LIST");
  sub.add_option("--pue", a->pue,
                 "Power usage effectiveness of the facility (default: 1.0 "
                 "under a forecast, each region's own with --regions)")
      ->type_name("PUE");
  sub.add_option("--json", a->json,
                 "Write the plan as JSON to FILE (- = stdout)")
      ->type_name("FILE");
  auto* convert_opt =
      sub.add_option("--convert-gb", a->convert_gb,
                     "Convert an answer of the GB Carbon Intensity API "
                     "(JSON) to the forecast CSV, and stop")
          ->type_name("FILE");
  sub.add_option("--output", a->output,
                 "Where --convert-gb writes the CSV (default: - = stdout)")
      ->type_name("FILE")
      ->needs(convert_opt);
  return [a]() { return run_plan(*a); };
}

}  // namespace mlcarbon::cli
