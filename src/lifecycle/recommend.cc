// SPDX-License-Identifier: Apache-2.0
// Quantified recommendations: each what-if is computed from the scenario's
// own footprint; rules of thumb from the literature are marked as such.
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/lifecycle/estimate.h"
#include "mlcarbon/lifecycle/schedule.h"

namespace mlcarbon::lifecycle {
namespace {

std::string kg(double v) {
  if (v >= 1e6)
    return fmt::format("{:.3g} kt", v / 1e6);
  if (v >= 1e3)
    return fmt::format("{:.3g} t", v / 1e3);
  if (v >= 1.0)
    return fmt::format("{:.3g} kg", v);
  return fmt::format("{:.3g} g", v * 1e3);
}

// The total with one phase scaled by `k`. Component-wise subtraction is
// exact here: every end of the total is the sum of the phases' same ends.
Range with_phase_scaled(Range total, Range phase, double k) {
  return Range{total.low - phase.low * (1.0 - k),
               total.central - phase.central * (1.0 - k),
               total.high - phase.high * (1.0 - k)};
}

std::string pct(double fraction) {
  return fmt::format("{:.1f} %", fraction * 100.0);
}

void add_region(const Footprint& f, const carbon::RegionTable& table,
                std::vector<Recommendation>& out) {
  std::vector<const carbon::Region*> countries;
  for (const auto& r : table.regions()) {
    // A zero intensity is a gap in the source data, not a clean grid.
    if (r.kind == carbon::RegionKind::kCountry && r.intensity.value() > 0.0)
      countries.push_back(&r);
  }
  if (countries.empty())
    return;
  std::sort(countries.begin(), countries.end(),
            [](auto* a, auto* b) { return a->intensity < b->intensity; });
  const carbon::Region& cleanest = *countries.front();
  const carbon::Region& median = *countries[countries.size() / 2];
  const Range at_cleanest =
      f.energy_kwh * (cleanest.intensity.value() / 1000.0);
  const Range at_median = f.energy_kwh * (median.intensity.value() / 1000.0);
  Recommendation r;
  r.topic = "region";
  r.co2e_kg = at_cleanest;
  r.summary = fmt::format(
      "The same energy in {} ({}, {:.0f} g/kWh, the cleanest country in the "
      "table) would emit {} instead of {}; in {} ({}, {:.0f} g/kWh, the "
      "median country) {}.",
      cleanest.name, cleanest.code, cleanest.intensity.value(),
      kg(at_cleanest.central), kg(f.co2e_kg.central), median.name, median.code,
      median.intensity.value(), kg(at_median.central));
  r.source =
      "Gitzel et al. 2023, section 3.4 (location is the easiest lever, after "
      "Patterson et al. 2021); intensities from data/";
  out.push_back(std::move(r));
}

void add_hardware(const Scenario& s, const Footprint& f,
                  std::vector<Recommendation>& out) {
  const std::string_view source =
      "Gitzel et al. 2023, section 3.1, after Lacoste et al. 2019: a GPU is "
      "about 10x more efficient than a CPU for deep learning, a TPU 4 to 8x "
      "more than a GPU";
  if (s.hardware == Hardware::kCpu || s.hardware == Hardware::kUnknown) {
    Recommendation r;
    r.topic = "hardware";
    r.rule_of_thumb = true;
    r.co2e_kg = f.co2e_kg / 10.0;
    r.summary =
        fmt::format("{} GPUs would need about 10x less energy: {}.",
                    s.hardware == Hardware::kCpu ? "This runs on CPUs;"
                                                 : "If this runs on CPUs,",
                    kg(f.co2e_kg.central / 10.0));
    r.source = source;
    out.push_back(std::move(r));
  }
  if (s.hardware == Hardware::kGpu || s.hardware == Hardware::kUnknown) {
    Recommendation r;
    r.topic = "hardware";
    r.rule_of_thumb = true;
    const Range tpu{f.co2e_kg.low / 8.0, f.co2e_kg.central / 6.0,
                    f.co2e_kg.high / 4.0};
    r.co2e_kg = tpu;
    r.summary =
        fmt::format("{} TPUs would need 4 to 8x less energy: {} to {}.",
                    s.hardware == Hardware::kGpu ? "This runs on GPUs;"
                                                 : "If this runs on GPUs,",
                    kg(f.co2e_kg.central / 8.0), kg(f.co2e_kg.central / 4.0));
    r.source = source;
    out.push_back(std::move(r));
  }
}

void add_search(const Scenario& s, const Footprint& f,
                std::vector<Recommendation>& out) {
  const auto& search = f.phase(Phase::kSearch);
  if (!search || !s.search)
    return;
  const double trials = s.search->runs.empty()
                            ? s.search->trials.central
                            : static_cast<double>(s.search->runs.size());
  const double per_trial = search->co2e_kg.central / trials;
  Recommendation r;
  r.topic = "search";
  // Half the trials: random search reaches grid search's result with far
  // fewer trials (Bergstra and Bengio 2012, via Lacoste et al. 2019).
  r.co2e_kg = with_phase_scaled(f.co2e_kg, search->co2e_kg, 0.5);
  r.rule_of_thumb = true;
  r.summary = fmt::format(
      "Architecture search is {} of the life cycle: {:.4g} trials at {} each. "
      "Every trial saved saves {}; random search instead of grid search, or "
      "half the trials, would give {} in total.",
      pct(search->share), trials, kg(per_trial), kg(per_trial),
      kg(f.co2e_kg.central - search->co2e_kg.central / 2.0));
  r.source =
      "Gitzel et al. 2023, section 3.3: grid search is the worst approach, "
      "random search is preferable (Lacoste et al. 2019); a known "
      "architecture can remove the search (Patterson et al. 2021)";
  out.push_back(std::move(r));
}

void add_inference(const Footprint& f, std::vector<Recommendation>& out) {
  const auto& inference = f.phase(Phase::kInference);
  if (!inference)
    return;
  Recommendation r;
  r.topic = "inference";
  // Pruning, quantization and distillation cut computation 5-10x
  // (Patterson et al. 2021, 2022); 5x is the cautious end.
  r.co2e_kg = with_phase_scaled(f.co2e_kg, inference->co2e_kg, 0.2);
  r.rule_of_thumb = true;
  std::string summary = fmt::format(
      "Inference is {} of the life cycle (the paper expects 80-90 % for a "
      "model in wide use).",
      pct(inference->share));
  if (f.break_even_calls) {
    summary +=
        fmt::format(" It outweighs search and training after {:.3g} calls.",
                    f.break_even_calls->central);
  }
  summary += fmt::format(
      " A model 5x cheaper to run (pruning, quantization, distillation) "
      "would give {} in total.",
      kg(f.co2e_kg.central - inference->co2e_kg.central * 0.8));
  r.summary = std::move(summary);
  r.source =
      "Gitzel et al. 2023, sections 3.1 and 5; computation cut 5-10x by a "
      "better model (Patterson et al. 2021, 2022)";
  out.push_back(std::move(r));
}

}  // namespace

std::vector<Recommendation> recommend(const Scenario& scenario,
                                      const Footprint& footprint,
                                      const carbon::RegionTable* regions) {
  const auto& table =
      regions != nullptr ? *regions : carbon::RegionTable::builtin();
  std::vector<Recommendation> out;
  add_region(footprint, table, out);
  add_hardware(scenario, footprint, out);
  add_search(scenario, footprint, out);
  add_inference(footprint, out);
  return out;
}

// The schedule advice (lifecycle/schedule.h) shares kg() with the rest.
std::string SchedulableEnergy::label() const {
  std::string out;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    if (i > 0)
      out += " and ";
    out += to_string(phases[i]);
  }
  return out;
}

