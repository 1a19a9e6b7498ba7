// SPDX-License-Identifier: Apache-2.0
// Structured pruning and narrower students (docs/engine.md, "Pruning").
#include "mlcarbon/engine/pruning.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mlcarbon::engine {

namespace {

using models::Layer;
using models::LayerType;
using models::Model;
using models::Shape;

bool is_prunable_type(LayerType t) {
  return t == LayerType::kDense || t == LayerType::kConv1d ||
         t == LayerType::kConv2d;
}

std::string describe(const Layer& layer, std::size_t index) {
  return fmt::format("layer {} '{}' ({})", index, layer.name,
                     models::to_string(layer.type));
}

/// The index of the last layer with parameters: the output layer, which
/// keeps its units.
std::optional<std::size_t> output_layer(const Model& model) {
  for (std::size_t i = model.layers.size(); i-- > 0;)
    if (model.stats[i].params > 0)
      return i;
  return std::nullopt;
}

/// Entries `index` along `axis` of `t`, in that order.
Tensor select(const Tensor& t, std::size_t axis,
              const std::vector<std::int64_t>& index) {
  auto prod = [&](std::size_t from, std::size_t to) {
    std::int64_t n = 1;
    for (std::size_t d = from; d < to; ++d)
      n *= t.shape[d];
    return n;
  };
  const std::int64_t outer = prod(0, axis);
  const std::int64_t dim = t.shape[axis];
  const auto inner = static_cast<std::size_t>(prod(axis + 1, t.shape.size()));
  Tensor out{.name = t.name, .shape = t.shape, .values = {}};
  out.shape[axis] = static_cast<std::int64_t>(index.size());
  out.values.reserve(static_cast<std::size_t>(outer) * index.size() * inner);
  for (std::int64_t o = 0; o < outer; ++o) {
    for (std::int64_t k : index) {
      const auto from = static_cast<std::size_t>(o * dim + k) * inner;
      out.values.insert(
          out.values.end(),
          t.values.begin() + static_cast<std::ptrdiff_t>(from),
          t.values.begin() + static_cast<std::ptrdiff_t>(from + inner));
    }
  }
  return out;
}

/// The positions a flatten gives the entries of `shape` whose index along
/// `axis` is in `kept`, in the order the flatten of the pruned shape lists
/// them.
std::vector<std::int64_t> flat_positions(
    const Shape& shape, std::size_t axis,
    const std::vector<std::int64_t>& kept) {
  Shape pruned = shape;
  pruned[axis] = static_cast<std::int64_t>(kept.size());
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * shape[d];
  std::int64_t count = 1;
  for (auto d : pruned)
    count *= d;
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(count));
  std::vector<std::int64_t> at(shape.size(), 0);  // index into `pruned`
  for (std::int64_t n = 0; n < count; ++n) {
    std::int64_t flat = 0;
    for (std::size_t d = 0; d < shape.size(); ++d)
      flat += (d == axis ? kept[static_cast<std::size_t>(at[d])] : at[d]) *
              strides[d];
    out.push_back(flat);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++at[d] < pruned[d])
        break;
      at[d] = 0;
    }
  }
  return out;
}

/// One change a pruned layer implies: `tensors` of layer `layer` lose the
/// entries along `axis` that are not in `index`.
struct Cut {
  std::size_t layer = 0;
  std::vector<std::string_view> tensors;
  std::size_t axis = 0;
  std::vector<std::int64_t> index;
};

/// The cuts that follow from keeping `kept` of layer `i`'s units: its own
/// rows, the norms and pools between, the reader's inputs. A reason
/// instead when something downstream cannot shrink with them.
struct Plan {
  std::vector<Cut> cuts;
  std::string why_not;
};

