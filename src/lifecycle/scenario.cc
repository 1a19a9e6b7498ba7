// SPDX-License-Identifier: Apache-2.0
// Scenario files: YAML in, a checked Scenario out. yaml-cpp throws, so every
// call into it stays inside parse_scenario's try block.
#include "mlcarbon/lifecycle/scenario.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "mlcarbon/carbon/embodied.h"
#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/yaml.h"

#include "schema.h"

namespace mlcarbon::lifecycle {
namespace {

using detail::Field;
using detail::find_field;

constexpr YamlLimits kScenarioYaml{.noun = "scenario",
                                   .max_bytes = kMaxScenarioBytes,
                                   .max_nesting = kMaxNesting};

class Parser {
 public:
  Parser(std::string_view origin, const carbon::RegionTable& regions);

  Result<Scenario> parse_root(const YAML::Node& root);

 private:
  using Fail = tl::unexpected<Error>;

  [[nodiscard]] Fail fail(const YAML::Mark& mark, std::string message,
                          Errc code = Errc::kInvalidArgument) const {
    return Fail(Error(code, fmt::format("{}:{}:{}: {}", origin_, mark.line + 1,
                                        mark.column + 1, message)));
  }

  Status check_fields(const YAML::Node& map, std::string_view where,
                      std::string_view block) const;
  Result<std::optional<Range>> number(const YAML::Node& map,
                                      std::string_view block,
                                      std::string_view key,
                                      std::string_view where) const;
  Result<Range> to_range(const YAML::Node& node, std::string_view path,
                         const Field& field) const;
  Result<std::optional<std::string>> text(const YAML::Node& map,
                                          std::string_view key,
                                          std::string_view where) const;
  Status expect_map(const YAML::Node& node, std::string_view where) const;
  Status read_way(const YAML::Node& map, std::string_view where,
                  TrainingSpec& t, std::string_view skip = {}) const;
  Result<std::optional<ModelRequest>> model_request(
      const YAML::Node& map, std::string_view where, std::string_view block,
      std::string_view field) const;
  Status no_model_fields(const YAML::Node& map, std::string_view where,
                         EnergyMethod method) const;
  Result<TrainingSpec> parse_training(const YAML::Node& map,
                                      std::string_view where) const;
  Result<TrainingSpec> parse_measured(const YAML::Node& map,
                                      std::string_view where) const;
  Result<TrainingSpec> parse_resource_time(const YAML::Node& map,
                                           std::string_view where) const;
  Result<SearchSpec> parse_search(const YAML::Node& map) const;
  Result<InferenceSpec> parse_inference(const YAML::Node& map) const;
  Result<std::vector<EmbodiedDevices>> parse_embodied(
      const YAML::Node& node) const;
  Result<std::optional<MeasuredRun>> measured_run(const YAML::Node& map,
                                                  std::string_view where) const;
  Status parse_place(const YAML::Node& root, Scenario& s) const;

  std::string origin_;
  std::string shown_origin_;  ///< origin_ as valid UTF-8, for reports
  const carbon::RegionTable& regions_;
  /// The top level's profile:, for `predict` in any block.
  std::optional<std::pair<std::string, SourcePos>> profile_;
};

std::string join(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

bool is_non_finite_word(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kWords = {
      ".nan", "nan",  ".inf",     "+.inf",     "-.inf",     "inf",
      "+inf", "-inf", "infinity", "-infinity", "+infinity", "NaN"};
  for (auto w : kWords) {
    if (iequals(s, w))
      return true;
  }
  return false;
}

Result<double> parse_one(std::string_view s) {
  s = trim(s);
  if (is_non_finite_word(s)) {
    return make_error(Errc::kInvalidArgument, "'{}' is not a finite number", s);
  }
  auto v = parse_double(s);
  if (!v) {
    return make_error(
        Errc::kInvalidArgument,
        "expected a number, a range [low, high] or 'value ± percent', got '{}'",
        s);
  }
  return *v;
}

Parser::Parser(std::string_view origin, const carbon::RegionTable& regions)
    : origin_(origin),
      shown_origin_(to_valid_utf8(origin)),
      regions_(regions) {}

Status Parser::check_fields(const YAML::Node& map, std::string_view where,
                            std::string_view block) const {
  const std::vector<std::string_view> allowed = detail::field_names(block);
  std::set<std::string> seen;
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed) {
      known = known || a == key;
    }
    if (!known) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      std::string message =
          where.empty() ? fmt::format("unknown field '{}'", key)
                        : fmt::format("unknown field '{}' in {}", key, where);
      if (auto best = suggest(key, names)) {
        message += fmt::format(", did you mean '{}'?", *best);
      } else {
        message +=
            fmt::format(" (expected one of: {})", fmt::join(allowed, ", "));
      }
      return fail(kv.first.Mark(), message);
    }
    if (!seen.insert(key).second) {
      return fail(kv.first.Mark(),
                  fmt::format("field '{}' is given twice", join(where, key)));
    }
  }
  return {};
}

