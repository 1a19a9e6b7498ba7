// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::cli {

/// Options shared by the commands that read sensors.
struct SensorFlags {
  std::string sensors = "auto";
  std::optional<std::string> powercap_root;
  std::optional<std::string> msr_root;
  std::optional<std::string> nvml_library;
  std::optional<std::string> cpu_watts;
  std::optional<std::string> tdp;
  std::optional<std::string> memory_watts_per_gb;
  /// SensorOptions from the environment, then these flags; a bad figure
  /// is an error naming the flag. The config file
  /// ($XDG_CONFIG_HOME/mlcarbon/config.yaml) is read once, on detection,
  /// with the flags winning over it.
  [[nodiscard]] Result<sensors::SensorOptions> options() const;
};

/// Adds --sensors, --powercap-root, --msr-root, --nvml-library and the
/// power-model overrides --cpu-watts, --tdp, --memory-watts-per-gb.
void add_sensor_options(CLI::App& sub, SensorFlags& flags);

/// Options that price energy: where the power comes from and how.
struct CarbonFlags {
  std::optional<std::string> region;
  std::optional<double> carbon_intensity;
  std::optional<std::string> intensity_series;
  std::optional<double> pue;
  [[nodiscard]] measure::CarbonOptions options() const;
};

/// Adds --region, --carbon-intensity, --intensity-series and --pue.
void add_carbon_options(CLI::App& sub, CarbonFlags& flags);

/// Adds --db FILE, defaulting `db` to the history's default path
/// ($XDG_DATA_HOME/mlcarbon/history.db).
void add_history_option(CLI::App& sub, std::string& db);

/// Adds --db-timeout DURATION (env MLCARBON_DB_TIMEOUT), defaulting
/// `timeout` to 10s: how long one history operation waits for a lock.
void add_db_timeout_option(CLI::App& sub, std::string& timeout);

/// Which recorded runs a command reads: `mlcarbon history` and `mlcarbon
/// report --history` take the same flags.
struct HistorySelection {
  std::string db;
  std::optional<std::string> tag;
  std::optional<std::string> command;
  std::optional<std::string> project;
  std::optional<std::string> since;
  std::optional<std::string> until;
  /// A Slurm job id.
  std::optional<std::string> job;
  std::optional<std::int64_t> limit;
  std::string db_timeout;

  /// The filter the flags ask for; a bad --since, --until or --limit is an
  /// error naming the flag.
  [[nodiscard]] Result<report::HistoryFilter> filter() const;
  /// How a history is opened under --db-timeout, saying so on stderr while
  /// it waits for a lock.
  [[nodiscard]] Result<report::HistoryOptions> options(bool read_only) const;
  /// The selection in words: "tag train, since 30d" or "every run".
  [[nodiscard]] std::string describe() const;
  /// The history at --db, read-only; none there is an error.
  [[nodiscard]] Result<report::History> open() const;
  /// The selected runs, most recent first; no history at --db is an error.
  [[nodiscard]] Result<std::vector<report::HistoryEntry>> query() const;
};

/// Adds --db, --tag, --command, --project, --since, --until, --job, --limit
/// and --db-timeout.
void add_history_selection(CLI::App& sub, HistorySelection& selection);

/// The time now: MLCARBON_NOW (ISO 8601) when set, so that examples and
/// tests are reproducible, else the system clock. A bad MLCARBON_NOW is an
/// error naming it.
[[nodiscard]] Result<WallTime> wall_now();

/// Adds --color auto|always|never.
void add_color_option(CLI::App& sub, std::string& color);

/// True when output to `fd` should be coloured: --color always, or auto
/// with a terminal and NO_COLOR unset.
[[nodiscard]] bool use_color(std::string_view color, int fd);

}  // namespace mlcarbon::cli
