// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "mlcarbon/core/error.h"

namespace mlcarbon::report {

/// Where a report goes: "-" is standard output, anything else a file path
/// written with write_file_atomic. Errors name the path.
[[nodiscard]] Status write_output(std::string_view path_or_dash,
                                  std::string_view text);

}  // namespace mlcarbon::report