Status Parser::expect_map(const YAML::Node& node,
                          std::string_view where) const {
  if (!node.IsMap()) {
    return fail(node.Mark(), fmt::format("{}: expected a mapping of fields, "
                                         "got {}",
                                         where, yaml_kind(node)));
  }
  return {};
}

Result<Range> Parser::to_range(const YAML::Node& node, std::string_view path,
                               const Field& field) const {
  Range r;
  if (node.IsSequence()) {
    if (node.size() != 2) {
      return fail(node.Mark(),
                  fmt::format("{}: a range is [low, high], got {} values", path,
                              node.size()));
    }
    std::array<double, 2> ends{};
    for (std::size_t i = 0; i < 2; ++i) {
      const YAML::Node item = node[i];
      if (!item.IsScalar()) {
        return fail(item.Mark(), fmt::format("{}: expected a number, got {}",
                                             path, yaml_kind(item)));
      }
      auto v = parse_one(item.Scalar());
      if (!v)
        return fail(item.Mark(),
                    fmt::format("{}: {}", path, v.error().message()));
      ends[i] = *v;
    }
    r = Range::between(ends[0], ends[1]);
  } else if (node.IsScalar()) {
    auto v = parse_range(node.Scalar());
    if (!v)
      return fail(node.Mark(),
                  fmt::format("{}: {}", path, v.error().message()));
    r = *v;
  } else {
    return fail(node.Mark(),
                fmt::format("{}: expected a number, a range [low, high] or "
                            "'value ± percent', got {}",
                            path, yaml_kind(node)));
  }
  if (auto ok = detail::check_value(r, field); !ok) {
    return fail(node.Mark(), fmt::format("{}: {}", path, ok.error().message()));
  }
  return r * field.scale;
}

Result<std::optional<Range>> Parser::number(const YAML::Node& map,
                                            std::string_view block,
                                            std::string_view key,
                                            std::string_view where) const {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined())
    return std::optional<Range>();
  const Field* field = find_field(block, key);
  MLCARBON_ASSIGN_OR_RETURN(Range r, to_range(node, join(where, key), *field));
  return std::optional<Range>(r);
}

Result<std::optional<std::string>> Parser::text(const YAML::Node& map,
                                                std::string_view key,
                                                std::string_view where) const {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined())
    return std::optional<std::string>();
  if (!node.IsScalar() || node.Scalar().empty()) {
    return fail(node.Mark(), fmt::format("{}: expected text, got {}",
                                         join(where, key), yaml_kind(node)));
  }
  // The file is checked to be UTF-8, but yaml-cpp decodes a lone UTF-16
  // surrogate to bytes that are not.
  if (first_invalid_utf8(node.Scalar()) != std::string_view::npos) {
    return fail(node.Mark(),
                fmt::format("{}: the text is not valid UTF-8 (an escape or "
                            "a UTF-16 surrogate gives an invalid character)",
                            join(where, key)),
                Errc::kParse);
  }
  return std::optional<std::string>(node.Scalar());
}

Result<std::optional<MeasuredRun>> Parser::measured_run(
    const YAML::Node& map, std::string_view where) const {
  MLCARBON_ASSIGN_OR_RETURN(auto path, text(map, "measured_run", where));
  if (!path)
    return std::optional<MeasuredRun>();
  const YAML::Mark mark = map["measured_run"].Mark();
  return std::optional<MeasuredRun>(
      MeasuredRun{*path, SourcePos{mark.line + 1, mark.column + 1}, {}});
}

