// SPDX-License-Identifier: Apache-2.0
// One test per kind of bad model file: each error names file:line:col
// (1-based) and says what is wrong; shape errors name the layer and both
// shapes.
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/models/model.h"

namespace mlcarbon::models {
namespace {

struct BadModel {
  std::string what;
  std::string yaml;
  Errc code;
  std::string where;    // "m.yaml:LINE:COL: "
  std::string message;  // expected text after it
};

void PrintTo(const BadModel& c, std::ostream* os) {
  *os << c.what;
}

class ModelErrorTest : public ::testing::TestWithParam<BadModel> {};

TEST_P(ModelErrorTest, NamesFileLineColumnAndTheProblem) {
  const BadModel& c = GetParam();

  auto m = parse_model(c.yaml, "m.yaml");

  ASSERT_FALSE(m) << c.what;
  const std::string text = m.error().to_string();
  EXPECT_EQ(m.error().code(), c.code) << text;
  EXPECT_EQ(text.rfind(c.where, 0), 0u) << text;
  EXPECT_NE(text.find(c.message), std::string::npos) << text;
}

std::string with_layers(const std::string& layers,
                        const std::string& input = "[1, 28, 28]") {
  return "input: " + input + "\nlayers:\n" + layers;
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, ModelErrorTest,
    ::testing::Values(
        BadModel{"malformed YAML", "input: [1, 2\nlayers: [relu]\n",
                 Errc::kParse, "m.yaml:2:", "malformed YAML"},
        BadModel{"unknown layer type",
                 with_layers("  - relu\n  - desne: {units: 3}\n"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "unknown layer type 'desne'; did you mean 'dense'? (layer "
                 "types: dense, conv1d"},
        BadModel{"unknown layer type as a scalar", with_layers("  - relu6\n"),
                 Errc::kInvalidArgument, "m.yaml:3:5: ",
                 "unknown layer type 'relu6'; did you mean 'relu'?"},
        BadModel{"other is not a type to write", with_layers("  - other\n"),
                 Errc::kInvalidArgument,
                 "m.yaml:3:5: ", "unknown layer type 'other'"},
        BadModel{"unknown key in a layer",
                 with_layers("  - conv2d: {filter: 8, kernel: 3}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:14: ",
                 "unknown key 'filter' in a conv2d layer; did you mean "
                 "'filters'? (valid keys: filters, kernel, stride, padding, "
                 "groups, bias, name)"},
        BadModel{"unknown key, nothing close",
                 with_layers("  - relu: {inplace: true}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:12: ",
                 "unknown key 'inplace' in a relu layer (valid keys: name)"},
        BadModel{
            "key given twice", with_layers("  - dense: {units: 3, units: 4}\n"),
            Errc::kInvalidArgument,
            "m.yaml:3:23: ", "key 'units' is given twice in a dense layer"},
        BadModel{
            "missing required key", with_layers("  - flatten\n  - dense\n"),
            Errc::kInvalidArgument,
            "m.yaml:4:5: ", "a dense layer needs units (and takes bias, name)"},
        BadModel{"keys not a mapping", with_layers("  - dense: 10\n"),
                 Errc::kInvalidArgument, "m.yaml:3:12: ",
                 "the keys of a dense layer are a mapping, e.g. dense: "
                 "{units: 8}"},
        BadModel{"layer neither name nor one type",
                 with_layers("  - {dense: {units: 1}, relu: null}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:5: ",
                 "layer 1: expected a type name (relu) or one type with "
                 "its keys"},
        BadModel{"not a whole number",
                 with_layers("  - conv2d: {filters: 2.5, kernel: 3}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:23: ",
                 "filters: expected a whole number, got '2.5'"},
        BadModel{"kernel of the wrong length",
                 with_layers("  - conv2d: {filters: 2, kernel: [3]}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:34: ",
                 "kernel: expected 2 values (one per spatial dimension), "
                 "got 1"},
        BadModel{"bias not a boolean",
                 with_layers("  - flatten\n  - dense: {units: 2, bias: 1}\n"),
                 Errc::kInvalidArgument,
                 "m.yaml:4:29: ", "bias: expected true or false"},
        BadModel{"rate out of range", with_layers("  - dropout: {rate: 1.5}\n"),
                 Errc::kInvalidArgument,
                 "m.yaml:3:21: ", "rate: expected a probability from 0 to 1"},
        BadModel{
            "kernel larger than the input",
            with_layers("  - conv2d: {filters: 2, kernel: 3}\n", "[1, 2, 2]"),
            Errc::kInvalidArgument, "m.yaml:3:5: ",
            "layer 'conv2d_1' (conv2d): kernel [3, 3] is larger than "
            "input [1, 2, 2] with padding [0, 0]"},
        BadModel{"pool kernel larger after earlier layers",
                 with_layers("  - maxpool1d: {kernel: 2}\n"
                             "  - maxpool1d: {kernel: 4, name: p}\n",
                             "[3, 7]"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "layer 'p' (maxpool1d): kernel [4] is larger than input "
                 "[3, 3] with padding [0]"},
        BadModel{
            "pool padding beyond half the kernel",
            with_layers("  - maxpool1d: {kernel: 2, padding: 2}\n", "[3, 7]"),
            Errc::kInvalidArgument,
            "m.yaml:3:5: ", "padding [2] is more than half of kernel [2]"},
        BadModel{"dense on a 3-D input",
                 with_layers("  - relu\n  - dense: {units: 10}\n"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "layer 'dense_2' (dense): takes [features] or [rows, "
                 "features], got input [1, 28, 28]; add a flatten before it"},
        BadModel{
            "conv2d on a 2-D input",
            with_layers("  - conv2d: {filters: 2, kernel: 3}\n", "[1, 28]"),
            Errc::kInvalidArgument, "m.yaml:3:5: ",
            "takes [channels, height, width], got input [1, 28]"},
        BadModel{"heads not dividing dim",
                 with_layers("  - embedding: {vocab: 10, dim: 64}\n"
                             "  - transformer_encoder: {heads: 5, "
                             "mlp_dim: 8}\n",
                             "[12]"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "layer 'transformer_encoder_2' (transformer_encoder): 5 "
                 "heads do not divide dim 64 of input [12, 64]"},
        BadModel{"embedding after embedding",
                 with_layers("  - embedding: {vocab: 10, dim: 4}\n"
                             "  - embedding: {vocab: 10, dim: 4}\n",
                             "[12]"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "takes [sequence] of token ids, got input [12, 4]"},
        BadModel{"zero filters",
                 with_layers("  - conv2d: {filters: 0, kernel: 3}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:5: ",
                 "layer 'conv2d_1' (conv2d): filters must be a whole number "
                 "from 1 to 2^53, got 0"},
        BadModel{"negative kernel",
                 with_layers("  - conv2d: {filters: 1, kernel: -1}\n"),
                 Errc::kInvalidArgument, "m.yaml:3:5: ",
                 "kernel must be positive whole numbers, got [-1, -1]"},
        BadModel{"negative padding",
                 with_layers("  - conv2d: {filters: 1, kernel: 1, "
                             "padding: -1}\n"),
                 Errc::kInvalidArgument,
                 "m.yaml:3:5: ", "padding must be non-negative whole numbers"},
        BadModel{"zero in the input", with_layers("  - relu\n", "[0, 3]"),
                 Errc::kInvalidArgument, "m.yaml: ",
                 "the input shape [0, 3] needs whole numbers from 1 to 2^53"},
        BadModel{
            "counts beyond 2^53",
            with_layers("  - dense: {units: 4294967296}\n", "[4294967296]"),
            Errc::kInvalidArgument,
            "m.yaml:3:5: ", "more than 2^53 parameters, elements or FLOPs"},
        BadModel{"padding beyond 2^53",
                 with_layers("  - conv1d: {filters: 1, kernel: 1, "
                             "padding: 9007199254740992}\n",
                             "[1, 4]"),
                 Errc::kInvalidArgument, "m.yaml:3:5: ",
                 "input [1, 4] with padding [9007199254740992] is larger "
                 "than 2^53"},
        BadModel{
            "sizes beyond int64",
            with_layers("  - dense: {units: 99999999999999999999}\n", "[4]"),
            Errc::kInvalidArgument,
            "m.yaml:3:20: ", "units: expected a whole number"},
        BadModel{"names used twice",
                 with_layers("  - relu: {name: a}\n  - relu: {name: a}\n"),
                 Errc::kInvalidArgument, "m.yaml:4:5: ",
                 "layer 2 is named 'a' like layer 1; names must be unique"},
        BadModel{"unknown top-level key", "input: [3]\nlayer: [relu]\n",
                 Errc::kInvalidArgument, "m.yaml:2:1: ",
                 "unknown key 'layer' in the model; did you mean 'layers'?"},
        BadModel{"no input", "layers: [relu]\n", Errc::kInvalidArgument,
                 "m.yaml:1:1: ", "the model needs 'input: [sizes]'"},
        BadModel{"input not a list", "input: 3\nlayers: [relu]\n",
                 Errc::kInvalidArgument,
                 "m.yaml:1:8: ", "input: expected the shape of one sample"},
        BadModel{"no layers", "input: [3]\nlayers: []\n",
                 Errc::kInvalidArgument,
                 "m.yaml:2:9: ", "a list of at least one layer"},
        BadModel{"not a mapping", "- relu\n", Errc::kInvalidArgument,
                 "m.yaml:1:1: ", "a model is a mapping with input and layers"},
        BadModel{"other schema",
                 "schema_version: 2\ninput: [3]\n"
                 "layers: [relu]\n",
                 Errc::kInvalidArgument,
                 "m.yaml:1:17: ", "this mlcarbon reads model schema 1"},
        BadModel{"not UTF-8", "name: caf\xE9\ninput: [3]\nlayers: [relu]\n",
                 Errc::kParse, "m.yaml:1:10: ",
                 "byte 0xE9 is not UTF-8; save the model as UTF-8"},
        BadModel{"surrogate escape in a layer name",
                 with_layers("  - relu: {name: \"\\ud800\"}\n"), Errc::kParse,
                 "m.yaml:3:", "malformed YAML"},
        BadModel{
            "second document", "input: [3]\nlayers: [relu]\n---\ninput: [4]\n",
            Errc::kParse,
            "m.yaml:4: ", "a second YAML document; put one model per file"},
        BadModel{"nested deeper than the limit",
                 "description: " + std::string(40, '[') + std::string(40, ']') +
                     "\ninput: [3]\nlayers: [relu]\n",
                 Errc::kParse, "m.yaml:1:46: ",
                 "nested more than 32 levels deep; a model needs a few"},
        BadModel{
            "nested deeper than yaml-cpp goes",
            "input: " + std::string(3000, '[') + std::string(3000, ']') + "\n",
            Errc::kParse,
            "m.yaml:", "malformed YAML: nested more than 32 levels deep"}));

TEST(ModelLimitTest, TooManyLayersIsAnError) {
  std::string yaml = "input: [3]\nlayers:\n";
  for (std::size_t i = 0; i <= kMaxLayers; ++i)
    yaml += "  - relu\n";

  auto m = parse_model(yaml, "m.yaml");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().to_string(),
            "m.yaml:3:3: 10001 layers; a model may have at most 10000");
}

TEST(ModelLimitTest, TheMostLayersAreFine) {
  std::string yaml = "input: [3]\nlayers:\n";
  for (std::size_t i = 0; i < kMaxLayers; ++i)
    yaml += "  - relu\n";

  auto m = parse_model(yaml, "m.yaml");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->stats.size(), kMaxLayers);
}

TEST(ModelLimitTest, LargerFileIsRefusedBeforeParsing) {
  std::string yaml = "input: [3]\nlayers: [relu]\n";
  yaml.resize(kMaxModelBytes + 1, '\n');

  auto m = parse_model(yaml, "m.yaml");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kParse);
  EXPECT_EQ(m.error().to_string(),
            "m.yaml: the file has 1048577 bytes; a model may have at most "
            "1048576 (1 MiB)");
  EXPECT_TRUE(parse_model(yaml.substr(0, kMaxModelBytes), "m.yaml"));
}

TEST(ModelLimitTest, ByteOrderMarkIsSkipped) {
  auto m = parse_model("\xEF\xBB\xBFinput: [3]\nlayers: [relu]\n", "m.yaml");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->layers[0].pos.line, 2);
}

TEST(ModelLimitTest, AliasesDoNotMultiplyWork) {
  // A "billion laughs" of anchors stays a small tree of shared nodes.
  std::string yaml = "description: &a0 [x, x]\n";
  for (int i = 1; i < 30; ++i)
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  yaml += "input: [3]\nlayers: [relu]\n";

  auto m = parse_model(yaml, "m.yaml");

  ASSERT_FALSE(m);
  EXPECT_NE(m.error().to_string().find("unknown key 'x1' in the model"),
            std::string::npos)
      << m.error().to_string();
}

TEST(InferShapesTest, OtherLayersHaveNoShapeRule) {
  Model m;
  m.origin = "g.onnx";
  m.input = {4};
  Layer l;
  l.type = LayerType::kOther;
  l.name = "n1";
  l.op = "Einsum";
  m.layers.push_back(l);

  auto s = infer_shapes(m);

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().to_string(),
            "g.onnx: layer 'n1' (other): operator 'Einsum' has no shape "
            "rule; only an ONNX import gives its shapes");
}

TEST(InferShapesTest, GroupsThatDoNotDivideTheChannelsAreAnError) {
  auto m = parse_model(
      "input: [6, 8, 8]\n"
      "layers:\n"
      "  - conv2d: {filters: 8, kernel: 3, groups: 4, name: grouped}\n",
      "g.yaml");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().to_string(),
            "g.yaml:3:5: layer 'grouped' (conv2d): groups 4 must divide both "
            "the input channels (6) and the filters (8)");
}

TEST(InferShapesTest, ZeroGroupsIsAnError) {
  auto m = parse_model(
      "input: [4, 8]\nlayers: [{conv1d: {filters: 4, kernel: 3, groups: "
      "0}}]\n",
      "z.yaml");

  ASSERT_FALSE(m);
  EXPECT_NE(m.error().to_string().find("groups must be a whole number from 1"),
            std::string::npos)
      << m.error().to_string();
}

TEST(InferShapesTest, ConvKernelOfTheWrongRankIsAnError) {
  Model m;
  m.origin = "code";
  m.input = {1, 8};
  Layer l;
  l.type = LayerType::kConv1d;
  l.name = "c";
  l.units = 2;
  l.kernel = {3, 3};
  l.stride = {1};
  l.padding = {0};
  m.layers.push_back(l);

  auto s = infer_shapes(m);

  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().to_string(),
            "code: layer 'c' (conv1d): kernel needs 1 value, got 2");
}

}  // namespace
}  // namespace mlcarbon::models
