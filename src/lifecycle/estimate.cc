// SPDX-License-Identifier: Apache-2.0
// The paper's formulas (section 3): T = E·D·I·θ, CT = Σ T_h, inference I·e,
// E_life = CT + T + I·e, CO2eq = E_life · EF; PUE on every phase.
#include "mlcarbon/lifecycle/estimate.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/carbon/embodied.h"
#include "mlcarbon/carbon/equivalents.h"
#include "mlcarbon/core/units.h"

#include "schema.h"

namespace mlcarbon::lifecycle {
namespace {

constexpr double kSecondsPerHour = 3600.0;
constexpr double kSecondsPerDay = 86400.0;

Result<Range> measured_j(const std::optional<MeasuredRun>& run,
                         std::string_view origin) {
  if (!run->energy_j) {
    return make_error(Errc::kInvalidArgument,
                      "{}:{}:{}: measured_run '{}' was not read (call "
                      "resolve_measured_runs first)",
                      origin, run->pos.line, run->pos.column, run->path);
  }
  return Range::exact(*run->energy_j);
}

// I of a phase whose energy comes from a model is known only once
// resolve_model_inputs() ran.
Status check_resolved(const std::optional<ModelRequest>& model) {
  if (model && !model->resolved) {
    return make_error(Errc::kInvalidArgument,
                      "{}:{}:{}: {}.{}: '{}' was not resolved: the "
                      "model's energy is obtained before estimating "
                      "(mlcarbon estimate does it; a library caller calls "
                      "lifecycle::resolve_model_inputs)",
                      model->origin, model->way_pos.line, model->way_pos.column,
                      model->where, model->field, to_string(model->way));
  }
  return {};
}

bool finite(Range r) {
  return std::isfinite(r.low) && std::isfinite(r.central) &&
         std::isfinite(r.high);
}

// A figure that overflowed (or became NaN from an overflow): an error that
// names the inputs it was computed from. Kept out of line: the happy path of
// a sweep must not build these strings.
[[gnu::cold]] tl::unexpected<Error> not_finite(std::string_view origin,
                                               std::string_view what, Range r,
                                               std::string_view unit,
                                               std::string_view inputs) {
  const double bad = !std::isfinite(r.high)      ? r.high
                     : !std::isfinite(r.central) ? r.central
                                                 : r.low;
  return tl::unexpected(
      Error(Errc::kInvalidArgument,
            fmt::format("{}: the {} is {} {}, not a finite number; it is "
                        "computed from {}",
                        origin, what, bad, unit, inputs))
          .with_remedy("an input is too large for a double: check its "
                       "value and unit"));
}

// The inputs of one training run's energy, for errors.
std::string training_inputs(const TrainingSpec& t, std::string_view where) {
  if (t.method == EnergyMethod::kMeasured && t.measured_run) {
    return fmt::format("{}.measured_run ('{}')", where, t.measured_run->path);
  }
  return detail::inputs_of("training", t.method, where);
}

// Device energy of one training run, joules, before PUE. `where` is its
// block ("training"), with `run` > 0 the list search.runs[run].
Result<Range> training_j(const TrainingSpec& t, std::string_view origin,
                         std::string_view where, std::size_t run = 0) {
  Range j;
  switch (t.method) {
    case EnergyMethod::kModelBased:
      MLCARBON_RETURN_IF_ERROR(check_resolved(t.model));
      j = t.epochs * t.samples * t.energy_per_inference_j * t.overhead;
      break;
    case EnergyMethod::kMeasured:
      if (t.measured_run) {
        MLCARBON_ASSIGN_OR_RETURN(j, measured_j(t.measured_run, origin));
      } else {
        j = t.energy_kwh * kJoulesPerKwh;
      }
      break;
    case EnergyMethod::kResourceTime:
      j = t.devices * t.power_w * t.hours * kSecondsPerHour;
      break;
  }
  if (!finite(j)) {
    const std::string block =
        run > 0 ? fmt::format("{}[{}]", where, run) : std::string(where);
    return not_finite(origin, fmt::format("{} energy", block), j, "J",
                      training_inputs(t, block));
  }
  return j;
}

// The least direct method of several: one estimated trial makes the sum an
// estimate.
EnergyMethod weakest(EnergyMethod a, EnergyMethod b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

}  // namespace

std::string_view to_string(Phase phase) {
  switch (phase) {
    case Phase::kSearch:
      return "search";
    case Phase::kTraining:
      return "training";
    case Phase::kInference:
      return "inference";
  }
  return "search";
}

Result<Footprint> estimate(const Scenario& s) {
  Footprint f;
  f.name = s.name;
  f.pue = s.effective_pue();
  f.intensity_g_per_kwh = s.intensity_g_per_kwh;
  std::array<std::optional<Range>, kPhaseCount> device;
  std::array<EnergyMethod, kPhaseCount> method{};
  if (s.search) {
    if (s.search->runs.empty()) {
      MLCARBON_ASSIGN_OR_RETURN(
          Range t,
          training_j(s.search->per_trial, s.origin, "search.per_trial"));
      device[0] = s.search->trials * t;
      method[0] = s.search->per_trial.method;
    } else {
      Range sum;
      method[0] = s.search->runs.front().method;
      for (std::size_t i = 0; i < s.search->runs.size(); ++i) {
        const TrainingSpec& run = s.search->runs[i];
        MLCARBON_ASSIGN_OR_RETURN(
            Range t, training_j(run, s.origin, "search.runs", i + 1));
        sum = sum + t;
        method[0] = weakest(method[0], run.method);
      }
      device[0] = sum;
    }
    if (!finite(*device[0])) {
      return not_finite(
          s.origin, "search energy", *device[0], "J",
          s.search->runs.empty()
              ? "search.trials, " +
                    training_inputs(s.search->per_trial, "search.per_trial")
              : std::string("the sum of search.runs"));
    }
  }
  if (s.training) {
    MLCARBON_ASSIGN_OR_RETURN(device[1],
                              training_j(*s.training, s.origin, "training"));
    method[1] = s.training->method;
  }
  if (s.inference) {
    const InferenceSpec& inf = *s.inference;
    MLCARBON_RETURN_IF_ERROR(check_resolved(inf.model));
    Range per_call = inf.energy_per_call_j;
    if (inf.method == EnergyMethod::kMeasured) {
      MLCARBON_ASSIGN_OR_RETURN(Range run_j,
                                measured_j(inf.measured_run, s.origin));
      per_call = run_j / inf.calls_in_run;
    }
    const Range calls =
        inf.calls_from_rate
            ? inf.rate_per_s * inf.lifetime_days * kSecondsPerDay
            : inf.calls;
    f.energy_per_call_j = per_call;
    device[2] = per_call * calls;
    method[2] = inf.method;
    if (!finite(per_call) || !finite(calls) || !finite(*device[2])) {
      std::string inputs = inf.method == EnergyMethod::kMeasured
                               ? fmt::format(
                                     "inference.measured_run ('{}'), "
                                     "inference.calls_in_run",
                                     inf.measured_run->path)
                               : std::string("inference.energy_per_call_j");
      inputs += inf.calls_from_rate
                    ? ", inference.rate_per_s, inference.lifetime_days"
                    : ", inference.calls";
      return not_finite(s.origin, "inference energy", *device[2], "J", inputs);
    }
  }
  Range total_j;
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    if (!device[p])
      continue;
    PhaseFootprint ph;
    ph.method = method[p];
    ph.device_energy_j = *device[p];
    ph.energy_kwh = *device[p] * f.pue / kJoulesPerKwh;
    ph.co2e_kg = ph.energy_kwh * f.intensity_g_per_kwh / 1000.0;
    total_j = total_j + *device[p];
    f.phases[p] = ph;
  }
  f.energy_kwh = total_j * f.pue / kJoulesPerKwh;
  f.co2e_kg = f.energy_kwh * f.intensity_g_per_kwh / 1000.0;
  // Each phase is finite; their sum, PUE and EF can still overflow, and
  // then so may a phase's CO2e (never more than the total's).
  if (!finite(total_j) || !finite(f.energy_kwh)) {
    std::string inputs;
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
      if (device[p])
        inputs += fmt::format("{}, ", to_string(static_cast<Phase>(p)));
    }
    return not_finite(s.origin, "life-cycle energy",
                      finite(total_j) ? f.energy_kwh : total_j,
                      finite(total_j) ? "kWh" : "J", inputs + "pue");
  }
  if (!finite(f.co2e_kg)) {
    return not_finite(s.origin, "life-cycle CO2e", f.co2e_kg, "kg",
                      "the energy and the carbon intensity");
  }
  for (auto& ph : f.phases) {
    if (ph && total_j.central > 0.0)
      ph->share = ph->device_energy_j.central / total_j.central;
  }
  if (device[2] && (device[0] || device[1]) && f.energy_per_call_j &&
      f.energy_per_call_j->low > 0.0) {
    // PUE and EF apply to every phase alike, so they cancel.
    const Range before =
        device[0].value_or(Range{}) + device[1].value_or(Range{});
    f.break_even_calls = before / *f.energy_per_call_j;
    if (!finite(*f.break_even_calls)) {
      return not_finite(s.origin, "break-even point", *f.break_even_calls,
                        "calls",
                        "the search and training energy divided by the "
                        "inference energy per call");
    }
  }
  if (!s.embodied.empty()) {
    const carbon::EmbodiedTable& table = carbon::EmbodiedTable::builtin();
    Range kg;
    for (const EmbodiedDevices& e : s.embodied) {
      auto factor = table.find(e.device, e.model);
      if (!factor) {
        return make_error(Errc::kInvalidArgument, "{}:{}:{}: embodied: {}",
                          s.origin, e.pos.line, e.pos.column,
                          factor.error().message());
      }
      const carbon::EmbodiedFactor& row = **factor;
      const Range g_per_hour{row.g_per_hour_low(), row.g_per_hour(),
                             row.g_per_hour_high()};
      kg = kg + e.count * e.hours * g_per_hour / 1000.0;
      f.embodied_terms.push_back(
          row.describe(e.count.central, e.hours.central));
    }
    if (!finite(kg)) {
      return not_finite(s.origin, "embodied CO2e", kg, "kg",
                        "embodied counts and hours");
    }
    f.embodied_co2e_kg = kg;
  }
  const GramsCo2e grams(f.co2e_kg.central * 1000.0);
  f.equivalents.car_years = carbon::car_years(grams);
  f.equivalents.car_km = carbon::car_km(grams);
  f.equivalents.flight_km = carbon::flight_km(grams);
  if (auto flight = carbon::find_flight("nyc-sf"))
    f.equivalents.flights_nyc_sf = carbon::flights(grams, *flight);
  if (!std::isfinite(f.equivalents.car_km) ||
      !std::isfinite(f.equivalents.flight_km)) {
    return not_finite(s.origin, "CO2e in grams", Range::exact(grams.value()),
                      "g", "the life-cycle CO2e");
  }
  return f;
}