YAML::Mark key_mark(const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.Scalar() == key)
      return kv.first.Mark();
  }
  return map.Mark();
}

// The ways a training block is given, each with its first key in the block,
// in table order (model-based, measured, resource-time).
struct Way {
  EnergyMethod method;
  std::string_view key;
};

std::vector<Way> ways_given(const YAML::Node& map) {
  std::vector<Way> ways;
  for (const Field& f : detail::fields()) {
    if (f.block != "training" || !f.way)
      continue;
    bool known = false;
    for (const Way& w : ways)
      known = known || w.method == *f.way;
    if (known)
      continue;
    // The first key of the block that belongs to this way.
    for (const auto& kv : map) {
      const Field* g = find_field("training", kv.first.Scalar());
      if (g != nullptr && g->way == f.way) {
        ways.push_back({*f.way, g->name});
        break;
      }
    }
  }
  return ways;
}

// Reads the numbers of the block's way (t.method) into t: a field left out
// takes its fallback; a required one left out is an error.
Status Parser::read_way(const YAML::Node& map, std::string_view where,
                        TrainingSpec& t, std::string_view skip) const {
  for (const Field& f : detail::fields()) {
    const auto* member = std::get_if<Range TrainingSpec::*>(&f.target);
    if (f.block != "training" || f.way != t.method || member == nullptr ||
        f.name == skip)
      continue;
    MLCARBON_ASSIGN_OR_RETURN(auto r, number(map, f.block, f.name, where));
    if (r) {
      t.** member = *r;
    } else if (f.fallback) {
      t.** member = Range::exact(*f.fallback);
    } else if (f.required) {
      return fail(map.Mark(), fmt::format("{}: {} training needs '{}'", where,
                                          to_string(t.method), f.name));
    }
  }
  return {};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

SourcePos pos_of(const YAML::Mark& mark) {
  return SourcePos{mark.line + 1, mark.column + 1};
}

// The fields that obtain I from a model, which only model-based energy uses.
constexpr std::array<std::string_view, 4> kModelFields = {
    "model", "profile", "calibration", "samples_per_call"};

Status Parser::no_model_fields(const YAML::Node& map, std::string_view where,
                               EnergyMethod method) const {
  for (auto key : kModelFields) {
    if (map[std::string(key)].IsDefined()) {
      return fail(key_mark(map, key),
                  fmt::format("{}.{} goes with model-based energy, but {} is "
                              "given by {}",
                              where, key, where, to_string(method)));
    }
  }
  return {};
}

// The model request of a block whose energy per sample (`field`) is
// `predict` or `calibrate`, or which names a `calibration:` file; nullopt
// when the energy is a number. Checks that the fields of a way go together.
Result<std::optional<ModelRequest>> Parser::model_request(
    const YAML::Node& map, std::string_view where, std::string_view block,
    std::string_view field) const {
  const YAML::Node energy = map[std::string(field)];
  const std::string path = join(where, field);
  MLCARBON_ASSIGN_OR_RETURN(auto model, text(map, "model", where));
  MLCARBON_ASSIGN_OR_RETURN(auto profile, text(map, "profile", where));
  MLCARBON_ASSIGN_OR_RETURN(auto calibration, text(map, "calibration", where));
  std::optional<ModelWay> keyword;
  if (energy.IsDefined() && energy.IsScalar()) {
    const std::string& v = energy.Scalar();
    if (v == "predict") {
      keyword = ModelWay::kPredict;
    } else if (v == "calibrate") {
      keyword = ModelWay::kCalibrate;
    } else if (std::none_of(v.begin(), v.end(), is_digit) &&
               !is_non_finite_word(trim(v))) {
      // A word: a misspelt way rather than a malformed number.
      return fail(energy.Mark(),
                  fmt::format("{}: expected a number (J), a range [low, "
                              "high], 'value ± percent', 'predict' or "
                              "'calibrate', got '{}'",
                              path, v));
    }
  }
  ModelRequest r;
  r.origin = origin_;
  r.where = std::string(where);
  r.field = std::string(field);
  if (calibration) {
    if (energy.IsDefined()) {
      return fail(key_mark(map, "calibration"),
                  fmt::format("{} is given two ways: '{}' and 'calibration'; "
                              "keep one",
                              where, field));
    }
    r.way = ModelWay::kCalibration;
    r.way_pos = pos_of(map["calibration"].Mark());
    r.calibration = *calibration;
  } else if (keyword) {
    r.way = *keyword;
    r.way_pos = pos_of(energy.Mark());
  } else {
    // A number (or nothing): the model fields have no use.
    for (auto key : kModelFields) {
      if (map[std::string(key)].IsDefined() && find_field(block, key)) {
        return fail(key_mark(map, key),
                    fmt::format("{}.{} goes with '{}: predict' or "
                                "'{}: calibrate', or with 'calibration: "
                                "FILE.json'",
                                where, key, field, field));
      }
    }
    return std::optional<ModelRequest>();
  }
  if (model) {
    r.model = *model;
    r.model_pos = pos_of(map["model"].Mark());
  } else if (keyword) {
    return fail(energy.Mark(),
                fmt::format("{}: '{}' needs 'model: FILE|SHORTHAND' in {}",
                            path, to_string(*keyword), where));
  }
  if (profile && r.way != ModelWay::kPredict) {
    return fail(
        key_mark(map, "profile"),
        fmt::format("{}.profile goes with '{}: predict'", where, field));
  }
  if (r.way == ModelWay::kPredict) {
    if (profile) {
      r.profile = *profile;
      r.profile_pos = pos_of(map["profile"].Mark());
    } else if (profile_) {
      r.profile = profile_->first;
      r.profile_pos = profile_->second;
    } else {
      return fail(energy.Mark(),
                  fmt::format("{}: 'predict' needs a machine profile: "
                              "'profile: FILE' in {} or at the top level",
                              path, where));
    }
  }
  if (block == "inference") {
    MLCARBON_ASSIGN_OR_RETURN(auto per_call,
                              number(map, block, "samples_per_call", where));
    r.samples_per_call = per_call.value_or(Range::exact(1.0));
  }
  return std::optional<ModelRequest>(std::move(r));
}

Result<TrainingSpec> Parser::parse_measured(const YAML::Node& map,
                                            std::string_view where) const {
  TrainingSpec t;
  t.method = EnergyMethod::kMeasured;
  if (map["energy_kwh"].IsDefined() && map["measured_run"].IsDefined()) {
    return fail(key_mark(map, "measured_run"),
                fmt::format("{} is given two ways: 'energy_kwh' and "
                            "'measured_run'; keep one",
                            where));
  }
  MLCARBON_ASSIGN_OR_RETURN(t.measured_run, measured_run(map, where));
  MLCARBON_RETURN_IF_ERROR(read_way(map, where, t));
  return t;
}

Result<TrainingSpec> Parser::parse_resource_time(const YAML::Node& map,
                                                 std::string_view where) const {
  TrainingSpec t;
  t.method = EnergyMethod::kResourceTime;
  // hours and days fill the same input: one of them.
  const bool hours = map["hours"].IsDefined();
  const bool days = map["days"].IsDefined();
  if (hours && days) {
    return fail(key_mark(map, "days"),
                fmt::format("{}: give 'hours' or 'days', not both", where));
  }
  if (!hours && !days) {
    return fail(map.Mark(), fmt::format("{}: resource-time training needs "
                                        "'hours' or 'days'",
                                        where));
  }
  MLCARBON_RETURN_IF_ERROR(read_way(map, where, t));
  return t;
}

Result<TrainingSpec> Parser::parse_training(const YAML::Node& map,
                                            std::string_view where) const {
  MLCARBON_RETURN_IF_ERROR(expect_map(map, where));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, where, "training"));
  const std::vector<Way> ways = ways_given(map);
  if (ways.empty()) {
    return fail(map.Mark(),
                fmt::format("{}: give the energy one way: samples, epochs, "
                            "energy_per_inference_j (model-based); energy_kwh "
                            "or measured_run (measured); or hours, devices, "
                            "power_w (resource-time)",
                            where));
  }
  if (ways.size() > 1) {
    return fail(key_mark(map, ways[1].key),
                fmt::format("{} is given two ways: '{}' ({}) and '{}' ({}); "
                            "keep one",
                            where, ways[0].key, to_string(ways[0].method),
                            ways[1].key, to_string(ways[1].method)));
  }
  if (ways[0].method != EnergyMethod::kModelBased) {
    MLCARBON_RETURN_IF_ERROR(no_model_fields(map, where, ways[0].method));
  }
  switch (ways[0].method) {
    case EnergyMethod::kMeasured:
      return parse_measured(map, where);
    case EnergyMethod::kResourceTime:
      return parse_resource_time(map, where);
    case EnergyMethod::kModelBased:
      break;
  }
  TrainingSpec t;  // model-based: T = E · D · I · θ
  constexpr std::string_view kEnergy = "energy_per_inference_j";
  MLCARBON_ASSIGN_OR_RETURN(t.model,
                            model_request(map, where, "training", kEnergy));
  MLCARBON_RETURN_IF_ERROR(
      read_way(map, where, t, t.model ? kEnergy : std::string_view()));
  if (t.model)
    t.model->overhead_given = map["overhead"].IsDefined();
  return t;
}

