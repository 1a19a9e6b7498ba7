// SPDX-License-Identifier: Apache-2.0
// The LibTorch plugin, loaded as mlcarbon loads it. Skipped, with the
// reason, where the plugin is not built (no LibTorch, sanitizer builds).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlcarbon/engine/engine.h"
#include "mlcarbon/engine/pruning.h"
#include "mlcarbon/engine/weights.h"
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

/// A learnable IDX set of 4x4 images in 10 classes (label i mod 10; the
/// brightness says the class), written as train and test files.
class TenClasses {
 public:
  TenClasses(std::uint32_t train, std::uint32_t test) {
    write("train", train, 0);
    write("test", test, 3);
  }
  [[nodiscard]] DataSpec train(std::int64_t samples = 0,
                               std::vector<int> subset = {}) const {
    return spec("train", samples, std::move(subset));
  }
  [[nodiscard]] DataSpec test(std::vector<int> subset = {}) const {
    return spec("test", 0, std::move(subset));
  }

 private:
  void write(const std::string& name, std::uint32_t n, int shift) {
    std::vector<std::uint8_t> images;
    std::vector<std::uint8_t> labels;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto label = static_cast<std::uint8_t>(i % 10);
      labels.push_back(label);
      for (int p = 0; p < 16; ++p)
        images.push_back(
            static_cast<std::uint8_t>(label * 25 + (p + shift) % 8));
    }
    write_idx(dir_.path() / (name + "-images"), {n, 4, 4}, images);
    write_idx(dir_.path() / (name + "-labels"), {n}, labels);
  }
  [[nodiscard]] DataSpec spec(const std::string& name, std::int64_t samples,
                              std::vector<int> subset) const {
    DataSpec d;
    d.kind = DataSpec::Kind::kIdx;
    d.samples = samples;
    d.classes = subset.empty() ? 10 : static_cast<int>(subset.size());
    d.images_path = (dir_.path() / (name + "-images")).string();
    d.labels_path = (dir_.path() / (name + "-labels")).string();
    d.class_subset = std::move(subset);
    return d;
  }
  testing::TempDir dir_;
};

Model image_mlp(std::int64_t hidden, std::int64_t classes) {
  Model m = mlp(16, hidden, 1, classes);
  m.input = {1, 4, 4};
  m.layers.insert(m.layers.begin(), layer(LayerType::kFlatten));
  EXPECT_TRUE(models::infer_shapes(m));
  return m;
}

const TrainOptions kAdamCe{.optimizer = Optimizer::kAdam,
                           .loss = Loss::kCrossEntropy,
                           .learning_rate = 0.02,
                           .batch = 16};

/// The session's weights with every value set to zero.
Weights zeroed(const Session& session) {
  auto w = session.weights();
  EXPECT_TRUE(w);
  for (auto& t : w->tensors)
    std::fill(t.values.begin(), t.values.end(), 0.0F);
  return *w;
}

TEST_F(PluginTest, EvaluatesAccuracyAndLossOnHeldOutData) {
  TenClasses data(400, 100);
  auto session = engine_->open(image_mlp(32, 10), data.train(), kAdamCe, {});
  ASSERT_TRUE(session) << session.error().to_string();

  // All-zero weights give equal outputs: the prediction is class 0 (the
  // first of equal maxima), right for the tenth of the samples labelled 0,
  // and the cross-entropy is ln 10.
  auto initial = (*session)->weights();
  ASSERT_TRUE(initial);
  ASSERT_TRUE((*session)->load_weights(zeroed(**session), {}));
  auto blank = (*session)->evaluate(data.test(), nullptr);
  ASSERT_TRUE(blank) << blank.error().to_string();
  EXPECT_EQ(blank->samples, 100);
  EXPECT_DOUBLE_EQ(blank->accuracy, 0.1);
  EXPECT_NEAR(blank->loss, std::log(10.0), 1e-6);

  // From zeros a relu network cannot learn: back to the initial weights.
  ASSERT_TRUE((*session)->load_weights(*initial, {}));
  ASSERT_TRUE((*session)->train(25 * (*session)->batches_per_epoch(), nullptr));
  auto trained = (*session)->evaluate(data.test(), nullptr);
  ASSERT_TRUE(trained);
  EXPECT_GT(trained->accuracy, 0.9);
  EXPECT_LE(trained->accuracy, 1.0);
  EXPECT_LT(trained->loss, 0.5 * blank->loss);
  // Evaluating leaves the session's own data and its loop alone.
  EXPECT_EQ((*session)->batches_per_epoch(), 25);
}

