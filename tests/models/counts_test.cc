// SPDX-License-Identifier: Apache-2.0
// Parameters and FLOPs against hand-computed values (docs/model-files.md gives
// the formulas; tests/cli/test_model.py checks the parameters against
// PyTorch).
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/models/model.h"

namespace mlcarbon::models {
namespace {

Model parse(const std::string& yaml) {
  auto m = parse_model(yaml, "m.yaml");
  EXPECT_TRUE(m) << m.error().to_string();
  return m ? *m : Model{};
}

TEST(CountsTest, MlpShorthand) {
  auto m = parse_shorthand("mlp:depth=2,width=25,inputs=100");

  ASSERT_TRUE(m) << m.error().to_string();
  ASSERT_EQ(m->layers.size(), 5u);
  // dense 100->25, relu, dense 25->25, relu, dense 25->1.
  EXPECT_EQ(m->stats[0].params, 100 * 25 + 25);
  EXPECT_EQ(m->stats[0].forward_flops, 2 * 100 * 25 + 25);
  EXPECT_EQ(m->stats[1].forward_flops, 25);
  EXPECT_EQ(m->stats[2].params, 25 * 25 + 25);
  EXPECT_EQ(m->stats[4].params, 26);
  EXPECT_EQ(m->stats[4].forward_flops, 51);
  EXPECT_EQ(m->parameters(), 2525 + 650 + 26);
  EXPECT_EQ(m->forward_flops(), 5025 + 25 + 1275 + 25 + 51);
  EXPECT_EQ(m->training_flops(), 3 * 6401);
  EXPECT_EQ(m->output(), (Shape{1}));
  // The input (100) and every output (25, 25, 25, 25, 1), float32.
  EXPECT_EQ(m->activation_bytes(1), 201 * 4);
  EXPECT_EQ(m->activation_bytes(8), 8 * 201 * 4);
  EXPECT_EQ(m->stats[0].weight_bytes, 2525 * 4);
  EXPECT_EQ(m->layers[0].name, "dense_1");
  EXPECT_EQ(m->layers[1].name, "relu_2");
}

TEST(CountsTest, CnnWithConvPoolAndDense) {
  const Model m = parse(
      "input: [1, 28, 28]\n"
      "layers:\n"
      "  - conv2d: {filters: 8, kernel: 3, padding: 1}\n"
      "  - batchnorm\n"
      "  - relu\n"
      "  - maxpool2d: {kernel: 2}\n"
      "  - flatten\n"
      "  - dense: {units: 10}\n");

  ASSERT_EQ(m.stats.size(), 6u);
  EXPECT_EQ(m.stats[0].output, (Shape{8, 28, 28}));
  EXPECT_EQ(m.stats[0].params, 8 * 1 * 3 * 3 + 8);
  // Per output element: 9 multiply-adds and the bias.
  EXPECT_EQ(m.stats[0].forward_flops, 8 * 28 * 28 * (2 * 9 + 1));
  EXPECT_EQ(m.stats[1].params, 2 * 8);
  EXPECT_EQ(m.stats[1].forward_flops, 2 * 8 * 28 * 28);
  EXPECT_EQ(m.stats[3].output, (Shape{8, 14, 14}));
  EXPECT_EQ(m.stats[3].forward_flops, 8 * 14 * 14 * 4);
  EXPECT_EQ(m.stats[4].output, (Shape{1568}));
  EXPECT_EQ(m.stats[5].params, 1568 * 10 + 10);
  EXPECT_EQ(m.stats[5].forward_flops, 2 * 1568 * 10 + 10);
  EXPECT_EQ(m.parameters(), 80 + 16 + 15690);
  EXPECT_EQ(m.forward_flops(), 119168 + 12544 + 6272 + 6272 + 31370);
}

TEST(CountsTest, StrideAndPaddingFollowTorch) {
  const Model m = parse(
      "input: [3, 32, 30]\n"
      "layers:\n"
      "  - conv2d: {filters: 4, kernel: [5, 3], stride: [2, 1], "
      "padding: [0, 1], bias: false}\n"
      "  - avgpool2d: {kernel: 3, stride: 2, padding: 1}\n"
      "  - maxpool2d: {kernel: [2, 1]}\n");

  // floor((32 - 5) / 2) + 1 = 14, (30 + 2 - 3) / 1 + 1 = 30.
  EXPECT_EQ(m.stats[0].output, (Shape{4, 14, 30}));
  EXPECT_EQ(m.stats[0].params, 4 * 3 * 5 * 3);
  EXPECT_EQ(m.stats[0].forward_flops, 4 * 14 * 30 * (2 * 3 * 5 * 3));
  // (14 + 2 - 3) / 2 + 1 = 7, (30 + 2 - 3) / 2 + 1 = 15.
  EXPECT_EQ(m.stats[1].output, (Shape{4, 7, 15}));
  EXPECT_EQ(m.stats[1].forward_flops, 4 * 7 * 15 * 9);
  EXPECT_EQ(m.stats[2].output, (Shape{4, 3, 15}));
}

TEST(CountsTest, TransformerBlockAsTorch) {
  const Model m = parse(
      "input: [16]\n"
      "layers:\n"
      "  - embedding: {vocab: 1000, dim: 64}\n"
      "  - transformer_encoder: {heads: 4, mlp_dim: 128}\n"
      "  - layernorm\n"
      "  - dense: {units: 10}\n");

  EXPECT_EQ(m.stats[0].output, (Shape{16, 64}));
  EXPECT_EQ(m.stats[0].params, 64000);
  EXPECT_EQ(m.stats[0].forward_flops, 0);
  // in_proj 3d*d + 3d, out_proj d*d + d, linear1 d*m + m, linear2 m*d + d,
  // two layernorms 2d each.
  EXPECT_EQ(m.stats[1].params, (3 * 64 * 64 + 3 * 64) + (64 * 64 + 64) +
                                   (64 * 128 + 128) + (128 * 64 + 64) + 4 * 64);
  EXPECT_EQ(m.stats[1].params, 33472);
  const double s = 16;
  const double d = 64;
  const double h = 4;
  const double mlp = 128;
  const double expected = s * (2 * d * 3 * d + 3 * d)  // q, k, v
                          + s * d                      // q scaled
                          + 2 * s * s * d              // q k^T
                          + 3 * h * s * s              // softmax
                          + 2 * s * s * d              // weights times v
                          + s * (2 * d * d + d)        // out_proj
                          + s * (2 * d * mlp + mlp)    // linear1
                          + s * mlp                    // relu
                          + s * (2 * mlp * d + d)      // linear2
                          + 2 * (s * d + 5 * s * d);  // two adds and layernorms
  EXPECT_EQ(m.stats[1].forward_flops, expected);
  EXPECT_EQ(m.stats[1].forward_flops, 1139712);
  EXPECT_EQ(m.stats[2].params, 128);
  EXPECT_EQ(m.stats[2].forward_flops, 5 * 16 * 64);
  // A dense layer on [rows, features] works row by row, as nn.Linear.
  EXPECT_EQ(m.stats[3].output, (Shape{16, 10}));
  EXPECT_EQ(m.stats[3].params, 650);
  EXPECT_EQ(m.stats[3].forward_flops, 16 * (2 * 64 * 10 + 10));
}

TEST(CountsTest, ActivationsCountOneFlopPerElementSoftmaxThree) {
  const Model m = parse(
      "input: [6]\nlayers: [relu, tanh, sigmoid, gelu, softmax, "
      "{dropout: {rate: 0.1}}]\n");

  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(m.stats[static_cast<std::size_t>(i)].forward_flops, 6);
  EXPECT_EQ(m.stats[4].forward_flops, 18);
  EXPECT_EQ(m.stats[5].forward_flops, 0);
  EXPECT_EQ(m.layers[5].rate, 0.1);
  EXPECT_EQ(m.parameters(), 0);
}

TEST(CountsTest, JsonIsAcceptedAsYaml) {
  const Model m = parse(
      R"({"name": "j", "input": [4], "layers": [{"dense": {"units": 2}},
          "relu"]})");

