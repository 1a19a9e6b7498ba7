// SPDX-License-Identifier: Apache-2.0
// The experiments' analyses (fits beside the paper's claims), their gnuplot
// figures and the report folder.
#include "mlcarbon/experiments/report.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <map>
#include <utility>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/experiments/fit.h"
#include "mlcarbon/lifecycle/predict.h"

extern char** environ;

namespace mlcarbon::experiments {
namespace {

using Json = nlohmann::ordered_json;

// Verdict thresholds (docs/experiments.md): a line "holds" with R² of at
// least 0.95, "partly" from 0.8; "far more" is at least twice as much.
constexpr double kLinearHolds = 0.95;
constexpr double kLinearPartly = 0.8;
constexpr double kFarMore = 2.0;
// The paper's overhead asymptote, and the band around it that counts as
// agreeing.
constexpr double kPaperOverhead = 0.80;
constexpr double kOverheadBand = 0.10;

std::string num(double v) {
  return fmt::format("{:.9g}", v);
}

// "1.23 kJ"-style numbers for prose.
std::string joules(double j) {
  const double a = std::fabs(j);
  if (a >= 1e3)
    return fmt::format("{:.3g} kJ", j / 1e3);
  if (a >= 1.0 || a == 0.0)
    return fmt::format("{:.3g} J", j);
  if (a >= 1e-3)
    return fmt::format("{:.3g} mJ", j * 1e3);
  return fmt::format("{:.3g} µJ", j * 1e6);
}

Json fit_json(const LinearFit& f, std::string_view slope_name,
              std::string_view intercept_name) {
  return {{std::string(slope_name), f.slope},
          {std::string(intercept_name), f.intercept},
          {"r2", f.r2},
          {"n", f.n}};
}

std::string linear_verdict(double r2) {
  if (r2 >= kLinearHolds)
    return "holds";
  if (r2 >= kLinearPartly)
    return "partly holds";
  return "does not hold";
}

std::string method_of(const Results& r) {
  for (const PointResult& p : r.points) {
    if (p.method != "measured")
      return "estimated";
  }
  return r.points.empty() ? "estimated" : "measured";
}

// Series in the order their first point appears.
std::vector<std::pair<std::string, std::vector<const PointResult*>>> by_series(
    const Results& r) {
  std::vector<std::pair<std::string, std::vector<const PointResult*>>> out;
  for (const PointResult& p : r.points) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& s) {
      return s.first == p.point.series;
    });
    if (it == out.end()) {
      out.push_back({p.point.series, {}});
      it = std::prev(out.end());
    }
    it->second.push_back(&p);
  }
  return out;
}

Json points_json(const Results& r) {
  Json out = Json::array();
  for (const PointResult& p : r.points) {
    out.push_back({{"key", p.point.key},
                   {"series", p.point.series},
                   {"model", p.point.model},
                   {"depth", p.point.depth},
                   {"width", p.point.width},
                   {"samples", p.point.samples},
                   {"epochs", p.point.epochs},
                   {"parameters", p.parameters},
                   {"training_flops_per_sample", p.training_flops},
                   {"training_energy_j", p.training_j},
                   {"inference_energy_j", p.inference_j},
                   {"training_seconds", p.training_s},
                   {"inference_seconds", p.inference_s},
                   {"overhead", p.overhead()},
                   {"method", p.method}});
  }
  return out;
}

std::string points_table(const Results& r) {
  std::string t =
      "| series | model | parameters | samples × epochs | training energy | "
      "inference energy | overhead | training s |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const PointResult& p : r.points) {
    t += fmt::format(
        "| {} | `{}` | {} | {} × {} | {} | {} | {:.1f} % | {:.2f} "
        "|\n",
        p.point.series, p.point.model, p.parameters, p.point.samples,
        p.point.epochs, joules(p.training_j), joules(p.inference_j),
        100.0 * p.overhead(), p.training_s);
  }
  return t;
}

std::string energy_label(const std::string& method) {
  return fmt::format("training energy (J, {})", method);
}

