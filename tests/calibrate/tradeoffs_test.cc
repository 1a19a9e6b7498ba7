// SPDX-License-Identifier: Apache-2.0
// Transfer learning and model reduction, run for real at the quick scale on
// the LibTorch plugin (skipped, with the reason, where it is not built).
#include "mlcarbon/calibrate/tradeoffs.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/engine/idx.h"

#include "engine/idx_files.h"
#include "support/test_support.h"

namespace mlcarbon::calibrate {
namespace {

/// Refuses to open anything: for the checks that come before the engine.
class NoEngine final : public engine::Engine {
 public:
  [[nodiscard]] std::string description() const override { return "none"; }
  [[nodiscard]] bool cuda_available() const override { return false; }
  Result<std::unique_ptr<engine::Session>> open(
      const models::Model&, const engine::DataSpec&,
      const engine::TrainOptions&, const engine::Settings&) override {
    return make_error(Errc::kUnavailable, "no engine in this test");
  }
};

measure::PipelineOptions meter() {
  return measure::PipelineOptions{.carbon = {.carbon_intensity = 100.0},
                                  .interval = kMeterInterval};
}

/// An MNIST-format folder of 8x8 images in 10 classes whose brightness
/// says the class, with noise: learnable, and tiny.
class TinyMnist {
 public:
  TinyMnist() {
    write("train", 600, 1);
    write("t10k", 200, 2);
  }
  [[nodiscard]] std::string dir() const { return dir_.path().string(); }

 private:
  void write(const std::string& prefix, std::uint32_t n, unsigned seed) {
    std::vector<std::uint8_t> images;
    std::vector<std::uint8_t> labels;
    unsigned state = seed;
    for (std::uint32_t i = 0; i < n; ++i) {
      auto label = static_cast<std::uint8_t>((i * 7) % 10);
      labels.push_back(label);
      for (int p = 0; p < 64; ++p) {
        state = state * 1103515245U + 12345U;
        images.push_back(
            static_cast<std::uint8_t>(label * 24 + ((state >> 16) % 16)));
      }
    }
    testing::write_idx(dir_.path() / (prefix + "-images-idx3-ubyte"), {n, 8, 8},
                       images);
    testing::write_idx(dir_.path() / (prefix + "-labels-idx1-ubyte"), {n},
                       labels);
  }
  testing::TempDir dir_;
};

TEST(TradeoffsTest, ScalesParseAndGrow) {
  EXPECT_EQ(*parse_scale("quick"), Scale::kQuick);
  EXPECT_EQ(*parse_scale(" Paper"), Scale::kPaper);
  auto bad = parse_scale("huge");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("--scale"), std::string::npos);
  const TransferOptions quick = transfer_options(Scale::kQuick);
  const TransferOptions paper = transfer_options(Scale::kPaper);
  EXPECT_LT(quick.large.filters.back(), paper.large.filters.back());
  EXPECT_LT(reduce_options(Scale::kQuick).train_samples,
            reduce_options(Scale::kDefault).train_samples);
}

TEST(TradeoffsTest, JoulesPerPointDivideByPercentagePoints) {
  EXPECT_DOUBLE_EQ(joules_per_point(90.0, 0.9), 1.0);
  EXPECT_TRUE(std::isinf(joules_per_point(5.0, 0.0)));
}

TEST(TradeoffsTest, TheClassifierHasTheLayersItSays) {
  auto cnn =
      image_classifier("c", {1, 28, 28}, {.filters = {8, 16}, .hidden = 32}, 5);
  ASSERT_TRUE(cnn) << cnn.error().to_string();
  // conv 8: 80; conv 16: 1168; 16 x 7 x 7 = 784 -> 32: 25120; 32 -> 5: 165.
  EXPECT_EQ(cnn->parameters(), 80 + 1168 + 25120 + 165);
  auto mlp =
      image_classifier("m", {1, 28, 28}, {.filters = {}, .hidden = 0}, 3);
  ASSERT_TRUE(mlp);
  EXPECT_EQ(mlp->parameters(), 784 * 3 + 3);
  EXPECT_FALSE(image_classifier("x", {1, 28, 28}, {}, 1));
}

TEST(TradeoffsTest, BadOptionsAreRefusedBeforeAnythingRuns) {
  NoEngine none;
  TransferOptions t = transfer_options(Scale::kQuick);
  t.batch = 0;
  auto r = run_transfer(none, t, meter());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("batch size"), std::string::npos);

