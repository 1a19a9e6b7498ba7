// SPDX-License-Identifier: Apache-2.0
// --what-if and --sweep: set one input of a parsed Scenario by its key.
#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/lifecycle/estimate.h"

#include "bounds.h"

namespace mlcarbon::lifecycle {
namespace {

using detail::Bound;

constexpr std::array<std::string_view, 9> kTrainingKeys = {
    "samples",  "epochs",     "energy_per_inference_j",
    "overhead", "energy_kwh", "hours",
    "days",     "devices",    "power_w"};

const std::vector<std::string>& all_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"region",
                                  "pue",
                                  "hardware",
                                  "carbon_intensity_g_per_kwh",
                                  "carbon_intensity_kg_per_kwh",
                                  "carbon_intensity_lb_per_kwh",
                                  "search.trials",
                                  "inference.energy_per_call_j",
                                  "inference.calls_in_run",
                                  "inference.calls",
                                  "inference.rate_per_s",
                                  "inference.lifetime_days"};
    for (auto t : kTrainingKeys) {
      if (t.empty())
        continue;
      k.push_back(fmt::format("training.{}", t));
      k.push_back(fmt::format("search.per_trial.{}", t));
    }
    return k;
  }();
  return keys;
}

tl::unexpected<Error> unknown_key(std::string_view key) {
  std::string message = fmt::format("unknown what-if key '{}'", key);
  if (auto best = suggest(key, all_keys())) {
    message += fmt::format(", did you mean '{}'?", *best);
  }
  return tl::unexpected(Error(Errc::kInvalidArgument, message)
                            .with_remedy("keys are the scenario's fields, "
                                         "e.g. region, training.epochs, "
                                         "inference.calls"));
}

Status checked(std::string_view key, Range v, Bound bound) {
  if (auto ok = detail::check_bound(v, bound); !ok) {
    return make_error(Errc::kInvalidArgument, "{}: {}", key,
                      ok.error().message());
  }
  return {};
}

tl::unexpected<Error> wrong_method(std::string_view key, std::string_view where,
                                   EnergyMethod method) {
  return tl::unexpected(
      Error(Errc::kInvalidArgument,
            fmt::format("{}: {} is given by {}, which has no such input", key,
                        where, to_string(method))));
}

Status set_training(TrainingSpec& t, std::string_view key,
                    std::string_view where, std::string_view field, Range v) {
  struct Field {
    std::string_view name;
    EnergyMethod method;
    Range TrainingSpec::*member;
  };
  static constexpr std::array<Field, 8> kFields = {
      Field{"samples", EnergyMethod::kModelBased, &TrainingSpec::samples},
      Field{"epochs", EnergyMethod::kModelBased, &TrainingSpec::epochs},
      Field{"energy_per_inference_j", EnergyMethod::kModelBased,
            &TrainingSpec::energy_per_inference_j},
      Field{"overhead", EnergyMethod::kModelBased, &TrainingSpec::overhead},
      Field{"energy_kwh", EnergyMethod::kMeasured, &TrainingSpec::energy_kwh},
      Field{"hours", EnergyMethod::kResourceTime, &TrainingSpec::hours},
      Field{"devices", EnergyMethod::kResourceTime, &TrainingSpec::devices},
      Field{"power_w", EnergyMethod::kResourceTime, &TrainingSpec::power_w}};
  MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kPositive));
  if (field == "days") {
    field = "hours";
    v = v * 24.0;
  }
  for (const auto& f : kFields) {
    if (f.name != field)
      continue;
    if (f.name == "energy_kwh") {
      // A measured total replaces whatever the phase was given by.
      t.method = EnergyMethod::kMeasured;
      t.measured_run.reset();
    } else if (f.method != t.method) {
      return wrong_method(key, where, t.method);
    }
    t.*f.member = v;
    return {};
  }
  return unknown_key(key);
}