// The paper gives a trend without numbers: E proportional to x, drawn
// through our largest point so the shapes can be compared.
std::pair<std::string, std::string> proportional_curve(
    std::size_t id, const std::vector<const PointResult*>& points,
    double (*x_of)(const PointResult&), std::string_view title) {
  const PointResult* last = points.front();
  for (const PointResult* p : points) {
    if (x_of(*p) > x_of(*last))
      last = p;
  }
  const double k = last->training_j / x_of(*last);
  return {
      fmt::format("paper{}(x) = {}*x", id, num(k)),
      fmt::format("paper{}(x) title '{}' dashtype 3 linewidth 1.5", id, title)};
}

std::pair<std::string, std::string> line_curve(std::size_t id,
                                               const LinearFit& f,
                                               std::string_view title) {
  return {
      fmt::format("fit{}(x) = {}*x + {}", id, num(f.slope), num(f.intercept)),
      fmt::format("fit{}(x) title '{}' dashtype 2", id, title)};
}

double x_samples(const PointResult& p) {
  return static_cast<double>(p.point.samples);
}
double x_epochs(const PointResult& p) {
  return static_cast<double>(p.point.epochs);
}
double x_parameters(const PointResult& p) {
  return static_cast<double>(p.parameters);
}

Series series_of(const std::string& title,
                 const std::vector<const PointResult*>& points,
                 double (*x_of)(const PointResult&),
                 double (*y_of)(const PointResult&),
                 std::string style = "points pointsize 1.2") {
  Series s{.title = title, .style = std::move(style)};
  for (const PointResult* p : points)
    s.xy.emplace_back(x_of(*p), y_of(*p));
  std::sort(s.xy.begin(), s.xy.end());
  return s;
}

double y_training(const PointResult& p) {
  return p.training_j;
}
double y_overhead_pct(const PointResult& p) {
  return 100.0 * p.overhead();
}

// samples, epochs, size: straight lines per series (size: over all too).
Result<Analysis> analyse_linear(const Results& r, Analysis a) {
  const bool by_samples = r.name == "samples";
  const bool by_epochs = r.name == "epochs";
  double (*x_of)(const PointResult&) =
      by_samples ? x_samples : (by_epochs ? x_epochs : x_parameters);
  const std::string x_name =
      by_samples ? "samples" : (by_epochs ? "epochs" : "parameters");
  const std::string slope_name = by_samples  ? "slope_j_per_sample"
                                 : by_epochs ? "slope_j_per_epoch"
                                             : "slope_j_per_parameter";
  Figure fig{.name = r.name,
             .title = by_samples  ? "Training energy against training-set size"
                      : by_epochs ? "Training energy against epochs"
                                  : "Training energy against model size",
             .xlabel = by_samples  ? "training samples"
                       : by_epochs ? "epochs"
                                   : "trainable parameters",
             .ylabel = energy_label(a.method)};
  Json fits = Json::object();
  double worst_r2 = 1.0;
  std::string finding;
  std::size_t id = 0;
  const auto series = by_series(r);
  for (const auto& [title, points] : series) {
    std::vector<double> x;
    std::vector<double> y;
    for (const PointResult* p : points) {
      x.push_back(x_of(*p));
      y.push_back(p->training_j);
    }
    fig.series.push_back(series_of(title, points, x_of, y_training));
    auto fit = fit_linear(x, y);
    if (!fit)
      continue;
    fits[title] = fit_json(*fit, slope_name, "intercept_j");
    if (r.name != "size") {
      worst_r2 = std::min(worst_r2, fit->r2);
      finding += fmt::format(
          "{}{}: {} per {} + {}, R² = {:.3f}", finding.empty() ? "" : "; ",
          title, joules(fit->slope), by_samples ? "sample" : "epoch",
          joules(fit->intercept), fit->r2);
    }
    fig.curves.push_back(line_curve(id, *fit, fmt::format("fit, {}", title)));
    fig.curves.push_back(proportional_curve(
        id, points, x_of, fmt::format("paper: proportional, {}", title)));
    ++id;
  }
  if (r.name == "size") {
    std::vector<double> x;
    std::vector<double> y;
    for (const PointResult& p : r.points) {
      x.push_back(x_parameters(p));
      y.push_back(p.training_j);
    }
    MLCARBON_ASSIGN_OR_RETURN(const LinearFit all, fit_linear(x, y));
    fits["all"] = fit_json(all, slope_name, "intercept_j");
    worst_r2 = all.r2;
    // FLOPs are what the work is; parameters are the paper's axis.
    std::vector<double> flops;
    for (const PointResult& p : r.points)
      flops.push_back(p.training_flops *
                      static_cast<double>(p.trained_samples));
    MLCARBON_ASSIGN_OR_RETURN(const LinearFit by_flops, fit_linear(flops, y));
    fits["all_by_training_flops"] =
        fit_json(by_flops, "slope_j_per_flop", "intercept_j");
    finding = fmt::format(
        "Over all {} models, training energy against parameters: {} per "
        "million parameters + {}, R² = {:.3f} (against training FLOPs: R² = "
        "{:.3f})",
        all.n, joules(all.slope * 1e6), joules(all.intercept), all.r2,
        by_flops.r2);
    fig.curves.clear();
    fig.curves.push_back(line_curve(0, all, "fit, all models"));
    std::vector<const PointResult*> every;
    for (const PointResult& p : r.points)
      every.push_back(&p);
    fig.curves.push_back(
        proportional_curve(0, every, x_parameters, "paper: almost linear"));
  }
  if (fits.empty())
    return make_error(Errc::kInvalidArgument,
                      "experiment {}: too few points to fit a line", r.name);
  fig.extra = "set key below";
  a.verdict = linear_verdict(worst_r2);
  a.finding = finding + ".";
  a.fits_json = fits.dump();
  a.figures.push_back(std::move(fig));
  return a;
}