  t = transfer_options(Scale::kQuick);
  t.target_classes = {4, 5};
  r = run_transfer(none, t, meter());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("class 4 is in both"), std::string::npos)
      << r.error().message();

  t = transfer_options(Scale::kQuick);
  t.data_dir = "/nonexistent/mnist";
  r = run_transfer(none, t, meter());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
  EXPECT_NE(r.error().message().find("/nonexistent/mnist: no "
                                     "train-images-idx3-ubyte"),
            std::string::npos)
      << r.error().message();

  ReduceOptions o = reduce_options(Scale::kQuick);
  o.prune_fraction = 1.0;
  auto reduced = run_reduce(none, o, meter());
  ASSERT_FALSE(reduced);
  EXPECT_NE(reduced.error().message().find("in [0, 1)"), std::string::npos)
      << reduced.error().message();
  o = reduce_options(Scale::kQuick);
  o.distill_epochs = 0;
  EXPECT_FALSE(run_reduce(none, o, meter()));
  o = reduce_options(Scale::kQuick);
  o.distill.temperature = -1;
  EXPECT_FALSE(run_reduce(none, o, meter()));
}

class TradeoffsPluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef MLCARBON_ENGINE_SKIP_REASON
    GTEST_SKIP() << MLCARBON_ENGINE_SKIP_REASON;
#else
    auto loaded = engine::load_engine({.path = MLCARBON_ENGINE_PLUGIN});
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    engine_ = *loaded;
#endif
  }

  /// Fashion-MNIST where Debian's package is installed; CI installs it, so
  /// there its absence fails.
  static bool have_fashion_mnist() {
    if (engine::find_mnist_files(std::string(engine::kFashionMnistDir)))
      return true;
    const char* ci = std::getenv("CI");
    EXPECT_FALSE(ci != nullptr && std::string(ci) == "true")
        << engine::kFashionMnistDir << " is missing in CI";
    return false;
  }

  engine::Engine* engine_ = nullptr;
};

void expect_sensible(const Phase& p, const std::string& window) {
  EXPECT_EQ(p.window, window);
  EXPECT_GT(p.energy_j, 0.0) << window;
  EXPECT_TRUE(std::isfinite(p.energy_j)) << window;
  EXPECT_GE(p.machine_energy_j, p.energy_j * (1 - 1e-9)) << window;
  EXPECT_GT(p.seconds, 0.0) << window;
}

void expect_sensible(const ModelOutcome& m, const std::string& role) {
  EXPECT_GT(m.accuracy, 0.0) << role;
  EXPECT_LE(m.accuracy, 1.0) << role;
  EXPECT_TRUE(std::isfinite(m.test_loss)) << role;
  EXPECT_GT(m.test_samples, 0) << role;
  expect_sensible(m.inference, "infer-" + role);
  EXPECT_GT(m.inference.samples, 0) << role;
  EXPECT_GT(m.energy_per_inference_j, 0.0) << role;
  EXPECT_GT(m.model.parameters, 0) << role;
}

bool has_window(const measure::Run& run, const std::string& name) {
  for (const auto& w : run.windows)
    if (w.name == name)
      return true;
  return false;
}

