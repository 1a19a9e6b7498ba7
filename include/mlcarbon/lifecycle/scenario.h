// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/lifecycle/range.h"

namespace mlcarbon::carbon {
class RegionTable;
}

namespace mlcarbon::lifecycle {

/// How a phase's energy was obtained (ARCHITECTURE.md section 1).
enum class EnergyMethod { kMeasured, kResourceTime, kModelBased };

/// "measured", "resource-time" or "model-based".
[[nodiscard]] std::string_view to_string(EnergyMethod method);

/// A place in the scenario file, 1-based; 0 when unknown (a --what-if).
struct SourcePos {
  int line = 0;
  int column = 0;
};

/// A `measured_run:` reference to a run file of `mlcarbon measure --json`.
struct MeasuredRun {
  std::string path;  ///< as written in the scenario
  SourcePos pos;     ///< of the path, for errors about the file
  /// The run's energy.total_j (device energy, before PUE) once
  /// resolve_measured_runs() has read the file.
  std::optional<double> energy_j;
};

/// How a model-based phase obtains its energy per sample.
enum class ModelWay {
  kGiven,        ///< a number in the scenario
  kPredict,      ///< `predict`: a machine profile's predictors
  kCalibrate,    ///< `calibrate`: run the model here, or reuse a calibration
  kCalibration,  ///< `calibration: FILE.json` of `mlcarbon calibrate --json`
};

/// "given", "predict", "calibrate" or "calibration".
[[nodiscard]] std::string_view to_string(ModelWay way);

/// A `model:` of a training or inference block and the way its energy per
/// sample is to be obtained, as the parser found them;
/// resolve_model_inputs() turns it into numbers.
struct ModelRequest {
  std::string origin;  ///< the scenario file, for messages
  std::string where;   ///< "training", "search.runs[2]", "inference"
  std::string field;   ///< "energy_per_inference_j" or "energy_per_call_j"
  ModelWay way = ModelWay::kGiven;
  SourcePos way_pos;        ///< of the energy field or of calibration:
  std::string model;        ///< FILE or SHORTHAND as written; may be empty
  SourcePos model_pos;      ///< with calibration:
  std::string profile;      ///< predict: the block's or the top level's
  SourcePos profile_pos;    ///< of that profile:
  std::string calibration;  ///< calibration: FILE.json
  /// θ was written in the block: the way's θ is not used (training).
  bool overhead_given = false;
  /// Samples one inference call serves (inference).
  Range samples_per_call = Range::exact(1.0);
  /// Once resolved: how I was obtained, and θ (training; empty when θ was
  /// given or took its default), for reports.
  std::string source;
  std::string overhead_source;
  std::vector<std::string> warnings;  ///< from the resolver
  bool measured = false;              ///< see ModelEnergy::measured
  bool resolved = false;
};

/// One training run, T. Exactly one of its three ways is used.
struct TrainingSpec {
  EnergyMethod method = EnergyMethod::kModelBased;
  // model-based, the paper's T = E · D · I · θ (device energy)
  Range samples;                 ///< D
  Range epochs;                  ///< E
  Range energy_per_inference_j;  ///< I before PUE, joules
  Range overhead;                ///< θ
  /// I (and θ unless given) from a model: set by resolve_model_inputs().
  std::optional<ModelRequest> model;
  // measured: energy_kwh, or a run file
  Range energy_kwh;  ///< device energy before PUE
  std::optional<MeasuredRun> measured_run;
  // resource-time: devices · power_w · hours
  Range hours;
  Range devices;
  Range power_w;  ///< average draw per device, watts
};

/// Architecture search / tuning, CT = Σ_h T_h.
struct SearchSpec {
  Range trials;                    ///< H, with per_trial
  TrainingSpec per_trial;          ///< used when runs is empty
  std::vector<TrainingSpec> runs;  ///< trials that differ
};

/// Inference in the field, I · e.
struct InferenceSpec {
  EnergyMethod method = EnergyMethod::kModelBased;
  Range energy_per_call_j;  ///< I before PUE, joules
  /// I per call from a model: set by resolve_model_inputs().
  std::optional<ModelRequest> model;
  std::optional<MeasuredRun> measured_run;
  Range calls_in_run;  ///< calls the measured run served
  bool calls_from_rate = false;
  Range calls;  ///< e
  Range rate_per_s;
  Range lifetime_days;
};

/// Processor type, for the hardware rules of thumb.
enum class Hardware { kUnknown, kCpu, kGpu, kTpu };

[[nodiscard]] std::string_view to_string(Hardware hardware);

/// One `embodied:` entry: devices of one kind held for a time, whose
/// manufacturing emissions (data/embodied.csv) are amortised over it.
struct EmbodiedDevices {
  std::string device;  ///< a kind of the table: "vcpu", "gpu"
  std::string model;   ///< optional GPU model name, matched in the table
  Range count;
  Range hours;
  SourcePos pos;  ///< of the entry
};

/// A life-cycle scenario: where it runs and what each phase costs. Phases
/// left out count zero.
struct Scenario {
  std::string name;
  std::string origin;            ///< file name used in errors
  std::string region_code;       ///< "DE"; empty when the intensity is given
  std::string region_name;       ///< "Germany"
  Range intensity_g_per_kwh;     ///< EF
  std::string intensity_source;  ///< where EF came from, for reports
  std::optional<Range> pue;      ///< given in the scenario
  double region_pue = 1.0;       ///< the region's default PUE
  Hardware hardware = Hardware::kUnknown;
  std::optional<SearchSpec> search;
  std::optional<TrainingSpec> training;
  std::optional<InferenceSpec> inference;
  /// The hardware's embodied emissions: an optional term reported beside
  /// the operational (the paper's) figure, never inside it.
  std::vector<EmbodiedDevices> embodied;

