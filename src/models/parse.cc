// SPDX-License-Identifier: Apache-2.0
// Model files (docs/model-files.md): YAML or JSON in, a Model with its shapes
// out. yaml-cpp throws, so every call into it stays inside parse_model's
// try block.
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/yaml.h"
#include "mlcarbon/models/model.h"

#include "parse_util.h"

namespace mlcarbon::models {
namespace {

constexpr YamlLimits kModelYaml{
    .noun = "model", .max_bytes = kMaxModelBytes, .max_nesting = 32};

constexpr std::array<std::string_view, 5> kTopKeys = {
    "schema_version", "name", "description", "input", "layers"};

// The keys a layer type takes besides `name`, the required ones first.
struct Keys {
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
};

Keys keys_of(LayerType type) {
  switch (type) {
    case LayerType::kDense:
      return {{"units"}, {"bias"}};
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      return {{"filters", "kernel"}, {"stride", "padding", "groups", "bias"}};
    case LayerType::kMaxPool1d:
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool1d:
    case LayerType::kAvgPool2d:
      return {{"kernel"}, {"stride", "padding"}};
    case LayerType::kDropout:
      return {{}, {"rate"}};
    case LayerType::kEmbedding:
      return {{"vocab", "dim"}, {}};
    case LayerType::kTransformerEncoder:
      return {{"heads", "mlp_dim"}, {"dropout"}};
    default:
      return {};
  }
}

class Parser {
 public:
  explicit Parser(std::string_view origin) : origin_(origin) {}

  Result<Model> parse_root(const YAML::Node& root);

 private:
  using Fail = tl::unexpected<Error>;

  [[nodiscard]] Fail fail(const YAML::Mark& mark, std::string_view message,
                          Errc code = Errc::kInvalidArgument) const {
    return Fail(Error(code, yaml_where(origin_, mark) + std::string(message)));
  }

  Status check_keys(const YAML::Node& map,
                    const std::vector<std::string_view>& allowed,
                    std::string_view where) const;
  Result<std::int64_t> integer(const YAML::Node& node,
                               std::string_view key) const;
  Result<std::vector<std::int64_t>> sizes(const YAML::Node& node,
                                          std::string_view key,
                                          std::size_t dims) const;
  Result<std::string> text(const YAML::Node& node, std::string_view key) const;
  Result<Shape> input(const YAML::Node& node) const;
  Result<Layer> layer(const YAML::Node& entry, std::size_t index) const;
  Status layer_key(Layer& l, const YAML::Node& key,
                   const YAML::Node& value) const;

  std::string origin_;
};

Status Parser::check_keys(const YAML::Node& map,
                          const std::vector<std::string_view>& allowed,
                          std::string_view where) const {
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar())
      return fail(kv.first.Mark(), fmt::format("a key of {} is {}, not a name",
                                               where, yaml_kind(kv.first)));
    const std::string& key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return fail(kv.first.Mark(),
                  fmt::format("unknown key '{}' in {}{}", key, where,
                              unknown_word_hint(key, allowed, "valid keys")));
    }
    if (!seen.insert(key).second)
      return fail(kv.first.Mark(),
                  fmt::format("key '{}' is given twice in {}", key, where));
  }
  return {};
}

Result<std::int64_t> Parser::integer(const YAML::Node& node,
                                     std::string_view key) const {
  if (!node.IsScalar())
    return fail(node.Mark(), fmt::format("{}: expected a whole number, got {}",
                                         key, yaml_kind(node)));
  auto v = parse_whole(node.Scalar(), key);
  if (!v)
    return fail(node.Mark(), v.error().message());
  return *v;
}

Result<std::vector<std::int64_t>> Parser::sizes(const YAML::Node& node,
                                                std::string_view key,
                                                std::size_t dims) const {
  if (node.IsSequence()) {
    if (node.size() != dims)
      return fail(node.Mark(),
                  fmt::format("{}: expected {} value{} (one per spatial "
                              "dimension), got {}",
                              key, dims, dims == 1 ? "" : "s", node.size()));
    std::vector<std::int64_t> values;
    for (const auto& item : node) {
      MLCARBON_ASSIGN_OR_RETURN(auto v, integer(item, key));
      values.push_back(v);
    }
    return values;
  }
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t v, integer(node, key));
  return std::vector<std::int64_t>(dims, v);
}

