// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nlohmann/json.hpp>

#include "mlcarbon/measure/run.h"

namespace mlcarbon::measure {

/// The "context" block of every mlcarbon JSON document (runs,
/// calibrations): host, os, CPU, RAM, GPUs, sensors with their method,
/// the sensors that were unavailable and why, and the mlcarbon version.
[[nodiscard]] nlohmann::ordered_json context_to_json(const RunContext& context);

/// {"kind": "vm", "hypervisor": "KVM", "cloud": "gcp", "vendor", "product",
/// "evidence": [...]}: the machine block of contexts and `sensors --json`.
[[nodiscard]] nlohmann::ordered_json machine_to_json(
    const sensors::Machine& machine);

}  // namespace mlcarbon::measure