Plan plan_cuts(const Model& model, std::size_t i,
               const std::vector<std::int64_t>& kept) {
  Plan plan;
  plan.cuts.push_back(
      {.layer = i, .tensors = {"weight", "bias"}, .axis = 0, .index = kept});
  const Shape& out = model.stats[i].output;
  // Where the units lie in the activations: the channel axis after a conv
  // layer, the last axis after a dense one; after a flatten, at `flat`.
  std::size_t axis =
      model.layers[i].type == LayerType::kDense ? out.size() - 1 : 0;
  std::optional<std::vector<std::int64_t>> flat;
  auto refuse = [&](std::size_t j, std::string_view why) {
    plan.why_not =
        fmt::format("{} is left whole: {} ({})", describe(model.layers[i], i),
                    why, describe(model.layers[j], j));
    return plan;
  };
  // A grouped convolution's filters are tied to their group's channels.
  if (model.layers[i].groups != 1)
    return refuse(i, "a grouped conv keeps its groups whole");
  for (std::size_t j = i + 1; j < model.layers.size(); ++j) {
    const Layer& l = model.layers[j];
    const Shape& in = model.stats[j].input;
    switch (l.type) {
      case LayerType::kRelu:
      case LayerType::kTanh:
      case LayerType::kSigmoid:
      case LayerType::kGelu:
      case LayerType::kDropout:
        continue;
      case LayerType::kBatchNorm:
        if (flat || axis != 0)
          return refuse(j, "a batchnorm over other features reads them");
        plan.cuts.push_back(
            {.layer = j,
             .tensors = {"weight", "bias", "running_mean", "running_var"},
             .axis = 0,
             .index = kept});
        continue;
      case LayerType::kLayerNorm:
        if (flat || axis + 1 != in.size())
          return refuse(j, "a layernorm over other features reads them");
        plan.cuts.push_back({.layer = j,
                             .tensors = {"weight", "bias"},
                             .axis = 0,
                             .index = kept});
        continue;
      case LayerType::kMaxPool1d:
      case LayerType::kMaxPool2d:
      case LayerType::kAvgPool1d:
      case LayerType::kAvgPool2d:
        if (flat || axis != 0)
          return refuse(j, "a pooling layer mixes them");
        continue;
      case LayerType::kFlatten:
        if (!flat)
          flat = flat_positions(in, axis, kept);
        continue;
      case LayerType::kDense:
        if (flat) {
          plan.cuts.push_back(
              {.layer = j, .tensors = {"weight"}, .axis = 1, .index = *flat});
          return plan;
        }
        if (axis + 1 != in.size())
          return refuse(j, "a dense layer reads another axis");
        plan.cuts.push_back(
            {.layer = j, .tensors = {"weight"}, .axis = 1, .index = kept});
        return plan;
      case LayerType::kConv1d:
      case LayerType::kConv2d:
        if (flat || axis != 0)
          return refuse(j, "a conv layer reads other channels");
        if (model.layers[j].groups != 1)
          return refuse(j, "a grouped conv keeps its groups whole");
        plan.cuts.push_back(
            {.layer = j, .tensors = {"weight"}, .axis = 1, .index = kept});
        return plan;
      case LayerType::kSoftmax:
        return refuse(j, "a softmax normalises over them");
      case LayerType::kEmbedding:
      case LayerType::kTransformerEncoder:
      case LayerType::kOther:
        return refuse(j, "it cannot shrink with them");
    }
  }
  plan.why_not = fmt::format("{} is left whole: no layer reads its units",
                             describe(model.layers[i], i));
  return plan;
}

/// The units to keep: the `keep` of largest norm (the lower index first on
/// a tie), ascending.
std::vector<std::int64_t> largest(const std::vector<double>& norms,
                                  std::size_t keep) {
  std::vector<std::int64_t> order(norms.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::int64_t a, std::int64_t b) {
                     return norms[static_cast<std::size_t>(a)] >
                            norms[static_cast<std::size_t>(b)];
                   });
  order.resize(keep);
  std::sort(order.begin(), order.end());
  return order;
}

Result<const Tensor*> tensor_of(const Weights& weights, const Model& model,
                                std::size_t layer, std::string_view name) {
  const std::string full = fmt::format("{}.{}", layer, name);
  const Tensor* t = weights.find(full);
  if (t == nullptr)
    return make_error(Errc::kInvalidArgument,
                      "the weights of '{}' have no tensor '{}' for {} of "
                      "model '{}': are they this model's?",
                      weights.model, full, describe(model.layers[layer], layer),
                      model.name);
  return t;
}

}  // namespace

Status validate(const PruneOptions& options) {
  if (!(options.fraction >= 0.0 && options.fraction < 1.0))
    return make_error(Errc::kInvalidArgument,
                      "the pruning fraction must lie in [0, 1), got {}",
                      options.fraction);
  return {};
}

