// SPDX-License-Identifier: Apache-2.0
// Weights files and pruning, without LibTorch: these run in every build,
// sanitizers included.
#include "mlcarbon/engine/weights.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlcarbon/engine/pruning.h"
#include "mlcarbon/models/model.h"

#include "support/test_support.h"

namespace mlcarbon::engine {
namespace {

using models::Model;

Model parse(const char* text) {
  auto model = models::parse_model(text, "test.yaml");
  EXPECT_TRUE(model) << model.error().to_string();
  return model ? *model : Model{};
}

/// Weights in torch's layout for every dense and conv layer of `model`:
/// weight [units, inputs...] and bias [units], value i + 1000 x layer for
/// entry i, so that every entry says where it came from.
Weights numbered_weights(const Model& model) {
  Weights w;
  w.model = model.name;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const auto& l = model.layers[i];
    const auto& in = model.stats[i].input;
    std::vector<std::int64_t> shape;
    if (l.type == models::LayerType::kDense) {
      shape = {l.units, in.back()};
    } else if (l.type == models::LayerType::kConv2d) {
      shape = {l.units, in[0] / l.groups, l.kernel[0], l.kernel[1]};
    } else {
      continue;
    }
    Tensor weight{.name = fmt::format("{}.weight", i), .shape = shape};
    weight.values.resize(static_cast<std::size_t>(weight.elements()));
    for (std::size_t k = 0; k < weight.values.size(); ++k)
      weight.values[k] =
          static_cast<float>(k) + 1000.0F * static_cast<float>(i);
    Tensor bias{.name = fmt::format("{}.bias", i), .shape = {l.units}};
    bias.values.resize(static_cast<std::size_t>(l.units));
    for (std::size_t k = 0; k < bias.values.size(); ++k)
      bias.values[k] = -static_cast<float>(k);
    w.tensors.push_back(std::move(weight));
    w.tensors.push_back(std::move(bias));
  }
  return w;
}

std::int64_t count_values(const Weights& w) {
  std::int64_t n = 0;
  for (const auto& t : w.tensors)
    n += static_cast<std::int64_t>(t.values.size());
  return n;
}

TEST(WeightsTest, AFileRoundTripKeepsEveryValueBitForBit) {
  Weights w{.model = "m", .fingerprint = "abc", .tensors = {}};
  w.tensors.push_back({.name = "0.weight",
                       .shape = {2, 3},
                       .values = {1.5F, -0.0F, 1e-40F, 3.4e38F, -7.0F,
                                  std::nextafter(1.0F, 2.0F)}});
  w.tensors.push_back({.name = "0.bias", .shape = {}, .values = {42.0F}});
  testing::TempDir dir;
  const auto path = dir.path() / "w.bin";

  ASSERT_TRUE(save_weights(w, path));
  auto back = read_weights(path);

  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->model, "m");
  EXPECT_EQ(back->fingerprint, "abc");
  ASSERT_EQ(back->tensors.size(), 2U);
  EXPECT_EQ(back->tensors[0].shape, (std::vector<std::int64_t>{2, 3}));
  for (std::size_t i = 0; i < 6; ++i)
    EXPECT_EQ(std::bit_cast<std::uint32_t>(back->tensors[0].values[i]),
              std::bit_cast<std::uint32_t>(w.tensors[0].values[i]));
  EXPECT_EQ(back->tensors[1].values, std::vector<float>{42.0F});
}

TEST(WeightsTest, ATruncatedOrForeignFileIsAnErrorSayingWhere) {
  Weights w{.model = "m", .fingerprint = "f", .tensors = {}};
  w.tensors.push_back(
      {.name = "3.weight", .shape = {4}, .values = {1, 2, 3, 4}});
  const std::string bytes = serialize_weights(w);

  auto cut = parse_weights(bytes.substr(0, bytes.size() - 3), "w.bin");
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code(), Errc::kParse);
  EXPECT_NE(cut.error().message().find("w.bin: tensor '3.weight' needs 4 "
                                       "float32 values"),
            std::string::npos)
      << cut.error().message();

  auto foreign = parse_weights("PK\x03\x04 a zip file", "model.pt");
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("model.pt: not an mlcarbon weights"),
            std::string::npos);

  auto extra = parse_weights(bytes + "x", "w.bin");
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message().find("1 bytes after the last tensor"),
            std::string::npos);
}

TEST(WeightsTest, TheLayerOfATensorIsTheNumberBeforeTheFirstDot) {
  EXPECT_EQ(layer_of("0.weight"), 0);
  EXPECT_EQ(layer_of("12.layer.self_attn.in_proj_weight"), 12);
  EXPECT_EQ(layer_of("weight"), -1);
  EXPECT_EQ(layer_of("x1.weight"), -1);
  EXPECT_EQ(layer_of(".weight"), -1);
}

