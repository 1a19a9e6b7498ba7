// SPDX-License-Identifier: Apache-2.0
// Engine loops inside named windows of a pipeline: what calibrations,
// training runs and the transfer and reduction runs share.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/measure/pipeline.h"

namespace mlcarbon::calibrate {

/// Runs `loop` inside the window `name`; the window is closed even when the
/// loop fails. A cancelled loop is Errc::kCancelled.
template <typename Loop>
Result<std::pair<engine::LoopResult, measure::WindowRecord>> in_window(
    measure::Pipeline& pipeline, const std::string& name, Loop loop) {
  MLCARBON_RETURN_IF_ERROR(pipeline.begin_window(name));
  Result<engine::LoopResult> r = loop();
  Result<measure::WindowRecord> w = pipeline.end_window(name);
  if (!r)
    return tl::unexpected(std::move(r).error());
  if (!w)
    return tl::unexpected(std::move(w).error());
  if (r->cancelled)
    return make_error(Errc::kCancelled, "the loop was cancelled");
  return std::pair{std::move(*r), std::move(*w)};
}

/// Adds the measurement's warnings that `out` does not have yet.
inline void add_warnings(std::vector<std::string>& out,
                         const measure::Measurement& m) {
  for (const std::string& w : m.warnings) {
    if (std::find(out.begin(), out.end(), w) == out.end())
      out.push_back(w);
  }
}

}  // namespace mlcarbon::calibrate
