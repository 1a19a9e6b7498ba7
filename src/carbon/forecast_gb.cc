// SPDX-License-Identifier: Apache-2.0
// The GB Carbon Intensity API's JSON to the forecast CSV. nlohmann-json
// throws on a wrong type: every access is checked first, so nothing throws.
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/time.h"

namespace mlcarbon::carbon {
namespace {

using nlohmann::json;

// The list of periods: "data" itself, or a regional answer's "data.data"
// (or "data[0].data" for the endpoints that return one region in a list).
const json* periods(const json& doc) {
  if (!doc.is_object() || !doc.contains("data"))
    return nullptr;
  const json* data = &doc["data"];
  if (data->is_array() && data->size() == 1 && (*data)[0].is_object() &&
      (*data)[0].contains("data")) {
    data = &(*data)[0];
  }
  if (data->is_object() && data->contains("data"))
    data = &(*data)["data"];
  return data->is_array() ? data : nullptr;
}

}  // namespace

Result<std::string> convert_gb_carbon_intensity(std::string_view json_text,
                                                std::string_view origin) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded())
    return make_error(Errc::kParse, "{} is not JSON", origin);
  const json* list = periods(doc);
  if (list == nullptr) {
    return make_error(Errc::kParse,
                      "{}: expected a Carbon Intensity API answer, "
                      "{{\"data\": [{{\"from\", \"to\", \"intensity\": "
                      "{{\"forecast\", \"actual\"}}}}, ...]}}",
                      origin);
  }
  std::string csv = fmt::format(
      "# converted from {} (GB Carbon Intensity API: intensity.forecast, "
      "else intensity.actual)\nstart,end,carbon_intensity_g_per_kwh\n",
      origin);
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& period = (*list)[i];
    const std::string where = fmt::format("{}: data[{}]", origin, i);
    if (!period.is_object())
      return make_error(Errc::kParse, "{} is not an object", where);
    std::string times[2];
    const char* keys[2] = {"from", "to"};
    for (int k = 0; k < 2; ++k) {
      if (!period.contains(keys[k]) || !period[keys[k]].is_string()) {
        return make_error(Errc::kParse, "{}.{} is missing or not a string",
                          where, keys[k]);
      }
      const auto text = period[keys[k]].get<std::string>();
      auto t = parse_time(text);
      if (!t) {
        return make_error(Errc::kParse, "{}.{}: {}", where, keys[k],
                          t.error().message());
      }
      times[k] = format_time(*t);
    }
    const json* intensity =
        period.contains("intensity") && period["intensity"].is_object()
            ? &period["intensity"]
            : nullptr;
    const json* value = nullptr;
    for (const char* key : {"forecast", "actual"}) {
      if (value == nullptr && intensity != nullptr &&
          intensity->contains(key) && (*intensity)[key].is_number()) {
        value = &(*intensity)[key];
      }
    }
    if (value == nullptr) {
      return make_error(Errc::kParse,
                        "{}.intensity has neither a forecast nor an actual "
                        "number",
                        where);
    }
    csv += fmt::format("{},{},{}\n", times[0], times[1], value->get<double>());
  }
  if (list->empty())
    return make_error(Errc::kParse, "{}: the answer has no periods", origin);
  // One reader decides what a valid series is.
  MLCARBON_RETURN_IF_ERROR(
      parse_series(csv, fmt::format("{} (converted)", origin)));
  return csv;
}

}  // namespace mlcarbon::carbon
