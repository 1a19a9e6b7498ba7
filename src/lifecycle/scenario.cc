// SPDX-License-Identifier: Apache-2.0
// Scenario files: YAML in, a checked Scenario out. yaml-cpp throws, so every
// call into it stays inside parse_scenario's try block.
#include "mlcarbon/lifecycle/scenario.h"

#include <array>
#include <cmath>
#include <set>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/units.h"

#include "bounds.h"

namespace mlcarbon::lifecycle {
namespace {

using detail::Bound;
using detail::check_bound;

class Parser {
 public:
  Parser(std::string_view origin, const carbon::RegionTable& regions)
      : origin_(origin), regions_(regions) {}

  Result<Scenario> parse_root(const YAML::Node& root);

 private:
  using Fail = tl::unexpected<Error>;

  [[nodiscard]] Fail fail(const YAML::Mark& mark, std::string message,
                          Errc code = Errc::kInvalidArgument) const {
    return Fail(Error(code, fmt::format("{}:{}:{}: {}", origin_, mark.line + 1,
                                        mark.column + 1, message)));
  }

  Status check_fields(const YAML::Node& map, std::string_view where,
                      std::span<const std::string_view> allowed) const;
  Result<std::optional<Range>> number(const YAML::Node& map,
                                      std::string_view key,
                                      std::string_view where,
                                      Bound bound) const;
  Result<Range> to_range(const YAML::Node& node, std::string_view path,
                         Bound bound) const;
  Result<std::optional<std::string>> text(const YAML::Node& map,
                                          std::string_view key,
                                          std::string_view where) const;
  Status expect_map(const YAML::Node& node, std::string_view where) const;
  Result<TrainingSpec> parse_training(const YAML::Node& map,
                                      std::string_view where) const;
  Result<SearchSpec> parse_search(const YAML::Node& map) const;
  Result<InferenceSpec> parse_inference(const YAML::Node& map) const;
  Result<std::optional<MeasuredRun>> measured_run(const YAML::Node& map,
                                                  std::string_view where) const;
  Status parse_place(const YAML::Node& root, Scenario& s) const;

  std::string origin_;
  const carbon::RegionTable& regions_;
};

std::string join(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

std::string_view describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "a scalar";
  }
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

Status Parser::check_fields(const YAML::Node& map, std::string_view where,
                            std::span<const std::string_view> allowed) const {
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
                                         where, describe(node)));
  }
  return {};
}

Result<Range> Parser::to_range(const YAML::Node& node, std::string_view path,
                               Bound bound) const {
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
                                             path, describe(item)));
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
                            path, describe(node)));
  }
  if (auto ok = check_bound(r, bound); !ok) {
    return fail(node.Mark(), fmt::format("{}: {}", path, ok.error().message()));
  }
  return r;
}

Result<std::optional<Range>> Parser::number(const YAML::Node& map,
                                            std::string_view key,
                                            std::string_view where,
                                            Bound bound) const {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined())
    return std::optional<Range>();
  MLCARBON_ASSIGN_OR_RETURN(Range r, to_range(node, join(where, key), bound));
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
                                         join(where, key), describe(node)));
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

// The first key of `map` that is in `group`, or nullptr.
const char* first_of(const YAML::Node& map,
                     std::span<const std::string_view> group) {
  for (const auto& kv : map) {
    for (auto g : group) {
      if (kv.first.Scalar() == g)
        return g.data();
    }
  }
  return nullptr;
}

YAML::Mark key_mark(const YAML::Node& map, std::string_view key) {
  for (const auto& kv : map) {
    if (kv.first.Scalar() == key)
      return kv.first.Mark();
  }
  return map.Mark();
}

constexpr std::array<std::string_view, 4> kModelFields = {
    "samples", "epochs", "energy_per_inference_j", "overhead"};
constexpr std::array<std::string_view, 2> kMeasuredFields = {"energy_kwh",
                                                             "measured_run"};
constexpr std::array<std::string_view, 4> kResourceFields = {
    "hours", "days", "devices", "power_w"};
constexpr std::array<std::string_view, 10> kTrainingFields = {
    "samples",  "epochs",     "energy_per_inference_j",
    "overhead", "energy_kwh", "measured_run",
    "hours",    "days",       "devices",
    "power_w"};

// θ when not given: the paper measured the training overhead approaching
// 80 % of training energy (section 4.3), i.e. a pass costs 5 inferences.
constexpr double kDefaultOverhead = 5.0;

