// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/models/onnx.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"

#include "onnx_builder.h"
#include "support/test_support.h"

namespace mlcarbon::models {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::OnnxBuilder;

Model import_ok(const std::string& bytes, const char* origin = "m.onnx") {
  auto model = import_onnx(bytes, origin);
  EXPECT_TRUE(model.has_value()) << model.error().to_string();
  return model ? *model : Model{};
}

std::int64_t total_params(const Model& m) {
  std::int64_t n = 0;
  for (const auto& s : m.stats)
    n += s.params;
  return n;
}

double total_flops(const Model& m) {
  double n = 0;
  for (const auto& s : m.stats)
    n += s.forward_flops;
  return n;
}

std::vector<LayerType> types(const Model& m) {
  std::vector<LayerType> t;
  for (const auto& l : m.layers)
    t.push_back(l.type);
  return t;
}

TEST(OnnxImport, MlpViaGemm) {
  const Model m = import_ok(testing::onnx_mlp(), "dir/mlp.onnx");
  EXPECT_TRUE(onnx_supported());
  EXPECT_EQ(m.name, "mlp");
  EXPECT_EQ(m.origin, "dir/mlp.onnx");
  EXPECT_EQ(m.input, (Shape{4}));
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDense, LayerType::kRelu,
                                    LayerType::kDense, LayerType::kSoftmax));
  ASSERT_EQ(m.stats.size(), 4u);
  EXPECT_EQ(m.layers[0].name, "fc1");
  EXPECT_EQ(m.layers[0].units, 8);
  EXPECT_TRUE(m.layers[0].bias);
  EXPECT_EQ(m.layers[2].units, 3);
  // 4*8 + 8 and 8*3 + 3.
  EXPECT_EQ(m.stats[0].params, 40);
  EXPECT_EQ(m.stats[2].params, 27);
  EXPECT_EQ(total_params(m), 67);
  EXPECT_DOUBLE_EQ(total_flops(m), 72 + 8 + 51 + 9);
  // Multiply-add = 2, bias add = 1 per output, activations 1 per element,
  // softmax 3 per element.
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2 * 4 * 8 + 8);
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 8);
  EXPECT_DOUBLE_EQ(m.stats[2].forward_flops, 2 * 8 * 3 + 3);
  EXPECT_DOUBLE_EQ(m.stats[3].forward_flops, 3 * 3);
  EXPECT_EQ(m.stats[0].input, (Shape{4}));
  EXPECT_EQ(m.stats[0].output, (Shape{8}));
  EXPECT_EQ(m.stats[3].output, (Shape{3}));
  EXPECT_DOUBLE_EQ(m.stats[0].weight_bytes, 40 * 4);
  EXPECT_DOUBLE_EQ(m.stats[0].activation_bytes, 8 * 4);
  EXPECT_TRUE(m.unsupported.empty());
}

TEST(OnnxImport, CnnViaConvPoolFlattenGemm) {
  const Model m = import_ok(testing::onnx_cnn());
  EXPECT_EQ(m.input, (Shape{1, 8, 8}));
  ASSERT_THAT(types(m), ElementsAre(LayerType::kConv2d, LayerType::kRelu,
                                    LayerType::kMaxPool2d, LayerType::kFlatten,
                                    LayerType::kDense));
  const Layer& conv = m.layers[0];
  EXPECT_EQ(conv.units, 4);
  EXPECT_EQ(conv.kernel, (std::vector<std::int64_t>{3, 3}));
  EXPECT_EQ(conv.stride, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(conv.padding, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(m.layers[2].kernel, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(m.layers[2].stride, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(m.stats[0].output, (Shape{4, 8, 8}));
  EXPECT_EQ(m.stats[2].output, (Shape{4, 4, 4}));
  EXPECT_EQ(m.stats[3].output, (Shape{64}));
  EXPECT_EQ(m.stats[4].output, (Shape{10}));
  EXPECT_EQ(m.stats[0].params, 4 * 9 + 4);
  EXPECT_EQ(m.stats[4].params, 64 * 10 + 10);
  EXPECT_EQ(total_params(m), 690);
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 9 * 256 + 256);
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 256);
  EXPECT_DOUBLE_EQ(m.stats[2].forward_flops, 4.0 * 64);
  EXPECT_DOUBLE_EQ(m.stats[3].forward_flops, 0);
  EXPECT_DOUBLE_EQ(m.stats[4].forward_flops, 2.0 * 64 * 10 + 10);
}

TEST(OnnxImport, MatMulWithBiasAddIsOneDenseLayer) {
  const Model m = import_ok(testing::onnx_matmul_add());
  EXPECT_EQ(m.input, (Shape{5, 6}));
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDense));
  EXPECT_EQ(m.layers[0].units, 7);
  EXPECT_TRUE(m.layers[0].bias);
  EXPECT_EQ(m.stats[0].params, 6 * 7 + 7);
  EXPECT_EQ(m.stats[0].output, (Shape{5, 7}));
  // Five positions, each 6 -> 7 with bias.
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 5 * (2.0 * 6 * 7 + 7));
  EXPECT_TRUE(m.unsupported.empty());
}

