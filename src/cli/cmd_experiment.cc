// SPDX-License-Identifier: Apache-2.0
// `mlcarbon experiment NAME|all`: the paper's section 4 experiments on this
// machine, with fits, figures and a report folder (docs/experiments.md).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/calibrate/scenario_inputs.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/experiments/experiment.h"
#include "mlcarbon/experiments/report.h"

#include "calibrations.h"
#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

namespace ex = experiments;

bool is_single_run(std::string_view name) {
  return name == "transfer" || name == "reduce";
}

struct ExperimentArgs {
  std::string name;
  std::string scale = "default";
  std::string out = "mlcarbon-experiments";
  bool resume = false;
  std::optional<std::string> data;
  std::string device = "cpu";
  int threads = 1;
  std::vector<std::string> notes;
  bool quiet = false;
  SensorFlags sensors;
};

std::string duration_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600)
    return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60)
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

// The bar and ETA over every point of every sweep of this invocation: the
// mean time of the points run so far times the points left.
class Progress {
 public:
  Progress(std::size_t total, bool quiet)
      : total_(total),
        quiet_(quiet),
        bar_(ProgressLine::wanted(quiet)),
        line_(bar_) {}

  /// A point starts (or is skipped as done before); null: the sweep ended.
  void step(const std::string& experiment, const ex::Point* p, bool skipped) {
    const auto now = std::chrono::steady_clock::now();
    if (running_) {
      ++ran_;
      spent_ += std::chrono::duration<double>(now - started_).count();
      running_ = false;
    }
    if (p == nullptr)
      return;
    ++done_;
    running_ = !skipped;
    started_ = now;
    const std::size_t left = total_ - std::min(total_, done_ - 1);
    const std::string eta =
        ran_ == 0 ? std::string("ETA --")
                  : "ETA " + duration_text(spent_ / static_cast<double>(ran_) *
                                           static_cast<double>(left));
    const std::string what = fmt::format("{}: {}{}", experiment, p->key,
                                         skipped ? " (done before)" : "");
    if (bar_) {
      constexpr std::size_t kWidth = 24;
      const std::size_t filled =
          kWidth * (done_ - 1) / std::max<std::size_t>(1, total_);
      line_.show(fmt::format("[{}{}] {}/{} {} {}", std::string(filled, '#'),
                             std::string(kWidth - filled, '.'), done_, total_,
                             eta, what));
    } else if (!quiet_) {
      std::fprintf(stderr, "mlcarbon: experiment %zu/%zu %s, %s\n", done_,
                   total_, what.c_str(), eta.c_str());
    }
  }

  void clear() { line_.clear(); }

 private:
  std::size_t total_;
  bool quiet_;
  bool bar_;
  ProgressLine line_;
  std::size_t done_ = 0;
  std::size_t ran_ = 0;
  double spent_ = 0.0;
  bool running_ = false;
  std::chrono::steady_clock::time_point started_;
};

Result<std::vector<std::string>> requested(const std::string& name) {
  const auto& names = ex::experiment_names();
  if (name == "all")
    return names;
  if (std::find(names.begin(), names.end(), name) != names.end())
    return std::vector<std::string>{name};
  std::vector<std::string> choices = names;
  choices.emplace_back("all");
  std::string message = fmt::format("unknown experiment '{}'", name);
  if (auto best = suggest(name, choices))
    message += fmt::format(", did you mean '{}'?", *best);
  return make_error(Errc::kInvalidArgument, "{} (experiments: {})", message,
                    fmt::join(choices, ", "));
}

// Results too few or too noisy to fit (all zero on a coarse sensor) still
// get their place in the report, saying why nothing was concluded.
ex::Analysis analysed(Result<ex::Analysis> analysis, const std::string& name) {
  if (analysis)
    return std::move(*analysis);
  std::fprintf(stderr, "mlcarbon: warning: %s\n",
               analysis.error().to_string().c_str());
  return ex::Analysis{
      .name = name,
      .claim = ex::claim_of(name),
      .verdict = "not tested",
      .finding = "No conclusion: " + analysis.error().to_string() + ".",
      .fits_json = "{}"};
}

