// SPDX-License-Identifier: Apache-2.0
// Calibrations for the commands that need one (calibrate, estimate, train):
// the progress line and the summary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/calibrate/calibration.h"
#include "mlcarbon/calibrate/scenario_inputs.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/engine/engine.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::cli {

/// A one-line status on stderr, redrawn in place; silent unless enabled
/// (a terminal and no --quiet).
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine() { clear(); }

  /// True when stderr is a terminal and `quiet` is false.
  [[nodiscard]] static bool wanted(bool quiet);

  void show(std::string_view text);
  void clear();
  /// This line as a calibration's status callback (empty text clears it).
  [[nodiscard]] calibrate::StatusFn as_status() {
    return [this](std::string_view text) {
      if (text.empty())
        clear();
      else
        show(text);
    };
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

/// The console summary of a calibration.
[[nodiscard]] std::string calibration_text(
    const calibrate::Calibration& calibration);

/// "1.23 mJ", "45.6 µs": a value with the SI prefix that keeps it readable.
[[nodiscard]] std::string si(double value, std::string_view unit);

}  // namespace mlcarbon::cli