TEST_F(PluginTest, RegressionDataHasNoAccuracy) {
  auto session = engine_->open(mlp(8, 8, 1, 1), {.samples = 64}, {}, {});
  ASSERT_TRUE(session);

  auto e = (*session)->evaluate({.samples = 40, .seed = 9}, nullptr);

  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->samples, 40);
  EXPECT_TRUE(std::isnan(e->accuracy));
  EXPECT_GT(e->loss, 0.0);
}

TEST_F(PluginTest, AClassSubsetKeepsItsClassesRelabelledInOrder) {
  TenClasses data(200, 100);
  // Classes 7, 5 and 6 become 0, 1 and 2: 20 samples each of 200.
  auto session =
      engine_->open(image_mlp(8, 3), data.train(0, {7, 5, 6}), kAdamCe, {});
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ((*session)->batches_per_epoch(), 60 / 16 + 1);
  auto first =
      engine_->open(image_mlp(8, 3), data.train(25, {7, 5, 6}), kAdamCe, {});
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)->batches_per_epoch(), 2);  // the first 25 kept

  // A blank model predicts 0, which is class 7 now: a third are right.
  ASSERT_TRUE((*session)->load_weights(zeroed(**session), {}));
  auto e = (*session)->evaluate(data.test({7, 5, 6}), nullptr);
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->samples, 30);
  EXPECT_NEAR(e->accuracy, 1.0 / 3.0, 1e-12);
}

TEST_F(PluginTest, BadClassSubsetsAreClearErrors) {
  TenClasses data(20, 10);
  auto wrong_count = engine_->open(image_mlp(8, 3),
                                   [&] {
                                     DataSpec d = data.train(0, {1, 2, 3});
                                     d.classes = 4;
                                     return d;
                                   }(),
                                   kAdamCe, {});
  ASSERT_FALSE(wrong_count);
  EXPECT_NE(wrong_count.error().message().find(
                "the subset [1, 2, 3] has 3 classes, but classes is 4"),
            std::string::npos)
      << wrong_count.error().message();

  auto twice =
      engine_->open(image_mlp(8, 2), data.train(0, {4, 4}), kAdamCe, {});
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message().find("class 4 appears twice"),
            std::string::npos);

  auto absent =
      engine_->open(image_mlp(8, 2), data.train(0, {11, 12}), kAdamCe, {});
  ASSERT_FALSE(absent);
  EXPECT_NE(absent.error().message().find("no sample of the classes [11, 12]"),
            std::string::npos)
      << absent.error().message();

  auto synthetic = engine_->open(mlp(4, 4, 1, 2),
                                 {.kind = DataSpec::Kind::kClassification,
                                  .classes = 2,
                                  .class_subset = {0, 1}},
                                 kAdamCe, {});
  ASSERT_FALSE(synthetic);
  EXPECT_NE(synthetic.error().message().find("a class subset needs IDX data"),
            std::string::npos);
}

TEST_F(PluginTest, WeightsRoundTripInMemoryAndThroughAFile) {
  TenClasses data(160, 50);
  Model model = image_mlp(16, 10);
  auto a = engine_->open(model, data.train(), kAdamCe, {.seed = 1});
  ASSERT_TRUE(a);
  ASSERT_TRUE((*a)->train(20, nullptr));
  auto w = (*a)->weights();
  ASSERT_TRUE(w) << w.error().to_string();
  EXPECT_EQ(w->fingerprint, models::fingerprint(model));
  std::int64_t values = 0;
  for (const auto& t : w->tensors)
    values += t.elements();
  EXPECT_EQ(values, model.parameters());

  testing::TempDir dir;
  ASSERT_TRUE(save_weights(*w, dir.path() / "a.weights"));
  auto from_file = read_weights(dir.path() / "a.weights");
  ASSERT_TRUE(from_file) << from_file.error().to_string();
  auto b = engine_->open(model, data.train(), kAdamCe, {.seed = 2});
  ASSERT_TRUE(b);
  auto loaded = (*b)->load_weights(*from_file, {});

  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->tensors, 4);
  EXPECT_EQ(loaded->parameters_loaded, model.parameters());
  EXPECT_EQ(loaded->trainable, model.parameters());
  auto ea = (*a)->evaluate(data.test(), nullptr);
  auto eb = (*b)->evaluate(data.test(), nullptr);
  ASSERT_TRUE(ea && eb);
  EXPECT_EQ(ea->loss, eb->loss);
  EXPECT_EQ(ea->accuracy, eb->accuracy);
  auto wb = (*b)->weights();
  ASSERT_TRUE(wb);
  for (std::size_t i = 0; i < w->tensors.size(); ++i)
    EXPECT_EQ(wb->tensors[i].values, w->tensors[i].values)
        << w->tensors[i].name;
}