// shape, layertype: pairs of equal parameter counts.
Result<Analysis> analyse_pairs(const Results& r, Analysis a) {
  const bool shape = r.name == "shape";
  const std::string costly = shape ? "deep" : "conv";
  std::map<int, std::pair<const PointResult*, const PointResult*>> pairs;
  for (const PointResult& p : r.points) {
    const bool is_costly = p.point.key.starts_with(costly);
    auto& slot = pairs[p.point.pair];
    (is_costly ? slot.first : slot.second) = &p;
  }
  Json rows = Json::array();
  std::vector<double> ratios;
  for (const auto& [pair, ps] : pairs) {
    // A loop shorter than the sensors' resolution may read as 0 J.
    if (!ps.first || !ps.second || !(ps.second->training_j > 0.0) ||
        !(ps.first->training_j > 0.0))
      continue;
    const double ratio = ps.first->training_j / ps.second->training_j;
    ratios.push_back(ratio);
    rows.push_back(
        {{"pair", pair},
         {shape ? "deep_parameters" : "conv_parameters", ps.first->parameters},
         {shape ? "wide_parameters" : "dense_parameters",
          ps.second->parameters},
         {shape ? "deep_energy_j" : "conv_energy_j", ps.first->training_j},
         {shape ? "wide_energy_j" : "dense_energy_j", ps.second->training_j},
         {"ratio", ratio}});
  }
  if (ratios.empty())
    return make_error(Errc::kInvalidArgument,
                      "experiment {}: no complete pair of points", r.name);
  double mean = 0.0;
  for (const double v : ratios)
    mean += v;
  mean /= static_cast<double>(ratios.size());
  const auto [lo, hi] = std::minmax_element(ratios.begin(), ratios.end());
  Json fits = {{"pairs", rows},
               {"mean_ratio", mean},
               {"min_ratio", *lo},
               {"max_ratio", *hi}};
  const std::string what = shape ? "deep ÷ wide" : "convolutional ÷ dense";
  a.verdict = *lo >= kFarMore ? "holds"
              : mean > 1.2    ? "partly holds"
                              : "does not hold";
  a.finding = fmt::format(
      "Training energy {} at equal parameter counts: {:.2f}× on average "
      "({:.2f}× to {:.2f}×, {} pairs).",
      what, mean, *lo, *hi, ratios.size());
  a.fits_json = fits.dump();
  Figure fig{.name = r.name,
             .title = shape ? "Deep against wide networks of equal size"
                            : "Convolutional against dense networks of equal "
                              "size",
             .xlabel = "trainable parameters",
             .ylabel = energy_label(a.method),
             .extra = "set key below"};
  for (const auto& [title, points] : by_series(r)) {
    fig.series.push_back(series_of(title, points, x_parameters, y_training,
                                   "linespoints pointsize 1.2"));
  }
  a.figures.push_back(std::move(fig));
  return a;
}

