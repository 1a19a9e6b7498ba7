// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/models/model.h"

namespace mlcarbon::models {
namespace {

TEST(ShorthandTest, RecognisesTheFamilies) {
  EXPECT_TRUE(is_shorthand("mlp:depth=1,width=2,inputs=3"));
  EXPECT_TRUE(is_shorthand("cnn:depth=1"));
  EXPECT_FALSE(is_shorthand("mlp"));
  EXPECT_TRUE(is_shorthand("mlp:"));  // to say what it lacks
  EXPECT_FALSE(is_shorthand("models/mlp.yaml"));
  EXPECT_FALSE(is_shorthand("rnn:depth=1"));
}

TEST(ShorthandTest, Conv1dFamily) {
  auto m = parse_shorthand("cnn:depth=2,filters=4,inputs=10");

  ASSERT_TRUE(m) << m.error().to_string();
  ASSERT_EQ(m->layers.size(), 6u);  // conv, relu, conv, relu, flatten, dense
  EXPECT_EQ(m->input, (Shape{1, 10}));
  EXPECT_EQ(m->layers[0].type, LayerType::kConv1d);
  EXPECT_EQ(m->layers[0].padding, (std::vector<std::int64_t>{1}));
  // conv 1->4, kernel 3: 4*1*3 + 4; per output element 3 multiply-adds and
  // the bias over [4, 10].
  EXPECT_EQ(m->stats[0].params, 16);
  EXPECT_EQ(m->stats[0].forward_flops, 40 * 7);
  EXPECT_EQ(m->stats[1].forward_flops, 40);
  EXPECT_EQ(m->stats[2].params, 4 * 4 * 3 + 4);
  EXPECT_EQ(m->stats[2].forward_flops, 40 * 25);
  EXPECT_EQ(m->stats[4].output, (Shape{40}));
  EXPECT_EQ(m->stats[5].params, 41);
  EXPECT_EQ(m->parameters(), 16 + 52 + 41);
  EXPECT_EQ(m->forward_flops(), 280 + 40 + 1000 + 40 + 81);
  EXPECT_EQ(m->name, "cnn:depth=2,filters=4,inputs=10");
  EXPECT_EQ(m->layers[0].pos.line, 0);
}

TEST(ShorthandTest, EvenKernelGrowsTheSequenceAsTorchDoes) {
  // padding = kernel / 2 = 2: (10 + 4 - 4) + 1 = 11.
  auto m = parse_shorthand("cnn:depth=1,filters=2,inputs=10,kernel=4");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->stats[0].output, (Shape{2, 11}));
}

TEST(ShorthandTest, MlpOptions) {
  auto m = parse_shorthand(
      "mlp:depth=1, width=3, inputs=2, outputs=4, activation=tanh");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->layers[1].type, LayerType::kTanh);
  EXPECT_EQ(m->output(), (Shape{4}));
  EXPECT_EQ(m->parameters(), (2 * 3 + 3) + (3 * 4 + 4));
}

struct BadShorthand {
  std::string text;
  std::string message;
};

class ShorthandErrorTest : public ::testing::TestWithParam<BadShorthand> {};

TEST_P(ShorthandErrorTest, SaysWhatIsWrong) {
  auto m = parse_shorthand(GetParam().text);

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(m.error().to_string(),
            "'" + GetParam().text + "': " + GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ShorthandErrorTest,
    ::testing::Values(
        BadShorthand{"rnn:depth=1",
                     "not a shorthand; write mlp:depth=D,width=W,inputs=N or "
                     "cnn:depth=D,filters=F,inputs=N"},
        BadShorthand{"mlp:depth=1,widht=2,inputs=3",
                     "unknown key 'widht' of mlp; did you mean 'width'? "
                     "(valid keys: depth, width, inputs, outputs, "
                     "activation)"},
        BadShorthand{"cnn:depth=1,filters=2,inputs=3,stride=2",
                     "unknown key 'stride' of cnn (valid keys: depth, "
                     "filters, inputs, kernel, outputs)"},
        BadShorthand{"mlp:depth=1,inputs=3",
                     "mlp needs depth, width, inputs (missing: width)"},
        BadShorthand{"mlp:depth=1,width=abc,inputs=3",
                     "width: expected a whole number, got 'abc'"},
        BadShorthand{"mlp:depth=1,width=2.5,inputs=3",
                     "width: expected a whole number, got '2.5'"},
        BadShorthand{"mlp:depth=0,width=2,inputs=3",
                     "depth: expected a positive whole number, got 0"},
        BadShorthand{"cnn:depth=1,filters=2,inputs=3,kernel=-3",
                     "kernel: expected a positive whole number, got -3"},
        BadShorthand{"mlp:depth=1,depth=2,width=2,inputs=3",
                     "key 'depth' is given twice"},
        BadShorthand{"mlp:",
                     "mlp needs depth, width, inputs (missing: "
                     "depth, width, inputs)"},
        BadShorthand{"cnn:depth=1,filters=2,inputs",
                     "'inputs' is not KEY=VALUE"},
        BadShorthand{"mlp:depth=1,width=2,inputs=3,activation=relu6",
                     "unknown activation 'relu6'; did you mean 'relu'? "
                     "(activations: relu, tanh, sigmoid, gelu)"},
        BadShorthand{"mlp:depth=5000,width=2,inputs=3",
                     "depth 5000 is more than the 4999 levels a model of at "
                     "most 10000 layers has room for"}));

}  // namespace
}  // namespace mlcarbon::models