Result<std::string> Parser::text(const YAML::Node& node,
                                 std::string_view key) const {
  if (!node.IsScalar() || node.Scalar().empty())
    return fail(node.Mark(),
                fmt::format("{}: expected text, got {}", key, yaml_kind(node)));
  // The file is checked to be UTF-8, but yaml-cpp decodes a lone UTF-16
  // surrogate to bytes that are not.
  if (first_invalid_utf8(node.Scalar()) != std::string_view::npos)
    return fail(node.Mark(),
                fmt::format("{}: the text is not valid UTF-8 (an escape or a "
                            "UTF-16 surrogate gives an invalid character)",
                            key),
                Errc::kParse);
  return node.Scalar();
}

Result<Shape> Parser::input(const YAML::Node& node) const {
  if (!node.IsSequence() || node.size() == 0 || node.size() > kMaxRank)
    return fail(node.Mark(),
                fmt::format("input: expected the shape of one sample as a "
                            "list of 1 to {} sizes, e.g. [1, 28, 28]",
                            kMaxRank));
  Shape shape;
  for (const auto& item : node) {
    MLCARBON_ASSIGN_OR_RETURN(auto v, integer(item, "input"));
    shape.push_back(v);
  }
  return shape;
}

Status Parser::layer_key(Layer& l, const YAML::Node& key,
                         const YAML::Node& value) const {
  const std::string& k = key.Scalar();
  if (k == "name") {
    MLCARBON_ASSIGN_OR_RETURN(l.name, text(value, k));
  } else if (k == "units" || k == "filters" || k == "dim") {
    MLCARBON_ASSIGN_OR_RETURN(l.units, integer(value, k));
  } else if (k == "groups") {
    MLCARBON_ASSIGN_OR_RETURN(l.groups, integer(value, k));
  } else if (k == "vocab") {
    MLCARBON_ASSIGN_OR_RETURN(l.vocab, integer(value, k));
  } else if (k == "heads") {
    MLCARBON_ASSIGN_OR_RETURN(l.heads, integer(value, k));
  } else if (k == "mlp_dim") {
    MLCARBON_ASSIGN_OR_RETURN(l.mlp_dim, integer(value, k));
  } else if (k == "kernel") {
    MLCARBON_ASSIGN_OR_RETURN(l.kernel, sizes(value, k, spatial_dims(l.type)));
  } else if (k == "stride") {
    MLCARBON_ASSIGN_OR_RETURN(l.stride, sizes(value, k, spatial_dims(l.type)));
  } else if (k == "padding") {
    MLCARBON_ASSIGN_OR_RETURN(l.padding, sizes(value, k, spatial_dims(l.type)));
  } else if (k == "bias") {
    const std::string s = value.IsScalar() ? value.Scalar() : "";
    if (!iequals(s, "true") && !iequals(s, "false"))
      return fail(value.Mark(), "bias: expected true or false");
    l.bias = iequals(s, "true");
  } else if (k == "rate" || k == "dropout") {
    auto v = value.IsScalar() ? parse_double(value.Scalar())
                              : make_error(Errc::kInvalidArgument, "");
    if (!v || *v < 0.0 || *v > 1.0)
      return fail(value.Mark(),
                  fmt::format("{}: expected a probability from 0 to 1", k));
    l.rate = *v;
  }
  return {};
}

