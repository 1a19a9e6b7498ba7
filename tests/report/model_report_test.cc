// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/model_report.h"

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/models/model.h"

namespace mlcarbon::report {
namespace {

// What an ONNX import makes: an `other` layer with stats of its own and
// the operator in the unsupported list.
models::Model imported(const std::string& name, const std::string& op) {
  models::Model m;
  m.name = name;
  m.origin = name + ".onnx";
  m.input = {4};
  models::Layer l;
  l.type = models::LayerType::kOther;
  l.name = "node_1";
  l.op = op;
  m.layers.push_back(l);
  models::LayerStats s;
  s.input = {4};
  s.output = {4};
  s.activation_bytes = 16;
  m.stats.push_back(s);
  m.unsupported.push_back({op, 3});
  return m;
}

TEST(ModelReportTest, ControlBytesInNamesAndOpsAreEscaped) {
  const std::string text =
      model_text(imported("evil\x1b[31m", "Op\x1b]0;x\x07"), 2, false);

  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x07'), std::string::npos) << text;
  EXPECT_NE(text.find("Model evil\\x1b[31m (evil\\x1b[31m.onnx)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  Op\\x1b]0;x\\x07 x 3"), std::string::npos) << text;
}

TEST(ModelReportTest, JsonListsOtherLayersWithTheirOpAndNoPosition) {
  const auto doc =
      nlohmann::json::parse(model_json(imported("net", "Einsum"), 2));

  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["kind"], "model");
  EXPECT_EQ(doc["layers"][0]["type"], "other");
  EXPECT_EQ(doc["layers"][0]["op"], "Einsum");
  EXPECT_FALSE(doc["layers"][0].contains("line"));
  EXPECT_EQ(doc["unsupported_ops"][0]["count"], 3);
  // The input (16 bytes) and the layer's output (16 bytes), per sample.
  EXPECT_EQ(doc["totals"]["activation_bytes_per_sample"], 32.0);
  EXPECT_EQ(doc["totals"]["activation_bytes_per_batch"], 64.0);
}

}  // namespace
}  // namespace mlcarbon::report
