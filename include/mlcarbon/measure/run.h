// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/measurement.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::measure {

/// A sensor as a report names it.
struct SensorInfo {
  std::string name;
  Method method = Method::kEstimated;
  std::string description;
};

/// Where and with what a run was measured (benchmark's context block).
struct RunContext {
  std::string host;
  std::string os;  // "Linux 6.1.0-18-amd64 x86_64"
  std::string cpu_model;
  int cpu_count = 0;
  double ram_total_gb = 0.0;
  /// One model name per GPU ("NVIDIA A100-SXM4-40GB").
  std::vector<std::string> gpus;
  std::vector<SensorInfo> sensors;
  /// "rapl-powercap: energy_uj is readable by root only ..."
  std::vector<std::string> unavailable;
  std::string mlcarbon_version;
};

/// The grid intensity and PUE a run was converted with, and why.
struct CarbonInfo {
  std::string region;       // code: "DE", "gcp:europe-west3", "WORLD"
  std::string region_name;  // "Germany"
  std::string country_name;
  std::string country_iso_code;  // ISO alpha-3, as CodeCarbon writes it
  std::string cloud_provider;
  std::string cloud_region;
  std::string region_reason;  // "from --region", "inferred from time zone"
  /// The run's average intensity (energy-weighted when time-varying).
  GramsCo2ePerKwh intensity;
  std::string intensity_source;
  bool time_varying = false;
  double pue = 1.0;
  std::string pue_reason;
};

/// One measured run: what `mlcarbon measure` and Tracker both produce, and
/// what the JSON/CSV exporters and the history record.
struct Run {
  std::string run_id;  // a random UUID
  std::string project = "mlcarbon";
  std::vector<std::string> tags;
  std::vector<std::string> command;  // empty for a Tracker scope
  std::optional<int> exit_status;    // 128+N when killed by signal N
  std::optional<int> signal;         // the signal that ended the child
  bool interrupted = false;          // mlcarbon got SIGINT/SIGTERM
  Measurement measurement;
  RunContext context;
  CarbonInfo carbon;
  /// Machine energy x PUE x intensity.
  GramsCo2e co2e;
  /// Attributed energy x PUE x intensity.
  GramsCo2e attributed_co2e;
};

/// Describes this machine and the sensors in use.
[[nodiscard]] RunContext collect_context(
    const sensors::Detection& detection,
    const std::filesystem::path& proc_root = "/proc");

/// A random version-4 UUID, from /dev/urandom.
[[nodiscard]] std::string new_run_id();

/// How the user asked for the grid intensity and PUE.
struct CarbonOptions {
  /// Region code or name; else MLCARBON_REGION, the time zone, the world.
  std::optional<std::string> region;
  /// g CO2e/kWh, overriding the region's figure.
  std::optional<double> carbon_intensity;
  /// Hourly series CSV (timestamp,g_per_kwh): a time-varying intensity.
  std::optional<std::filesystem::path> intensity_series;
  /// Overrides the region's PUE (1.0 locally, the provider's in a cloud).
  std::optional<double> pue;
};

/// The resolved intensity and PUE, ready before a run starts.
struct CarbonSetup {
  CarbonInfo info;
  std::optional<carbon::IntensitySeries> series;
};

/// Resolves region, intensity and PUE; a bad value or an unknown region is
/// an error (with a suggestion), so callers fail before measuring.
[[nodiscard]] Result<CarbonSetup> resolve_carbon(const CarbonOptions& options);

/// Sets run.carbon and fills co2e and attributed_co2e. With a series,
/// emissions integrate energy(t) x intensity(t) over `energy` (cumulative
/// machine energy points), and run.carbon.intensity becomes the
/// energy-weighted mean.
void apply_carbon(Run& run, const CarbonSetup& setup,
                  std::span<const carbon::EnergyPoint> energy = {});

/// The command line as one shell-quoted string.
[[nodiscard]] std::string quote_command(const std::vector<std::string>& argv);

}  // namespace mlcarbon::measure
