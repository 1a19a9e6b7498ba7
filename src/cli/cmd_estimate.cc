// SPDX-License-Identifier: Apache-2.0
#include "command.h"

namespace mlcarbon::cli {

// Placeholder until the estimate subcommand lands; it fails loudly.
Action setup_estimate(CLI::App& sub) {
  (void)sub;
  return []() -> Result<int> {
    return make_error(Errc::kUnavailable, "'estimate' is not implemented yet");
  };
}

}  // namespace mlcarbon::cli