Result<std::vector<SweepPoint>> sweep(const Scenario& scenario,
                                      std::string_view key, double start,
                                      double stop, std::size_t count) {
  if (count == 0) {
    return make_error(Errc::kInvalidArgument,
                      "sweep {}: the count must be at least 1", key);
  }
  if (count > kMaxSweepPoints) {
    return make_error(Errc::kInvalidArgument,
                      "sweep {}: {} points are more than the {} a sweep may "
                      "have",
                      key, count, kMaxSweepPoints);
  }
  if (!std::isfinite(start) || !std::isfinite(stop)) {
    return make_error(Errc::kInvalidArgument,
                      "sweep {}: start and stop must be finite numbers", key);
  }
  std::vector<SweepPoint> points;
  points.reserve(count);
  Scenario s = scenario;
  for (std::size_t i = 0; i < count; ++i) {
    const double v = count == 1
                         ? start
                         : start + (stop - start) * static_cast<double>(i) /
                                       static_cast<double>(count - 1);
    MLCARBON_RETURN_IF_ERROR(apply_override(s, key, Range::exact(v)));
    MLCARBON_ASSIGN_OR_RETURN(Footprint f, estimate(s));
    points.push_back(SweepPoint{v, std::move(f)});
  }
  return points;
}

}  // namespace mlcarbon::lifecycle