Result<SearchSpec> Parser::parse_search(const YAML::Node& map) const {
  MLCARBON_RETURN_IF_ERROR(expect_map(map, "search"));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, "search", "search"));
  SearchSpec s;
  const YAML::Node runs = map["runs"];
  if (runs.IsDefined()) {
    if (map["trials"].IsDefined() || map["per_trial"].IsDefined()) {
      const char* other = map["trials"].IsDefined() ? "trials" : "per_trial";
      return fail(key_mark(map, "runs"),
                  fmt::format("search is given two ways: '{}' and 'runs'; "
                              "keep one",
                              other));
    }
    if (!runs.IsSequence() || runs.size() == 0) {
      return fail(runs.Mark(),
                  "search.runs: expected a list of training blocks, one per "
                  "trial");
    }
    if (runs.size() > kMaxListEntries) {
      return fail(runs.Mark(),
                  fmt::format("search.runs: {} runs are more than the {} a "
                              "scenario may list; give identical trials as "
                              "'trials' with 'per_trial'",
                              runs.size(), kMaxListEntries));
    }
    s.runs.reserve(runs.size());
    std::size_t i = 0;
    for (const auto& item : runs) {
      ++i;
      MLCARBON_ASSIGN_OR_RETURN(
          auto run, parse_training(item, fmt::format("search.runs[{}]", i)));
      s.runs.push_back(std::move(run));
    }
    return s;
  }
  MLCARBON_ASSIGN_OR_RETURN(auto trials,
                            number(map, "search", "trials", "search"));
  if (!trials || !map["per_trial"].IsDefined()) {
    return fail(map.Mark(),
                "search needs 'trials' and 'per_trial' (one training block), "
                "or 'runs' (a list of training blocks)");
  }
  s.trials = *trials;
  MLCARBON_ASSIGN_OR_RETURN(
      s.per_trial, parse_training(map["per_trial"], "search.per_trial"));
  return s;
}