TEST(OnnxImport, AttentionScoresCountAsDenseWithoutParameters) {
  // softmax(x · xᵀ) · x over a [5, 6] sequence.
  OnnxBuilder b;
  b.input("x", {-1, 5, 6}).output("y", {-1, 5, 6});
  OnnxBuilder::attr(b.node("Transpose", {"x"}, {"xt"}), "perm", {0, 2, 1});
  b.node("MatMul", {"x", "xt"}, {"s"}, "scores");
  OnnxBuilder::attr(b.node("Softmax", {"s"}, {"p"}), "axis", -1);
  b.node("MatMul", {"p", "x"}, {"y"}, "mix");
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDense, LayerType::kSoftmax,
                                    LayerType::kDense));
  EXPECT_EQ(total_params(m), 0);
  EXPECT_EQ(m.stats[0].output, (Shape{5, 5}));
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 6 * 25);
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 3.0 * 25);
  EXPECT_EQ(m.stats[2].output, (Shape{5, 6}));
  EXPECT_DOUBLE_EQ(m.stats[2].forward_flops, 2.0 * 5 * 30);
  EXPECT_EQ(m.layers[1].name, "Softmax_2");
  EXPECT_TRUE(m.unsupported.empty());
}

TEST(OnnxImport, GroupedConvCountsParamsAndFlopsPerGroup) {
  OnnxBuilder b;
  b.input("x", {-1, 4, 6}).output("y", {-1, 4, 4});
  b.weight("w", {4, 2, 3});
  auto& conv = b.node("Conv", {"x", "w"}, {"y"}, "grouped");
  OnnxBuilder::attr(conv, "group", 2);
  OnnxBuilder::attr(conv, "kernel_shape", {3});
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kConv1d));
  EXPECT_FALSE(m.layers[0].bias);
  EXPECT_EQ(m.layers[0].groups, 2);  // the engine rebuilds it grouped
  EXPECT_EQ(m.stats[0].output, (Shape{4, 4}));
  EXPECT_EQ(m.stats[0].params, 24);
  // 16 outputs, each reading 2 channels x 3 taps.
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 6 * 16);
}

TEST(OnnxImport, GroupThatDoesNotDivideTheFiltersIsAnError) {
  OnnxBuilder b;
  b.input("x", {-1, 4, 6}).output("y", {-1, 3, 4});
  b.weight("w", {3, 2, 3});
  auto& conv = b.node("Conv", {"x", "w"}, {"y"}, "odd");
  OnnxBuilder::attr(conv, "group", 2);
  OnnxBuilder::attr(conv, "kernel_shape", {3});
  auto m = import_onnx(b.bytes(), "odd.onnx");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().to_string().find(
                "node 'odd' (Conv): group 2 does not divide its 3 filters"),
            std::string::npos)
      << m.error().to_string();
}

TEST(OnnxImport, NormalisationCountsScaleAndBiasOnly) {
  OnnxBuilder b(17);
  b.input("x", {-1, 3, 4, 4}).output("y", {-1, 3, 1, 1});
  b.weight("s", {3}).weight("bb", {3}).weight("mean", {3}).weight("var", {3});
  b.weight("ls", {4}).weight("lb", {4});
  b.node("BatchNormalization", {"x", "s", "bb", "mean", "var"}, {"n"}, "bn");
  OnnxBuilder::attr(b.node("LayerNormalization", {"n", "ls", "lb"}, {"l"}),
                    "axis", -1);
  b.node("GlobalAveragePool", {"l"}, {"y"}, "gap");
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m),
              ElementsAre(LayerType::kBatchNorm, LayerType::kLayerNorm,
                          LayerType::kAvgPool2d));
  EXPECT_EQ(m.stats[0].params, 6);
  EXPECT_EQ(m.stats[1].params, 8);
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 48);
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 5.0 * 48);
  EXPECT_EQ(m.layers[2].kernel, (std::vector<std::int64_t>{4, 4}));
  EXPECT_EQ(m.stats[2].output, (Shape{3, 1, 1}));
  EXPECT_DOUBLE_EQ(m.stats[2].forward_flops, 48);
}

