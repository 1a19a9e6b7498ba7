// SPDX-License-Identifier: Apache-2.0
// The LibTorch plugin, loaded as mlcarbon loads it. Skipped, with the
// reason, where the plugin is not built (no LibTorch, sanitizer builds).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <gtest/gtest.h>

#include "mlcarbon/engine/engine.h"
#include "mlcarbon/models/model.h"

#include "idx_files.h"
#include "support/test_support.h"

namespace mlcarbon::engine {
namespace {

using mlcarbon::testing::write_idx;
using models::Layer;
using models::LayerType;
using models::Model;

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef MLCARBON_ENGINE_SKIP_REASON
    GTEST_SKIP() << MLCARBON_ENGINE_SKIP_REASON;
#else
    auto loaded = load_engine({.path = MLCARBON_ENGINE_PLUGIN});
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    engine_ = *loaded;
#endif
  }

  Engine* engine_ = nullptr;
};

Layer layer(LayerType type, std::int64_t units = 0) {
  Layer l;
  l.type = type;
  l.units = units;
  l.name = std::string(models::to_string(type));
  return l;
}

Model mlp(std::int64_t inputs, std::int64_t width, int depth,
          std::int64_t outputs) {
  Model m;
  m.name = m.origin = "mlp";
  m.input = {inputs};
  for (int i = 0; i < depth; ++i) {
    m.layers.push_back(layer(LayerType::kDense, width));
    m.layers.push_back(layer(LayerType::kRelu));
  }
  m.layers.push_back(layer(LayerType::kDense, outputs));
  EXPECT_TRUE(models::infer_shapes(m));
  return m;
}

double mean(const std::vector<double>& v, std::size_t from, std::size_t to) {
  return std::accumulate(v.begin() + static_cast<std::ptrdiff_t>(from),
                         v.begin() + static_cast<std::ptrdiff_t>(to), 0.0) /
         static_cast<double>(to - from);
}

TEST_F(PluginTest, DescribesLibTorchAndItsBlas) {
  std::string text = engine_->description();

  EXPECT_NE(text.find("LibTorch 1."), std::string::npos) << text;
  EXPECT_NE(text.find("BLAS"), std::string::npos) << text;
}

TEST_F(PluginTest, TheDefaultSearchFindsTheBuildTreesPlugin) {
  if (std::getenv("MLCARBON_ENGINE") != nullptr)
    GTEST_SKIP() << "MLCARBON_ENGINE is set";

  auto found = load_engine({});

  ASSERT_TRUE(found) << found.error().to_string();
  EXPECT_EQ(*found, engine_);
}

TEST_F(PluginTest, AnMlpTrainsAndItsLossDecreases) {
  Model model = mlp(10, 32, 2, 1);
  DataSpec data{.samples = 512};
  TrainOptions train{.learning_rate = 0.05, .batch = 32};

  auto session = engine_->open(model, data, train, {});
  ASSERT_TRUE(session) << session.error().to_string();
  auto& s = **session;
  auto result = s.train(5 * s.batches_per_epoch(), nullptr);

  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(s.batches_per_epoch(), 16);
  EXPECT_EQ(result->batches, 80);
  EXPECT_EQ(result->samples, 5 * 512);
  ASSERT_EQ(s.losses().size(), 80U);
  double first = mean(s.losses(), 0, 16);
  double last = mean(s.losses(), 64, 80);
  EXPECT_LT(last, 0.5 * first) << "first epoch " << first << ", last " << last;
  EXPECT_NEAR(result->mean_loss, mean(s.losses(), 0, 80), 1e-12);
}

TEST_F(PluginTest, TheSameSeedGivesTheSameLossesAndAnotherSeedOthers) {
  Model model = mlp(8, 16, 1, 1);
  auto run = [&](std::uint64_t seed) {
    auto session = engine_->open(model, {.samples = 64}, {}, {.seed = seed});
    EXPECT_TRUE(session);
    EXPECT_TRUE((*session)->train(4, nullptr));
    return (*session)->losses();
  };

  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST_F(PluginTest, ClassificationWithCrossEntropyLearns) {
  Model model = mlp(20, 64, 1, 4);
  DataSpec data{
      .kind = DataSpec::Kind::kClassification, .samples = 256, .classes = 4};
  TrainOptions train{.optimizer = Optimizer::kAdam,
                     .loss = Loss::kCrossEntropy,
                     .learning_rate = 0.01};

  auto session = engine_->open(model, data, train, {});
  ASSERT_TRUE(session) << session.error().to_string();
  auto result = (*session)->train(80, nullptr);

  ASSERT_TRUE(result) << result.error().to_string();
  const auto& losses = (*session)->losses();
  // Four balanced-ish classes start near ln 4 = 1.39.
  EXPECT_GT(mean(losses, 0, 8), 1.0);
  EXPECT_LT(mean(losses, 72, 80), 0.5 * mean(losses, 0, 8));
}

TEST_F(PluginTest, InferenceRunsWithoutALoss) {
  Model model = mlp(8, 16, 2, 1);
  auto session = engine_->open(model, {.samples = 100}, {.batch = 32}, {});
  ASSERT_TRUE(session) << session.error().to_string();

  auto result = (*session)->infer(5, nullptr);

  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->batches, 5);
  // 32 + 32 + 32 + 4 (the epoch's remainder) + 32 (the next epoch).
  EXPECT_EQ(result->samples, 132);
  EXPECT_TRUE(std::isnan(result->mean_loss));
  EXPECT_TRUE((*session)->losses().empty());
}

