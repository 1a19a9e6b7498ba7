// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/measurement.h"
#include "mlcarbon/measure/timeline.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::measure {

/// A sensor as a report names it.
struct SensorInfo {
  std::string name;
  Method method = Method::kEstimated;
  std::string description;
};

/// The Slurm task a run was measured in, from the variables Slurm sets in
/// each task's environment. Several tasks (ranks) of one job may share a
/// node: their machine energy is the node's, counted once per node when a
/// job is totalled (report::job_totals).
struct SlurmTask {
  std::string job_id;          // SLURM_JOB_ID
  std::optional<int> proc_id;  // SLURM_PROCID: the task's global rank
  std::optional<int> node_id;  // SLURM_NODEID: the node's index in the job
  std::string node;            // SLURMD_NODENAME, else the host name
};

/// The task described by `getenv` (SLURM_JOB_ID and friends), or nothing
/// outside a Slurm job. `host` names the node when SLURMD_NODENAME is
/// unset; a malformed number is left out rather than guessed.
[[nodiscard]] std::optional<SlurmTask> slurm_task_from_environment(
    const std::function<const char*(const char*)>& getenv,
    std::string_view host);

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
  /// Set when the run was measured inside a Slurm job.
  std::optional<SlurmTask> slurm;
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

/// One named window of a run (Tracker::begin_window/end_window): its energy
/// and CO2e, priced like the run (same PUE; with an hourly series, the
/// intensity of the hours the window covered).
struct WindowRecord {
  std::string name;
  Measurement measurement;
  /// The window's average intensity (energy-weighted when time-varying).
  GramsCo2ePerKwh intensity;
  /// Machine energy x PUE x intensity.
  GramsCo2e co2e;
  /// Attributed energy x PUE x intensity.
  GramsCo2e attributed_co2e;
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
  /// Named windows ended during the run, in the order they ended; they may
  /// overlap and nest.
  std::vector<WindowRecord> windows;
  /// Every domain's power over the run, downsampled (empty when not
  /// recorded).
  Timeline timeline;
};

/// Describes this machine and the sensors in use.
[[nodiscard]] RunContext collect_context(
    const sensors::Detection& detection,
    const std::filesystem::path& proc_root = "/proc");

/// Fills `out` with random bytes; fails rather than leave them unset.
using RandomSource = Status (*)(std::span<std::uint8_t> out);

/// The kernel's random bytes (getrandom(2)); an error says why not.
[[nodiscard]] Status system_random(std::span<std::uint8_t> out);

/// A random version-4 UUID. Fails when no random bytes can be had, never
/// returning a predictable or all-zero id.
[[nodiscard]] Result<std::string> new_run_id(
    RandomSource random = &system_random);

/// How the user asked for the grid intensity and PUE.
struct CarbonOptions {
  /// Region code or name; else MLCARBON_REGION, the time zone, the world.
  std::optional<std::string> region;
  /// How errors and the run's region_reason name `region`.
  std::string region_flag = "--region";
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

/// The intensity that prices energy measured over [start, end]: the setup's
/// constant one; with a series, the energy-weighted mean of the series over
/// `energy` (cumulative machine energy points) cut to [start, end], or its
/// value at `start` when no energy lies there.
[[nodiscard]] GramsCo2ePerKwh mean_intensity(
    const CarbonSetup& setup, WallTime start, WallTime end,
    std::span<const carbon::EnergyPoint> energy);

/// Sets run.carbon and fills co2e and attributed_co2e. With a series,
/// emissions integrate energy(t) x intensity(t) over `energy` (cumulative
/// machine energy points), run.carbon.intensity becomes the
/// energy-weighted mean, and a run outside the series' span gets a warning.
void apply_carbon(Run& run, const CarbonSetup& setup,
                  std::span<const carbon::EnergyPoint> energy = {});

/// A window's record priced like apply_carbon prices a run.
[[nodiscard]] WindowRecord price_window(
    Measurement measurement, const CarbonSetup& setup,
    std::span<const carbon::EnergyPoint> energy = {});

/// The command line as one shell-quoted string.
[[nodiscard]] std::string quote_command(const std::vector<std::string>& argv);

}  // namespace mlcarbon::measure
