// SPDX-License-Identifier: Apache-2.0
#include "command.h"

namespace mlcarbon::cli {

// Placeholder until the sensors subcommand lands; it fails loudly.
Action setup_sensors(CLI::App& sub) {
  (void)sub;
  return []() -> Result<int> {
    return make_error(Errc::kUnavailable, "'sensors' is not implemented yet");
  };
}

}  // namespace mlcarbon::cli
