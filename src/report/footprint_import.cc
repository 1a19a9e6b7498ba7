// SPDX-License-Identifier: Apache-2.0
// Reads back what footprint_json writes. Every access checks the type
// first, so nlohmann-json never throws here.
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/report/footprint.h"

namespace mlcarbon::report {
namespace {

using nlohmann::json;

// "<key>" and, when uncertain, "<key>_low"/"<key>_high" of `j`, at `where`.
Result<lifecycle::Range> range(const json& j, const std::string& key,
                               std::string_view where) {
  auto number = [&](const std::string& k) -> Result<double> {
    if (!j.contains(k) || !j[k].is_number()) {
      return make_error(Errc::kParse, "{}.{} is missing or not a number", where,
                        k);
    }
    return j[k].get<double>();
  };
  MLCARBON_ASSIGN_OR_RETURN(const double central, number(key));
  lifecycle::Range r = lifecycle::Range::exact(central);
  if (j.contains(key + "_low") || j.contains(key + "_high")) {
    MLCARBON_ASSIGN_OR_RETURN(r.low, number(key + "_low"));
    MLCARBON_ASSIGN_OR_RETURN(r.high, number(key + "_high"));
  }
  return r;
}

Result<lifecycle::EnergyMethod> method(const json& phase,
                                       std::string_view where) {
  using lifecycle::EnergyMethod;
  const std::string text =
      phase.contains("method") && phase["method"].is_string()
          ? phase["method"].get<std::string>()
          : std::string();
  for (EnergyMethod m : {EnergyMethod::kMeasured, EnergyMethod::kResourceTime,
                         EnergyMethod::kModelBased}) {
    if (text == lifecycle::to_string(m))
      return m;
  }
  return make_error(Errc::kParse,
                    "{}.method is '{}'; expected measured, resource-time or "
                    "model-based",
                    where, text);
}

}  // namespace

Result<lifecycle::Footprint> footprint_from_json(std::string_view text,
                                                 std::string_view source) {
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(Errc::kParse, "{} is not a JSON object", source);
  // value() would throw on a non-string "tool": compare as JSON instead.
  if (!doc.contains("tool") || doc["tool"] != "mlcarbon" ||
      !doc.contains("kind") || doc["kind"] != "estimate") {
    return make_error(Errc::kInvalidArgument,
                      "{} is not an mlcarbon estimate (expected \"tool\": "
                      "\"mlcarbon\" and \"kind\": \"estimate\", as written by "
                      "mlcarbon estimate --json)",
                      source);
  }
  if (!doc.contains("schema_version") ||
      doc["schema_version"] != kFootprintSchemaVersion) {
    return make_error(Errc::kInvalidArgument,
                      "{} is not an estimate of schema version {}, the one "
                      "this mlcarbon reads",
                      source, kFootprintSchemaVersion);
  }
  lifecycle::Footprint f;
  if (doc.contains("name") && doc["name"].is_string())
    f.name = doc["name"].get<std::string>();
  MLCARBON_ASSIGN_OR_RETURN(f.pue, range(doc, "pue", source));
  if (!doc.contains("phases") || !doc["phases"].is_object())
    return make_error(Errc::kParse, "{}: phases is missing", source);
  for (std::size_t i = 0; i < lifecycle::kPhaseCount; ++i) {
    const std::string name(to_string(static_cast<lifecycle::Phase>(i)));
    if (!doc["phases"].contains(name))
      continue;
    const json& p = doc["phases"][name];
    const std::string where = fmt::format("{}: phases.{}", source, name);
    if (!p.is_object())
      return make_error(Errc::kParse, "{} is not an object", where);
    lifecycle::PhaseFootprint ph;
    MLCARBON_ASSIGN_OR_RETURN(ph.method, method(p, where));
    MLCARBON_ASSIGN_OR_RETURN(ph.device_energy_j,
                              range(p, "device_energy_j", where));
    MLCARBON_ASSIGN_OR_RETURN(ph.energy_kwh, range(p, "energy_kwh", where));
    MLCARBON_ASSIGN_OR_RETURN(ph.co2e_kg, range(p, "co2e_kg", where));
    f.phases[i] = ph;
  }
  if (!doc.contains("total") || !doc["total"].is_object())
    return make_error(Errc::kParse, "{}: total is missing", source);
  const std::string total = fmt::format("{}: total", source);
  MLCARBON_ASSIGN_OR_RETURN(f.energy_kwh,
                            range(doc["total"], "energy_kwh", total));
  MLCARBON_ASSIGN_OR_RETURN(f.co2e_kg, range(doc["total"], "co2e_kg", total));
  return f;
}

}  // namespace mlcarbon::report