Result<TrainingSpec> Parser::parse_training(const YAML::Node& map,
                                            std::string_view where) const {
  MLCARBON_RETURN_IF_ERROR(expect_map(map, where));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, where, kTrainingFields));
  struct Way {
    EnergyMethod method;
    const char* key;
  };
  std::vector<Way> ways;
  if (auto k = first_of(map, kModelFields))
    ways.push_back({EnergyMethod::kModelBased, k});
  if (auto k = first_of(map, kMeasuredFields))
    ways.push_back({EnergyMethod::kMeasured, k});
  if (auto k = first_of(map, kResourceFields))
    ways.push_back({EnergyMethod::kResourceTime, k});
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
  TrainingSpec t;
  t.method = ways[0].method;
  auto require = [&](std::string_view key, Bound bound) -> Result<Range> {
    MLCARBON_ASSIGN_OR_RETURN(auto r, number(map, key, where, bound));
    if (!r) {
      return fail(map.Mark(), fmt::format("{}: {} training needs '{}'", where,
                                          to_string(t.method), key));
    }
    return *r;
  };
  switch (t.method) {
    case EnergyMethod::kModelBased: {
      MLCARBON_ASSIGN_OR_RETURN(t.samples,
                                require("samples", Bound::kPositive));
      MLCARBON_ASSIGN_OR_RETURN(t.epochs, require("epochs", Bound::kPositive));
      MLCARBON_ASSIGN_OR_RETURN(
          t.energy_per_inference_j,
          require("energy_per_inference_j", Bound::kPositive));
      MLCARBON_ASSIGN_OR_RETURN(
          auto overhead, number(map, "overhead", where, Bound::kPositive));
      t.overhead = overhead.value_or(Range::exact(kDefaultOverhead));
      break;
    }
    case EnergyMethod::kMeasured: {
      if (map["energy_kwh"].IsDefined() && map["measured_run"].IsDefined()) {
        return fail(key_mark(map, "measured_run"),
                    fmt::format("{} is given two ways: 'energy_kwh' and "
                                "'measured_run'; keep one",
                                where));
      }
      MLCARBON_ASSIGN_OR_RETURN(t.measured_run, measured_run(map, where));
      if (!t.measured_run) {
        MLCARBON_ASSIGN_OR_RETURN(t.energy_kwh,
                                  require("energy_kwh", Bound::kPositive));
      }
      break;
    }
    case EnergyMethod::kResourceTime: {
      MLCARBON_ASSIGN_OR_RETURN(auto hours,
                                number(map, "hours", where, Bound::kPositive));
      MLCARBON_ASSIGN_OR_RETURN(auto days,
                                number(map, "days", where, Bound::kPositive));
      if (hours && days) {
        return fail(key_mark(map, "days"),
                    fmt::format("{}: give 'hours' or 'days', not both", where));
      }
      if (!hours && !days) {
        return fail(map.Mark(),
                    fmt::format("{}: resource-time training needs 'hours' or "
                                "'days'",
                                where));
      }
      t.hours = hours ? *hours : *days * 24.0;
      MLCARBON_ASSIGN_OR_RETURN(
          auto devices, number(map, "devices", where, Bound::kPositive));
      t.devices = devices.value_or(Range::exact(1.0));
      MLCARBON_ASSIGN_OR_RETURN(t.power_w,
                                require("power_w", Bound::kPositive));
      break;
    }
  }
  return t;
}

Result<SearchSpec> Parser::parse_search(const YAML::Node& map) const {
  static constexpr std::array<std::string_view, 3> kFields = {
      "trials", "per_trial", "runs"};
  MLCARBON_RETURN_IF_ERROR(expect_map(map, "search"));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, "search", kFields));
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
    for (std::size_t i = 0; i < runs.size(); ++i) {
      MLCARBON_ASSIGN_OR_RETURN(
          auto run,
          parse_training(runs[i], fmt::format("search.runs[{}]", i + 1)));
      s.runs.push_back(std::move(run));
    }
    return s;
  }
  MLCARBON_ASSIGN_OR_RETURN(auto trials,
                            number(map, "trials", "search", Bound::kPositive));
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
  static constexpr std::array<std::string_view, 6> kFields = {
      "energy_per_call_j", "measured_run", "calls_in_run", "calls",
      "rate_per_s",        "lifetime_days"};
  constexpr std::string_view kWhere = "inference";
  MLCARBON_RETURN_IF_ERROR(expect_map(map, kWhere));
  MLCARBON_RETURN_IF_ERROR(check_fields(map, kWhere, kFields));
  InferenceSpec inf;
  MLCARBON_ASSIGN_OR_RETURN(auto per_call, number(map, "energy_per_call_j",
                                                  kWhere, Bound::kPositive));
  MLCARBON_ASSIGN_OR_RETURN(inf.measured_run, measured_run(map, kWhere));
  MLCARBON_ASSIGN_OR_RETURN(
      auto in_run, number(map, "calls_in_run", kWhere, Bound::kPositive));
  if (per_call && inf.measured_run) {
    return fail(key_mark(map, "measured_run"),
                "inference is given two ways: 'energy_per_call_j' and "
                "'measured_run'; keep one");
  }
  if (inf.measured_run) {
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
                "inference needs 'energy_per_call_j', or 'measured_run' with "
                "'calls_in_run'");
  }
  MLCARBON_ASSIGN_OR_RETURN(auto calls,
                            number(map, "calls", kWhere, Bound::kNonNegative));
  MLCARBON_ASSIGN_OR_RETURN(
      auto rate, number(map, "rate_per_s", kWhere, Bound::kNonNegative));
  MLCARBON_ASSIGN_OR_RETURN(
      auto days, number(map, "lifetime_days", kWhere, Bound::kPositive));
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