TEST(OnnxImport, SharedInitializerBehindIdentityCountsForEachUser) {
  // torch.onnx.export writes equal parameters (zero biases) once and the
  // others as Identity nodes of it: each layer still owns its parameters.
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.weight("w1", {4, 4}).weight("b1", {4}).weight("w2", {4, 4});
  b.node("Identity", {"b1"}, {"b2"});
  OnnxBuilder::attr(b.node("Gemm", {"x", "w1", "b1"}, {"h"}), "transB", 1);
  OnnxBuilder::attr(b.node("Gemm", {"h", "w2", "b2"}, {"y"}), "transB", 1);
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDense, LayerType::kDense));
  EXPECT_EQ(m.stats[1].params, 20);
  EXPECT_EQ(total_params(m), 40);
}

TEST(OnnxImport, ReshapeThatFlattensIsFlattenAndShapeArithmeticIsSkipped) {
  OnnxBuilder b;
  b.input("x", {-1, 2, 3, 3}).output("y", {-1, 18});
  b.ints("idx", {0});
  b.ints("rest", {18});
  b.node("Shape", {"x"}, {"shape"});
  OnnxBuilder::attr(b.node("Gather", {"shape", "idx"}, {"batch"}), "axis", 0);
  OnnxBuilder::attr(b.node("Concat", {"batch", "rest"}, {"target"}), "axis", 0);
  b.node("Reshape", {"x", "target"}, {"y"}, "flat");
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kFlatten));
  EXPECT_EQ(m.stats[0].input, (Shape{2, 3, 3}));
  EXPECT_EQ(m.stats[0].output, (Shape{18}));
  EXPECT_TRUE(m.unsupported.empty());
}

TEST(OnnxImport, ShapeArithmeticIsFoldedSoLaterShapesAreKnown) {
  // x[:, : x.shape[1] // 2] as torch.onnx.export writes it, then a dense
  // layer: without folding the Div, ONNX leaves the slice's shape unknown.
  OnnxBuilder b;
  b.input("x", {-1, 6}).output("y", {-1, 4});
  b.ints("one", {1}).ints("zero", {0}).weight("w", {3, 4});
  b.node("Shape", {"x"}, {"shape"});
  auto& gather = b.node("Gather", {"shape", "one"}, {"width"});
  OnnxBuilder::attr(gather, "axis", 0);
  b.ints("half", {2});
  b.node("Div", {"width", "half"}, {"end"});
  b.node("Slice", {"x", "zero", "end", "one"}, {"left"});
  b.node("MatMul", {"left", "w"}, {"y"}, "fc");
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDense));
  EXPECT_EQ(m.stats[0].input, (Shape{3}));
  EXPECT_EQ(m.stats[0].output, (Shape{4}));
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 3 * 4);
  EXPECT_TRUE(m.unsupported.empty());
}

class TorchEncoderLayer : public ::testing::TestWithParam<const char*> {};

TEST_P(TorchEncoderLayer, IsOneBlockCountedAsTheModelFileCountsIt) {
  const auto path = testing::fixture(GetParam());
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  const Model m = import_ok(*bytes, GetParam());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kTransformerEncoder));
  EXPECT_EQ(m.layers[0].heads, 2);
  EXPECT_EQ(m.layers[0].mlp_dim, 8);
  EXPECT_TRUE(m.unsupported.empty());
  // The same block as a model file: same counts, same fingerprint, so a
  // calibration of one serves the other.
  auto file = parse_model(
      "input: [3, 8]\nlayers:\n  - transformer_encoder: {heads: 2, "
      "mlp_dim: 8}\n",
      "encoder.yaml");
  ASSERT_TRUE(file.has_value()) << file.error().to_string();
  EXPECT_EQ(m.parameters(), 464);
  EXPECT_EQ(m.parameters(), file->parameters());
  EXPECT_DOUBLE_EQ(m.forward_flops(), file->forward_flops());
  EXPECT_EQ(m.stats[0].input, file->stats[0].input);
  EXPECT_EQ(m.stats[0].output, file->stats[0].output);
  EXPECT_EQ(fingerprint(m), fingerprint(*file));
}

