// SPDX-License-Identifier: Apache-2.0
// The paper's formulas (section 3): T = E·D·I·θ, CT = Σ T_h, inference I·e,
// E_life = CT + T + I·e, CO2eq = E_life · EF; PUE on every phase.
#include "mlcarbon/lifecycle/estimate.h"

#include <algorithm>
#include <cmath>

#include "mlcarbon/carbon/equivalents.h"
#include "mlcarbon/core/units.h"

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

// Device energy of one training run, joules, before PUE.
Result<Range> training_j(const TrainingSpec& t, std::string_view origin) {
  switch (t.method) {
    case EnergyMethod::kModelBased:
      return t.epochs * t.samples * t.energy_per_inference_j * t.overhead;
    case EnergyMethod::kMeasured:
      if (t.measured_run)
        return measured_j(t.measured_run, origin);
      return t.energy_kwh * kJoulesPerKwh;
    case EnergyMethod::kResourceTime:
      return t.devices * t.power_w * t.hours * kSecondsPerHour;
  }
  return Range{};
}

bool finite(const Range& r) {
  return std::isfinite(r.low) && std::isfinite(r.central) &&
         std::isfinite(r.high);
}

// Inputs near the largest double multiply to infinity (or 0 · inf = NaN),
// which reports would print as "inf" or null: refuse, naming the phase.
Status check_finite(const Footprint& f, std::string_view origin) {
  for (std::size_t p = 0; p < kPhaseCount; ++p) {
    const auto& ph = f.phases[p];
    if (ph && !(finite(ph->device_energy_j) && finite(ph->energy_kwh) &&
                finite(ph->co2e_kg))) {
      return make_error(Errc::kInvalidArgument,
                        "{}: the {} energy is too large to compute (not a "
                        "finite number): check the magnitudes of its inputs",
                        origin, to_string(static_cast<Phase>(p)));
    }
  }
  const bool ok = finite(f.energy_kwh) && finite(f.co2e_kg) &&
                  (!f.energy_per_call_j || finite(*f.energy_per_call_j)) &&
                  (!f.break_even_calls || finite(*f.break_even_calls));
  if (!ok) {
    return make_error(Errc::kInvalidArgument,
                      "{}: the life-cycle footprint is too large to compute "
                      "(not a finite number): check the magnitudes of the "
                      "inputs",
                      origin);
  }
  return {};
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
      MLCARBON_ASSIGN_OR_RETURN(Range t,
                                training_j(s.search->per_trial, s.origin));
      device[0] = s.search->trials * t;
      method[0] = s.search->per_trial.method;
    } else {
      Range sum;
      method[0] = s.search->runs.front().method;
      for (const auto& run : s.search->runs) {
        MLCARBON_ASSIGN_OR_RETURN(Range t, training_j(run, s.origin));
        sum = sum + t;
        method[0] = weakest(method[0], run.method);
      }
      device[0] = sum;
    }
  }
  if (s.training) {
    MLCARBON_ASSIGN_OR_RETURN(device[1], training_j(*s.training, s.origin));
    method[1] = s.training->method;
  }
  if (s.inference) {
    const InferenceSpec& inf = *s.inference;
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
  }
  MLCARBON_RETURN_IF_ERROR(check_finite(f, s.origin));
  const GramsCo2e grams(f.co2e_kg.central * 1000.0);
  f.equivalents.car_years = carbon::car_years(grams);
  f.equivalents.car_km = carbon::car_km(grams);
  f.equivalents.flight_km = carbon::flight_km(grams);
  if (auto flight = carbon::find_flight("nyc-sf"))
    f.equivalents.flights_nyc_sf = carbon::flights(grams, *flight);
  return f;
}

Result<std::vector<SweepPoint>> sweep(const Scenario& scenario,
                                      std::string_view key, double start,
                                      double stop, std::size_t count) {
  if (count == 0) {
    return make_error(Errc::kInvalidArgument,
                      "sweep {}: the count must be at least 1", key);
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