Result<int> run_experiment(const ExperimentArgs& a) {
  MLCARBON_ASSIGN_OR_RETURN(const ex::Scale scale, ex::parse_scale(a.scale));
  MLCARBON_ASSIGN_OR_RETURN(const engine::Device device,
                            engine::parse_device(a.device));
  if (a.threads < 1)
    return make_error(Errc::kInvalidArgument,
                      "--threads must be at least 1, got {}", a.threads);
  MLCARBON_ASSIGN_OR_RETURN(const std::vector<std::string> names,
                            requested(a.name));
  std::error_code ec;
  if (a.data && !std::filesystem::is_directory(*a.data, ec))
    return make_error(Errc::kInvalidArgument,
                      "--data {}: not a directory (expected a folder of "
                      "MNIST-format IDX files)",
                      *a.data);
  const std::filesystem::path out = a.out;
  std::filesystem::create_directories(out, ec);
  if (ec)
    return make_error(Errc::kIo, "--out {}: cannot create it: {}", a.out,
                      ec.message());

  std::vector<ex::Plan> plans;
  std::vector<std::string> singles;  // transfer, reduce
  bool predictors = false;
  ex::ReportInfo info{.scale = std::string(ex::to_string(scale)),
                      .notes = a.notes};
  for (const std::string& name : names) {
    if (name == "predictors") {
      predictors = true;
    } else if (is_single_run(name)) {
      singles.push_back(name);
    } else {
      MLCARBON_ASSIGN_OR_RETURN(ex::Plan plan, ex::make_plan(name, scale));
      plans.push_back(std::move(plan));
    }
  }

  std::vector<ex::Results> results;
  std::vector<ex::Analysis> single_runs;
  if (!plans.empty() || !singles.empty()) {
    ProgressLine loading(ProgressLine::wanted(a.quiet));
    loading.show("experiments: loading the engine");
    MLCARBON_ASSIGN_OR_RETURN(engine::Engine * engine,
                              calibrate::load_engine_plugin(a.threads, device));
    loading.clear();
    info.engine = engine->description();
    std::size_t total = singles.size();
    for (const ex::Plan& p : plans)
      total += p.points.size();
    MLCARBON_ASSIGN_OR_RETURN(const sensors::SensorOptions sensor_options,
                              a.sensors.options());
    Progress progress(total, a.quiet);
    for (const ex::Plan& plan : plans) {
      const ex::RunOptions options{
          .out = out,
          .resume = a.resume,
          .device = device,
          .threads = a.threads,
          .meter = {.interval = calibrate::kMeterInterval,
                    .sensors = sensor_options},
          .progress = [&](std::size_t done, std::size_t all,
                          const ex::Point& point, bool skipped) {
            progress.step(plan.name, done == all ? nullptr : &point, skipped);
          }};
      auto r = ex::run_plan(*engine, plan, options);
      if (!r) {
        progress.clear();
        return tl::unexpected(std::move(r).error().with_remedy(
            fmt::format("the points done so far are in {}; rerun with "
                        "--resume to continue",
                        out.string())));
      }
      results.push_back(std::move(*r));
    }
    for (const std::string& name : singles) {
      ex::Point stage{.key = "run"};
      progress.step(name, &stage, false);
      const ex::TradeoffOptions options{
          .out = out,
          .resume = a.resume,
          .data_dir = a.data.value_or(""),
          .device = device,
          .threads = a.threads,
          .meter = {.interval = calibrate::kMeterInterval,
                    .sensors = sensor_options}};
      auto r = ex::run_tradeoff(*engine, name, scale, options);
      progress.step(name, nullptr, false);
      if (r) {
        single_runs.push_back(std::move(*r));
      } else if (names.size() == 1) {
        progress.clear();
        return tl::unexpected(std::move(r).error());
      } else {
        // `all` goes on without it (no data set here, say) and says why.
        info.unavailable.emplace_back(name, r.error().to_string());
      }
    }
    progress.clear();
  }

  // The report covers every sweep whose results lie in --out, run now or
  // before (one experiment at a time into the same folder adds up).
  for (const std::string& name : ex::experiment_names()) {
    if (name == "predictors" || is_single_run(name))
      continue;
    const bool have =
        std::any_of(results.begin(), results.end(),
                    [&](const auto& r) { return r.name == name; });
    const std::filesystem::path file = out / (name + ".json");
    if (have || !std::filesystem::exists(file, ec))
      continue;
    MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(file));
    MLCARBON_ASSIGN_OR_RETURN(ex::Results old,
                              ex::parse_results(text, file.string()));
    results.push_back(std::move(old));
  }
  std::sort(results.begin(), results.end(), [](const auto& x, const auto& y) {
    const auto& n = ex::experiment_names();
    return std::find(n.begin(), n.end(), x.name) <
           std::find(n.begin(), n.end(), y.name);
  });
  std::vector<ex::Analysis> analyses;
  for (const ex::Results& r : results) {
    if (info.context_json == "{}")
      info.context_json = r.context_json;
    if (info.engine.empty())
      info.engine = r.engine;
    // The report's scale is its results' (a folder may mix them).
    if (&r == &results.front())
      info.scale = r.scale;
    else if (info.scale != r.scale)
      info.scale = "mixed";
    analyses.push_back(analysed(ex::analyse(r), r.name));
    if (!analyses.back().figures.empty())
      MLCARBON_RETURN_IF_ERROR(ex::draw_figures(out, analyses.back()));
  }
  // transfer and reduce: run now, or saved in --out by an earlier run.
  for (const std::string& name : ex::experiment_names()) {
    if (!is_single_run(name))
      continue;
    auto it = std::find_if(single_runs.begin(), single_runs.end(),
                           [&](const auto& s) { return s.name == name; });
    std::optional<ex::Analysis> analysis;
    if (it != single_runs.end()) {
      analysis = std::move(*it);
    } else {
      MLCARBON_ASSIGN_OR_RETURN(analysis, ex::load_tradeoff(out, name));
    }
    if (!analysis)
      continue;
    MLCARBON_RETURN_IF_ERROR(ex::draw_figures(out, *analysis));
    analyses.push_back(std::move(*analysis));
  }
  if (predictors) {
    if (results.empty())
      return make_error(Errc::kInvalidArgument,
                        "experiment predictors: no sweep results in {}; run "
                        "the other experiments into it first (or 'all')",
                        out.string());
    analyses.push_back(analysed(
        ex::analyse_predictors(results, ex::Plan{}.batch), "predictors"));
    if (!analyses.back().figures.empty())
      MLCARBON_RETURN_IF_ERROR(ex::draw_figures(out, analyses.back()));
  }
  if (a.data && std::none_of(names.begin(), names.end(),
                             [](const auto& n) { return n == "transfer"; })) {
    std::fprintf(stderr,
                 "mlcarbon: warning: --data is read by the transfer "
                 "experiment only\n");
  }
  MLCARBON_RETURN_IF_ERROR(ex::write_report(out, analyses, info));
  if (!a.quiet) {
    std::string text;
    for (const ex::Analysis& an : analyses)
      text +=
          fmt::format("  {:<10} {:<14} {}\n", an.name, an.verdict, an.finding);
    for (const auto& [name, why] : info.unavailable)
      text += fmt::format("  {:<10} {:<14} {}\n", name, "not run", why);
    text += fmt::format("Report: {}\n", (out / "index.md").string());
    std::fputs(text.c_str(), stdout);
  }
  return 0;
}

}  // namespace

