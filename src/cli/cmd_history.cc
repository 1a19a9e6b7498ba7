// SPDX-License-Identifier: Apache-2.0
#include "command.h"

namespace mlcarbon::cli {

// Placeholder until the history subcommand lands; it fails loudly.
Action setup_history(CLI::App& sub) {
  (void)sub;
  return []() -> Result<int> {
    return make_error(Errc::kUnavailable, "'history' is not implemented yet");
  };
}

}  // namespace mlcarbon::cli
