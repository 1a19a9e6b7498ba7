// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/calibrate/architectures.h"

#include <string>
#include <utility>

#include <fmt/format.h>

namespace mlcarbon::calibrate {
namespace {

using models::Layer;
using models::LayerType;
using models::Model;

Layer dense(std::int64_t units) {
  return Layer{.type = LayerType::kDense, .units = units};
}
Layer relu() {
  return Layer{.type = LayerType::kRelu};
}
Layer flatten() {
  return Layer{.type = LayerType::kFlatten};
}
Layer conv1d(std::int64_t filters, std::int64_t kernel) {
  return Layer{.type = LayerType::kConv1d,
               .units = filters,
               .kernel = {kernel},
               .stride = {1},
               .padding = {kernel / 2}};
}
Layer conv2d(std::int64_t filters, std::int64_t kernel) {
  return Layer{.type = LayerType::kConv2d,
               .units = filters,
               .kernel = {kernel, kernel},
               .stride = {1, 1},
               .padding = {kernel / 2, kernel / 2}};
}
Layer max_pool2d() {
  return Layer{.type = LayerType::kMaxPool2d,
               .kernel = {2, 2},
               .stride = {2, 2},
               .padding = {0, 0}};
}
Layer transformer(std::int64_t heads, std::int64_t mlp_dim) {
  return Layer{.type = LayerType::kTransformerEncoder,
               .heads = heads,
               .mlp_dim = mlp_dim};
}

// Names every layer as a model file would ("dense_0") and infers shapes.
Result<Model> finish(std::string name, models::Shape input,
                     std::vector<Layer> layers) {
  Model m;
  m.name = name;
  m.origin = "built-in:" + name;
  m.input = std::move(input);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].name.empty()) {
      layers[i].name =
          fmt::format("{}_{}", models::to_string(layers[i].type), i);
    }
  }
  m.layers = std::move(layers);
  MLCARBON_RETURN_IF_ERROR(models::infer_shapes(m));
  return m;
}

Result<Model> mlp(std::int64_t inputs, std::int64_t depth, std::int64_t width) {
  std::vector<Layer> layers;
  for (std::int64_t i = 0; i < depth; ++i) {
    layers.push_back(dense(width));
    layers.push_back(relu());
  }
  layers.push_back(dense(1));
  return finish(fmt::format("mlp-{}x{}-in{}", depth, width, inputs), {inputs},
                std::move(layers));
}

Result<Model> cnn1d(std::int64_t length, std::int64_t depth,
                    std::int64_t filters) {
  std::vector<Layer> layers;
  for (std::int64_t i = 0; i < depth; ++i) {
    layers.push_back(conv1d(filters, 3));
    layers.push_back(relu());
  }
  layers.push_back(flatten());
  layers.push_back(dense(1));
  return finish(fmt::format("conv1d-{}x{}-len{}", depth, filters, length),
                {1, length}, std::move(layers));
}

Result<Model> cnn2d(std::int64_t channels, std::int64_t side,
                    std::int64_t depth, std::int64_t filters, bool pool) {
  std::vector<Layer> layers;
  for (std::int64_t i = 0; i < depth; ++i) {
    layers.push_back(conv2d(filters, 3));
    layers.push_back(relu());
  }
  if (pool)
    layers.push_back(max_pool2d());
  layers.push_back(flatten());
  layers.push_back(dense(10));
  return finish(fmt::format("conv2d-{}x{}-{}x{}x{}{}", depth, filters, channels,
                            side, side, pool ? "-pool" : ""),
                {channels, side, side}, std::move(layers));
}

Result<Model> transformer_net(std::int64_t sequence, std::int64_t dim,
                              std::int64_t blocks, std::int64_t heads) {
  std::vector<Layer> layers;
  for (std::int64_t i = 0; i < blocks; ++i)
    layers.push_back(transformer(heads, dim * 2));
  layers.push_back(flatten());
  layers.push_back(dense(1));
  return finish(
      fmt::format("transformer-{}x{}-seq{}-h{}", blocks, dim, sequence, heads),
      {sequence, dim}, std::move(layers));
}

Result<std::vector<Model>> collect(std::vector<Result<Model>> built) {
  std::vector<Model> out;
  for (auto& m : built) {
    if (!m)
      return tl::unexpected(std::move(m).error());
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace

Result<std::vector<Model>> fit_architectures() {
  std::vector<Result<Model>> built;
  for (const std::int64_t depth : {2, 6, 12}) {
    for (const std::int64_t width : {32, 128, 256})
      built.push_back(mlp(64, depth, width));
  }
  built.push_back(mlp(256, 3, 512));
  built.push_back(mlp(64, 1, 768));
  built.push_back(mlp(32, 24, 24));
  built.push_back(cnn1d(64, 2, 16));
  built.push_back(cnn1d(128, 4, 8));
  built.push_back(cnn1d(32, 3, 32));
  built.push_back(cnn2d(1, 16, 1, 8, false));
  built.push_back(cnn2d(3, 16, 2, 16, true));
  built.push_back(cnn2d(1, 28, 2, 8, true));
  built.push_back(transformer_net(16, 32, 1, 4));
  built.push_back(transformer_net(8, 64, 2, 4));
  built.push_back(transformer_net(32, 32, 1, 2));
  built.push_back(transformer_net(16, 64, 1, 4));
  return collect(std::move(built));
}

Result<std::vector<Model>> held_out_architectures() {
  std::vector<Result<Model>> built;
  built.push_back(mlp(32, 40, 16));                // deep and narrow
  built.push_back(mlp(128, 1, 1024));              // wide and shallow
  built.push_back(cnn2d(3, 24, 3, 12, true));      // convolutional
  built.push_back(transformer_net(24, 48, 2, 4));  // transformer blocks
  return collect(std::move(built));
}

}  // namespace mlcarbon::calibrate