Result<InferenceSpec> Parser::parse_inference(const YAML::Node& map) const {
  constexpr std::string_view kWhere = "inference";
  MLCARBON_RETURN_IF_ERROR(expect_map(map, kWhere));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, kWhere, kWhere));
  InferenceSpec inf;
  auto get = [&](std::string_view key) {
    return number(map, kWhere, key, kWhere);
  };
  MLCARBON_ASSIGN_OR_RETURN(inf.measured_run, measured_run(map, kWhere));
  if (inf.measured_run) {
    MLCARBON_RETURN_IF_ERROR(
        no_model_fields(map, kWhere, EnergyMethod::kMeasured));
  }
  MLCARBON_ASSIGN_OR_RETURN(
      inf.model, model_request(map, kWhere, kWhere, "energy_per_call_j"));
  std::optional<Range> per_call;
  if (!inf.model) {
    MLCARBON_ASSIGN_OR_RETURN(per_call, get("energy_per_call_j"));
  }
  MLCARBON_ASSIGN_OR_RETURN(auto in_run, get("calls_in_run"));
  if ((per_call || inf.model) && inf.measured_run) {
    return fail(key_mark(map, "measured_run"),
                "inference is given two ways: 'energy_per_call_j' and "
                "'measured_run'; keep one");
  }
  if (inf.model) {
    if (in_run) {
      return fail(key_mark(map, "calls_in_run"),
                  "inference: 'calls_in_run' goes with 'measured_run'");
    }
  } else if (inf.measured_run) {
    if (!in_run) {
      return fail(key_mark(map, "measured_run"),
                  "inference: 'measured_run' needs 'calls_in_run', the calls "
                  "that run served");
    }
    inf.method = EnergyMethod::kMeasured;
    inf.calls_in_run = *in_run;
  } else if (per_call) {
    if (in_run) {
      return fail(key_mark(map, "calls_in_run"),
                  "inference: 'calls_in_run' goes with 'measured_run'");
    }
    inf.energy_per_call_j = *per_call;
  } else {
    return fail(map.Mark(),
                "inference needs 'energy_per_call_j' (a number, predict or "
                "calibrate), 'calibration', or 'measured_run' with "
                "'calls_in_run'");
  }
  MLCARBON_ASSIGN_OR_RETURN(auto calls, get("calls"));
  MLCARBON_ASSIGN_OR_RETURN(auto rate, get("rate_per_s"));
  MLCARBON_ASSIGN_OR_RETURN(auto days, get("lifetime_days"));
  if (calls && (rate || days)) {
    return fail(key_mark(map, rate ? "rate_per_s" : "lifetime_days"),
                "inference calls are given two ways: 'calls' and "
                "'rate_per_s'/'lifetime_days'; keep one");
  }
  if (calls) {
    inf.calls = *calls;
  } else if (rate && days) {
    inf.calls_from_rate = true;
    inf.rate_per_s = *rate;
    inf.lifetime_days = *days;
  } else {
    return fail(map.Mark(),
                "inference needs 'calls', or 'rate_per_s' with "
                "'lifetime_days'");
  }
  return inf;
}

