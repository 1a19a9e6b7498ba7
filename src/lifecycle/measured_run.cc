// SPDX-License-Identifier: Apache-2.0
// Reads the run files of `mlcarbon measure --json` named by measured_run.
// nlohmann-json is used in its non-throwing form only.
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/lifecycle/scenario.h"

namespace mlcarbon::lifecycle {
namespace {

std::string where(const Scenario& s, const MeasuredRun& run) {
  return fmt::format("{}:{}:{}: measured_run '{}'", s.origin, run.pos.line,
                     run.pos.column, run.path);
}

// energy.total_j of a run file, or why the text is not one.
Result<double> run_energy_j(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(Errc::kInvalidArgument,
                      "is not an mlcarbon run file (not a JSON object)");
  }
  auto is = [&](const char* key, const char* value) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() &&
           it->get_ref<const std::string&>() == value;
  };
  if (!is("tool", "mlcarbon") || !is("kind", "run")) {
    return make_error(Errc::kInvalidArgument,
                      "is not an mlcarbon run file (expected \"tool\": "
                      "\"mlcarbon\" and \"kind\": \"run\")");
  }
  // The run-file schema this reader knows; mlcarbon measure writes it
  // (report/run_export.h, kRunSchemaVersion).
  constexpr int kRunSchema = 1;
  auto version = j.find("schema_version");
  if (version == j.end() || !version->is_number()) {
    return make_error(Errc::kInvalidArgument,
                      "has no number at schema_version; this mlcarbon reads "
                      "run files of schema_version {}",
                      kRunSchema);
  }
  if (version->get<double>() != kRunSchema) {
    return make_error(Errc::kInvalidArgument,
                      "has schema_version {}; this mlcarbon reads run files "
                      "of schema_version {}",
                      version->dump(), kRunSchema);
  }
  auto energy = j.find("energy");
  if (energy == j.end() || !energy->is_object()) {
    return make_error(Errc::kInvalidArgument,
                      "has no \"energy\" object: not a complete run file");
  }
  auto total = energy->find("total_j");
  if (total == energy->end() || !total->is_number()) {
    return make_error(Errc::kInvalidArgument,
                      "has no number at energy.total_j");
  }
  const double v = total->get<double>();
  if (!std::isfinite(v) || v < 0.0) {
    return make_error(Errc::kInvalidArgument,
                      "has energy.total_j = {}, not a non-negative number", v);
  }
  return v;
}

Status resolve(const Scenario& s, MeasuredRun& run, const FileLoader& loader) {
  auto text = loader(run.path);
  if (!text) {
    return tl::unexpected(
        Error(text.error().code() == Errc::kNotFound ? Errc::kInvalidArgument
                                                     : text.error().code(),
              fmt::format("{}: {}", where(s, run), text.error().to_string()))
            .with_remedy("record one with 'mlcarbon measure --json FILE -- "
                         "COMMAND'; a relative path is read from the "
                         "scenario's folder"));
  }
  auto energy = run_energy_j(*text);
  if (!energy) {
    return make_error(Errc::kInvalidArgument, "{} {}", where(s, run),
                      energy.error().message());
  }
  run.energy_j = *energy;
  return {};
}

Status resolve_training(const Scenario& s, TrainingSpec& t,
                        const FileLoader& loader) {
  if (t.measured_run)
    return resolve(s, *t.measured_run, loader);
  return {};
}

}  // namespace

Status resolve_measured_runs(Scenario& scenario, const FileLoader& loader) {
  if (scenario.search) {
    MLCARBON_RETURN_IF_ERROR(
        resolve_training(scenario, scenario.search->per_trial, loader));
    for (auto& run : scenario.search->runs) {
      MLCARBON_RETURN_IF_ERROR(resolve_training(scenario, run, loader));
    }
  }
  if (scenario.training) {
    MLCARBON_RETURN_IF_ERROR(
        resolve_training(scenario, *scenario.training, loader));
  }
  if (scenario.inference && scenario.inference->measured_run) {
    MLCARBON_RETURN_IF_ERROR(
        resolve(scenario, *scenario.inference->measured_run, loader));
  }
  return {};
}

}  // namespace mlcarbon::lifecycle