SchedulableEnergy schedulable_energy(const Footprint& footprint) {
  SchedulableEnergy s;
  for (Phase p : {Phase::kSearch, Phase::kTraining}) {
    const auto& ph = footprint.phase(p);
    if (!ph)
      continue;
    s.device_energy_j += ph->device_energy_j.central;
    s.co2e_kg = s.co2e_kg + ph->co2e_kg;
    s.phases.push_back(p);
  }
  return s;
}

std::optional<Seconds> scheduled_duration(const Scenario& scenario) {
  if (scenario.search || !scenario.training ||
      scenario.training->method != EnergyMethod::kResourceTime) {
    return std::nullopt;
  }
  return Seconds(scenario.training->hours.central * 3600.0);
}

Result<Recommendation> schedule_recommendation(
    const Footprint& footprint, const carbon::IntensitySeries& forecast,
    Seconds duration, const carbon::PlanWindow& window, WallTime now) {
  const SchedulableEnergy jobs = schedulable_energy(footprint);
  if (jobs.phases.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "a forecast plans when to run the search and training, "
                      "and {} has neither",
                      footprint.name.empty() ? "the scenario" : footprint.name);
  }
  const carbon::Job job{Joules(jobs.device_energy_j), duration,
                        footprint.pue.central};
  MLCARBON_ASSIGN_OR_RETURN(const carbon::StartPlan plan,
                            carbon::plan_start(forecast, job, window, now));
  const std::string what = fmt::format(
      "the {} ({:.3g} kWh with PUE over {})", jobs.label(),
      to_kwh(job.energy).value() * job.pue, format_duration(duration));
  Recommendation r;
  r.topic = "schedule";
  const Range& total = footprint.co2e_kg;
  const double best_kg = plan.best.emissions.value() / 1000.0;
  r.co2e_kg = Range{total.low - jobs.co2e_kg.low + best_kg,
                    total.central - jobs.co2e_kg.central + best_kg,
                    total.high - jobs.co2e_kg.high + best_kg};
  if (plan.best.start == plan.baseline.start) {
    r.summary = fmt::format(
        "Under the forecast {}, {} is best started at {} ({}): no later "
        "start before {} emits less. It emits {} CO2e at {:.0f} g/kWh on "
        "average.",
        forecast.origin(), what, format_time_short(plan.baseline.start),
        carbon::describe(plan.window_start_from),
        format_time_short(plan.window_end),
        kg(plan.baseline.emissions.value() / 1e3),
        plan.baseline.mean_intensity.value());
  } else {
    const double saved = plan.saving().value();
    r.summary = fmt::format(
        "Under the forecast {}, starting {} at {} instead of {} ({}) would "
        "emit {} instead of {} CO2e ({:.0f} instead of {:.0f} g/kWh on "
        "average): {} CO2e saved ({:.1f} %).",
        forecast.origin(), what, format_time_short(plan.best.start),
        carbon::describe(plan.window_start_from),
        format_time_short(plan.baseline.start),
        kg(plan.best.emissions.value() / 1e3),
        kg(plan.baseline.emissions.value() / 1e3),
        plan.best.mean_intensity.value(), plan.baseline.mean_intensity.value(),
        kg(saved / 1e3), 100.0 * saved / plan.baseline.emissions.value());
  }
  r.source =
      "Gitzel et al. 2023, section 3.4 (scheduled execution time, after Xu "
      "et al. and Patterson et al. 2021); mlcarbon plan (docs/plan.md)";
  return r;
}

}  // namespace mlcarbon::lifecycle