TEST(PruningTest, KeepsTheHighestNormUnitsAndCountsMatchTheModelsModule) {
  Model model = parse(R"(name: mlp
input: [6]
layers:
  - dense: {units: 8}
  - relu
  - dense: {units: 4}
  - relu
  - dense: {units: 3}
)");
  Weights w = numbered_weights(model);
  // Layer 0's rows: make units 1, 4, 6 and 7 the weakest.
  Tensor* first = w.find("0.weight");
  for (std::int64_t unit : {1, 4, 6, 7})
    for (std::int64_t k = 0; k < 6; ++k)
      first->values[static_cast<std::size_t>(unit * 6 + k)] *= 1e-3F;

  auto pruned = prune(model, w, {.fraction = 0.5});

  ASSERT_TRUE(pruned) << pruned.error().to_string();
  ASSERT_EQ(pruned->layers.size(), 2U);
  EXPECT_EQ(pruned->layers[0].kept, (std::vector<std::int64_t>{0, 2, 3, 5}));
  // The kept units are those of the largest norms, checked from the
  // weights as given.
  for (const auto& layer : pruned->layers) {
    std::vector<double> norms = layer.norms;
    std::vector<double> sorted = norms;
    std::sort(sorted.rbegin(), sorted.rend());
    const double threshold = sorted[layer.kept.size() - 1];
    for (std::int64_t k : layer.kept)
      EXPECT_GE(norms[static_cast<std::size_t>(k)], threshold);
  }
  EXPECT_EQ(pruned->left_whole.size(), 1U);  // the output layer

  // The pruned model is the models module's MLP of widths 4 and 2.
  Model expected = parse(R"(name: mlp
input: [6]
layers:
  - dense: {units: 4}
  - relu
  - dense: {units: 2}
  - relu
  - dense: {units: 3}
)");
  EXPECT_EQ(pruned->model.parameters(), expected.parameters());
  EXPECT_EQ(pruned->model.forward_flops(), expected.forward_flops());
  EXPECT_EQ(count_values(pruned->weights), expected.parameters());
  EXPECT_EQ(pruned->weights.fingerprint, models::fingerprint(pruned->model));

  // Row u of the pruned layer 0 is row kept[u] of the original, and
  // layer 2 lost the columns of the dropped units.
  const Tensor* w0 = pruned->weights.find("0.weight");
  ASSERT_NE(w0, nullptr);
  EXPECT_EQ(w0->shape, (std::vector<std::int64_t>{4, 6}));
  EXPECT_EQ(w0->values[6], first->values[2 * 6]);
  const Tensor* w2 = pruned->weights.find("2.weight");
  const std::vector<std::int64_t>& kept2 = pruned->layers[1].kept;
  ASSERT_EQ(w2->shape, (std::vector<std::int64_t>{2, 4}));
  const Tensor* orig2 = w.find("2.weight");
  for (std::size_t r = 0; r < 2; ++r)
    for (std::size_t c = 0; c < 4; ++c)
      EXPECT_EQ(
          w2->values[r * 4 + c],
          orig2->values[static_cast<std::size_t>(kept2[r]) * 8 +
                        static_cast<std::size_t>(pruned->layers[0].kept[c])]);
  const Tensor* b0 = pruned->weights.find("0.bias");
  EXPECT_EQ(b0->values, (std::vector<float>{0, -2, -3, -5}));
}

TEST(PruningTest, AConvFiltersFlattenedPositionsLeaveTheDenseLayer) {
  Model model = parse(R"(name: cnn
input: [1, 4, 4]
layers:
  - conv2d: {filters: 3, kernel: 3, padding: 1}
  - relu
  - maxpool2d: {kernel: 2}
  - flatten
  - dense: {units: 2}
)");
  Weights w = numbered_weights(model);
  // Filter 1 is the weakest of the three.
  Tensor* conv = w.find("0.weight");
  for (std::size_t k = 9; k < 18; ++k)
    conv->values[k] = 0.0F;

  auto pruned = prune(model, w, {.fraction = 0.4});

  ASSERT_TRUE(pruned) << pruned.error().to_string();
  ASSERT_EQ(pruned->layers.size(), 1U);
  EXPECT_EQ(pruned->layers[0].kept, (std::vector<std::int64_t>{0, 2}));
  EXPECT_EQ(pruned->model.stats[4].input, (models::Shape{8}));
  // After the pool each filter has 2x2 = 4 positions: filter 2's are the
  // dense layer's columns 8 to 11, now 4 to 7.
  const Tensor* dense = pruned->weights.find("4.weight");
  const Tensor* before = w.find("4.weight");
  ASSERT_EQ(dense->shape, (std::vector<std::int64_t>{2, 8}));
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t p = 0; p < 4; ++p) {
      EXPECT_EQ(dense->values[r * 8 + p], before->values[r * 12 + p]);
      EXPECT_EQ(dense->values[r * 8 + 4 + p], before->values[r * 12 + 8 + p]);
    }
  }
  EXPECT_EQ(count_values(pruned->weights), pruned->model.parameters());
}