#if defined(__x86_64__)
TEST_F(PluginTest, FlushingDenormalsLeavesTheCallersFloatingPointStateAlone) {
  const unsigned before = _mm_getcsr();
  auto session = engine_->open(mlp(8, 8, 1, 1), {.samples = 64}, {}, {});
  ASSERT_TRUE(session);

  ASSERT_TRUE((*session)->train(2, nullptr));
  ASSERT_TRUE((*session)->infer(2, nullptr));

  EXPECT_EQ(_mm_getcsr(), before);
  // A denormal survives here: the loops' flushing did not leak out.
  volatile float tiny = 1e-40F;
  EXPECT_GT(tiny * 1.0F, 0.0F);
}
#endif

TEST_F(PluginTest, AProgressCallbackCanStopALoop) {
  Model model = mlp(8, 16, 1, 1);
  auto session = engine_->open(model, {.samples = 320}, {}, {});
  ASSERT_TRUE(session);
  std::vector<std::int64_t> seen;

  auto result =
      (*session)->train(10, [&](std::int64_t done, std::int64_t total) {
        seen.push_back(done);
        EXPECT_EQ(total, 320);
        return done < 96;
      });

  ASSERT_TRUE(result);
  EXPECT_TRUE(result->cancelled);
  EXPECT_EQ(result->batches, 3);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{32, 64, 96}));
}

/// One model per family of layer types, as model files; together they use
/// every type but kOther.
std::vector<Model> every_layer_type() {
  const char* files[] = {
      R"(name: conv2d
input: [1, 12, 12]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1}
  - batchnorm
  - relu
  - maxpool2d: {kernel: 2}
  - conv2d: {filters: 6, kernel: [3, 3], stride: 2, bias: false}
  - tanh
  - avgpool2d: {kernel: 2, stride: 1}
  - flatten
  - dropout: {rate: 0.25}
  - dense: {units: 10}
  - softmax
)",
      R"(name: conv1d
input: [2, 32]
layers:
  - conv1d: {filters: 8, kernel: 5, padding: 2}
  - batchnorm
  - sigmoid
  - maxpool1d: {kernel: 2}
  - avgpool1d: {kernel: 2}
  - flatten
  - dense: {units: 1}
)",
      R"(name: transformer
input: [16]
layers:
  - embedding: {vocab: 100, dim: 32}
  - transformer_encoder: {heads: 4, mlp_dim: 64}
  - layernorm
  - dense: {units: 8}
  - gelu
  - flatten
  - dense: {units: 1}
)",
      R"(name: dense-norms
input: [12]
layers:
  - dense: {units: 24}
  - batchnorm
  - layernorm
  - dense: {units: 1, bias: false}
)",
  };
  std::vector<Model> out;
  for (const char* text : files) {
    auto model = models::parse_model(text, "every_layer_type.yaml");
    EXPECT_TRUE(model) << model.error().to_string();
    if (model)
      out.push_back(std::move(*model));
  }
  return out;
}

TEST_F(PluginTest, EveryLayerTypeBuildsWithTheParameterCountOfModels) {
  std::vector<bool> used(static_cast<std::size_t>(LayerType::kOther), false);
  for (const Model& model : every_layer_type()) {
    SCOPED_TRACE(model.name);
    for (const auto& l : model.layers)
      used[static_cast<std::size_t>(l.type)] = true;

    auto session = engine_->open(model, {.samples = 8}, {.batch = 4}, {});
    ASSERT_TRUE(session) << session.error().to_string();

    EXPECT_EQ((*session)->parameters(), model.parameters());
    auto trained = (*session)->train(2, nullptr);
    ASSERT_TRUE(trained) << trained.error().to_string();
    EXPECT_TRUE(std::isfinite(trained->mean_loss));
    ASSERT_TRUE((*session)->infer(2, nullptr));
  }
  for (std::size_t t = 0; t < used.size(); ++t)
    EXPECT_TRUE(used[t]) << models::to_string(static_cast<LayerType>(t))
                         << " is not covered";
}

TEST_F(PluginTest, AnOnnxOperatorItCannotRunIsAnErrorNamingTheLayer) {
  Model model = mlp(4, 4, 1, 1);
  Layer other = layer(LayerType::kOther);
  other.name = "where_3";
  other.op = "Where";
  model.layers.insert(model.layers.begin() + 1, other);
  model.stats.insert(model.stats.begin() + 1, model.stats[0]);
  model.stats[1].input = model.stats[1].output;

  auto session = engine_->open(model, {.samples = 8}, {}, {});

  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(session.error().message().find(
                "layer 'where_3' (other): the engine cannot run ONNX "
                "operator 'Where'"),
            std::string::npos)
      << session.error().message();
}