Result<Analysis> analyse_overhead(const Results& r, Analysis a) {
  Json fits = Json::object();
  Figure fig{
      .name = r.name,
      .title = "Training overhead: (training − inference) ÷ training",
      .xlabel = "trainable parameters (log scale)",
      .ylabel = fmt::format("overhead (% of training energy, {})", a.method),
      .logx = true,
      .extra = "set yrange [0:100]\nset key below"};
  std::size_t id = 0;
  std::string finding;
  std::vector<double> all_x;
  std::vector<double> all_y;
  for (const auto& [title, points] : by_series(r)) {
    std::vector<double> x;
    std::vector<double> y;
    std::vector<const PointResult*> read;
    for (const PointResult* p : points) {
      // A loop shorter than the sensors' resolution may read as 0 J.
      if (!(p->inference_j > 0.0) || !(p->training_j > 0.0))
        continue;
      read.push_back(p);
      x.push_back(x_parameters(*p));
      y.push_back(p->overhead());
    }
    all_x.insert(all_x.end(), x.begin(), x.end());
    all_y.insert(all_y.end(), y.begin(), y.end());
    fig.series.push_back(series_of(title, read, x_parameters, y_overhead_pct));
    auto fit = fit_asymptote(x, y);
    if (!fit)
      continue;
    fits[title] = {{"asymptote", fit->asymptote},
                   {"coefficient", fit->coefficient},
                   {"r2", fit->r2},
                   {"n", fit->n},
                   {"theta", theta_of_overhead(fit->asymptote)}};
    finding +=
        fmt::format("{}{}: asymptote {:.1f} % (θ ≈ {:.2f}, R² = {:.2f})",
                    finding.empty() ? "" : "; ", title, 100.0 * fit->asymptote,
                    theta_of_overhead(fit->asymptote), fit->r2);
    fig.curves.push_back(
        {fmt::format("fit{}(x) = 100*({} - {}/x)", id, num(fit->asymptote),
                     num(fit->coefficient)),
         fmt::format("fit{}(x) title 'fit a − b/x, {}' dashtype 2", id,
                     title)});
    ++id;
  }
  MLCARBON_ASSIGN_OR_RETURN(const AsymptoteFit all,
                            fit_asymptote(all_x, all_y));
  const double theta = theta_of_overhead(all.asymptote);
  double mean = 0.0;
  for (const double v : all_y)
    mean += v;
  mean /= static_cast<double>(all_y.size());
  fits["all"] = {{"asymptote", all.asymptote},
                 {"coefficient", all.coefficient},
                 {"r2", all.r2},
                 {"n", all.n},
                 {"theta", theta}};
  fits["mean_overhead"] = mean;
  fits["paper_asymptote"] = kPaperOverhead;
  fits["paper_theta"] = theta_of_overhead(kPaperOverhead);
  fig.curves.push_back({"paper(x) = 80",
                        "paper(x) title 'paper: about 80 % (θ ≈ 5)' dashtype "
                        "3 linewidth 1.5"});
  const double off = std::fabs(all.asymptote - kPaperOverhead);
  a.verdict = off <= kOverheadBand       ? "holds"
              : off <= 2 * kOverheadBand ? "partly holds"
                                         : "does not hold";
  a.finding = fmt::format(
      "Fitted asymptote over all {} runs: {:.1f} % (θ ≈ {:.2f}; the paper: "
      "about 80 %, θ ≈ 5); mean overhead {:.1f} %. Per training-set size: {}.",
      all.n, 100.0 * all.asymptote, theta, 100.0 * mean, finding);
  a.fits_json = fits.dump();
  a.figures.push_back(std::move(fig));
  return a;
}

// One model's measured energy per sample, averaged over its runs.
struct ModelRun {
  std::string spec;
  std::string experiment;
  double inference_j = 0.0;  // per sample
  double training_j = 0.0;   // per sample
  int runs = 0;
};