Result<std::vector<EmbodiedDevices>> Parser::parse_embodied(
    const YAML::Node& node) const {
  // One mapping, or a list of them (GPUs and the host's vCPUs, say).
  std::vector<YAML::Node> entries;
  if (node.IsMap()) {
    entries.push_back(node);
  } else if (node.IsSequence() && node.size() > 0 &&
             node.size() <= kMaxListEntries) {
    for (const YAML::Node& item : node)
      entries.push_back(item);
  } else {
    return fail(node.Mark(),
                fmt::format("embodied: expected a mapping (device, count, "
                            "hours) or a non-empty list of them, got {}",
                            yaml_kind(node)));
  }
  const carbon::EmbodiedTable& table = carbon::EmbodiedTable::builtin();
  std::vector<EmbodiedDevices> out;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const YAML::Node& map = entries[i];
    const std::string where = node.IsMap() ? std::string("embodied")
                                           : fmt::format("embodied[{}]", i + 1);
    MLCARBON_RETURN_IF_ERROR(expect_map(map, where));
    MLCARBON_RETURN_IF_ERROR(check_fields(map, where, "embodied"));
    EmbodiedDevices e;
    e.pos = pos_of(map.Mark());
    MLCARBON_ASSIGN_OR_RETURN(auto device, text(map, "device", where));
    if (!device) {
      return fail(map.Mark(),
                  fmt::format("{} needs 'device' (one of: {})", where,
                              fmt::join(table.kinds(), ", ")));
    }
    e.device = *device;
    MLCARBON_ASSIGN_OR_RETURN(auto model, text(map, "model", where));
    e.model = model.value_or("");
    if (auto found = table.find(e.device, e.model); !found) {
      return fail(map["device"].Mark(),
                  fmt::format("{}.device: {}", where, found.error().message()));
    }
    MLCARBON_ASSIGN_OR_RETURN(auto count,
                              number(map, "embodied", "count", where));
    e.count = count.value_or(Range::exact(1.0));
    MLCARBON_ASSIGN_OR_RETURN(auto hours,
                              number(map, "embodied", "hours", where));
    MLCARBON_ASSIGN_OR_RETURN(auto days,
                              number(map, "embodied", "days", where));
    if (hours && days) {
      return fail(key_mark(map, "days"),
                  fmt::format("{}: give 'hours' or 'days', not both", where));
    }
    if (!hours && !days) {
      return fail(map.Mark(),
                  fmt::format("{} needs 'hours' (or 'days'): how long the "
                              "devices are held",
                              where));
    }
    e.hours = hours ? *hours : *days;
    out.push_back(std::move(e));
  }
  return out;
}

