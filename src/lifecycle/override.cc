// SPDX-License-Identifier: Apache-2.0
// --what-if and --sweep: set one input of a parsed Scenario by its key. The
// keys, bounds and units are the scenario's own (schema.cc).
#include <string>
#include <variant>

#include <fmt/format.h>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/lifecycle/estimate.h"

#include "schema.h"

namespace mlcarbon::lifecycle {
namespace {

using detail::Field;

tl::unexpected<Error> unknown_key(std::string_view key) {
  std::string message = fmt::format("unknown what-if key '{}'", key);
  if (auto best = suggest(key, detail::what_if_keys())) {
    message += fmt::format(", did you mean '{}'?", *best);
  }
  return tl::unexpected(Error(Errc::kInvalidArgument, message)
                            .with_remedy("keys are the scenario's fields, "
                                         "e.g. region, training.epochs, "
                                         "inference.calls"));
}

tl::unexpected<Error> wrong_method(std::string_view key, std::string_view where,
                                   EnergyMethod method) {
  return tl::unexpected(
      Error(Errc::kInvalidArgument,
            fmt::format("{}: {} is given by {}, which has no such input", key,
                        where, to_string(method))));
}

tl::unexpected<Error> no_phase(std::string_view key, std::string_view phase) {
  return tl::unexpected(
      Error(Errc::kInvalidArgument,
            fmt::format("{}: the scenario has no {} phase", key, phase)));
}

// A what-if key split into the block of its field, the field, and where in
// the scenario it points ("search.per_trial" for a training field there).
struct Key {
  std::string_view block;
  std::string_view name;
  std::string_view where;
};

Key split_key(std::string_view key) {
  constexpr std::string_view kPerTrial = "search.per_trial.";
  if (key.starts_with(kPerTrial)) {
    return {"training", key.substr(kPerTrial.size()), "search.per_trial"};
  }
  const auto dot = key.find('.');
  if (dot == std::string_view::npos)
    return {"", key, ""};
  return {key.substr(0, dot), key.substr(dot + 1), key.substr(0, dot)};
}

// A what-if figure replaces what a model gave for it.
void relabel(std::optional<ModelRequest>& model, std::string_view field,
             std::string_view key) {
  if (!model)
    return;
  const std::string label = fmt::format("set by the what-if {}", key);
  if (field == model->field) {
    model->source = label;
    model->resolved = true;
    model->measured = false;
  } else if (field == "overhead") {
    model->overhead_source = label;
  }
}

Status set_training(TrainingSpec& t, std::string_view key,
                    std::string_view where, const Field& f,
                    Range TrainingSpec::*member, Range v) {
  if (f.name == "energy_kwh") {
    // A measured total replaces whatever the phase was given by.
    t.method = EnergyMethod::kMeasured;
    t.measured_run.reset();
  } else if (f.way != t.method) {
    return wrong_method(key, where, t.method);
  }
  relabel(t.model, f.name, key);
  t.*member = v;
  return {};
}

Status set_inference(InferenceSpec& inf, std::string_view key, const Field& f,
                     Range InferenceSpec::*member, Range v) {
  if (f.name == "energy_per_call_j") {
    // A given energy per call replaces a measured run.
    inf.method = EnergyMethod::kModelBased;
    inf.measured_run.reset();
  } else if (f.name == "calls") {
    inf.calls_from_rate = false;
  } else if (f.name == "calls_in_run") {
    if (inf.method != EnergyMethod::kMeasured)
      return wrong_method(key, "inference", inf.method);
  } else if (!inf.calls_from_rate) {  // rate_per_s, lifetime_days
    return make_error(Errc::kInvalidArgument,
                      "{}: inference is given by 'calls'; set "
                      "inference.calls instead",
                      key);
  }
  relabel(inf.model, f.name, key);
  inf.*member = v;
  return {};
}

}  // namespace

Status apply_override(Scenario& s, std::string_view key, Range v) {
  const Key k = split_key(key);
  const Field* f = detail::find_field(k.block, k.name);
  if (f == nullptr || f->kind != detail::Kind::kNumber ||
      std::holds_alternative<std::monostate>(f->target)) {
    if (f != nullptr && f->what_if) {
      return make_error(Errc::kInvalidArgument, "{} takes a name, not a number",
                        key);
    }
    return unknown_key(key);
  }
  if (auto ok = detail::check_value(v, *f); !ok) {
    return make_error(Errc::kInvalidArgument, "{}: {}", key,
                      ok.error().message());
  }
  v = v * f->scale;
  if (const auto* m = std::get_if<Range Scenario::*>(&f->target)) {
    // A carbon intensity: it replaces the region's.
    s.*(*m) = v;
    s.region_code.clear();
    s.region_name.clear();
    s.intensity_source = fmt::format("{} (what-if)", key);
    return {};
  }
  if (const auto* m =
          std::get_if<std::optional<Range> Scenario::*>(&f->target)) {
    s.*(*m) = v;
    return {};
  }
  if (const auto* m = std::get_if<Range InferenceSpec::*>(&f->target)) {
    if (!s.inference)
      return no_phase(key, "inference");
    return set_inference(*s.inference, key, *f, *m, v);
  }
  const auto* in_search = std::get_if<Range SearchSpec::*>(&f->target);
  if (in_search != nullptr || k.where == "search.per_trial") {
    if (!s.search)
      return no_phase(key, "search");
    if (!s.search->runs.empty()) {
      return make_error(Errc::kInvalidArgument,
                        "{}: search is given as a list of runs; only "
                        "'trials' with 'per_trial' can be changed",
                        key);
    }
    if (in_search != nullptr) {
      (*s.search).*(*in_search) = v;
      return {};
    }
  } else if (!s.training) {
    return no_phase(key, "training");
  }
  TrainingSpec& t =
      k.where == "search.per_trial" ? s.search->per_trial : *s.training;
  return set_training(t, key, k.where, *f,
                      std::get<Range TrainingSpec::*>(f->target), v);
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

// "key=value" at its first '='.
Result<std::pair<std::string, std::string>> split_assignment(
    std::string_view flag, std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return make_error(Errc::kInvalidArgument,
                      "{} '{}': expected KEY=VALUE, e.g. region=FR", flag,
                      text);
  }
  return std::make_pair(std::string(trim(text.substr(0, eq))),
                        std::string(trim(text.substr(eq + 1))));
}

Result<SweepSpec> parse_sweep_spec(std::string_view text) {
  MLCARBON_ASSIGN_OR_RETURN(auto kv, split_assignment("--sweep", text));
  const auto parts = split(kv.second, ':');
  auto bad = [&]() {
    return make_error(Errc::kInvalidArgument,
                      "--sweep '{}': expected KEY=START:STOP:COUNT, e.g. "
                      "training.epochs=1:20:20",
                      text);
  };
  if (parts.size() != 3)
    return bad();
  auto start = parse_double(trim(parts[0]));
  auto stop = parse_double(trim(parts[1]));
  auto count = parse_u64(trim(parts[2]));
  if (!start || !stop || !count || *count == 0)
    return bad();
  if (*count > kMaxSweepPoints) {
    return make_error(Errc::kInvalidArgument,
                      "--sweep '{}': {} points are more than the {} a sweep "
                      "may have; use fewer steps",
                      text, *count, kMaxSweepPoints);
  }
  return SweepSpec{kv.first, *start, *stop, static_cast<std::size_t>(*count)};
}

}  // namespace mlcarbon::lifecycle