  /// The PUE applied to every phase: `pue` or the region's default.
  [[nodiscard]] Range effective_pue() const {
    return pue.value_or(Range::exact(region_pue));
  }
};

/// The largest scenario file parse_scenario() takes: yaml-cpp holds about
/// 70 bytes of nodes per byte of text, so 2 MiB cost about 170 MB.
inline constexpr std::size_t kMaxScenarioBytes = std::size_t{2} << 20;
/// The most entries of a list (search.runs) in a scenario.
inline constexpr std::size_t kMaxListEntries = 100'000;
/// The deepest nesting of mappings and lists; a scenario needs five.
inline constexpr int kMaxNesting = 32;

/// Errc::kParse when a file of `bytes` is larger than kMaxScenarioBytes:
/// callers check a file's size before reading it.
[[nodiscard]] Status check_scenario_size(std::uint64_t bytes,
                                         std::string_view origin);

/// Parses a scenario file (docs/scenario.md). Errors are Errc::kParse for
/// malformed YAML and Errc::kInvalidArgument for schema errors, and read
/// "origin:line:col: what" (1-based). `regions` (builtin when null) resolves
/// `region:`. measured_run files are not read: see resolve_measured_runs().
/// A leading UTF-8 byte-order mark is skipped; text that is not UTF-8, a
/// second YAML document, and files beyond the limits above are errors.
/// Never throws.
///
/// Example:
///   MLCARBON_ASSIGN_OR_RETURN(Scenario s, parse_scenario(text, "s.yaml"));
[[nodiscard]] Result<Scenario> parse_scenario(
    std::string_view yaml_text, std::string_view origin,
    const carbon::RegionTable* regions = nullptr);

/// Reads a file named in a scenario (relative paths are the loader's
/// business: the CLI resolves them against the scenario's folder).
using FileLoader = std::function<Result<std::string>(std::string_view path)>;

/// Reads every measured_run with `loader` and stores its energy.total_j.
/// A file that is missing, not JSON, or not an mlcarbon run file
/// ("tool": "mlcarbon", "kind": "run") is an error at the path's position.
[[nodiscard]] Status resolve_measured_runs(Scenario& scenario,
                                           const FileLoader& loader);

/// What a ModelResolver finds for one request: I per sample and, where the
/// way gives one, θ, with a label saying how they were obtained.
struct ModelEnergy {
  Range inference_j_per_sample;   ///< before PUE
  std::optional<Range> overhead;  ///< θ
  /// "predicted per-layer from profile.json", "calibrated 2026-12-02 on
  /// host X": shown next to every figure it gave.
  std::string source;
  std::vector<std::string> warnings;
  /// Measured here by calibration, rather than estimated by a predictor.
  bool measured = false;
};

/// Obtains I and θ for one request (the CLI's reads models and profiles,
/// runs calibrations). Its errors name the scenario position themselves
/// (request.origin and the request's positions).
using ModelResolver =
    std::function<Result<ModelEnergy>(const ModelRequest& request)>;

/// Resolves every ModelRequest of a way other than kGiven with `resolver`:
/// training gets energy_per_inference_j = I and, unless it was given,
/// overhead = θ; inference gets energy_per_call_j = I · samples_per_call.
/// An I that is not positive and finite, or a θ below zero, is an error at
/// the request's position.
[[nodiscard]] Status resolve_model_inputs(Scenario& scenario,
                                          const ModelResolver& resolver);

/// A figure of the scenario obtained from a model, for reports.
struct ModelInput {
  std::string field;  ///< "training.energy_per_inference_j"
  Range value;
  std::string unit;       ///< "J", "" for θ
  std::string source;     ///< the resolver's label
  bool measured = false;  ///< calibrated here (else estimated)
};

/// Every resolved figure from a model, in scenario order.
[[nodiscard]] std::vector<ModelInput> model_inputs(const Scenario& scenario);

/// Parses a number as a scenario accepts it: "12.5", "[10, 20]",
/// "0.002 ± 20%" (also "+-" and "+/-"). Rejects NaN and infinities.
[[nodiscard]] Result<Range> parse_range(std::string_view text);

}  // namespace mlcarbon::lifecycle