TEST_F(PluginTest, WeightsOfAnotherShapeAreRefusedAndChangeNothing) {
  TenClasses data(32, 10);
  auto narrow_session =
      engine_->open(image_mlp(8, 10), data.train(), kAdamCe, {});
  auto wide = engine_->open(image_mlp(16, 10), data.train(), kAdamCe, {});
  ASSERT_TRUE(narrow_session && wide);
  auto before = (*wide)->weights();

  auto loaded = (*wide)->load_weights(*(*narrow_session)->weights(), {});

  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), Errc::kInvalidArgument);
  EXPECT_NE(loaded.error().message().find("tensor '1.weight' is [8, 16] in "
                                          "the weights of 'mlp' but [16, 16]"),
            std::string::npos)
      << loaded.error().message();
  EXPECT_EQ((*wide)->weights()->tensors[0].values, before->tensors[0].values);
}

TEST_F(PluginTest, ANewHeadOnAFrozenBodyTrainsOnlyTheHead) {
  TenClasses data(200, 50);
  auto source = engine_->open(image_mlp(16, 10), data.train(), kAdamCe, {});
  ASSERT_TRUE(source);
  ASSERT_TRUE((*source)->train(20, nullptr));
  auto body = (*source)->weights();
  ASSERT_TRUE(body);
  // Three other classes: the same body, a head of 3 outputs.
  Model target = image_mlp(16, 3);
  auto frozen = engine_->open(target, data.train(0, {2, 5, 8}), kAdamCe, {});
  ASSERT_TRUE(frozen);

  auto loaded =
      (*frozen)->load_weights(*body, {.new_head_layers = 1, .freeze = true});

  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->tensors, 2);
  EXPECT_EQ(loaded->parameters_loaded, 16 * 16 + 16);
  EXPECT_EQ(loaded->trainable, 16 * 3 + 3);
  EXPECT_EQ((*frozen)->trainable_parameters(), 16 * 3 + 3);
  ASSERT_TRUE((*frozen)->train(30, nullptr));
  auto after = (*frozen)->weights();
  EXPECT_EQ(after->find("1.weight")->values, body->find("1.weight")->values);
  EXPECT_NE(after->find("3.weight")->values, body->find("3.weight")->values);
  auto e = (*frozen)->evaluate(data.test({2, 5, 8}), nullptr);
  ASSERT_TRUE(e);
  EXPECT_GT(e->accuracy, 0.6);

  // Not frozen: the body learns too.
  auto thawed = engine_->open(target, data.train(0, {2, 5, 8}), kAdamCe, {});
  ASSERT_TRUE(thawed);
  ASSERT_TRUE((*thawed)->load_weights(*body, {.new_head_layers = 1}));
  EXPECT_EQ((*thawed)->trainable_parameters(), target.parameters());
  ASSERT_TRUE((*thawed)->train(5, nullptr));
  EXPECT_NE((*thawed)->weights()->find("1.weight")->values,
            body->find("1.weight")->values);

  auto too_many = (*thawed)->load_weights(*body, {.new_head_layers = 3});
  ASSERT_FALSE(too_many);
  EXPECT_NE(too_many.error().message().find("has 2 layers with parameters"),
            std::string::npos)
      << too_many.error().message();
}

/// Zeroes units `units` of layer `layer` (their weight rows and biases),
/// so that they output 0 after a relu and pruning them changes nothing.
void silence(Weights& w, std::size_t layer,
             const std::vector<std::int64_t>& units) {
  Tensor* weight = w.find(fmt::format("{}.weight", layer));
  Tensor* bias = w.find(fmt::format("{}.bias", layer));
  ASSERT_TRUE(weight != nullptr && bias != nullptr);
  const auto per_unit = weight->values.size() / bias->values.size();
  for (auto u : units) {
    const auto at = static_cast<std::size_t>(u);
    std::fill_n(
        weight->values.begin() + static_cast<std::ptrdiff_t>(at * per_unit),
        per_unit, 0.0F);
    bias->values[at] = 0.0F;
  }
}

