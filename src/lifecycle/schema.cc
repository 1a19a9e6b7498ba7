// SPDX-License-Identifier: Apache-2.0
#include "schema.h"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::lifecycle::detail {
namespace {

constexpr auto kModel = EnergyMethod::kModelBased;
constexpr auto kMeasured = EnergyMethod::kMeasured;
constexpr auto kResource = EnergyMethod::kResourceTime;

// θ when not given: the paper measured the training overhead approaching
// 80 % of training energy (section 4.3), i.e. a pass costs 5 inferences.
constexpr double kDefaultOverhead = 5.0;

Field text(std::string_view block, std::string_view name,
           std::optional<EnergyMethod> way = {}) {
  Field f{block, name, Kind::kText};
  f.way = way;
  return f;
}

Field number(std::string_view block, std::string_view name,
             std::string_view unit, Bound bound, Target target) {
  Field f{block, name, Kind::kNumber, unit, bound};
  f.target = target;
  return f;
}

// A number of a phase's way.
Field of_way(Field f, EnergyMethod way, bool required = false) {
  f.way = way;
  f.required = required;
  return f;
}

Field whole(Field f) {
  f.whole = true;
  return f;
}

Field scaled(Field f, double scale) {
  f.scale = scale;
  return f;
}

Field with_fallback(Field f, double fallback) {
  f.fallback = fallback;
  return f;
}

Field settable(Field f) {
  f.what_if = true;
  return f;
}

const std::vector<Field>& table() {
  using B = Bound;
  static const std::vector<Field> kTable = {
      text("", "name"),
      text("", "description"),
      whole(number("", "schema_version", "", B::kPue, {})),
      settable(text("", "region")),
      number("", "carbon_intensity_g_per_kwh", "g CO2e/kWh", B::kNonNegative,
             &Scenario::intensity_g_per_kwh),
      scaled(number("", "carbon_intensity_kg_per_kwh", "kg CO2e/kWh",
                    B::kNonNegative, &Scenario::intensity_g_per_kwh),
             1000.0),
      scaled(number("", "carbon_intensity_lb_per_kwh", "lb CO2e/kWh",
                    B::kNonNegative, &Scenario::intensity_g_per_kwh),
             kGramsPerPound),
      number("", "pue", "", B::kPue, &Scenario::pue),
      settable(text("", "hardware")),
      text("", "profile"),
      Field{"", "search", Kind::kBlock},
      Field{"", "training", Kind::kBlock},
      Field{"", "inference", Kind::kBlock},
      Field{"", "embodied", Kind::kList},

      whole(number("search", "trials", "", B::kPositive, &SearchSpec::trials)),
      Field{"search", "per_trial", Kind::kBlock},
      Field{"search", "runs", Kind::kList},

      text("training", "model"),
      of_way(number("training", "samples", "samples", B::kPositive,
                    &TrainingSpec::samples),
             kModel, true),
      of_way(
          number("training", "epochs", "", B::kPositive, &TrainingSpec::epochs),
          kModel, true),
      of_way(number("training", "energy_per_inference_j", "J", B::kPositive,
                    &TrainingSpec::energy_per_inference_j),
             kModel, true),
      with_fallback(of_way(number("training", "overhead", "", B::kPositive,
                                  &TrainingSpec::overhead),
                           kModel),
                    kDefaultOverhead),
      text("training", "profile"),
      text("training", "calibration"),
      of_way(number("training", "energy_kwh", "kWh", B::kPositive,
                    &TrainingSpec::energy_kwh),
             kMeasured),
      text("training", "measured_run", kMeasured),
      of_way(
          number("training", "hours", "h", B::kPositive, &TrainingSpec::hours),
          kResource),
      scaled(of_way(number("training", "days", "d", B::kPositive,
                           &TrainingSpec::hours),
                    kResource),
             24.0),
      with_fallback(whole(of_way(number("training", "devices", "", B::kPositive,
                                        &TrainingSpec::devices),
                                 kResource)),
                    1.0),
      of_way(number("training", "power_w", "W", B::kPositive,
                    &TrainingSpec::power_w),
             kResource, true),

      text("inference", "model"),
      of_way(number("inference", "energy_per_call_j", "J", B::kPositive,
                    &InferenceSpec::energy_per_call_j),
             kModel),
      whole(
          number("inference", "samples_per_call", "samples", B::kPositive, {})),
      text("inference", "profile"),
      text("inference", "calibration"),
      text("inference", "measured_run", kMeasured),
      of_way(number("inference", "calls_in_run", "calls", B::kPositive,
                    &InferenceSpec::calls_in_run),
             kMeasured),
      number("inference", "calls", "calls", B::kNonNegative,
             &InferenceSpec::calls),
      number("inference", "rate_per_s", "calls/s", B::kNonNegative,
             &InferenceSpec::rate_per_s),
      number("inference", "lifetime_days", "d", B::kPositive,
             &InferenceSpec::lifetime_days),

      text("embodied", "device"),
      text("embodied", "model"),
      whole(number("embodied", "count", "", B::kPositive, {})),
      number("embodied", "hours", "h", B::kPositive, {}),
      scaled(number("embodied", "days", "d", B::kPositive, {}), 24.0),
  };
  return kTable;
}

Status check_bound(Range r, Bound bound) {
  if (r.low > r.high) {
    return make_error(Errc::kInvalidArgument,
                      "range [{}, {}] has its low end above its high end",
                      r.low, r.high);
  }
  switch (bound) {
    case Bound::kNonNegative:
      if (r.low < 0.0)
        return make_error(Errc::kInvalidArgument,
                          "must not be negative, got {}", r.low);
      break;
    case Bound::kPositive:
      if (r.low < 0.0)
        return make_error(Errc::kInvalidArgument,
                          "must not be negative, got {}", r.low);
      if (r.low == 0.0)
        return make_error(Errc::kInvalidArgument,
                          "must be greater than zero, got 0");
      break;
    case Bound::kPue:
      if (r.low < 1.0)
        return make_error(
            Errc::kInvalidArgument,
            "must be at least 1.0 (facility energy / IT energy), got {}",
            r.low);
      break;
  }
  return {};
}

bool is_finite(Range r) {
  return std::isfinite(r.low) && std::isfinite(r.central) &&
         std::isfinite(r.high);
}

}  // namespace