std::vector<ModelRun> model_runs(std::span<const Results> sweeps) {
  std::vector<ModelRun> out;
  for (const Results& r : sweeps) {
    for (const PointResult& p : r.points) {
      if (p.inferred_samples < 1 || p.trained_samples < 1 ||
          !(p.inference_j > 0.0) || !(p.training_j > 0.0))
        continue;
      auto it = std::find_if(out.begin(), out.end(), [&](const ModelRun& m) {
        return m.spec == p.point.model && m.experiment == r.name;
      });
      if (it == out.end()) {
        out.push_back({.spec = p.point.model, .experiment = r.name});
        it = std::prev(out.end());
      }
      it->inference_j +=
          p.inference_j / static_cast<double>(p.inferred_samples);
      it->training_j += p.training_j / static_cast<double>(p.trained_samples);
      ++it->runs;
    }
  }
  for (ModelRun& m : out) {
    m.inference_j /= m.runs;
    m.training_j /= m.runs;
  }
  return out;
}

}  // namespace

std::string gnuplot_script(const Figure& f) {
  std::string plot;
  for (std::size_t i = 0; i < f.series.size(); ++i) {
    plot += fmt::format("{}'{}.dat' index {} using 1:2 with {} title '{}'",
                        plot.empty() ? "" : ", \\\n     ", f.name, i,
                        f.series[i].style, f.series[i].title);
  }
  std::string defs;
  for (const auto& [definition, clause] : f.curves) {
    defs += definition + "\n";
    plot += fmt::format("{}{}", plot.empty() ? "" : ", \\\n     ", clause);
  }
  return fmt::format(
      "# Drawn by `mlcarbon experiment`; edit and rerun `gnuplot {0}.gp` in "
      "this folder.\n"
      "set title \"{1}\"\n"
      "set xlabel \"{2}\"\n"
      "set ylabel \"{3}\"\n"
      "set grid\n"
      "set samples 120\n"
      "{4}{5}{6}\n"
      "{7}"
      "set terminal svg size 720,460 dynamic enhanced font 'sans,11' "
      "background rgb 'white'\n"
      "set output '{0}.svg'\n"
      "plot {8}\n"
      "set terminal pngcairo size 720,460 font 'sans,9' background rgb "
      "'white'\n"
      "set output '{0}.png'\n"
      "replot\n"
      "set output\n",
      f.name, f.title, f.xlabel, f.ylabel, f.logx ? "set logscale x\n" : "",
      f.logy ? "set logscale y\n" : "", f.extra, defs, plot);
}

std::string gnuplot_data(const Figure& f) {
  std::string out;
  for (const Series& s : f.series) {
    out += fmt::format("# {}\n", s.title);
    for (const auto& [x, y] : s.xy)
      out += fmt::format("{} {}\n", num(x), num(y));
    out += "\n\n";
  }
  return out;
}

Result<Analysis> analyse(const Results& r) {
  Analysis a{.name = r.name,
             .claim = claim_of(r.name),
             .points_json = points_json(r).dump(),
             .table_md = points_table(r),
             .method = method_of(r)};
  if (r.points.size() < 2)
    return make_error(Errc::kInvalidArgument,
                      "experiment {}: {} point(s), at least 2 are needed",
                      r.name, r.points.size());
  if (r.name == "samples" || r.name == "epochs" || r.name == "size")
    return analyse_linear(r, std::move(a));
  if (r.name == "shape" || r.name == "layertype")
    return analyse_pairs(r, std::move(a));
  if (r.name == "overhead")
    return analyse_overhead(r, std::move(a));
  return make_error(Errc::kInvalidArgument, "experiment {}: no analysis for it",
                    r.name);
}

