// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/experiments/experiment.h"

/// What the experiments' results say: fits beside the paper's claims,
/// gnuplot figures and the report folder (docs/experiments.md).
namespace mlcarbon::experiments {

/// One curve of a figure.
struct Series {
  std::string title;
  std::vector<std::pair<double, double>> xy;
  std::string style = "linespoints";  ///< gnuplot "with" style
};

/// A gnuplot figure: data series and fitted or claimed curves.
struct Figure {
  std::string name;  ///< file stem: name.gp, name.dat, name.svg, name.png
  std::string title;
  std::string xlabel;  ///< with its unit
  std::string ylabel;
  bool logx = false;
  bool logy = false;
  std::vector<Series> series;
  /// Curves as gnuplot functions of x: {definition, plot clause}, e.g.
  /// {"f0(x) = 2*x + 1", "f0(x) title 'fit' dashtype 2"}.
  std::vector<std::pair<std::string, std::string>> curves;
  std::string extra;  ///< more gnuplot settings
};

/// The gnuplot script that draws `figure` as name.svg and name.png from
/// name.dat, in the folder it runs in.
[[nodiscard]] std::string gnuplot_script(const Figure& figure);
/// The data file the script reads: one block per series.
[[nodiscard]] std::string gnuplot_data(const Figure& figure);

/// An experiment's results seen against its claim.
struct Analysis {
  std::string name;
  std::string claim;
  /// "holds", "partly holds", "does not hold" or "not tested".
  std::string verdict;
  std::string finding;             ///< one or two sentences with the numbers
  std::string fits_json;           ///< a JSON object
  std::string points_json = "[]";  ///< a JSON array
  std::string table_md;            ///< Markdown table of the points
  std::string method = "estimated";
  std::vector<Figure> figures;
  std::vector<std::string> files;  ///< figures drawn: "size.svg", ...
};

/// Fits the results of one sweep and states what they say about its claim.
/// Errors when the results are too few to fit.
[[nodiscard]] Result<Analysis> analyse(const Results& results);

/// The parameter, FLOP and per-layer predictors on every model the other
/// sweeps ran: for each experiment, a machine profile is fitted
/// (lifecycle::fit_profile) on the other experiments' models and predicts
/// this one's, so no model is predicted by a fit that saw it.
[[nodiscard]] Result<Analysis> analyse_predictors(
    std::span<const Results> sweeps, std::int64_t batch);

/// Writes each figure's script and data into `dir` and runs gnuplot there,
/// adding the SVG and PNG it drew to `analysis.files`. Without gnuplot the
/// scripts are still written and the error says how to get it.
[[nodiscard]] Status draw_figures(const std::filesystem::path& dir,
                                  Analysis& analysis);

/// What the report says beyond the analyses.
struct ReportInfo {
  std::string scale;
  std::string context_json = "{}";  ///< the machine, as a JSON object
  std::string engine;               ///< the engine's description
  std::vector<std::string> notes;   ///< printed first in index.md
  /// Experiments left out, with the reason.
  std::vector<std::pair<std::string, std::string>> unavailable;
};

/// Writes `dir`/index.md (machine, energy method, claim by claim, figures
/// and tables) and `dir`/report.json (kind "experiment-report").
[[nodiscard]] Status write_report(const std::filesystem::path& dir,
                                  std::span<const Analysis> analyses,
                                  const ReportInfo& info);

}  // namespace mlcarbon::experiments

namespace mlcarbon::experiments {

/// How the transfer and reduce experiments run (one run each, not a sweep).
struct TradeoffOptions {
  std::filesystem::path out;
  bool resume = false;
  /// An MNIST-format folder; empty: Debian's Fashion-MNIST.
  std::string data_dir;
  engine::Device device = engine::Device::kCpu;
  int threads = 1;
  measure::PipelineOptions meter{.interval = calibrate::kMeterInterval};
  std::function<void(std::string_view stage)> progress;
};

/// Runs `transfer` (calibrate::run_transfer) or `reduce`
/// (calibrate::run_reduce) at `scale`, saves its analysis as NAME.json and
/// NAME.csv in `out` and returns it. With `resume`, a NAME.json made with
/// the same scale, data, device and threads is reused instead.
[[nodiscard]] Result<Analysis> run_tradeoff(engine::Engine& engine,
                                            std::string_view name, Scale scale,
                                            const TradeoffOptions& options);

/// A saved transfer or reduce analysis in `out`, if there is one.
[[nodiscard]] Result<std::optional<Analysis>> load_tradeoff(
    const std::filesystem::path& out, std::string_view name);

}  // namespace mlcarbon::experiments
