// SPDX-License-Identifier: Apache-2.0
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/models/model.h"
#include "mlcarbon/models/onnx.h"

#include "support/test_support.h"

namespace mlcarbon::models {
namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

TEST(LoadModelTest, ReadsAFileAndTakesItsStemAsName) {
  testing::TempDir dir;
  write(dir.path() / "net.yaml", "input: [3]\nlayers: [{dense: {units: 2}}]\n");

  auto m = load_model((dir.path() / "net.yaml").string());

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->name, "net");
  EXPECT_EQ(m->origin, (dir.path() / "net.yaml").string());
  EXPECT_EQ(m->parameters(), 8);
}

TEST(LoadModelTest, TakesAShorthand) {
  auto m = load_model("mlp:depth=1,width=2,inputs=3");

  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->parameters(), 8 + 3);
}

TEST(LoadModelTest, EveryExampleLoads) {
  for (const char* name :
       {"tiny_cnn.yaml", "text_transformer.yaml", "signal_cnn.json"}) {
    auto m = load_model(
        (testing::source_dir() / "examples" / "models" / name).string());
    EXPECT_TRUE(m) << name << ": " << m.error().to_string();
  }
}

TEST(LoadModelTest, MissingFileIsNotFoundAndNamesIt) {
  auto m = load_model("/nonexistent/model.yaml");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kNotFound);
  EXPECT_NE(m.error().to_string().find("/nonexistent/model.yaml"),
            std::string::npos);
}

TEST(LoadModelTest, MistypedShorthandGetsAHint) {
  auto m = load_model("mpl:depth=1,width=2,inputs=3");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kNotFound);
  EXPECT_EQ(m.error().remedy(),
            "a shorthand starts with mlp: or cnn: (docs/model-files.md)");
}

TEST(LoadModelTest, EndlessFileStopsAtTheLimit) {
  // /dev/zero never ends: reading it whole would never return.
  auto m = load_model("/dev/zero");

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().to_string(),
            "/dev/zero: the file has 1048577 bytes; a model may have at most "
            "1048576 (1 MiB)");
}

TEST(LoadModelTest, OnnxWithoutOnnxSupportSaysSo) {
  if (onnx_supported())
    GTEST_SKIP() << "built with ONNX: the importer's own tests cover it";
  testing::TempDir dir;
  write(dir.path() / "m.onnx", "not protobuf");

  auto m = load_model((dir.path() / "m.onnx").string());

  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code(), Errc::kUnavailable);
  EXPECT_NE(m.error().to_string().find("built without ONNX support"),
            std::string::npos);
}

}  // namespace
}  // namespace mlcarbon::models
