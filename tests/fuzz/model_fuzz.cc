// SPDX-License-Identifier: Apache-2.0
// Fuzzes model files (docs/model-files.md) and shorthands: the whole input goes
// to parse_model and to parse_shorthand, and every model they return to the
// `model describe` writers. Any Result is fine; crashes, sanitizer
// reports, hangs and runaway memory are findings, and so is a model whose
// counts break the oracle below.
#include <cmath>
#include <cstdint>
#include <string>

#include "mlcarbon/models/model.h"
#include "mlcarbon/report/model_report.h"

#include "fuzz_util.h"

namespace {

using mlcarbon::models::Model;

// What every parsed model holds: one stat per layer, each output a shape of
// positive sizes, counts within the limits and finite, totals that add up,
// shapes that a second inference reproduces, and a 16-digit fingerprint.
void check(Model& model) {
  using namespace mlcarbon;
  if (model.stats.size() != model.layers.size() || model.layers.empty() ||
      model.layers.size() > models::kMaxLayers)
    fuzz::fail("one stat per layer, 1 to kMaxLayers layers");
  double flops = 0.0;
  for (const auto& s : model.stats) {
    if (s.output.empty() || s.output.size() > models::kMaxRank)
      fuzz::fail("an output shape of 1 to kMaxRank sizes");
    for (auto d : s.output) {
      if (d < 1 || d > models::kMaxCount)
        fuzz::fail("output sizes from 1 to kMaxCount");
    }
    if (s.params < 0 || s.params > models::kMaxCount ||
        !std::isfinite(s.forward_flops) || s.forward_flops < 0.0 ||
        s.weight_bytes != 4.0 * static_cast<double>(s.params))
      fuzz::fail("parameters, FLOPs and weight bytes in range");
    flops += s.forward_flops;
  }
  if (model.forward_flops() != flops || model.training_flops() != 3.0 * flops ||
      !std::isfinite(model.activation_bytes(1024)))
    fuzz::fail("totals add up");
  const auto before = model.stats;
  if (!models::infer_shapes(model) || model.stats.size() != before.size())
    fuzz::fail("a parsed model infers again");
  for (std::size_t i = 0; i < before.size(); ++i) {
    if (model.stats[i].output != before[i].output ||
        model.stats[i].params != before[i].params)
      fuzz::fail("a second inference gives the same shapes and counts");
  }
  if (models::fingerprint(model).size() != 16)
    fuzz::fail("a 16-digit fingerprint");
  (void)report::model_text(model, 1024, true);
  (void)report::model_json(model, 1024);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  const std::string_view text = fuzz::as_text(data, size);
  if (auto model = models::parse_model(text, "fuzz.yaml")) {
    check(*model);
  } else {
    (void)model.error().to_string();
  }
  if (auto model = models::parse_shorthand(text)) {
    check(*model);
  } else {
    (void)model.error().to_string();
  }
  (void)models::is_shorthand(text);
  return 0;
}