Status Parser::parse_place(const YAML::Node& root, Scenario& s) const {
  // The carbon intensity fields: the top-level numbers stored as EF.
  std::vector<std::string_view> given;
  for (const Field& f : detail::fields()) {
    if (!f.block.empty() ||
        !std::holds_alternative<Range Scenario::*>(f.target))
      continue;
    MLCARBON_ASSIGN_OR_RETURN(auto r, number(root, "", f.name, ""));
    if (r) {
      given.push_back(f.name);
      s.intensity_g_per_kwh = *r;
      s.intensity_source = fmt::format("{} in {}", f.name, shown_origin_);
    }
  }
  const YAML::Node region = root["region"];
  if (region.IsDefined() && !given.empty()) {
    return fail(key_mark(root, given[0]),
                fmt::format("give 'region' or '{}', not both", given[0]));
  }
  if (given.size() > 1) {
    return fail(key_mark(root, given[1]),
                fmt::format("give one carbon intensity, not both '{}' and "
                            "'{}'",
                            given[0], given[1]));
  }
  if (region.IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(auto code, text(root, "region", ""));
    auto found = regions_.find(*code);
    if (!found) {
      Error e(found.error().code() == Errc::kNotFound ? Errc::kInvalidArgument
                                                      : found.error().code(),
              fmt::format("{}:{}:{}: {}", origin_, region.Mark().line + 1,
                          region.Mark().column + 1, found.error().to_string()));
      return tl::unexpected(std::move(e).with_remedy(
          found.error().remedy().empty()
              ? "or give carbon_intensity_g_per_kwh: NUMBER"
              : found.error().remedy()));
    }
    const carbon::Region& r = **found;
    detail::use_region(s, r);
  } else if (given.empty()) {
    return fail(root.Mark(),
                "give 'region: CODE' (e.g. DE) or "
                "'carbon_intensity_g_per_kwh: NUMBER'");
  }
  return {};
}

Result<Scenario> Parser::parse_root(const YAML::Node& root) {
  if (!root.IsMap()) {
    YAML::Mark mark = root.Mark();
    if (mark.is_null())
      mark = YAML::Mark();
    return fail(mark,
                "a scenario is a mapping of fields (name, region, search, "
                "training, inference)");
  }
  MLCARBON_RETURN_IF_ERROR(check_fields(root, "", ""));
  Scenario s;
  s.origin = origin_;
  MLCARBON_ASSIGN_OR_RETURN(auto name, text(root, "name", ""));
  s.name = name.value_or(shown_origin_);
  MLCARBON_ASSIGN_OR_RETURN(auto description, text(root, "description", ""));
  (void)description;
  MLCARBON_ASSIGN_OR_RETURN(auto version,
                            number(root, "", "schema_version", ""));
  if (version && !(version->is_exact() && version->central == 1.0)) {
    return fail(root["schema_version"].Mark(),
                "schema_version: this mlcarbon reads scenario schema 1");
  }
  MLCARBON_RETURN_IF_ERROR(parse_place(root, s));
  MLCARBON_ASSIGN_OR_RETURN(auto profile, text(root, "profile", ""));
  if (profile)
    profile_.emplace(*profile, pos_of(root["profile"].Mark()));
  MLCARBON_ASSIGN_OR_RETURN(s.pue, number(root, "", "pue", ""));
  MLCARBON_ASSIGN_OR_RETURN(auto hardware, text(root, "hardware", ""));
  if (hardware) {
    auto parsed = detail::parse_hardware(*hardware);
    if (!parsed) {
      return fail(root["hardware"].Mark(), parsed.error().message());
    }
    s.hardware = *parsed;
  }
  if (root["search"].IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(s.search, parse_search(root["search"]));
  }
  if (root["training"].IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(s.training,
                              parse_training(root["training"], "training"));
  }
  if (root["inference"].IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(s.inference, parse_inference(root["inference"]));
  }
  if (root["embodied"].IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(s.embodied, parse_embodied(root["embodied"]));
  }
  if (!s.search && !s.training && !s.inference) {
    return fail(root.Mark(),
                "the scenario has no phase: give search, training or "
                "inference");
  }
  return s;
}

}  // namespace