Result<Analysis> analyse_predictors(std::span<const Results> sweeps,
                                    std::int64_t batch) {
  Analysis a{.name = "predictors", .claim = claim_of("predictors")};
  const std::vector<ModelRun> runs = model_runs(sweeps);
  std::vector<std::string> experiments;
  for (const Results& r : sweeps) {
    if (!r.points.empty())
      experiments.push_back(r.name);
    if (method_of(r) == "estimated")
      a.method = "estimated";
  }
  a.method = "estimated";
  bool all_measured = !sweeps.empty();
  for (const Results& r : sweeps)
    all_measured = all_measured && method_of(r) == "measured";
  if (all_measured)
    a.method = "measured";

  constexpr std::size_t kP = lifecycle::kPredictorCount;
  // Per predictor: predicted and measured per-sample energies, pooled.
  std::array<std::vector<double>, kP> pred_train;
  std::array<std::vector<double>, kP> pred_inf;
  std::vector<double> meas_train;
  std::vector<double> meas_inf;
  Json per_experiment = Json::object();
  Json points = Json::array();
  std::string table =
      "| experiment | models | fitted on | parameters MAPE (training / "
      "inference) | FLOPs MAPE | per-layer MAPE |\n|---|---|---|---|---|---|\n";
  std::array<Series, kP> scatter;
  for (std::size_t p = 0; p < kP; ++p) {
    scatter[p].title =
        std::string(lifecycle::to_string(static_cast<lifecycle::Predictor>(p)));
    scatter[p].style = "points pointsize 1.2";
  }
  for (const std::string& held : experiments) {
    // One measurement per model among the other experiments.
    std::vector<lifecycle::ArchitectureMeasurement> fit_set;
    std::map<std::string, std::pair<ModelRun, int>> others;
    for (const ModelRun& m : runs) {
      if (m.experiment == held)
        continue;
      auto& [sum, n] = others[m.spec];
      sum.inference_j += m.inference_j;
      sum.training_j += m.training_j;
      ++n;
    }
    for (const auto& [spec, entry] : others) {
      MLCARBON_ASSIGN_OR_RETURN(models::Model model, build_model(spec));
      fit_set.push_back(
          {.model = std::move(model),
           .inference_j_per_sample = entry.first.inference_j / entry.second,
           .training_j_per_sample = entry.first.training_j / entry.second});
    }
    if (fit_set.size() < lifecycle::kMinFitArchitectures)
      continue;
    MLCARBON_ASSIGN_OR_RETURN(
        const lifecycle::MachineProfile profile,
        lifecycle::fit_profile(fit_set, {.batch = batch}));
    std::array<std::vector<double>, kP> e_train;
    std::array<std::vector<double>, kP> e_inf;
    std::vector<double> m_train;
    std::vector<double> m_inf;
    for (const ModelRun& m : runs) {
      if (m.experiment != held)
        continue;
      MLCARBON_ASSIGN_OR_RETURN(const models::Model model, build_model(m.spec));
      MLCARBON_ASSIGN_OR_RETURN(const lifecycle::ModelPrediction prediction,
                                lifecycle::predict(model, profile));
      Json row = {{"experiment", held},
                  {"model", m.spec},
                  {"parameters", model.parameters()},
                  {"measured_training_j_per_sample", m.training_j},
                  {"measured_inference_j_per_sample", m.inference_j}};
      for (std::size_t p = 0; p < kP; ++p) {
        const lifecycle::Prediction& pr = prediction.predictions[p];
        e_train[p].push_back(pr.training_j_per_sample);
        e_inf[p].push_back(pr.inference_j_per_sample);
        pred_train[p].push_back(pr.training_j_per_sample);
        pred_inf[p].push_back(pr.inference_j_per_sample);
        scatter[p].xy.emplace_back(m.training_j, pr.training_j_per_sample);
        row[std::string(lifecycle::to_string(pr.predictor))] = {
            {"training_j_per_sample", pr.training_j_per_sample},
            {"inference_j_per_sample", pr.inference_j_per_sample}};
      }
      m_train.push_back(m.training_j);
      m_inf.push_back(m.inference_j);
      meas_train.push_back(m.training_j);
      meas_inf.push_back(m.inference_j);
      points.push_back(std::move(row));
    }
    if (m_train.empty())
      continue;
    Json per = {{"models", m_train.size()}, {"fit_models", fit_set.size()}};
    table +=
        fmt::format("| {} | {} | {} |", held, m_train.size(), fit_set.size());
    for (std::size_t p = 0; p < kP; ++p) {
      MLCARBON_ASSIGN_OR_RETURN(const double t, mape(e_train[p], m_train));
      MLCARBON_ASSIGN_OR_RETURN(const double i, mape(e_inf[p], m_inf));
      per[std::string(lifecycle::to_string(static_cast<lifecycle::Predictor>(
          p)))] = {{"training_mape_pct", t}, {"inference_mape_pct", i}};
      table += fmt::format(" {:.1f} % / {:.1f} % |", t, i);
    }
    table += "\n";
    per_experiment[held] = std::move(per);
  }
  if (meas_train.empty())
    return make_error(Errc::kInvalidArgument,
                      "predictors: need the runs of at least two other "
                      "experiments, with {} different models outside each",
                      lifecycle::kMinFitArchitectures);
  Json overall = Json::object();
  std::array<double, kP> train_mape{};
  std::string finding =
      "Leave-one-experiment-out MAPE of training energy "
      "per sample (inference in brackets): ";
  for (std::size_t p = 0; p < kP; ++p) {
    MLCARBON_ASSIGN_OR_RETURN(train_mape[p], mape(pred_train[p], meas_train));
    MLCARBON_ASSIGN_OR_RETURN(const double i, mape(pred_inf[p], meas_inf));
    const std::string name(
        lifecycle::to_string(static_cast<lifecycle::Predictor>(p)));
    overall[name] = {{"training_mape_pct", train_mape[p]},
                     {"inference_mape_pct", i}};
    finding += fmt::format("{}{} {:.1f} % ({:.1f} %)", p ? ", " : "", name,
                           train_mape[p], i);
  }
  const double params = train_mape[0];
  const double best_other = std::min(train_mape[1], train_mape[2]);
  a.verdict = params > 1.5 * best_other ? "holds"
              : params > best_other     ? "partly holds"
                                        : "does not hold";
  a.finding = finding + ".";
  a.fits_json =
      Json{{"overall", overall}, {"per_experiment", per_experiment}}.dump();
  a.points_json = points.dump();
  a.table_md = table;
  Figure fig{.name = "predictors",
             .title = "Predicted against measured training energy per sample",
             .xlabel = fmt::format("measured training energy per sample (J, "
                                   "{})",
                                   a.method),
             .ylabel = "predicted training energy per sample (J)",
             .logx = true,
             .logy = true,
             .extra = "set key left top"};
  for (Series& s : scatter)
    fig.series.push_back(std::move(s));
  fig.curves.push_back({"same(x) = x",
                        "same(x) title 'predicted = measured' "
                        "dashtype 2 linecolor 'black'"});
  a.figures.push_back(std::move(fig));
  return a;
}