TEST(PruningTest, NothingFeedingATransformerOrASoftmaxIsPruned) {
  Model model = parse(R"(name: mixed
input: [4, 8]
layers:
  - dense: {units: 8}
  - transformer_encoder: {heads: 2, mlp_dim: 16}
  - flatten
  - dense: {units: 6}
  - softmax
  - dense: {units: 2}
)");
  Weights w = numbered_weights(model);

  auto pruned = prune(model, w, {.fraction = 0.5});

  ASSERT_TRUE(pruned) << pruned.error().to_string();
  EXPECT_TRUE(pruned->layers.empty());
  ASSERT_EQ(pruned->left_whole.size(), 3U);
  EXPECT_NE(pruned->left_whole[0].find("transformer_encoder"),
            std::string::npos)
      << pruned->left_whole[0];
  EXPECT_NE(pruned->left_whole[1].find("softmax"), std::string::npos);
  EXPECT_NE(pruned->left_whole[2].find("the output layer"), std::string::npos);
  EXPECT_EQ(pruned->model.parameters(), model.parameters());
}

TEST(PruningTest, GroupedConvsAndWhatFeedsThemAreLeftWhole) {
  Model model = parse(R"(name: grouped
input: [2, 6, 6]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1}
  - conv2d: {filters: 4, kernel: 3, padding: 1, groups: 2}
  - flatten
  - dense: {units: 2}
)");
  Weights w = numbered_weights(model);

  auto pruned = prune(model, w, {.fraction = 0.5});

  ASSERT_TRUE(pruned) << pruned.error().to_string();
  EXPECT_TRUE(pruned->layers.empty());
  ASSERT_EQ(pruned->left_whole.size(), 3U);
  EXPECT_NE(pruned->left_whole[0].find("a grouped conv keeps its groups whole"),
            std::string::npos)
      << pruned->left_whole[0];
  EXPECT_NE(pruned->left_whole[1].find("a grouped conv keeps its groups whole"),
            std::string::npos)
      << pruned->left_whole[1];
  EXPECT_EQ(pruned->model.parameters(), model.parameters());
}

TEST(PruningTest, WeightsOfAnotherModelAreRefusedNamingTheTensor) {
  Model model = parse(R"(name: mlp
input: [6]
layers:
  - dense: {units: 8}
  - dense: {units: 3}
)");
  Weights w = numbered_weights(model);
  w.tensors.erase(w.tensors.begin());

  auto pruned = prune(model, w, {.fraction = 0.5});

  ASSERT_FALSE(pruned);
  EXPECT_EQ(pruned.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(pruned.error().message().find("no tensor '0.weight'"),
            std::string::npos)
      << pruned.error().message();
  EXPECT_FALSE(prune(model, numbered_weights(model), {.fraction = 1.0}));
  EXPECT_FALSE(prune(model, numbered_weights(model), {.fraction = -0.1}));
}

TEST(PruningTest, AtLeastOneUnitStays) {
  Model model = parse(R"(name: mlp
input: [3]
layers:
  - dense: {units: 2}
  - dense: {units: 1}
)");

  auto pruned = prune(model, numbered_weights(model), {.fraction = 0.99});

  ASSERT_TRUE(pruned);
  EXPECT_EQ(pruned->model.layers[0].units, 1);
}

TEST(NarrowTest, ScalesEveryHiddenWidthButNotTheOutput) {
  Model model = parse(R"(name: cnn
input: [1, 8, 8]
layers:
  - conv2d: {filters: 16, kernel: 3}
  - relu
  - flatten
  - dense: {units: 10}
  - dense: {units: 5}
)");

  auto student = narrow(model, 0.5);

  ASSERT_TRUE(student) << student.error().to_string();
  EXPECT_EQ(student->layers[0].units, 8);
  EXPECT_EQ(student->layers[3].units, 5);
  EXPECT_EQ(student->layers[4].units, 5);
  EXPECT_LT(student->parameters(), model.parameters());
  EXPECT_EQ(student->stats.size(), student->layers.size());
  EXPECT_FALSE(narrow(model, 0.0));
  EXPECT_FALSE(narrow(model, 1.5));
}

}  // namespace
}  // namespace mlcarbon::engine