std::string_view to_string(EnergyMethod method) {
  switch (method) {
    case EnergyMethod::kMeasured:
      return "measured";
    case EnergyMethod::kResourceTime:
      return "resource-time";
    case EnergyMethod::kModelBased:
      return "model-based";
  }
  return "model-based";
}

std::string_view to_string(ModelWay way) {
  switch (way) {
    case ModelWay::kGiven:
      return "given";
    case ModelWay::kPredict:
      return "predict";
    case ModelWay::kCalibrate:
      return "calibrate";
    case ModelWay::kCalibration:
      return "calibration";
  }
  return "given";
}

std::string_view to_string(Hardware hardware) {
  switch (hardware) {
    case Hardware::kCpu:
      return "cpu";
    case Hardware::kGpu:
      return "gpu";
    case Hardware::kTpu:
      return "tpu";
    case Hardware::kUnknown:
      break;
  }
  return "unknown";
}

Result<Range> parse_range(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    auto parts = split(text.substr(1, text.size() - 2), ',');
    if (parts.size() != 2) {
      return make_error(Errc::kInvalidArgument,
                        "a range is [low, high], got '{}'", text);
    }
    MLCARBON_ASSIGN_OR_RETURN(double low, parse_one(parts[0]));
    MLCARBON_ASSIGN_OR_RETURN(double high, parse_one(parts[1]));
    if (low > high) {
      return make_error(Errc::kInvalidArgument,
                        "range [{}, {}] has its low end above its high end",
                        low, high);
    }
    return Range::between(low, high);
  }
  static constexpr std::array<std::string_view, 3> kPlusMinus = {"\xC2\xB1",
                                                                 "+/-", "+-"};
  for (auto pm : kPlusMinus) {
    const auto at = text.find(pm);
    if (at == std::string_view::npos)
      continue;
    MLCARBON_ASSIGN_OR_RETURN(double value, parse_one(text.substr(0, at)));
    std::string_view pct = trim(text.substr(at + pm.size()));
    if (pct.empty() || pct.back() != '%') {
      return make_error(Errc::kInvalidArgument,
                        "'{}': the uncertainty is a percentage, as in "
                        "'0.002 ± 20%'",
                        text);
    }
    MLCARBON_ASSIGN_OR_RETURN(double percent,
                              parse_one(pct.substr(0, pct.size() - 1)));
    if (percent < 0.0) {
      return make_error(Errc::kInvalidArgument,
                        "'{}': the percentage must not be negative", text);
    }
    const Range r = Range::plus_minus(value, percent);
    if (!std::isfinite(r.low) || !std::isfinite(r.high)) {
      return make_error(Errc::kInvalidArgument,
                        "'{}' is not a finite range of numbers", text);
    }
    return r;
  }
  MLCARBON_ASSIGN_OR_RETURN(double v, parse_one(text));
  return Range::exact(v);
}

Status check_scenario_size(std::uint64_t bytes, std::string_view origin) {
  return check_yaml_size(bytes, origin, kScenarioYaml);
}

Result<Scenario> parse_scenario(std::string_view yaml_text,
                                std::string_view origin,
                                const carbon::RegionTable* regions) {
  const carbon::RegionTable& table =
      regions != nullptr ? *regions : carbon::RegionTable::builtin();
  MLCARBON_ASSIGN_OR_RETURN(const YAML::Node root,
                            load_yaml(yaml_text, origin, kScenarioYaml));
  Parser parser(origin, table);
  try {
    return parser.parse_root(root);
  } catch (const std::exception& e) {
    return tl::unexpected(yaml_error(e, origin, kScenarioYaml));
  }
}

}  // namespace mlcarbon::lifecycle