Action setup_experiment(CLI::App& sub) {
  auto args = std::make_shared<ExperimentArgs>();
  sub.footer(
      "Experiments: samples, epochs, size, shape, layertype, overhead, "
      "transfer, reduce, predictors, or all.\n\nExamples:\n"
      "  mlcarbon experiment all --scale quick --out /tmp/exp\n"
      "  mlcarbon experiment size --out results --resume");
  sub.add_option("name", args->name, "An experiment, or all")->required();
  sub.add_option("--scale", args->scale,
                 "quick (seconds), default (minutes) or paper (the paper's "
                 "sizes; hours on a CPU)");
  sub.add_option("--out", args->out,
                 "Report folder: results, figures, index.md, report.json "
                 "(default mlcarbon-experiments)");
  sub.add_flag("--resume", args->resume,
               "Continue an interrupted run in --out: skip the points done");
  sub.add_option("--data", args->data,
                 "A folder of MNIST-format IDX files for the transfer and "
                 "reduce experiments (default: Debian's Fashion-MNIST)");
  sub.add_option("--device", args->device, "cpu or cuda (default cpu)");
  sub.add_option("--threads", args->threads,
                 "Threads for torch and BLAS (default 1)");
  sub.add_option("--note", args->notes,
                 "A line for the top of index.md (e.g. other load on the "
                 "machine); repeatable");
  sub.add_flag("-q,--quiet", args->quiet, "Print no progress or summary");
  add_sensor_options(sub, args->sensors);
  return [args]() { return run_experiment(*args); };
}

}  // namespace mlcarbon::cli