Status set_inference(InferenceSpec& inf, std::string_view key,
                     std::string_view field, Range v) {
  if (field == "energy_per_call_j") {
    MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kPositive));
    inf.method = EnergyMethod::kModelBased;
    inf.measured_run.reset();
    inf.energy_per_call_j = v;
  } else if (field == "calls") {
    MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kNonNegative));
    inf.calls_from_rate = false;
    inf.calls = v;
  } else if (field == "calls_in_run") {
    MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kPositive));
    if (inf.method != EnergyMethod::kMeasured)
      return wrong_method(key, "inference", inf.method);
    inf.calls_in_run = v;
  } else if (field == "rate_per_s" || field == "lifetime_days") {
    const bool rate = field == "rate_per_s";
    MLCARBON_RETURN_IF_ERROR(
        checked(key, v, rate ? Bound::kNonNegative : Bound::kPositive));
    if (!inf.calls_from_rate) {
      return make_error(Errc::kInvalidArgument,
                        "{}: inference is given by 'calls'; set "
                        "inference.calls instead",
                        key);
    }
    (rate ? inf.rate_per_s : inf.lifetime_days) = v;
  } else {
    return unknown_key(key);
  }
  return {};
}

tl::unexpected<Error> no_phase(std::string_view key, std::string_view phase) {
  return tl::unexpected(
      Error(Errc::kInvalidArgument,
            fmt::format("{}: the scenario has no {} phase", key, phase)));
}

}  // namespace

Status apply_override(Scenario& s, std::string_view key, Range v) {
  struct Unit {
    std::string_view key;
    double grams;
  };
  static constexpr std::array<Unit, 3> kIntensity = {
      Unit{"carbon_intensity_g_per_kwh", 1.0},
      Unit{"carbon_intensity_kg_per_kwh", 1000.0},
      Unit{"carbon_intensity_lb_per_kwh", kGramsPerPound}};
  if (key == "pue") {
    MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kPue));
    s.pue = v;
    return {};
  }
  for (const auto& u : kIntensity) {
    if (key == u.key) {
      MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kNonNegative));
      s.intensity_g_per_kwh = v * u.grams;
      s.region_code.clear();
      s.region_name.clear();
      s.intensity_source = fmt::format("{} (what-if)", key);
      return {};
    }
  }
  constexpr std::string_view kTraining = "training.";
  constexpr std::string_view kPerTrial = "search.per_trial.";
  constexpr std::string_view kInference = "inference.";
  if (key.starts_with(kTraining)) {
    if (!s.training)
      return no_phase(key, "training");
    return set_training(*s.training, key, "training",
                        key.substr(kTraining.size()), v);
  }
  if (key == "search.trials" || key.starts_with(kPerTrial)) {
    if (!s.search)
      return no_phase(key, "search");
    if (!s.search->runs.empty()) {
      return make_error(Errc::kInvalidArgument,
                        "{}: search is given as a list of runs; only "
                        "'trials' with 'per_trial' can be changed",
                        key);
    }
    if (key == "search.trials") {
      MLCARBON_RETURN_IF_ERROR(checked(key, v, Bound::kPositive));
      s.search->trials = v;
      return {};
    }
    return set_training(s.search->per_trial, key, "search.per_trial",
                        key.substr(kPerTrial.size()), v);
  }
  if (key.starts_with(kInference)) {
    if (!s.inference)
      return no_phase(key, "inference");
    return set_inference(*s.inference, key, key.substr(kInference.size()), v);
  }
  if (key == "region" || key == "hardware") {
    return make_error(Errc::kInvalidArgument, "{} takes a name, not a number",
                      key);
  }
  return unknown_key(key);
}

Status apply_override(Scenario& s, std::string_view key, std::string_view value,
                      const carbon::RegionTable* regions) {
  if (key == "region") {
    const auto& table =
        regions != nullptr ? *regions : carbon::RegionTable::builtin();
    auto found = table.find(trim(value));
    if (!found) {
      return tl::unexpected(
          Error(Errc::kInvalidArgument,
                fmt::format("region: {}", found.error().to_string())));
    }
    const carbon::Region& r = **found;
    detail::use_region(s, r);
    return {};
  }
  if (key == "hardware") {
    MLCARBON_ASSIGN_OR_RETURN(s.hardware, detail::parse_hardware(value));
    return {};
  }
  auto v = parse_range(value);
  if (!v) {
    return make_error(Errc::kInvalidArgument, "{}: {}", key,
                      v.error().message());
  }
  return apply_override(s, key, *v);
}

}  // namespace mlcarbon::lifecycle
