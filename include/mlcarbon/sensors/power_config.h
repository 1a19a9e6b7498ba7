// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/sensors/sensor.h"

/// Power-model figures a team pins: flags (--cpu-watts, --tdp,
/// --memory-watts-per-gb), the C API's and the Python module's arguments,
/// and the config file
/// $XDG_CONFIG_HOME/mlcarbon/config.yaml (docs/models.md, "Overrides"):
///
///     power:
///       cpu_watts: 0.74:3.5        # MIN:MAX per vCPU (VM) or package
///       tdp_w: 65                  # per package, for the TDP curve
///       memory_watts_per_gb: 0.392
namespace mlcarbon::sensors {

/// "MIN:MAX" in watts, 0 <= MIN <= MAX, MAX > 0. `where` names the text in
/// errors ("flag --cpu-watts", "config.yaml:3:14: power.cpu_watts").
[[nodiscard]] Result<CpuWatts> parse_cpu_watts(std::string_view text,
                                               std::string_view where);
/// A TDP in watts, 0 < W <= 10000.
[[nodiscard]] Result<Watts> parse_tdp(std::string_view text,
                                      std::string_view where);
/// Memory watts per GiB, 0 < X <= 10.
[[nodiscard]] Result<double> parse_memory_watts_per_gb(std::string_view text,
                                                       std::string_view where);

/// The same checks on figures a caller passes as numbers (the C API's
/// setters, the Python module's arguments), with the same messages; NaN
/// and infinities are refused. `where` names the argument.
[[nodiscard]] Result<CpuWatts> check_cpu_watts(double min, double max,
                                               std::string_view where);
[[nodiscard]] Result<Watts> check_tdp(double watts, std::string_view where);
[[nodiscard]] Result<double> check_memory_watts_per_gb(double watts_per_gb,
                                                       std::string_view where);

/// An error (`code`, "`context``cpu_watts` and `tdp` are two CPU models:
/// give one") when `overrides` pins both CPU models; the names say how the
/// caller gave them ("--cpu-watts", "power.tdp_w").
[[nodiscard]] Status check_one_cpu_model(const PowerOverrides& overrides,
                                         Errc code, std::string_view context,
                                         std::string_view cpu_watts,
                                         std::string_view tdp);

/// $XDG_CONFIG_HOME/mlcarbon/config.yaml, or ~/.config/mlcarbon/config.yaml.
[[nodiscard]] std::filesystem::path default_config_path();

/// The overrides in the config file at `path`; none when it does not
/// exist. A bad value or an unknown key is an error naming the file, line,
/// column and what was expected.
[[nodiscard]] Result<PowerOverrides> load_power_config(
    const std::filesystem::path& path);

/// `over`'s figures replace `base`'s (flags over the config file); the CPU
/// figures (cpu_watts, tdp) go together.
void merge_overrides(PowerOverrides& base, const PowerOverrides& over);

/// `options` with the config file's figures where `options.overrides` pins
/// none (a flag or an API option wins over the file). Every front end that
/// builds sensors calls it, so the CLI, the library, the C API and Python
/// use the same pinned figures.
[[nodiscard]] Result<SensorOptions> with_config_file(
    SensorOptions options,
    const std::filesystem::path& path = default_config_path());

}  // namespace mlcarbon::sensors