std::span<const Field> fields() {
  return table();
}

std::vector<std::string_view> field_names(std::string_view block) {
  std::vector<std::string_view> names;
  for (const Field& f : table()) {
    if (f.block == block)
      names.push_back(f.name);
  }
  return names;
}

const Field* find_field(std::string_view block, std::string_view name) {
  for (const Field& f : table()) {
    if (f.block == block && f.name == name)
      return &f;
  }
  return nullptr;
}

std::string inputs_of(std::string_view block, EnergyMethod way,
                      std::string_view where) {
  std::string out;
  for (const Field& f : table()) {
    if (f.block != block || f.way != way)
      continue;
    out += fmt::format("{}{}.{}", out.empty() ? "" : ", ", where, f.name);
  }
  return out;
}

Status check_value(Range r, const Field& f) {
  if (!is_finite(r)) {
    return make_error(Errc::kInvalidArgument, "[{}, {}] is not a finite number",
                      r.low, r.high);
  }
  MLCARBON_RETURN_IF_ERROR(check_bound(r, f.bound));
  if (f.whole) {
    for (double v : {r.low, r.high}) {
      if (v != std::floor(v)) {
        return make_error(Errc::kInvalidArgument,
                          "must be a whole number, got {}", v);
      }
    }
  }
  if (!is_finite(r * f.scale)) {
    return make_error(Errc::kInvalidArgument,
                      "{} {} is too large to compute with (not a finite "
                      "number once converted)",
                      r.high, f.unit);
  }
  return {};
}

const std::vector<std::string>& what_if_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const Field& f : table()) {
      const bool number = f.kind == Kind::kNumber &&
                          !std::holds_alternative<std::monostate>(f.target);
      if (!number && !f.what_if)
        continue;
      if (f.block.empty()) {
        k.emplace_back(f.name);
      } else if (f.block == "training") {
        k.push_back(fmt::format("training.{}", f.name));
        k.push_back(fmt::format("search.per_trial.{}", f.name));
      } else {
        k.push_back(fmt::format("{}.{}", f.block, f.name));
      }
    }
    return k;
  }();
  return keys;
}

Result<Hardware> parse_hardware(std::string_view text) {
  const std::string h = to_lower(trim(text));
  if (h == "cpu")
    return Hardware::kCpu;
  if (h == "gpu")
    return Hardware::kGpu;
  if (h == "tpu")
    return Hardware::kTpu;
  return make_error(Errc::kInvalidArgument,
                    "hardware: expected cpu, gpu or tpu, got '{}'", text);
}

void use_region(Scenario& s, const carbon::Region& r) {
  s.region_code = r.code;
  s.region_name = r.name;
  s.intensity_g_per_kwh = Range::exact(r.intensity.value());
  s.intensity_source =
      fmt::format("{} ({}), {}, {}", r.name, r.code, r.year, r.source);
  s.region_pue = carbon::pue_for(r).pue;
}

}  // namespace mlcarbon::lifecycle::detail
