// SPDX-License-Identifier: Apache-2.0
// `calibrate` and `calibration:` in a scenario: answered by the calibrate
// module; without it, they are refused rather than guessed.
#include <fmt/format.h>

#include "model_inputs.h"

namespace mlcarbon::cli {

Result<lifecycle::ModelEnergy> resolve_calibration(
    const lifecycle::ModelRequest& request,
    const std::filesystem::path& /*folder*/) {
  return tl::unexpected(
      Error(Errc::kUnavailable,
            fmt::format("{}:{}:{}: {}.{}: '{}' requires the calibrate module, "
                        "which this mlcarbon was built without",
                        request.origin, request.way_pos.line,
                        request.way_pos.column, request.where, request.field,
                        request.way == lifecycle::ModelWay::kCalibration
                            ? "calibration"
                            : "calibrate"))
          .with_remedy("give the energy as a number, or use 'predict' with "
                       "a machine profile"));
}

}  // namespace mlcarbon::cli