Result<Layer> Parser::layer(const YAML::Node& entry, std::size_t index) const {
  const YAML::Mark mark = entry.Mark();
  YAML::Node type_node;
  YAML::Node params;
  if (entry.IsScalar()) {
    type_node = entry;
  } else if (entry.IsMap() && entry.size() == 1) {
    type_node = entry.begin()->first;
    params = entry.begin()->second;
  } else {
    return fail(mark, fmt::format("layer {}: expected a type name (relu) or "
                                  "one type with its keys (dense: {{units: "
                                  "10}}), got {}",
                                  index + 1, yaml_kind(entry)));
  }
  const std::string type_name = type_node.IsScalar() ? type_node.Scalar() : "";
  const auto type = parse_layer_type(type_name);
  if (!type || *type == LayerType::kOther) {
    return fail(type_node.Mark(),
                fmt::format("unknown layer type '{}'{}", type_name,
                            unknown_word_hint(type_name, layer_type_names(),
                                              "layer types")));
  }
  Layer l = new_layer(*type, index);
  l.pos = Pos{mark.line + 1, mark.column + 1};
  const Keys keys = keys_of(l.type);
  const std::string where = fmt::format("a {} layer", type_name);
  if (params.IsDefined() && !params.IsNull()) {
    if (!params.IsMap())
      return fail(params.Mark(),
                  fmt::format("the keys of {} are a mapping, e.g. {}: {{{}}}",
                              where, type_name,
                              keys.required.empty()
                                  ? "name: first"
                                  : fmt::format("{}: 8", keys.required[0])));
    std::vector<std::string_view> allowed = keys.required;
    allowed.insert(allowed.end(), keys.optional.begin(), keys.optional.end());
    allowed.emplace_back("name");
    MLCARBON_RETURN_IF_ERROR(check_keys(params, allowed, where));
    for (const auto& kv : params)
      MLCARBON_RETURN_IF_ERROR(layer_key(l, kv.first, kv.second));
  }
  for (auto key : keys.required) {
    if (!params.IsMap() || !params[std::string(key)].IsDefined())
      return fail(
          mark, fmt::format("{} needs {} (and takes {})", where,
                            fmt::join(keys.required, ", "),
                            keys.optional.empty()
                                ? std::string("name")
                                : fmt::format("{}, name",
                                              fmt::join(keys.optional, ", "))));
  }
  complete_layer(l);
  return l;
}

Result<Model> Parser::parse_root(const YAML::Node& root) {
  if (!root.IsMap())
    return fail(root.Mark(),
                "a model is a mapping with input and layers "
                "(docs/model-files.md)");
  MLCARBON_RETURN_IF_ERROR(check_keys(
      root, std::vector<std::string_view>(kTopKeys.begin(), kTopKeys.end()),
      "the model"));
  Model m;
  m.origin = origin_;
  if (const YAML::Node v = root["schema_version"]; v.IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(const auto version, integer(v, "schema_version"));
    if (version != 1)
      return fail(v.Mark(),
                  "schema_version: this mlcarbon reads model "
                  "schema 1");
  }
  if (const YAML::Node v = root["name"]; v.IsDefined()) {
    MLCARBON_ASSIGN_OR_RETURN(m.name, text(v, "name"));
  } else {
    m.name = to_valid_utf8(std::filesystem::path(origin_).stem().string());
  }
  if (const YAML::Node v = root["description"]; v.IsDefined()) {
    MLCARBON_RETURN_IF_ERROR(text(v, "description"));
  }
  const YAML::Node input_node = root["input"];
  if (!input_node.IsDefined())
    return fail(root.Mark(),
                "the model needs 'input: [sizes]', the shape of "
                "one sample without the batch");
  MLCARBON_ASSIGN_OR_RETURN(m.input, input(input_node));
  const YAML::Node layers = root["layers"];
  if (!layers.IsDefined() || !layers.IsSequence() || layers.size() == 0)
    return fail(layers.IsDefined() ? layers.Mark() : root.Mark(),
                "the model needs 'layers:', a list of at least one layer");
  if (layers.size() > kMaxLayers)
    return fail(layers.Mark(),
                fmt::format("{} layers; a model may have at most {}",
                            layers.size(), kMaxLayers));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    MLCARBON_ASSIGN_OR_RETURN(Layer l, layer(layers[i], i));
    m.layers.push_back(std::move(l));
  }
  MLCARBON_RETURN_IF_ERROR(check_names(m));
  MLCARBON_RETURN_IF_ERROR(infer_shapes(m));
  return m;
}

}  // namespace

Result<Model> parse_model(std::string_view text, std::string_view origin) {
  MLCARBON_ASSIGN_OR_RETURN(const YAML::Node root,
                            load_yaml(text, origin, kModelYaml));
  try {
    return Parser(origin).parse_root(root);
  } catch (const std::exception& e) {
    return tl::unexpected(yaml_error(e, origin, kModelYaml));
  }
}

Status check_model_size(std::uint64_t bytes, std::string_view origin) {
  return check_yaml_size(bytes, origin, kModelYaml);
}

}  // namespace mlcarbon::models