Status draw_figures(const std::filesystem::path& dir, Analysis& a) {
  for (const Figure& f : a.figures) {
    MLCARBON_RETURN_IF_ERROR(
        write_file_atomic(dir / (f.name + ".gp"), gnuplot_script(f)));
    MLCARBON_RETURN_IF_ERROR(
        write_file_atomic(dir / (f.name + ".dat"), gnuplot_data(f)));
  }
  for (const Figure& f : a.figures) {
    // gnuplot runs in the folder so that the script's names are relative.
    std::string quoted = dir.string();
    for (std::size_t at = 0; (at = quoted.find('\'', at)) != std::string::npos;
         at += 2)
      quoted.insert(at, "'");
    const std::string cd = fmt::format("cd '{}'", quoted);
    const std::string script = f.name + ".gp";
    const std::filesystem::path log = dir / (f.name + ".gnuplot.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<std::string> args = {"gnuplot", "-e", cd, script};
    std::vector<char*> argv;
    for (std::string& s : args)
      argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc =
        posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      std::error_code ec;
      std::filesystem::remove(log, ec);
      return tl::unexpected(
          Error(Errc::kUnavailable,
                fmt::format("cannot run gnuplot for {}: {}; the scripts are "
                            "in {}",
                            script, std::strerror(rc), dir.string()))
              .with_remedy("apt-get install gnuplot-nox, then rerun with "
                           "--resume (or run the .gp scripts there)"));
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    auto text = read_file(log);
    std::error_code ec;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
      return make_error(Errc::kBackend, "gnuplot failed on {}: {}",
                        (dir / script).string(),
                        text ? *text : std::string("(no output)"));
    }
    std::filesystem::remove(log, ec);
    for (const char* ext : {".svg", ".png"}) {
      const std::string file = f.name + ext;
      if (!std::filesystem::exists(dir / file, ec))
        return make_error(Errc::kBackend, "gnuplot did not write {}",
                          (dir / file).string());
      a.files.push_back(file);
    }
  }
  return {};
}