TEST_F(PluginTest, CrossEntropyOnRegressionDataIsRefused) {
  auto session = engine_->open(mlp(4, 4, 1, 1), {.samples = 8},
                               {.loss = Loss::kCrossEntropy}, {});

  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(session.error().message().find("cross-entropy needs class labels"),
            std::string::npos);
}

TEST_F(PluginTest, ClassesMustMatchTheModelsOutput) {
  auto session = engine_->open(
      mlp(4, 4, 1, 3),
      {.kind = DataSpec::Kind::kClassification, .samples = 8, .classes = 10},
      {.loss = Loss::kCrossEntropy}, {});

  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message().find(
                "the model's output [3] does not match 10 classes"),
            std::string::npos)
      << session.error().message();
}

TEST_F(PluginTest, CudaWithoutAGpuIsAClearError) {
  if (engine_->cuda_available())
    GTEST_SKIP() << "this machine has CUDA";

  auto session = engine_->open(mlp(4, 4, 1, 1), {.samples = 8}, {},
                               {.device = Device::kCuda});

  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().code(), Errc::kUnavailable);
  EXPECT_NE(session.error().message().find("CUDA is not available"),
            std::string::npos);
}

TEST_F(PluginTest, TrainsOnIdxFiles) {
  // 64 images of 4x4 whose brightness is their class: learnable.
  testing::TempDir dir;
  std::vector<std::uint8_t> images;
  std::vector<std::uint8_t> labels;
  for (std::uint8_t i = 0; i < 64; ++i) {
    auto label = static_cast<std::uint8_t>(i % 4);
    labels.push_back(label);
    for (int p = 0; p < 16; ++p)
      images.push_back(static_cast<std::uint8_t>(label * 60 + p));
  }
  write_idx(dir.path() / "images", {64, 4, 4}, images);
  write_idx(dir.path() / "labels", {64}, labels);
  Model model = mlp(16, 16, 1, 4);
  DataSpec data{.kind = DataSpec::Kind::kIdx,
                .samples = 0,
                .classes = 4,
                .images_path = (dir.path() / "images").string(),
                .labels_path = (dir.path() / "labels").string()};
  TrainOptions train{.optimizer = Optimizer::kAdam,
                     .loss = Loss::kCrossEntropy,
                     .learning_rate = 0.02,
                     .batch = 16};

  auto session = engine_->open(model, data, train, {});
  ASSERT_TRUE(session) << session.error().to_string();
  auto result = (*session)->train(60, nullptr);

  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ((*session)->batches_per_epoch(), 4);
  const auto& losses = (*session)->losses();
  EXPECT_LT(mean(losses, 52, 60), 0.5 * mean(losses, 0, 8));
}

TEST_F(PluginTest, TrainsOnDebiansFashionMnist) {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(dir + "t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " is absent (package dataset-fashion-mnist)";
  auto model = models::parse_model(R"(name: fashion
input: [1, 28, 28]
layers:
  - flatten
  - dense: {units: 32}
  - relu
  - dense: {units: 10}
)",
                                   "fashion.yaml");
  ASSERT_TRUE(model) << model.error().to_string();
  DataSpec data{.kind = DataSpec::Kind::kIdx,
                .samples = 512,
                .classes = 10,
                .images_path = dir + "t10k-images-idx3-ubyte.gz",
                .labels_path = dir + "t10k-labels-idx1-ubyte.gz"};
  TrainOptions train{.optimizer = Optimizer::kAdam,
                     .loss = Loss::kCrossEntropy,
                     .learning_rate = 0.003};

  auto session = engine_->open(*model, data, train, {});
  ASSERT_TRUE(session) << session.error().to_string();
  auto result = (*session)->train(48, nullptr);

  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ((*session)->batches_per_epoch(), 16);
  const auto& losses = (*session)->losses();
  // Ten classes start near ln 10 = 2.3.
  EXPECT_GT(mean(losses, 0, 4), 1.8);
  EXPECT_LT(mean(losses, 32, 48), 0.6 * mean(losses, 0, 4));
}

TEST_F(PluginTest, IdxImagesThatDoNotFitTheInputAreAnError) {
  testing::TempDir dir;
  write_idx(dir.path() / "images", {2, 3, 3}, std::vector<std::uint8_t>(18));
  write_idx(dir.path() / "labels", {2}, {0, 1});
  DataSpec data{.kind = DataSpec::Kind::kIdx,
                .classes = 2,
                .images_path = (dir.path() / "images").string(),
                .labels_path = (dir.path() / "labels").string()};

  auto session =
      engine_->open(mlp(16, 4, 1, 2), data, {.loss = Loss::kCrossEntropy}, {});

  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message().find(
                "images of 9 values do not fit the input [16]"),
            std::string::npos)
      << session.error().message();
}

}  // namespace
}  // namespace mlcarbon::engine
