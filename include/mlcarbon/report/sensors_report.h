// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::report {

inline constexpr int kSensorsSchemaVersion = 1;

/// What `mlcarbon sensors` prints: the sensors in use with their domains
/// (and, for the CPU model, the CPU, its TDP and where it came from), the
/// ones not used with their reason and fix, and what will be estimated.
[[nodiscard]] std::string sensors_text(const sensors::Detection& detection,
                                       bool color);

/// The same as JSON (schema_version 1): every figure the text shows, plus
/// each GPU's name and UUID and the NVML process-list call.
[[nodiscard]] std::string sensors_json(const sensors::Detection& detection);

}  // namespace mlcarbon::report