Status write_report(const std::filesystem::path& dir,
                    std::span<const Analysis> analyses,
                    const ReportInfo& info) {
  Json context = Json::parse(info.context_json, nullptr, false);
  if (!context.is_object())
    context = Json::object();
  bool measured = !analyses.empty();
  for (const Analysis& a : analyses)
    measured = measured && a.method == "measured";
  std::vector<std::string> sensors;
  if (context.contains("sensors") && context["sensors"].is_array()) {
    for (const Json& s : context["sensors"]) {
      if (s.is_object() && s.contains("name") && s["name"].is_string())
        sensors.push_back(fmt::format("{} ({})", s["name"].get<std::string>(),
                                      s.value("method", std::string("?"))));
    }
  }
  auto text_of = [&](const char* key) {
    return context.contains(key) && context[key].is_string()
               ? context[key].get<std::string>()
               : std::string("unknown");
  };
  std::string gpus = "none";
  if (context.contains("gpus") && context["gpus"].is_array() &&
      !context["gpus"].empty()) {
    gpus.clear();
    for (const Json& g : context["gpus"])
      gpus += (gpus.empty() ? "" : ", ") +
              (g.is_string() ? g.get<std::string>() : g.dump());
  }
  const std::string energy_line =
      measured ? "Energy was **measured** by hardware counters."
               : "Energy is **estimated**: this machine has no energy counter "
                 "that covered every run, so energy is modelled from CPU time "
                 "(CPU time × a power model of the CPU, plus a memory model).";
  std::string md = fmt::format(
      "# mlcarbon experiments on {}\n\n"
      "Machine: {}, {} CPUs, {:.1f} GB RAM; GPUs: {}. {}\n"
      "Sensors: {}. Engine: {}. Scale: `{}`.\n\n",
      text_of("host"), text_of("cpu_model"), context.value("cpu_count", 0),
      context.value("ram_total_gb", 0.0), gpus, energy_line,
      sensors.empty() ? std::string("none")
                      : fmt::format("{}", fmt::join(sensors, ", ")),
      info.engine.empty() ? std::string("unknown") : info.engine, info.scale);
  for (const std::string& note : info.notes)
    md += note + "\n\n";
  md +=
      "Energies are attributed to mlcarbon's process (the machine's energy "
      "times its share of the busy CPU time, plus its GPUs). Each experiment "
      "tests one claim of the paper's section 4 (Gitzel, Platenius-Mohr and "
      "Burger 2023); the table below puts what this machine shows beside "
      "it.\n\n| experiment | the paper's claim | here | finding |\n"
      "|---|---|---|---|\n";
  for (const Analysis& a : analyses) {
    md += fmt::format("| [{0}](#{0}) | {1} | **{2}** | {3} |\n", a.name,
                      a.claim, a.verdict, a.finding);
  }
  for (const auto& [name, why] : info.unavailable) {
    md +=
        fmt::format("| {} | {} | not run | {} |\n", name, claim_of(name), why);
  }
  Json experiments = Json::array();
  for (const Analysis& a : analyses) {
    md += fmt::format("\n## {}\n\n**Claim.** {}\n\n**Here ({}).** {}\n\n",
                      a.name, a.claim, a.verdict, a.finding);
    for (const std::string& file : a.files) {
      if (file.ends_with(".svg"))
        md += fmt::format("![{0}]({1})\n\n", a.name, file);
    }
    md += fmt::format(
        "Data: [{0}.csv]({0}.csv), [{0}.json]({0}.json); figure script "
        "[{0}.gp]({0}.gp).\n\n{1}\n",
        a.name, a.table_md);
    Json fits = Json::parse(a.fits_json, nullptr, false);
    Json points = Json::parse(a.points_json, nullptr, false);
    experiments.push_back(
        {{"name", a.name},
         {"claim", a.claim},
         {"verdict", a.verdict},
         {"finding", a.finding},
         {"method", a.method},
         {"points", points.is_array() ? points : Json::array()},
         {"fits", fits.is_object() ? fits : Json::object()},
         {"figures", a.files}});
  }
  Json unavailable = Json::array();
  for (const auto& [name, why] : info.unavailable)
    unavailable.push_back({{"name", name}, {"reason", why}});
  Json doc = {{"tool", "mlcarbon"},
              {"kind", "experiment-report"},
              {"schema_version", 1},
              {"scale", info.scale},
              {"engine", info.engine},
              {"method", measured ? "measured" : "estimated"},
              {"notes", info.notes},
              {"context", context},
              {"experiments", experiments},
              {"unavailable", unavailable}};
  MLCARBON_RETURN_IF_ERROR(write_file_atomic(dir / "index.md", md));
  return write_file_atomic(
      dir / "report.json",
      doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
}

}  // namespace mlcarbon::experiments