Status Parser::parse_place(const YAML::Node& root, Scenario& s) const {
  struct Unit {
    std::string_view key;
    double grams;  // per the unit of the field
  };
  static constexpr std::array<Unit, 3> kIntensity = {
      Unit{"carbon_intensity_g_per_kwh", 1.0},
      Unit{"carbon_intensity_kg_per_kwh", 1000.0},
      Unit{"carbon_intensity_lb_per_kwh", kGramsPerPound}};
  std::vector<std::string_view> given;
  for (const auto& u : kIntensity) {
    MLCARBON_ASSIGN_OR_RETURN(auto r,
                              number(root, u.key, "", Bound::kNonNegative));
    if (r) {
      given.push_back(u.key);
      s.intensity_g_per_kwh = *r * u.grams;
      s.intensity_source = fmt::format("{} in {}", u.key, origin_);
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
  static constexpr std::array<std::string_view, 12> kFields = {
      "name",
      "description",
      "region",
      "carbon_intensity_g_per_kwh",
      "carbon_intensity_kg_per_kwh",
      "carbon_intensity_lb_per_kwh",
      "pue",
      "hardware",
      "search",
      "training",
      "inference",
      "schema_version"};
  if (!root.IsMap()) {
    YAML::Mark mark = root.Mark();
    if (mark.is_null())
      mark = YAML::Mark();
    return fail(mark,
                "a scenario is a mapping of fields (name, region, search, "
                "training, inference)");
  }
  MLCARBON_RETURN_IF_ERROR(check_fields(root, "", kFields));
  Scenario s;
  s.origin = origin_;
  MLCARBON_ASSIGN_OR_RETURN(auto name, text(root, "name", ""));
  s.name = name.value_or(origin_);
  MLCARBON_ASSIGN_OR_RETURN(auto description, text(root, "description", ""));
  (void)description;
  MLCARBON_ASSIGN_OR_RETURN(auto version,
                            number(root, "schema_version", "", Bound::kPue));
  if (version && !(version->is_exact() && version->central == 1.0)) {
    return fail(root["schema_version"].Mark(),
                "schema_version: this mlcarbon reads scenario schema 1");
  }
  MLCARBON_RETURN_IF_ERROR(parse_place(root, s));
  MLCARBON_ASSIGN_OR_RETURN(s.pue, number(root, "pue", "", Bound::kPue));
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
  if (!s.search && !s.training && !s.inference) {
    return fail(root.Mark(),
                "the scenario has no phase: give search, training or "
                "inference");
  }
  return s;
}

}  // namespace

namespace detail {

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

}  // namespace detail

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
    return Range::plus_minus(value, percent);
  }
  MLCARBON_ASSIGN_OR_RETURN(double v, parse_one(text));
  return Range::exact(v);
}

Result<Scenario> parse_scenario(std::string_view yaml_text,
                                std::string_view origin,
                                const carbon::RegionTable* regions) {
  const carbon::RegionTable& table =
      regions != nullptr ? *regions : carbon::RegionTable::builtin();
  Parser parser(origin, table);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    return parser.parse_root(root);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's marks are 0-based; an unknown position reads as 1:1.
    const int line = e.mark.is_null() ? 0 : e.mark.line;
    const int column = e.mark.is_null() ? 0 : e.mark.column;
    return make_error(Errc::kParse, "{}:{}:{}: malformed YAML: {}", origin,
                      line + 1, column + 1, e.msg);
  } catch (const std::exception& e) {
    return make_error(Errc::kParse, "{}: {}", origin, e.what());
  }
}

}  // namespace mlcarbon::lifecycle