TEST_F(PluginTest, PruningSilentUnitsAndFiltersKeepsTheOutputs) {
  TenClasses data(160, 60);
  auto conv = models::parse_model(R"(name: cnn
input: [1, 4, 4]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1}
  - relu
  - maxpool2d: {kernel: 2}
  - flatten
  - dense: {units: 10}
)",
                                  "cnn.yaml");
  ASSERT_TRUE(conv);
  struct Case {
    Model model;
    std::size_t layer;
    std::vector<std::int64_t> silent;
  };
  for (Case c :
       {Case{image_mlp(8, 10), 1, {1, 2, 5, 6}}, Case{*conv, 0, {0, 3}}}) {
    SCOPED_TRACE(c.model.name);
    auto session = engine_->open(c.model, data.train(), kAdamCe, {});
    ASSERT_TRUE(session);
    ASSERT_TRUE((*session)->train(20, nullptr));
    auto w = (*session)->weights();
    ASSERT_TRUE(w);
    silence(*w, c.layer, c.silent);
    ASSERT_TRUE((*session)->load_weights(*w, {}));
    auto before = (*session)->evaluate(data.test(), nullptr);
    ASSERT_TRUE(before);

    auto pruned = prune(c.model, *w, {.fraction = 0.5});
    ASSERT_TRUE(pruned) << pruned.error().to_string();
    ASSERT_EQ(pruned->layers.size(), 1U);
    for (auto u : c.silent)
      EXPECT_EQ(std::count(pruned->layers[0].kept.begin(),
                           pruned->layers[0].kept.end(), u),
                0);
    auto small = engine_->open(pruned->model, data.train(), kAdamCe, {});
    ASSERT_TRUE(small) << small.error().to_string();
    ASSERT_TRUE((*small)->load_weights(pruned->weights, {}));
    auto after = (*small)->evaluate(data.test(), nullptr);
    ASSERT_TRUE(after);

    EXPECT_EQ((*small)->parameters(), pruned->model.parameters());
    EXPECT_LT((*small)->parameters(), (*session)->parameters());
    EXPECT_NEAR(after->loss, before->loss, 1e-5 * before->loss);
    EXPECT_EQ(after->accuracy, before->accuracy);
    // And it still trains.
    auto tuned = (*small)->train(5, nullptr);
    ASSERT_TRUE(tuned);
    EXPECT_TRUE(std::isfinite(tuned->mean_loss));
  }
}

TEST_F(PluginTest, AStudentLearnsTheTeachersOutputs) {
  TenClasses data(320, 100);
  Model teacher_model = image_mlp(32, 10);
  auto teacher = engine_->open(teacher_model, data.train(), kAdamCe, {});
  ASSERT_TRUE(teacher);
  ASSERT_TRUE((*teacher)->train(60, nullptr));
  auto student_model = narrow(teacher_model, 0.5);
  ASSERT_TRUE(student_model);
  for (DistillLoss kind :
       {DistillLoss::kKlDivergence, DistillLoss::kMseLogits}) {
    auto student = engine_->open(*student_model, data.train(), kAdamCe, {});
    ASSERT_TRUE(student);

    auto outputs = (*student)->distill_from(**teacher, {.loss = kind});
    ASSERT_TRUE(outputs) << outputs.error().to_string();
    EXPECT_EQ(outputs->samples, 320);
    EXPECT_EQ(outputs->batches, 20);
    ASSERT_TRUE((*student)->train(200, nullptr));

    const auto& losses = (*student)->losses();
    EXPECT_LT(mean(losses, 180, 200), 0.3 * mean(losses, 0, 20));
    auto e = (*student)->evaluate(data.test(), nullptr);
    ASSERT_TRUE(e);
    EXPECT_GT(e->accuracy, 0.5);
  }
}

TEST_F(PluginTest, DistillationRefusesAMismatchedTeacherOrBadOptions) {
  TenClasses data(32, 10);
  auto student = engine_->open(image_mlp(4, 10), data.train(), kAdamCe, {});
  auto other =
      engine_->open(image_mlp(4, 3), data.train(0, {0, 1, 2}), kAdamCe, {});
  ASSERT_TRUE(student && other);

  auto mismatched = (*student)->distill_from(**other, {});
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message().find("they must be the same"),
            std::string::npos);
  EXPECT_FALSE((*student)->distill_from(**student, {}));
  auto cold = (*other)->distill_from(**other, {});
  EXPECT_FALSE(cold);
  auto teacher = engine_->open(image_mlp(8, 10), data.train(), kAdamCe, {});
  ASSERT_TRUE(teacher);
  auto bad_t = (*student)->distill_from(**teacher, {.temperature = 0.0});
  ASSERT_FALSE(bad_t);
  EXPECT_NE(bad_t.error().message().find("temperature"), std::string::npos);
  EXPECT_FALSE((*student)->distill_from(**teacher, {.alpha = 1.5}));
}

}  // namespace
}  // namespace mlcarbon::engine
