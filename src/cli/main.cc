// SPDX-License-Identifier: Apache-2.0
// The mlcarbon program: the one place that prints errors and picks exit
// codes (STYLE.md 5.5).
#include <array>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/version.h"

#include "command.h"

namespace mlcarbon::cli {
namespace {

// The table of subcommands: it drives parsing, --help and "did you mean".
constexpr std::array kCommands = {
    Command{"sensors", "Show what can be measured here, what cannot and why",
            &setup_sensors},
    Command{"measure", "Run a command and report its energy and CO2e",
            &setup_measure},
    Command{"estimate",
            "Estimate a model's life-cycle footprint from a scenario",
            &setup_estimate},
    Command{"history", "List, filter and sum recorded runs", &setup_history},
    Command{"plan", "Find when and where a job emits the least CO2e",
            &setup_plan},
    Command{"model", "Describe a model: layers, shapes, parameters, FLOPs",
            &setup_model},
    Command{"calibrate",
            "Measure a model's energy per inference and training overhead",
            &setup_calibrate},
    Command{"train", "Train a model on synthetic data under the meter",
            &setup_train},
    Command{"serve", "Export the node's energy and CO2e to Prometheus",
            &setup_serve},
    Command{"report",
            "Write runs, history, estimates and experiments as HTML or "
            "Markdown",
            &setup_report},
    Command{"experiment",
            "Run the paper's experiments here: sweeps, fits, figures, report",
            &setup_experiment},
};

}  // namespace

int print_error(const Error& error) {
  // Messages quote the user's input (paths, region names): no raw controls.
  std::fprintf(stderr, "mlcarbon: error: %s\n",
               terminal_safe(error.to_string(), true).c_str());
  if (!error.remedy().empty()) {
    std::fprintf(stderr, "mlcarbon: hint: %s\n",
                 terminal_safe(error.remedy(), true).c_str());
  }
  return static_cast<int>(error.code() == Errc::kInvalidArgument
                              ? ExitCode::kUsage
                              : ExitCode::kFailure);
}

namespace {

// CLI11 says "The following arguments were not expected"; a typo of a
// subcommand deserves a suggestion instead.
bool reject_unknown_command(int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-')
    return false;
  const std::string word = argv[1];
  std::vector<std::string> names;
  for (const auto& c : kCommands) {
    if (c.name == word)
      return false;
    names.emplace_back(c.name);
  }
  std::string message =
      fmt::format("unknown command '{}'", terminal_safe(word));
  if (auto best = suggest(word, names)) {
    message += fmt::format(", did you mean '{}'?", *best);
  }
  std::fprintf(stderr,
               "mlcarbon: error: %s\nRun 'mlcarbon --help' for the list.\n",
               message.c_str());
  return true;
}

int run(int argc, char** argv) {
  CLI::App app{
      "mlcarbon measures and estimates the energy use and carbon footprint "
      "of deep-learning models.",
      "mlcarbon"};
  app.set_version_flag("--version",
                       std::string("mlcarbon ") + MLCARBON_VERSION);
  app.require_subcommand(1);
  app.get_formatter()->column_width(28);

  if (reject_unknown_command(argc, argv)) {
    return static_cast<int>(ExitCode::kUsage);
  }
  std::vector<std::pair<CLI::App*, Action>> actions;
  for (const auto& c : kCommands) {
    CLI::App* sub =
        app.add_subcommand(std::string(c.name), std::string(c.summary));
    actions.emplace_back(sub, c.setup(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, action] : actions) {
    if (sub->parsed()) {
      Result<int> status = action();
      if (!status)
        return print_error(status.error());
      return *status;
    }
  }
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace
}  // namespace mlcarbon::cli

int main(int argc, char** argv) {
  // A file-size limit makes a write fail with EFBIG, reported like any
  // other error, instead of killing mlcarbon mid-report.
  std::signal(SIGXFSZ, SIG_IGN);
  return mlcarbon::cli::run(argc, argv);
}