TEST(OnnxImport, LoadModelReadsOnnxFilesThroughThePlugin) {
  const auto path = testing::fixture("onnx/encoder_opset17.onnx").string();
  auto m = load_model(path);
  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  EXPECT_EQ(m->name, "encoder_opset17");
  EXPECT_EQ(m->origin, path);
  EXPECT_EQ(m->parameters(), 464);
}

INSTANTIATE_TEST_SUITE_P(Opsets, TorchEncoderLayer,
                         ::testing::Values("onnx/encoder_opset14.onnx",
                                           "onnx/encoder_opset17.onnx"));

TEST(OnnxImport, SequenceFirstInputHasItsBatchInTheMiddle) {
  // [sequence, batch, features], as nn.Transformer's default layout.
  OnnxBuilder b;
  b.input("x", {5, -1, 4}).output("y", {5, -1, 3});
  b.weight("w", {4, 3});
  b.node("MatMul", {"x", "w"}, {"y"}, "proj");
  const Model m = import_ok(b.bytes());
  EXPECT_EQ(m.input, (Shape{5, 4}));
  ASSERT_EQ(m.stats.size(), 1u);
  EXPECT_EQ(m.stats[0].output, (Shape{5, 3}));
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 5 * 2.0 * 4 * 3);
}

TEST(OnnxImport, FixedBatchDimensionIsStripped) {
  OnnxBuilder b;
  b.input("x", {1, 4}).output("y", {1, 2});
  b.weight("w", {4, 2});
  b.node("Gemm", {"x", "w"}, {"y"});
  const Model m = import_ok(b.bytes());
  EXPECT_EQ(m.input, (Shape{4}));
  ASSERT_EQ(m.stats.size(), 1u);
  EXPECT_EQ(m.stats[0].output, (Shape{2}));
  EXPECT_EQ(m.stats[0].params, 8);
  EXPECT_FALSE(m.layers[0].bias);
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 2.0 * 4 * 2);
}

TEST(OnnxImport, EmbeddingFromGatherOnATable) {
  OnnxBuilder b;
  b.input("ids", {-1, 5}).output("y", {-1, 5, 8});
  // Token ids are int64 in real exports; the importer only reads shapes.
  b.weight("table", {100, 8});
  b.node("Gather", {"table", "ids"}, {"y"}, "embed");
  auto bytes = b.bytes();
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  proto.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->set_elem_type(onnx::TensorProto::INT64);
  const Model m = import_ok(proto.SerializeAsString());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kEmbedding));
  EXPECT_EQ(m.layers[0].vocab, 100);
  EXPECT_EQ(m.layers[0].units, 8);
  EXPECT_EQ(m.stats[0].params, 800);
  EXPECT_EQ(m.stats[0].output, (Shape{5, 8}));
}

TEST(OnnxImport, DecomposedLayerNormIsOneLayer) {
  // What torch.onnx.export writes for nn.LayerNorm(6) before opset 17.
  OnnxBuilder b;
  b.input("x", {-1, 5, 6}).output("y", {-1, 5, 6});
  b.weight("two", {}).weight("eps", {}).weight("g", {6}).weight("beta", {6});
  OnnxBuilder::attr(b.node("ReduceMean", {"x"}, {"m"}, "ln"), "axes", {-1});
  b.node("Sub", {"x", "m"}, {"d"});
  b.node("Pow", {"d", "two"}, {"d2"});
  OnnxBuilder::attr(b.node("ReduceMean", {"d2"}, {"v"}), "axes", {-1});
  b.node("Add", {"v", "eps"}, {"ve"});
  b.node("Sqrt", {"ve"}, {"sd"});
  b.node("Div", {"d", "sd"}, {"n"});
  b.node("Mul", {"n", "g"}, {"s"});
  b.node("Add", {"s", "beta"}, {"y"});
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kLayerNorm));
  EXPECT_EQ(m.layers[0].name, "ln");
  EXPECT_EQ(m.stats[0].params, 12);
  EXPECT_EQ(m.stats[0].output, (Shape{5, 6}));
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 5.0 * 30);
  EXPECT_TRUE(m.unsupported.empty());
}

