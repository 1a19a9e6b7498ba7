// SPDX-License-Identifier: Apache-2.0
// nlohmann-json may still throw (a number it cannot store): caught here and
// returned as an Error. Invalid UTF-8 in a name becomes U+FFFD (dump_json).
#include <string>

#include <nlohmann/json.hpp>

#include "mlcarbon/report/footprint.h"

#include "json_text.h"

namespace mlcarbon::report {
namespace {

using lifecycle::Footprint;
using lifecycle::Phase;
using json = nlohmann::ordered_json;

// "energy_kwh": central, and "energy_kwh_low"/"_high" when uncertain.
void put(json& j, const std::string& key, lifecycle::Range r) {
  j[key] = r.central;
  if (!r.is_exact()) {
    j[key + "_low"] = r.low;
    j[key + "_high"] = r.high;
  }
}

json footprint(const Footprint& f) {
  json j;
  json phases = json::object();
  for (std::size_t i = 0; i < lifecycle::kPhaseCount; ++i) {
    const auto& ph = f.phases[i];
    if (!ph)
      continue;
    json p;
    put(p, "energy_kwh", ph->energy_kwh);
    put(p, "co2e_kg", ph->co2e_kg);
    put(p, "device_energy_j", ph->device_energy_j);
    p["method"] = to_string(ph->method);
    p["share"] = ph->share;
    phases[std::string(to_string(static_cast<Phase>(i)))] = p;
  }
  j["phases"] = phases;
  json total;
  put(total, "energy_kwh", f.energy_kwh);
  put(total, "co2e_kg", f.co2e_kg);
  if (f.embodied_co2e_kg)
    put(total, "co2e_with_embodied_kg", f.co2e_with_embodied_kg());
  j["total"] = total;
  if (f.embodied_co2e_kg) {
    json embodied;
    put(embodied, "co2e_kg", *f.embodied_co2e_kg);
    embodied["method"] = "estimated";
    embodied["terms"] = f.embodied_terms;
    j["embodied"] = embodied;
  }
  if (f.break_even_calls)
    put(j, "break_even_calls", *f.break_even_calls);
  return j;
}

}  // namespace

Result<std::string> footprint_json(const FootprintReport& r) {
  try {
    const Footprint& f = r.base;
    json j;
    j["schema_version"] = kFootprintSchemaVersion;
    j["tool"] = "mlcarbon";
    j["kind"] = "estimate";
    j["name"] = f.name;
    json grid;
    put(grid, "g_per_kwh", f.intensity_g_per_kwh);
    if (!r.region_code.empty())
      grid["region"] = r.region_code;
    grid["source"] = r.intensity_source;
    j["carbon_intensity"] = grid;
    put(j, "pue", f.pue);
    if (!r.model_inputs.empty()) {
      json inputs = json::array();
      for (const auto& in : r.model_inputs) {
        json x = {{"field", in.field}, {"unit", in.unit}};
        put(x, "value", in.value);
        x["method"] = in.measured ? "measured" : "estimated";
        x["source"] = in.source;
        inputs.push_back(x);
      }
      j["model_inputs"] = inputs;
    }
    j.update(footprint(f));
    j["equivalents"] = {
        {"car_years", f.equivalents.car_years},
        {"car_km", f.equivalents.car_km},
        {"flight_km", f.equivalents.flight_km},
        {"flights_nyc_sf", f.equivalents.flights_nyc_sf},
    };
    json recs = json::array();
    for (const auto& rec : r.recommendations) {
      json x = {{"topic", rec.topic},
                {"summary", rec.summary},
                {"rule_of_thumb", rec.rule_of_thumb},
                {"source", rec.source}};
      if (rec.co2e_kg)
        put(x, "co2e_kg", *rec.co2e_kg);
      recs.push_back(x);
    }
    j["recommendations"] = recs;
    if (!r.what_ifs.empty()) {
      json w = json::array();
      for (const auto& c : r.what_ifs) {
        json x = footprint(c.footprint);
        x["what_if"] = c.label;
        w.push_back(x);
      }
      j["what_ifs"] = w;
    }
    if (!r.sweep.empty()) {
      json points = json::array();
      for (const auto& p : r.sweep) {
        json x = footprint(p.footprint);
        x["value"] = p.value;
        points.push_back(x);
      }
      j["sweep"] = {{"key", r.sweep_key}, {"points", points}};
    }
    return dump_json(j);
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::kInvalidArgument, "writing JSON: {}", e.what());
  }
}

}  // namespace mlcarbon::report
