/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mlcarbon's C API: measure a region of code (the same run as `mlcarbon
 * measure`), and estimate a scenario's life-cycle footprint (the same
 * report as `mlcarbon estimate --json`). Link with libmlcarbon
 * (`pkg-config --libs mlcarbon`, or CMake's `mlcarbon::mlcarbon`).
 *
 * Conventions:
 * - Every function that can fail returns an mlcarbon_status; on failure
 *   mlcarbon_last_error() says what went wrong and how to fix it. The
 *   message belongs to the calling thread and lasts until its next call.
 * - Strings the library returns through a `char**` are the caller's: free
 *   them with mlcarbon_string_free().
 * - No C++ exception ever leaves a function of this header.
 * - Every energy figure carries its method: measured (hardware counters)
 *   or estimated (a model).
 *
 * docs/c-api.md has a guide with examples.
 */
#ifndef MLCARBON_MLCARBON_H_
#define MLCARBON_MLCARBON_H_

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define MLCARBON_API __attribute__((visibility("default")))
#else
#define MLCARBON_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** What a call returned. Values are stable across versions. */
typedef enum mlcarbon_status {
  MLCARBON_OK = 0,
  /** An argument or option is wrong, or the call does not fit the
   *  tracker's state (start twice, stop before start). */
  MLCARBON_ERROR_INVALID_ARGUMENT = 1,
  /** A named file, region, sensor or window does not exist. */
  MLCARBON_ERROR_NOT_FOUND = 2,
  /** It exists, but this user may not read or write it. */
  MLCARBON_ERROR_PERMISSION_DENIED = 3,
  /** The thing is absent on this machine (no RAPL, no GPU). */
  MLCARBON_ERROR_UNAVAILABLE = 4,
  /** An input (scenario, series, run file) is malformed. */
  MLCARBON_ERROR_PARSE = 5,
  /** Reading or writing failed. */
  MLCARBON_ERROR_IO = 6,
  /** A library underneath (NVML, SQLite) failed. */
  MLCARBON_ERROR_BACKEND = 7,
  /** Stopped by a signal or the user. */
  MLCARBON_ERROR_CANCELLED = 8,
  /** Memory ran out. */
  MLCARBON_ERROR_OUT_OF_MEMORY = 9,
  /** A defect in mlcarbon; the message says where. */
  MLCARBON_ERROR_INTERNAL = 10
} mlcarbon_status;

/** How an energy figure was obtained. */
typedef enum mlcarbon_method {
  /** Every counted domain is a hardware counter (RAPL, NVML). */
  MLCARBON_METHOD_MEASURED = 0,
  /** At least one counted domain comes from a model (CPU TDP x load). */
  MLCARBON_METHOD_ESTIMATED = 1
} mlcarbon_method;

/** The library's version, "0.1.0". */
MLCARBON_API const char* mlcarbon_version(void);

/** A short name for a status: "ok", "invalid argument", ... */
MLCARBON_API const char* mlcarbon_status_name(mlcarbon_status status);

/** "measured" or "estimated". */
MLCARBON_API const char* mlcarbon_method_name(mlcarbon_method method);

/** The calling thread's last error: the message and, when there is one, a
 *  second line "hint: " with the remedy. "" when the thread's last call
 *  succeeded. Valid until this thread's next call into the library. */
MLCARBON_API const char* mlcarbon_last_error(void);

/** The message of the last error alone (no hint line); "" when none. */
MLCARBON_API const char* mlcarbon_last_error_message(void);

/** The remedy of the last error alone ("run as root or ..."); "" when the
 *  error has none or there is no error. */
MLCARBON_API const char* mlcarbon_last_error_remedy(void);

/** Frees a string the library returned; NULL is ignored. */
MLCARBON_API void mlcarbon_string_free(char* s);

/* ---- Tracker ----------------------------------------------------------- */

/** A tracker: measures the energy of this process's machine between start
 *  and stop, attributes a share to this process and its children, prices
 *  it in CO2e. Start and stop from one thread; windows and reads may come
 *  from any thread while it runs. */
typedef struct mlcarbon_tracker mlcarbon_tracker;

/** How to create a tracker. Fill it with mlcarbon_tracker_options_init()
 *  first, then set what you need. */
typedef struct mlcarbon_tracker_options {
  /** Project name in the run and the history. Default "mlcarbon". */
  const char* project;
  /** Region code or name ("FR", "US-IA", "gcp:europe-west3", "Germany").
   *  NULL: $MLCARBON_REGION, else the time zone's country, else the world
   *  average. */
  const char* region;
  /** Sampling interval in seconds; finite and positive. Default 1. */
  double interval_s;
  /** tag_count tags recorded with the run; may be NULL when 0. */
  const char* const* tags;
  size_t tag_count;
  /** History database to record the run in at stop: a path or a
   *  postgresql:// URI, "" for the default (MLCARBON_DB, else
   *  $XDG_DATA_HOME/mlcarbon/history.db), NULL (the default) for none. It is
   * opened at create, so a bad path fails before measuring. */
  const char* history_db;
  /** Comma-separated sensors to use ("rapl-powercap,nvml",
   *  "cpu-model,memory-model"); NULL or "auto" (the default) uses every
   *  sensor found. A named sensor that is unavailable fails create. */
  const char* sensors;
  /** Grid intensity in g CO2e/kWh overriding the region's; negative (the
   *  default) for the region's. */
  double carbon_intensity;
  /** Power usage effectiveness overriding the region's (1 locally, the
   *  provider's in a cloud region); negative (the default) for the
   *  region's. */
  double pue;
} mlcarbon_tracker_options;

/** Sets every option to its default. */
MLCARBON_API void mlcarbon_tracker_options_init(
    mlcarbon_tracker_options* options);

/** Creates a tracker: detects the sensors, resolves the region's intensity
 *  and PUE and opens the history; measures nothing yet. `options` may be
 *  NULL for the defaults. On success *tracker is set; free it with
 *  mlcarbon_tracker_free(). */
MLCARBON_API mlcarbon_status mlcarbon_tracker_create(
    const mlcarbon_tracker_options* options, mlcarbon_tracker** tracker);

/** Starts measuring. Fails if already started. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_start(mlcarbon_tracker* tracker);

/** Energy since start, read now; the tracker keeps running. */
typedef struct mlcarbon_reading {
  double duration_s;
  /** Machine energy (every counted domain), before PUE. */
  double energy_j;
  /** The share of energy_j attributed to this process tree. */
  double attributed_energy_j;
  mlcarbon_method method;
} mlcarbon_reading;

/** Reads the energy so far. Fails if not running. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_read(mlcarbon_tracker* tracker,
                                                   mlcarbon_reading* reading);

/** A named window's energy and CO2e (an epoch, a validation pass). */
typedef struct mlcarbon_window {
  double duration_s;
  double energy_j;
  double attributed_energy_j;
  mlcarbon_method method;
  /** energy x PUE x intensity, in kg CO2e. */
  double co2e_kg;
  double attributed_co2e_kg;
  /** The intensity that priced it, g CO2e/kWh. */
  double intensity_g_per_kwh;
} mlcarbon_window;

/** Opens the window `name`; windows may overlap and nest. Fails if `name`
 *  is open or the tracker is not running. */
MLCARBON_API mlcarbon_status
mlcarbon_tracker_window_begin(mlcarbon_tracker* tracker, const char* name);

/** Closes the window `name`; its record is also in the run JSON's
 *  "windows". `window` may be NULL. Fails if `name` is not open. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_window_end(
    mlcarbon_tracker* tracker, const char* name, mlcarbon_window* window);

/** The key numbers of a finished run. */
typedef struct mlcarbon_run_summary {
  /** The run's UUID, also its key in the history. */
  char run_id[40];
  double duration_s;
  /** Machine energy, before PUE. */
  double energy_j;
  double energy_kwh;
  mlcarbon_method method;
  double attributed_energy_j;
  /** energy x PUE x intensity, in kg CO2e. */
  double co2e_kg;
  double attributed_co2e_kg;
  double intensity_g_per_kwh;
  double pue;
} mlcarbon_run_summary;

/** Stops measuring and returns the run: `run_json` (may be NULL) gets the
 *  document `mlcarbon measure --json` writes, `summary` (may be NULL) its
 *  key numbers, and the run is recorded in the history when one was
 *  given. Fails if not started.
 *
 *  The run is never lost: if only recording it in the history fails, the
 *  status says so but *run_json and *summary are still filled. So set
 *  *run_json to NULL before the call and free it when it is not NULL. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_stop(
    mlcarbon_tracker* tracker, char** run_json, mlcarbon_run_summary* summary);

/** The band around a reading's, window's or run's figures (docs/c-api.md,
 *  "Error bands"): low <= figure <= high; both ends equal the figure when
 *  every sensor is a hardware counter. Fields a call does not fill are 0:
 *  a reading has no CO2e, only a run has the embodied term. */
typedef struct mlcarbon_bounds {
  double energy_j_low;
  double energy_j_high;
  double attributed_energy_j_low;
  double attributed_energy_j_high;
  double co2e_kg_low;
  double co2e_kg_high;
  double attributed_co2e_kg_low;
  double attributed_co2e_kg_high;
  /** Embodied emissions of the hardware the run occupied, amortised over
   *  its lifetime (data/embodied.csv); a separate term, not in co2e_kg. */
  double embodied_co2e_kg;
  double embodied_co2e_kg_low;
  double embodied_co2e_kg_high;
} mlcarbon_bounds;

/** mlcarbon_tracker_read() that also fills `bounds` (may be NULL). */
MLCARBON_API mlcarbon_status mlcarbon_tracker_read_bounds(
    mlcarbon_tracker* tracker, mlcarbon_reading* reading,
    mlcarbon_bounds* bounds);

/** mlcarbon_tracker_window_end() that also fills `bounds` (may be NULL). */
MLCARBON_API mlcarbon_status mlcarbon_tracker_window_end_bounds(
    mlcarbon_tracker* tracker, const char* name, mlcarbon_window* window,
    mlcarbon_bounds* bounds);

/** mlcarbon_tracker_stop() that also fills `bounds` (may be NULL). */
MLCARBON_API mlcarbon_status mlcarbon_tracker_stop_bounds(
    mlcarbon_tracker* tracker, char** run_json, mlcarbon_run_summary* summary,
    mlcarbon_bounds* bounds);

/* Power-model figures for this tracker alone, as `mlcarbon measure`'s
 * --cpu-watts, --tdp and --memory-watts-per-gb (docs/models.md,
 * "Overrides"). They replace the config file's figures and the tables for
 * the cpu-model and memory-model sensors, which are used where no hardware
 * counter is; the run JSON's sensor descriptions name the setter as the
 * figures' origin. Call them after create and before start (or between a
 * stop and the next start): the tracker rebuilds its sensors. A bad value
 * or a running tracker is MLCARBON_ERROR_INVALID_ARGUMENT and leaves the
 * tracker as it was. */

/** CPU linear model: watts at 0 % and 100 % load, per vCPU on a VM, per CPU
 *  package on bare metal; 0 <= min_w <= max_w <= 1000, max_w > 0. Not with
 *  mlcarbon_tracker_set_tdp(): they are two CPU models. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_set_cpu_watts(
    mlcarbon_tracker* tracker, double min_w, double max_w);

/** CPU load curve with this TDP of each CPU package; 0 < watts <= 10000. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_set_tdp(mlcarbon_tracker* tracker,
                                                      double watts);

/** Memory model: watts per GiB of installed memory; 0 < x <= 10. */
MLCARBON_API mlcarbon_status mlcarbon_tracker_set_memory_watts_per_gb(
    mlcarbon_tracker* tracker, double watts_per_gb);

/** Frees a tracker (a running one is stopped and its run discarded). NULL
 *  is ignored. */
MLCARBON_API void mlcarbon_tracker_free(mlcarbon_tracker* tracker);

/* ---- Estimate ---------------------------------------------------------- */

/** The life-cycle footprint of a scenario given as YAML text
 *  (docs/scenario.md): *footprint_json gets the document `mlcarbon
 *  estimate --json` writes. measured_run paths are relative to the current
 *  directory. Errors name the place in the text ("scenario:3:5: ..."). */
MLCARBON_API mlcarbon_status mlcarbon_estimate(const char* scenario_yaml,
                                               char** footprint_json);

/** The same for a scenario file; its measured_run paths are relative to
 *  its folder. */
MLCARBON_API mlcarbon_status mlcarbon_estimate_file(const char* path,
                                                    char** footprint_json);

#ifdef __cplusplus
}
#endif

#endif /* MLCARBON_MLCARBON_H_ */
