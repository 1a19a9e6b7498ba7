// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/run.h"

/// A calibration: a model's energy per inference (I), training overhead (θ)
/// and time per sample, measured on one machine with one batch size and
/// device; its JSON form, the checks that it fits a model and machine, and
/// the cache that `estimate` reuses (docs/calibrate.md).
namespace mlcarbon::calibrate {

/// Bumped when a field changes meaning or goes away.
inline constexpr int kCalibrationSchemaVersion = 1;

/// Mean and spread of one figure over the repeats.
struct Spread {
  double mean = 0.0;
  double stddev = 0.0;  ///< sample standard deviation; 0 for one value
  double min = 0.0;
  double max = 0.0;
  int count = 0;
};

/// The spread of `values`; all zero for none.
[[nodiscard]] Spread spread_of(std::span<const double> values);

/// One measured window: a loop of `batches` batches.
struct Repeat {
  std::int64_t samples = 0;
  std::int64_t batches = 0;
  double seconds = 0.0;  ///< the loop's wall time
  /// Energy attributed to this process (the machine's energy times its
  /// share of the busy CPU time, plus its GPUs): the figure I and θ use.
  double energy_j = 0.0;
  double machine_energy_j = 0.0;  ///< everything the sensors saw
  Method method = Method::kEstimated;
};

/// The repeats of one kind of loop (inference or training) and their
/// per-sample figures.
struct LoopFigures {
  std::vector<Repeat> repeats;
  Spread energy_per_sample_j;
  Spread seconds_per_sample;
  /// kMeasured only when every repeat was measured.
  Method method = Method::kEstimated;
};

/// Fills energy_per_sample_j, seconds_per_sample and method from repeats.
[[nodiscard]] LoopFigures summarise(std::vector<Repeat> repeats);

/// The model a calibration was made for.
struct ModelInfo {
  std::string name;
  std::string origin;       ///< file or shorthand
  std::string fingerprint;  ///< models::fingerprint
  std::int64_t parameters = 0;
  double forward_flops = 0.0;   ///< per sample
  double training_flops = 0.0;  ///< per sample
  int layers = 0;
};

/// Batches run before the measured windows, and left out of every figure.
struct Warmup {
  std::int64_t inference_batches = 0;
  std::int64_t training_batches = 0;
  double seconds = 0.0;
  double energy_j = 0.0;  ///< attributed, as in Repeat; not in any figure
};

struct Calibration {
  int schema_version = kCalibrationSchemaVersion;
  std::string created;  ///< ISO 8601, UTC
  ModelInfo model;
  std::int64_t batch = 0;
  std::string device = "cpu";
  int threads = 1;
  std::string engine;  ///< the engine's description()
  /// The machine and the sensors that measured it.
  measure::RunContext context;
  double interval_s = 0.0;  ///< the meter's sampling interval
  double budget_s = 0.0;    ///< what the calibration was allowed
  Warmup warmup;
  LoopFigures inference;
  LoopFigures training;
  /// Training energy per sample ÷ inference energy per sample (ratio of
  /// the means).
  double theta = 0.0;
  /// The same ratio per pair of repeats, which ran back to back.
  Spread theta_spread;
  double duration_s = 0.0;  ///< the whole calibration, warm-up included
  std::vector<std::string> warnings;

  /// I: inference energy per sample, joules (attributed).
  [[nodiscard]] double energy_per_inference_j() const {
    return inference.energy_per_sample_j.mean;
  }
  /// kMeasured only when both loops were.
  [[nodiscard]] Method method() const {
    return inference.method == Method::kMeasured &&
                   training.method == Method::kMeasured
               ? Method::kMeasured
               : Method::kEstimated;
  }
};

/// Sets theta and theta_spread from the two loops' repeats.
void compute_theta(Calibration& calibration);

/// The calibration as JSON (docs/calibrate.md): "tool": "mlcarbon",
/// "kind": "calibration", schema_version, and a method on every energy
/// figure.
[[nodiscard]] std::string to_json(const Calibration& calibration);

/// Parses a calibration written by to_json. Errors name `origin` and the
/// field ("c.json: inference.energy_per_sample_j.mean: expected a
/// non-negative number").
[[nodiscard]] Result<Calibration> parse_calibration(std::string_view text,
                                                    std::string_view origin);

/// Reads and parses a calibration file.
[[nodiscard]] Result<Calibration> load_calibration(
    const std::filesystem::path& path);

/// What a calibration must match to be used for a model on a machine.
struct Target {
  std::string fingerprint;
  std::int64_t batch = 0;
  std::string device = "cpu";
  int threads = 1;
  std::string host;
  std::string cpu_model;
  /// "name: description" of each sensor, in detection order (sensor_lines);
  /// empty when not compared. Descriptions carry the power models' figures,
  /// so a calibration estimated with other pinned figures does not match.
  std::vector<std::string> sensors;
};

/// "name: description" of each sensor of `context`, in order.
[[nodiscard]] std::vector<std::string> sensor_lines(
    const measure::RunContext& context);

/// The target of a calibration itself.
[[nodiscard]] Target target_of(const Calibration& calibration);

/// One line per difference between the calibration and the target, each
/// naming `origin`, the field and both values; empty when it fits.
[[nodiscard]] std::vector<std::string> mismatches(
    const Calibration& calibration, const Target& target,
    std::string_view origin);

/// $XDG_CACHE_HOME/mlcarbon/calibrations, else
/// ~/.cache/mlcarbon/calibrations; empty when neither variable is set.
[[nodiscard]] std::filesystem::path default_cache_dir();

/// The file name a target's calibration is cached under: the fingerprint,
/// batch, device, threads and a digest of host and CPU model. The sensors
/// are not in the name: a calibration made with other sensors is found,
/// does not match, and is replaced by the new one.
[[nodiscard]] std::string cache_key(const Target& target);

/// The cached calibration for `target`, nullopt when there is none or the
/// cached file does not match it. An unreadable or malformed file is an
/// error naming it.
[[nodiscard]] Result<std::optional<Calibration>> find_cached(
    const std::filesystem::path& dir, const Target& target);

/// Saves `calibration` under dir/cache_key(target_of(calibration)),
/// creating dir; returns the file's path.
[[nodiscard]] Result<std::filesystem::path> store_cached(
    const std::filesystem::path& dir, const Calibration& calibration);

}  // namespace mlcarbon::calibrate
