// SPDX-License-Identifier: Apache-2.0
// The figures a scenario obtains from a model (predicted or calibrated),
// filled in through the caller's resolver.
#include <cmath>
#include <string>

#include <fmt/format.h>

#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle {
namespace {

bool positive(Range r) {
  return std::isfinite(r.low) && std::isfinite(r.high) && r.low > 0.0 &&
         r.low <= r.central && r.central <= r.high;
}

Status resolve(ModelRequest& request, Range& energy, Range* overhead,
               const ModelResolver& resolver) {
  if (request.way == ModelWay::kGiven)
    return {};
  MLCARBON_ASSIGN_OR_RETURN(ModelEnergy got, resolver(request));
  const std::string at =
      fmt::format("{}:{}:{}: {}.{}", request.origin, request.way_pos.line,
                  request.way_pos.column, request.where, request.field);
  if (!positive(got.inference_j_per_sample)) {
    const Range& e = got.inference_j_per_sample;
    return make_error(Errc::kInvalidArgument,
                      "{}: {} gave {} [{} to {}] J per inference, not a "
                      "positive range",
                      at, got.source, e.central, e.low, e.high);
  }
  energy = got.inference_j_per_sample;
  if (overhead != nullptr) {
    if (got.overhead && !request.overhead_given) {
      if (!positive(*got.overhead)) {
        const Range& t = *got.overhead;
        return make_error(Errc::kInvalidArgument,
                          "{}: {} gave an overhead θ of {} [{} to {}], not a "
                          "positive range",
                          at, got.source, t.central, t.low, t.high);
      }
      *overhead = *got.overhead;
      request.overhead_source = got.source;
    }
  } else {
    energy = energy * request.samples_per_call;
  }
  request.source = std::move(got.source);
  request.warnings = std::move(got.warnings);
  request.measured = got.measured;
  request.resolved = true;
  return {};
}

Status resolve_training(TrainingSpec& t, const ModelResolver& resolver) {
  if (!t.model)
    return {};
  return resolve(*t.model, t.energy_per_inference_j, &t.overhead, resolver);
}

void add_training(const TrainingSpec& t, std::vector<ModelInput>& out) {
  if (!t.model || !t.model->resolved)
    return;
  const ModelRequest& m = *t.model;
  out.push_back({fmt::format("{}.energy_per_inference_j", m.where),
                 t.energy_per_inference_j, "J", m.source, m.measured});
  // θ given in the scenario, or its default, did not come from the model.
  if (!m.overhead_source.empty()) {
    out.push_back({fmt::format("{}.overhead", m.where), t.overhead, "",
                   m.overhead_source,
                   m.measured && m.overhead_source == m.source});
  }
}

}  // namespace

Status resolve_model_inputs(Scenario& scenario, const ModelResolver& resolver) {
  if (scenario.search) {
    MLCARBON_RETURN_IF_ERROR(
        resolve_training(scenario.search->per_trial, resolver));
    for (auto& run : scenario.search->runs)
      MLCARBON_RETURN_IF_ERROR(resolve_training(run, resolver));
  }
  if (scenario.training)
    MLCARBON_RETURN_IF_ERROR(resolve_training(*scenario.training, resolver));
  if (scenario.inference && scenario.inference->model) {
    MLCARBON_RETURN_IF_ERROR(resolve(*scenario.inference->model,
                                     scenario.inference->energy_per_call_j,
                                     nullptr, resolver));
  }
  return {};
}

std::vector<ModelInput> model_inputs(const Scenario& scenario) {
  std::vector<ModelInput> out;
  if (scenario.search) {
    if (scenario.search->runs.empty())
      add_training(scenario.search->per_trial, out);
    for (const auto& run : scenario.search->runs)
      add_training(run, out);
  }
  if (scenario.training)
    add_training(*scenario.training, out);
  if (scenario.inference && scenario.inference->model &&
      scenario.inference->model->resolved) {
    const ModelRequest& m = *scenario.inference->model;
    out.push_back({"inference.energy_per_call_j",
                   scenario.inference->energy_per_call_j, "J", m.source,
                   m.measured});
  }
  return out;
}

}  // namespace mlcarbon::lifecycle
