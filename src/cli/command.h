// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "mlcarbon/core/error.h"

namespace mlcarbon::cli {

/// Exit codes of the mlcarbon program (ninja's 130 for an interrupt).
enum class ExitCode : int {
  kSuccess = 0,
  kFailure = 1,
  kUsage = 2,
  kNoSensor = 3,
  kInterrupted = 130,
};

/// What a subcommand runs once its arguments are parsed. It returns the
/// process exit status, or an error that main() prints and maps to 1.
using Action = std::function<Result<int>()>;

/// One subcommand: its name, its one-line summary, and a function that
/// declares its options on `sub` and returns the action to run.
struct Command {
  std::string_view name;
  std::string_view summary;
  Action (*setup)(CLI::App& sub);
};

/// Prints "mlcarbon: error: ..." and the error's hint on stderr; returns the
/// exit status main() gives that error (2 for bad input, else 1).
int print_error(const Error& error);

// One setup function per subcommand, each in its own cmd_<name>.cc.
Action setup_sensors(CLI::App& sub);
Action setup_measure(CLI::App& sub);
Action setup_estimate(CLI::App& sub);
Action setup_history(CLI::App& sub);
Action setup_plan(CLI::App& sub);
Action setup_model(CLI::App& sub);
Action setup_calibrate(CLI::App& sub);
Action setup_train(CLI::App& sub);
Action setup_serve(CLI::App& sub);
Action setup_report(CLI::App& sub);
Action setup_experiment(CLI::App& sub);

}  // namespace mlcarbon::cli