Result<Pruned> prune(const Model& model_in, const Weights& weights,
                     const PruneOptions& options) {
  MLCARBON_RETURN_IF_ERROR(validate(options));
  Model model = model_in;
  if (model.stats.size() != model.layers.size())
    MLCARBON_RETURN_IF_ERROR(models::infer_shapes(model));
  const std::optional<std::size_t> output = output_layer(model);

  Pruned pruned;
  std::vector<Cut> cuts;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const Layer& layer = model.layers[i];
    if (!is_prunable_type(layer.type))
      continue;
    if (output && i == *output) {
      pruned.left_whole.push_back(fmt::format(
          "{} is left whole: the output layer", describe(layer, i)));
      continue;
    }
    MLCARBON_ASSIGN_OR_RETURN(const Tensor* w,
                              tensor_of(weights, model, i, "weight"));
    if (w->shape.empty() || w->shape[0] != layer.units)
      return make_error(Errc::kInvalidArgument,
                        "tensor '{}' has shape [{}], but {} has {} units",
                        w->name, fmt::join(w->shape, ", "), describe(layer, i),
                        layer.units);
    const auto units = static_cast<std::size_t>(layer.units);
    const std::size_t per_unit = w->values.size() / units;
    std::vector<double> norms(units, 0.0);
    for (std::size_t u = 0; u < units; ++u) {
      double sum = 0.0;
      for (std::size_t k = 0; k < per_unit; ++k) {
        const double v = w->values[u * per_unit + k];
        sum += v * v;
      }
      norms[u] = std::sqrt(sum);
    }
    const auto drop = static_cast<std::size_t>(
        std::floor(options.fraction * static_cast<double>(units)));
    const std::size_t keep = std::max<std::size_t>(1, units - drop);
    std::vector<std::int64_t> kept = largest(norms, keep);
    Plan plan = plan_cuts(model, i, kept);
    if (!plan.why_not.empty()) {
      pruned.left_whole.push_back(std::move(plan.why_not));
      continue;
    }
    cuts.insert(cuts.end(), plan.cuts.begin(), plan.cuts.end());
    pruned.layers.push_back({.layer = i,
                             .name = layer.name,
                             .units_before = layer.units,
                             .kept = std::move(kept),
                             .norms = std::move(norms)});
  }

  // Every cut works on the original positions of its axis, so cuts on
  // different axes of one tensor (a layer's rows and its inputs) commute;
  // apply them to copies of the given weights.
  pruned.weights = weights;
  for (const Cut& cut : cuts) {
    for (std::string_view name : cut.tensors) {
      Tensor* t = pruned.weights.find(fmt::format("{}.{}", cut.layer, name));
      if (t == nullptr) {
        if (name == "bias" && !model.layers[cut.layer].bias)
          continue;
        return tl::unexpected(
            tensor_of(weights, model, cut.layer, name).error());
      }
      if (t->shape.size() <= cut.axis)
        return make_error(Errc::kInvalidArgument,
                          "tensor '{}' has shape [{}]: no axis {} to prune",
                          t->name, fmt::join(t->shape, ", "), cut.axis);
      const std::int64_t before = t->shape[cut.axis];
      for (std::int64_t k : cut.index)
        if (k >= before)
          return make_error(Errc::kInvalidArgument,
                            "tensor '{}' has {} entries along axis {}, but "
                            "{} of model '{}' needs entry {}",
                            t->name, before, cut.axis,
                            describe(model.layers[cut.layer], cut.layer),
                            model.name, k);
      *t = select(*t, cut.axis, cut.index);
    }
  }
  for (const PrunedLayer& p : pruned.layers)
    model.layers[p.layer].units = static_cast<std::int64_t>(p.kept.size());
  model.name = fmt::format("{}-pruned{:g}", model_in.name,
                           std::round(options.fraction * 100.0));
  MLCARBON_RETURN_IF_ERROR(models::infer_shapes(model));
  pruned.weights.model = model.name;
  pruned.weights.fingerprint = models::fingerprint(model);
  pruned.model = std::move(model);
  return pruned;
}

Result<Model> narrow(const Model& model_in, double width) {
  if (!(width > 0.0 && width <= 1.0))
    return make_error(Errc::kInvalidArgument,
                      "the student's width factor must lie in (0, 1], got {}",
                      width);
  Model model = model_in;
  if (model.stats.size() != model.layers.size())
    MLCARBON_RETURN_IF_ERROR(models::infer_shapes(model));
  const std::optional<std::size_t> output = output_layer(model);
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    Layer& l = model.layers[i];
    if (!is_prunable_type(l.type) || (output && i == *output))
      continue;
    l.units = std::max<std::int64_t>(
        1, std::llround(static_cast<double>(l.units) * width));
  }
  model.name = fmt::format("{}-width{:g}", model_in.name, width);
  MLCARBON_RETURN_IF_ERROR(models::infer_shapes(model));
  return model;
}

}  // namespace mlcarbon::engine
