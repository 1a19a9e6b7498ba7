// SPDX-License-Identifier: Apache-2.0
#include "parse_util.h"

#include <map>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon::models {

std::size_t spatial_dims(LayerType type) {
  switch (type) {
    case LayerType::kConv2d:
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      return 2;
    default:
      return 1;
  }
}

Layer new_layer(LayerType type, std::size_t index) {
  Layer l;
  l.type = type;
  l.name = fmt::format("{}_{}", to_string(type), index + 1);
  if (type == LayerType::kDropout)
    l.rate = 0.5;
  if (type == LayerType::kTransformerEncoder)
    l.rate = 0.1;
  return l;
}

void complete_layer(Layer& l) {
  switch (l.type) {
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      if (l.stride.empty())
        l.stride.assign(spatial_dims(l.type), 1);
      break;
    case LayerType::kMaxPool1d:
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool1d:
    case LayerType::kAvgPool2d:
      if (l.stride.empty())
        l.stride = l.kernel;
      break;
    default:
      return;
  }
  if (l.padding.empty())
    l.padding.assign(spatial_dims(l.type), 0);
}

Status check_names(const Model& model) {
  std::map<std::string_view, std::size_t> first;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const Layer& l = model.layers[i];
    const auto [at, fresh] = first.emplace(l.name, i);
    if (fresh)
      continue;
    const std::string where =
        l.pos.line > 0
            ? fmt::format("{}:{}:{}", model.origin, l.pos.line, l.pos.column)
            : model.origin;
    return make_error(Errc::kInvalidArgument,
                      "{}: layer {} is named '{}' like layer {}; names must "
                      "be unique",
                      where, i + 1, l.name, at->second + 1);
  }
  return {};
}

Result<std::int64_t> parse_whole(std::string_view text, std::string_view key) {
  if (auto v = parse_integer<std::int64_t>(trim(text)))
    return *v;
  return make_error(Errc::kInvalidArgument,
                    "{}: expected a whole number, got '{}'", key, text);
}

std::string unknown_word_hint(std::string_view word,
                              std::span<const std::string_view> candidates,
                              std::string_view label) {
  const std::vector<std::string> names(candidates.begin(), candidates.end());
  std::string hint;
  if (auto best = suggest(word, names))
    hint = fmt::format("; did you mean '{}'?", *best);
  return hint + fmt::format(" ({}: {})", label, fmt::join(candidates, ", "));
}

}  // namespace mlcarbon::models