TEST_F(TradeoffsPluginTest, AQuickTransferRunGivesSensibleNumbers) {
  if (!have_fashion_mnist())
    GTEST_SKIP() << engine::kFashionMnistDir
                 << " is absent (package dataset-fashion-mnist)";
  std::vector<std::string> stages;
  TransferOptions o = transfer_options(Scale::kQuick);
  o.progress = [&](std::string_view s) { stages.emplace_back(s); };

  auto r = run_transfer(*engine_, o, meter());

  ASSERT_TRUE(r) << r.error().to_string();
  expect_sensible(r->pretrain, "pretrain");
  expect_sensible(r->finetune, "finetune");
  expect_sensible(r->dedicated, "dedicated");
  expect_sensible(r->pretrained, "pretrained");
  expect_sensible(r->transferred, "transferred");
  expect_sensible(r->small, "dedicated");
  // The frozen body: fine-tuning trains the head alone.
  EXPECT_EQ(r->transferred.trainable_parameters, 32 * 5 + 5);
  EXPECT_EQ(r->transferred.model.parameters, r->pretrained.model.parameters);
  EXPECT_LT(r->small.model.parameters, r->transferred.model.parameters);
  EXPECT_DOUBLE_EQ(r->transfer_with_pretraining_j,
                   r->pretrain.energy_j + r->finetune.energy_j);
  EXPECT_DOUBLE_EQ(r->transfer_j_per_point,
                   r->finetune.energy_j / (100 * r->transferred.accuracy));
  EXPECT_EQ(r->caveat_holds, r->dedicated_j_per_point <
                                 r->transfer_with_pretraining_j_per_point);
  // Five classes: better than chance (20 %) after a little training.
  EXPECT_GT(r->pretrained.accuracy, 0.3);
  EXPECT_GT(r->small.accuracy, 0.3);
  for (const char* w : {"pretrain", "finetune", "dedicated", "infer-pretrained",
                        "infer-transferred", "infer-dedicated"})
    EXPECT_TRUE(has_window(r->info.run, w)) << w;
  EXPECT_EQ(r->info.run.measurement.name, "transfer");
  EXPECT_FALSE(stages.empty());
  EXPECT_NE(r->info.engine.find("LibTorch"), std::string::npos);
}

TEST_F(TradeoffsPluginTest, AQuickReduceRunGivesSensibleNumbers) {
  if (!have_fashion_mnist())
    GTEST_SKIP() << engine::kFashionMnistDir
                 << " is absent (package dataset-fashion-mnist)";

  auto r = run_reduce(*engine_, reduce_options(Scale::kQuick), meter());

  ASSERT_TRUE(r) << r.error().to_string();
  expect_sensible(r->base_training, "train-base");
  expect_sensible(r->base, "base");
  for (const Reduction* red : {&r->pruning, &r->distillation}) {
    SCOPED_TRACE(red->kind);
    expect_sensible(red->outcome,
                    red->kind == "pruning" ? "pruned" : "student");
    ASSERT_EQ(red->phases.size(), 2U);
    double sum = 0.0;
    for (const Phase& p : red->phases)
      sum += p.energy_j;
    EXPECT_DOUBLE_EQ(red->cost_j, sum);
    EXPECT_GT(red->cost_j, 0.0);
    EXPECT_LT(red->outcome.model.parameters, r->base.model.parameters);
    // Payback: a number >= 0 where the reduced model saves, "never" where
    // it does not.
    EXPECT_EQ(red->payback_inferences.has_value(),
              red->saving_per_inference_j > 0.0);
    if (red->payback_inferences) {
      EXPECT_GE(*red->payback_inferences, 0.0);
      EXPECT_TRUE(std::isfinite(*red->payback_inferences));
    }
    EXPECT_DOUBLE_EQ(red->accuracy_change_points,
                     (red->outcome.accuracy - r->base.accuracy) * 100);
  }
  expect_sensible(r->distillation.phases[0], "teacher-outputs");
  expect_sensible(r->distillation.phases[1], "distill");
  EXPECT_EQ(r->pruning.phases[0].window, "prune");
  expect_sensible(r->pruning.phases[1], "prune-finetune");
  // Both hidden conv layers and the hidden dense layer lose half.
  ASSERT_EQ(r->pruned_layers.size(), 3U);
  for (const auto& layer : r->pruned_layers)
    EXPECT_EQ(static_cast<std::int64_t>(layer.kept.size()) * 2,
              layer.units_before);
  EXPECT_GT(r->base.accuracy, 0.3);  // ten classes: chance is 10 %
}

TEST_F(TradeoffsPluginTest, AnyMnistFormatFolderServes) {
  TinyMnist data;
  TransferOptions o = transfer_options(Scale::kQuick);
  o.data_dir = data.dir();
  o.large = {.filters = {4}, .hidden = 16};
  o.small = {.filters = {}, .hidden = 8};
  o.inference_window = Seconds(0.05);

  auto r = run_transfer(*engine_, o, meter());

  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->info.data_dir, data.dir());
  // 8x8 images: conv 4 (40), pool to 4 x 4 x 4 = 64 -> 16 (1040), 16 -> 5.
  EXPECT_EQ(r->pretrained.model.parameters, 40 + 1040 + 85);
  EXPECT_EQ(r->small.test_samples, 100);  // target classes of 200 images
  EXPECT_GT(r->small.accuracy, 0.0);
}

}  // namespace
}  // namespace mlcarbon::calibrate
