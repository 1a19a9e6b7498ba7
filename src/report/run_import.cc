// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/run_import.h"

#include <nlohmann/json.hpp>

#include "mlcarbon/core/time.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/run_export.h"

namespace mlcarbon::report {
namespace {

using nlohmann::json;

// The value at a "/"-separated JSON pointer, checked to be of type T.
template <typename T>
Result<T> field(const json& doc, const std::string& pointer,
                std::string_view source) {
  const json::json_pointer ptr(pointer);
  if (!doc.contains(ptr)) {
    return make_error(Errc::kParse, "{}: the run has no field {}", source,
                      pointer);
  }
  try {
    return doc.at(ptr).get<T>();
  } catch (const json::exception&) {
    return make_error(Errc::kParse, "{}: field {} has the wrong type ({})",
                      source, pointer, doc.at(ptr).type_name());
  }
}

}  // namespace

Result<HistoryEntry> history_entry_from_run_json(std::string_view text,
                                                 std::string_view source) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(Errc::kParse, "{} is not a JSON object", source);
  }
  if (doc.value("tool", "") != "mlcarbon" || doc.value("kind", "") != "run") {
    return make_error(Errc::kInvalidArgument,
                      "{} is not an mlcarbon run (expected \"tool\": "
                      "\"mlcarbon\" and \"kind\": \"run\", as written by "
                      "mlcarbon measure --json)",
                      source);
  }
  MLCARBON_ASSIGN_OR_RETURN(const int version,
                            field<int>(doc, "/schema_version", source));
  if (version != kRunSchemaVersion) {
    return make_error(Errc::kInvalidArgument,
                      "{} is a run of schema version {}; this mlcarbon reads "
                      "version {}",
                      source, version, kRunSchemaVersion);
  }
  HistoryEntry e;
  MLCARBON_ASSIGN_OR_RETURN(e.run_id,
                            field<std::string>(doc, "/run_id", source));
  MLCARBON_ASSIGN_OR_RETURN(const std::string start,
                            field<std::string>(doc, "/start", source));
  auto parsed = parse_time(start);
  if (!parsed) {
    return make_error(Errc::kParse, "{}: /start '{}': {}", source, start,
                      parsed.error().message());
  }
  e.start = *parsed;
  MLCARBON_ASSIGN_OR_RETURN(e.duration_s,
                            field<double>(doc, "/duration_s", source));
  MLCARBON_ASSIGN_OR_RETURN(e.project,
                            field<std::string>(doc, "/project_name", source));
  MLCARBON_ASSIGN_OR_RETURN(const auto argv, field<std::vector<std::string>>(
                                                 doc, "/command", source));
  e.command = measure::quote_command(argv);
  MLCARBON_ASSIGN_OR_RETURN(
      e.tags, field<std::vector<std::string>>(doc, "/tags", source));
  if (doc.contains("exit_status") && !doc["exit_status"].is_null()) {
    MLCARBON_ASSIGN_OR_RETURN(e.exit_status,
                              field<int>(doc, "/exit_status", source));
  }
  MLCARBON_ASSIGN_OR_RETURN(e.energy_j,
                            field<double>(doc, "/energy/total_j", source));
  MLCARBON_ASSIGN_OR_RETURN(e.attributed_energy_j,
                            field<double>(doc, "/energy/attributed_j", source));
  MLCARBON_ASSIGN_OR_RETURN(const double co2e_kg,
                            field<double>(doc, "/carbon/co2e_kg", source));
  MLCARBON_ASSIGN_OR_RETURN(
      const double attributed_kg,
      field<double>(doc, "/carbon/attributed_co2e_kg", source));
  e.co2e_g = co2e_kg * 1000.0;
  e.attributed_co2e_g = attributed_kg * 1000.0;
  MLCARBON_ASSIGN_OR_RETURN(e.method,
                            field<std::string>(doc, "/energy/method", source));
  MLCARBON_ASSIGN_OR_RETURN(e.region,
                            field<std::string>(doc, "/carbon/region", source));
  e.document = std::string(text);
  if (doc.contains(json::json_pointer("/context/host"))) {
    MLCARBON_ASSIGN_OR_RETURN(e.node,
                              field<std::string>(doc, "/context/host", source));
  }
  // Written inside a Slurm job: its task and node.
  if (doc.contains(json::json_pointer("/context/slurm"))) {
    MLCARBON_ASSIGN_OR_RETURN(
        e.job_id, field<std::string>(doc, "/context/slurm/job_id", source));
    MLCARBON_ASSIGN_OR_RETURN(
        e.node, field<std::string>(doc, "/context/slurm/node", source));
    for (auto [pointer, value] :
         {std::pair{"/context/slurm/proc_id", &e.proc_id},
          std::pair{"/context/slurm/node_id", &e.node_id}}) {
      if (!doc.at(json::json_pointer(pointer)).is_null()) {
        MLCARBON_ASSIGN_OR_RETURN(*value, field<int>(doc, pointer, source));
      }
    }
  }
  return e;
}

}  // namespace mlcarbon::report
