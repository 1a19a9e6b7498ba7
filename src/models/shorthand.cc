// SPDX-License-Identifier: Apache-2.0
// The shorthands of the paper's model families (model.h, docs/model-files.md).
#include <algorithm>
#include <array>
#include <map>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/models/model.h"

#include "parse_util.h"

namespace mlcarbon::models {
namespace {

struct Family {
  std::string_view name;
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};

const std::array<Family, 2>& families() {
  static const std::array<Family, 2> kFamilies = {{
      {"mlp", {"depth", "width", "inputs"}, {"outputs", "activation"}},
      {"cnn", {"depth", "filters", "inputs"}, {"kernel", "outputs"}},
  }};
  return kFamilies;
}

constexpr std::array<std::string_view, 4> kActivations = {"relu", "tanh",
                                                          "sigmoid", "gelu"};

class Shorthand {
 public:
  explicit Shorthand(std::string_view text) : text_(text) {}

  Result<Model> parse();

 private:
  template <typename... Args>
  [[nodiscard]] tl::unexpected<Error> fail(fmt::format_string<Args...> format,
                                           Args&&... args) const {
    return make_error(Errc::kInvalidArgument, "'{}': {}", text_,
                      fmt::format(format, std::forward<Args>(args)...));
  }
  Result<std::int64_t> number(std::string_view key,
                              std::int64_t fallback) const;
  void add(Model& m, LayerType type) const;

  std::string_view text_;
  std::map<std::string, std::string, std::less<>> values_;
};

Result<std::int64_t> Shorthand::number(std::string_view key,
                                       std::int64_t fallback) const {
  const auto it = values_.find(key);
  if (it == values_.end())
    return fallback;
  auto v = parse_whole(it->second, key);
  if (!v)
    return fail("{}", v.error().message());
  if (*v < 1)
    return fail("{}: expected a positive whole number, got {}", key, *v);
  return *v;
}

void Shorthand::add(Model& m, LayerType type) const {
  m.layers.push_back(new_layer(type, m.layers.size()));
}

Result<Model> Shorthand::parse() {
  const auto colon = text_.find(':');
  const std::string_view family_name = text_.substr(0, colon);
  const auto family =
      std::find_if(families().begin(), families().end(),
                   [&](const Family& f) { return f.name == family_name; });
  if (colon == std::string_view::npos || family == families().end())
    return fail(
        "not a shorthand; write mlp:depth=D,width=W,inputs=N or "
        "cnn:depth=D,filters=F,inputs=N");
  std::vector<std::string_view> allowed = family->required;
  allowed.insert(allowed.end(), family->optional.begin(),
                 family->optional.end());
  for (const auto field : split(text_.substr(colon + 1), ',')) {
    if (trim(field).empty())
      continue;  // "mlp:" alone, a trailing comma
    const auto eq = field.find('=');
    if (eq == std::string_view::npos)
      return fail("'{}' is not KEY=VALUE", field);
    const std::string key(trim(field.substr(0, eq)));
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return fail("unknown key '{}' of {}{}", key, family->name,
                  unknown_word_hint(key, allowed, "valid keys"));
    if (!values_.emplace(key, trim(field.substr(eq + 1))).second)
      return fail("key '{}' is given twice", key);
  }
  std::vector<std::string_view> missing;
  for (auto key : family->required) {
    if (!values_.contains(key))
      missing.push_back(key);
  }
  if (!missing.empty())
    return fail("{} needs {} (missing: {})", family->name,
                fmt::join(family->required, ", "), fmt::join(missing, ", "));

  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t depth, number("depth", 0));
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t inputs, number("inputs", 0));
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t outputs, number("outputs", 1));
  // mlp: two layers per level and the head; cnn: also the flatten.
  const auto most = static_cast<std::int64_t>(kMaxLayers - 2) / 2;
  if (depth > most)
    return fail(
        "depth {} is more than the {} levels a model of at most {} "
        "layers has room for",
        depth, most, kMaxLayers);
  Model m;
  m.name = std::string(text_);
  m.origin = std::string(text_);
  if (family->name == "mlp") {
    MLCARBON_ASSIGN_OR_RETURN(const std::int64_t width, number("width", 0));
    const std::string activation =
        values_.contains("activation") ? values_["activation"] : "relu";
    const auto act =
        std::find(kActivations.begin(), kActivations.end(), activation);
    if (act == kActivations.end())
      return fail("unknown activation '{}'{}", activation,
                  unknown_word_hint(activation, kActivations, "activations"));
    m.input = {inputs};
    for (std::int64_t i = 0; i < depth; ++i) {
      add(m, LayerType::kDense);
      m.layers.back().units = width;
      add(m, *parse_layer_type(*act));
    }
  } else {
    MLCARBON_ASSIGN_OR_RETURN(const std::int64_t filters, number("filters", 0));
    MLCARBON_ASSIGN_OR_RETURN(const std::int64_t kernel, number("kernel", 3));
    m.input = {1, inputs};
    for (std::int64_t i = 0; i < depth; ++i) {
      add(m, LayerType::kConv1d);
      Layer& conv = m.layers.back();
      conv.units = filters;
      conv.kernel = {kernel};
      conv.padding = {kernel / 2};
      complete_layer(conv);
      add(m, LayerType::kRelu);
    }
    add(m, LayerType::kFlatten);
  }
  add(m, LayerType::kDense);
  m.layers.back().units = outputs;
  MLCARBON_RETURN_IF_ERROR(infer_shapes(m));
  return m;
}

}  // namespace

bool is_shorthand(std::string_view text) {
  return std::any_of(
      families().begin(), families().end(), [&](const Family& f) {
        return text.size() > f.name.size() && text.starts_with(f.name) &&
               text[f.name.size()] == ':';
      });
}

Result<Model> parse_shorthand(std::string_view text) {
  return Shorthand(text).parse();
}

}  // namespace mlcarbon::models