TEST(OnnxImport, NewerOpsetIsStillCheckedBeforeShapeInference) {
  // Shape inference crashed on this file (found by the fuzzer) while the
  // checker was skipped for opsets newer than libonnx.
  const auto path = testing::fixture("onnx/newer_opset_undefined_input.onnx");
  auto bytes = read_file(path);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  auto m = import_onnx(*bytes, "fuzzed.onnx");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), Errc::kParse);
  EXPECT_THAT(m.error().to_string(),
              HasSubstr("fuzzed.onnx: not an ONNX model (Nodes in a graph "
                        "must be topologically sorted"));
  // The checker's node, on one line.
  EXPECT_EQ(m.error().to_string().find('\n'), std::string::npos);

  OnnxBuilder b(45);
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.node("Relu", {"nowhere"}, {"y"});
  auto undefined = import_onnx(b.bytes(), "new.onnx");
  ASSERT_FALSE(undefined.has_value());
  EXPECT_THAT(undefined.error().to_string(), HasSubstr("nowhere"));
}

TEST(OnnxImport, OpsetNewerThanTheLibraryIsStillRead) {
  // Gelu entered the default domain after this libonnx; its checker would
  // reject the model.
  OnnxBuilder b(21);
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.node("Relu", {"x"}, {"r"});
  b.node("Gelu", {"r"}, {"y"}, "gelu");
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kRelu, LayerType::kGelu));
  EXPECT_EQ(m.stats[1].output, (Shape{4}));
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 4);
}

TEST(OnnxImport, DropoutKeepsItsRate) {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  auto& drop = b.node("Dropout", {"x"}, {"y"});
  auto* ratio = drop.add_attribute();
  ratio->set_name("ratio");
  ratio->set_type(onnx::AttributeProto::FLOAT);
  ratio->set_f(0.25F);
  auto bytes = b.bytes();
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  proto.mutable_opset_import(0)->set_version(11);
  const Model m = import_ok(proto.SerializeAsString());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDropout));
  EXPECT_DOUBLE_EQ(m.layers[0].rate, 0.25);
  EXPECT_DOUBLE_EQ(m.stats[0].forward_flops, 0);
}

TEST(OnnxImport, DropoutRateFromAConstantInput) {
  // Since opset 12 the ratio is an input; exporters write it as a Constant.
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  auto& constant = b.node("Constant", {}, {"ratio"});
  auto* value = constant.add_attribute();
  value->set_name("value");
  value->set_type(onnx::AttributeProto::TENSOR);
  value->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  value->mutable_t()->add_float_data(0.125F);
  b.node("Dropout", {"x", "ratio"}, {"y"});
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kDropout));
  EXPECT_DOUBLE_EQ(m.layers[0].rate, 0.125);
}

TEST(OnnxImport, UnsupportedOpsAreListedWithTheirCount) {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.node("Erf", {"x"}, {"e1"}, "erf_a");
  b.node("Sin", {"e1"}, {"s"});
  b.node("Erf", {"s"}, {"y"});
  const Model m = import_ok(b.bytes());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kOther, LayerType::kOther,
                                    LayerType::kOther));
  EXPECT_EQ(m.layers[0].op, "Erf");
  EXPECT_EQ(m.layers[0].name, "erf_a");
  EXPECT_EQ(m.layers[1].op, "Sin");
  EXPECT_EQ(m.stats[1].output, (Shape{4}));
  EXPECT_EQ(m.stats[1].params, 0);
  EXPECT_DOUBLE_EQ(m.stats[1].forward_flops, 0);
  ASSERT_EQ(m.unsupported.size(), 2u);
  EXPECT_EQ(m.unsupported[0].op, "Erf");
  EXPECT_EQ(m.unsupported[0].count, 2);
  EXPECT_EQ(m.unsupported[1].op, "Sin");
  EXPECT_EQ(m.unsupported[1].count, 1);
}