  EXPECT_EQ(m.name, "j");
  EXPECT_EQ(m.parameters(), 10);
}

TEST(CountsTest, DefaultsFollowTorch) {
  const Model m = parse(
      "input: [2, 9]\nlayers:\n  - maxpool1d: {kernel: 3}\n  - dropout\n"
      "  - flatten\n  - dense: {units: 1, bias: false}\n");

  EXPECT_EQ(m.layers[0].stride, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(m.layers[0].padding, (std::vector<std::int64_t>{0}));
  EXPECT_EQ(m.layers[1].rate, 0.5);
  EXPECT_EQ(m.stats[3].params, 6);
  EXPECT_EQ(m.name, "m");  // the file's stem
}

TEST(CountsTest, GroupedAndDepthwiseConvSeeTheirGroupsChannels) {
  const Model g = parse(
      "input: [8, 10, 10]\n"
      "layers:\n"
      "  - conv2d: {filters: 16, kernel: 3, padding: 1, groups: 4}\n"
      "  - conv2d: {filters: 16, kernel: 3, padding: 1, groups: 16}\n");
  ASSERT_EQ(g.stats.size(), 2u);
  // Each of 16 filters sees 8 / 4 = 2 channels: 2 x 3 x 3 weights + bias.
  EXPECT_EQ(g.stats[0].params, 16 * 2 * 9 + 16);
  EXPECT_EQ(g.stats[0].forward_flops, 16 * 10 * 10 * (2 * 2 * 9 + 1));
  // Depthwise: one channel per filter.
  EXPECT_EQ(g.stats[1].params, 16 * 1 * 9 + 16);
  EXPECT_EQ(g.stats[1].forward_flops, 16 * 10 * 10 * (2 * 9 + 1));

  const Model c = parse(
      "input: [4, 20]\n"
      "layers: [{conv1d: {filters: 6, kernel: 5, groups: 2, bias: false}}]\n");
  ASSERT_EQ(c.stats.size(), 1u);
  EXPECT_EQ(c.stats[0].params, 6 * 2 * 5);
  EXPECT_EQ(c.stats[0].output, (Shape{6, 16}));
  EXPECT_EQ(c.stats[0].forward_flops, 6 * 16 * 2 * 2 * 5);
}

TEST(FingerprintTest, GroupsCountButOneKeepsTheOldFingerprint) {
  const Model plain =
      parse("input: [4, 8, 8]\nlayers: [{conv2d: {filters: 4, kernel: 3}}]\n");
  const Model one = parse(
      "input: [4, 8, 8]\n"
      "layers: [{conv2d: {filters: 4, kernel: 3, groups: 1}}]\n");
  const Model four = parse(
      "input: [4, 8, 8]\n"
      "layers: [{conv2d: {filters: 4, kernel: 3, groups: 4}}]\n");

  EXPECT_EQ(fingerprint(plain), fingerprint(one));
  EXPECT_NE(fingerprint(plain), fingerprint(four));
}

TEST(FingerprintTest, IgnoresNamesAndPositionsButNotSizes) {
  const Model a = parse("input: [4]\nlayers: [{dense: {units: 2}}]\n");
  const Model b = parse(
      "name: other\n\ninput: [4]\nlayers:\n  - dense: {units: 2, name: x}\n");
  const Model c = parse("input: [4]\nlayers: [{dense: {units: 3}}]\n");
  const Model d = parse("input: [5]\nlayers: [{dense: {units: 2}}]\n");

  EXPECT_EQ(fingerprint(a), fingerprint(b));
  EXPECT_NE(fingerprint(a), fingerprint(c));
  EXPECT_NE(fingerprint(a), fingerprint(d));
  EXPECT_EQ(fingerprint(a).size(), 16u);
  // Saved calibrations are matched by it: it must not drift.
  EXPECT_EQ(fingerprint(a), "3314fb9b95fd7982");
}

TEST(LayerTypeTest, NamesRoundTrip) {
  for (auto name : layer_type_names()) {
    auto type = parse_layer_type(name);
    ASSERT_TRUE(type) << name;
    EXPECT_EQ(to_string(*type), name);
  }
  EXPECT_EQ(layer_type_names().size(), 18u);
  EXPECT_FALSE(parse_layer_type("conv3d"));
  EXPECT_EQ(to_string(Shape{1, 28, 28}), "[1, 28, 28]");
}

}  // namespace
}  // namespace mlcarbon::models