TEST(OnnxImport, CustomDomainOpIsUnsupportedNotFatal) {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.node("Relu", {"x"}, {"r"});
  b.node("FancyOp", {"r"}, {"y"}).set_domain("com.example");
  auto bytes = b.bytes();
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(bytes));
  auto* import = proto.add_opset_import();
  import->set_domain("com.example");
  import->set_version(1);
  const Model m = import_ok(proto.SerializeAsString());
  ASSERT_THAT(types(m), ElementsAre(LayerType::kRelu, LayerType::kOther));
  ASSERT_EQ(m.unsupported.size(), 1u);
  EXPECT_EQ(m.unsupported[0].op, "FancyOp");
}

void expect_not_onnx(const std::string& bytes, const char* why) {
  auto m = import_onnx(bytes, "bad.onnx");
  ASSERT_FALSE(m.has_value()) << why;
  EXPECT_EQ(m.error().code(), Errc::kParse) << why;
  EXPECT_THAT(m.error().to_string(), HasSubstr("bad.onnx: ")) << why;
  EXPECT_THAT(m.error().to_string(), HasSubstr("ONNX")) << why;
}

TEST(OnnxImport, EmptyFileIsAClearError) {
  auto m = import_onnx("", "bad.onnx");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), Errc::kParse);
  EXPECT_EQ(m.error().to_string(),
            "bad.onnx: not an ONNX model (the file is empty)");
}

TEST(OnnxImport, TruncatedFileIsAClearError) {
  const std::string full = testing::onnx_cnn();
  for (std::size_t cut : {full.size() / 2, full.size() - 1, std::size_t{3}})
    expect_not_onnx(full.substr(0, cut), "truncated");
}

TEST(OnnxImport, CorruptFileIsAClearError) {
  std::string bytes = testing::onnx_mlp();
  // A field tag the schema does not allow (wire type 7) in the middle.
  bytes[bytes.size() / 3] = '\x0f';
  bytes[bytes.size() / 3 + 1] = '\xff';
  expect_not_onnx(bytes, "corrupt");
  expect_not_onnx("name: \"not a protobuf\"\n", "text");
}

TEST(OnnxImport, RandomBytesNeverCrash) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 200; ++round) {
    std::string bytes(static_cast<std::size_t>(1 + round * 7), '\0');
    for (char& c : bytes)
      c = static_cast<char>(byte(rng));
    expect_not_onnx(bytes, "random");
  }
}

TEST(OnnxImport, CheckerFindsAGraphThatReadsAnUndefinedTensor) {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.node("Relu", {"nowhere"}, {"y"});
  auto m = import_onnx(b.bytes(), "bad.onnx");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), Errc::kParse);
  EXPECT_THAT(m.error().to_string(), HasSubstr("bad.onnx: not an ONNX model"));
  EXPECT_THAT(m.error().to_string(), HasSubstr("nowhere"));
}

TEST(OnnxImport, ImpossibleInitializerShapeIsAnError) {
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 2});
  b.weight("w", {4, 2});
  OnnxBuilder::attr(b.node("Gemm", {"x", "w"}, {"y"}, "fc"), "transB", 0);
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(b.bytes()));
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, INT64_MAX);
  w->set_dims(1, 4);
  auto m = import_onnx(proto.SerializeAsString(), "bad.onnx");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code(), Errc::kParse);
  EXPECT_THAT(m.error().to_string(), HasSubstr("bad.onnx"));
  EXPECT_THAT(m.error().to_string(), HasSubstr("initializer 'w'"));
}

TEST(OnnxImport, ParametersOverTwoToThe53AreAnError) {
  // 2^30 x 2^22 fits an initializer; sixteen users of it do not fit a
  // count that stays exact as a double.
  OnnxBuilder b;
  b.input("x", {-1, 4}).output("y", {-1, 4});
  b.weight("w", {1, 1});
  std::string in = "x";
  for (int i = 0; i < 16; ++i) {
    const std::string out = i == 15 ? "y" : "h" + std::to_string(i);
    b.node("Relu", {in}, {out});
    b.node("Gather", {"w", out}, {"g" + std::to_string(i)});
    in = out;
  }
  onnx::ModelProto proto;
  ASSERT_TRUE(proto.ParseFromString(b.bytes()));
  auto* w = proto.mutable_graph()->mutable_initializer(0);
  w->set_dims(0, std::int64_t{1} << 30);
  w->set_dims(1, std::int64_t{1} << 22);
  auto m = import_onnx(proto.SerializeAsString(), "huge.onnx");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().to_string(),
            "huge.onnx: the model has over 2^53 parameters");
}

}  // namespace
}  // namespace mlcarbon::models
