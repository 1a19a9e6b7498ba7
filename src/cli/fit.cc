// SPDX-License-Identifier: Apache-2.0
#include "fit.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/calibrate/architectures.h"
#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/lifecycle/predict.h"
#include "mlcarbon/measure/context_json.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/output.h"

#include "calibrations.h"

namespace mlcarbon::cli {
namespace {

// Without --budget: seconds per architecture.
constexpr double kDefaultSecondsPerModel = 5.0;
// Short runs: two pairs of windows leave each window longer than three.
constexpr int kFitRepeats = 2;

struct Measured {
  models::Model model;
  calibrate::Calibration calibration;
};

// Calibrates each model in turn with an equal share of the budget.
Result<std::vector<Measured>> measure_all(std::vector<models::Model> models,
                                          const FitArgs& a,
                                          std::string_view what) {
  ProgressLine line(ProgressLine::wanted(a.quiet));
  line.show(fmt::format("{}: loading the engine", what));
  MLCARBON_ASSIGN_OR_RETURN(engine::Engine * engine,
                            calibrate::load_engine_plugin(a.threads, a.device));
  const Seconds total = a.budget.value_or(
      Seconds(kDefaultSecondsPerModel * static_cast<double>(models.size())));
  const Seconds each = total / static_cast<double>(models.size());
  std::vector<Measured> out;
  for (std::size_t i = 0; i < models.size(); ++i) {
    const models::Model& model = models[i];
    calibrate::CalibrateOptions options{.batch = a.batch,
                                        .budget = each,
                                        .device = a.device,
                                        .threads = a.threads,
                                        .repeats = kFitRepeats};
    options.progress = [&](std::string_view stage, Seconds, Seconds) {
      line.show(fmt::format("{} {}/{}: {}: {}", what, i + 1, models.size(),
                            model.name, stage));
    };
    measure::PipelineOptions meter{.interval = calibrate::kMeterInterval,
                                   .sensors = a.sensors};
    auto c =
        calibrate::run_calibration(*engine, model, options, std::move(meter));
    if (!c) {
      return tl::unexpected(
          std::move(c).error().with_context(fmt::format("{}", model.name)));
    }
    out.push_back({model, std::move(*c)});
  }
  return out;
}

lifecycle::ArchitectureMeasurement to_measurement(const Measured& m) {
  return {
      .model = m.model,
      .inference_j_per_sample = m.calibration.energy_per_inference_j(),
      .training_j_per_sample = m.calibration.training.energy_per_sample_j.mean};
}

double error_pct(double predicted, double measured) {
  return 100.0 * std::fabs(predicted - measured) / measured;
}

}  // namespace

Result<int> run_fit(const FitArgs& a) {
  const std::string out = a.out.value_or("profile.json");
  MLCARBON_RETURN_IF_ERROR(check_output_file(out));
  MLCARBON_ASSIGN_OR_RETURN(std::vector<models::Model> models,
                            calibrate::fit_architectures());
  MLCARBON_ASSIGN_OR_RETURN(std::vector<Measured> measured,
                            measure_all(std::move(models), a, "fit"));
  std::vector<lifecycle::ArchitectureMeasurement> runs;
  for (const Measured& m : measured)
    runs.push_back(to_measurement(m));
  const calibrate::Calibration& first = measured.front().calibration;
  const lifecycle::FitOptions options{
      .batch = a.batch,
      .device = std::string(engine::to_string(a.device)),
      .engine = first.engine,
      .context_json = measure::context_to_json(first.context).dump()};
  MLCARBON_ASSIGN_OR_RETURN(const lifecycle::MachineProfile profile,
                            lifecycle::fit_profile(runs, options));
  MLCARBON_RETURN_IF_ERROR(
      report::write_output(out, lifecycle::profile_json(profile)));
  if (!a.quiet) {
    std::string text = fmt::format(
        "Machine profile from {} architectures, batch {}, {}; energy {}\n",
        measured.size(), a.batch, engine::to_string(a.device),
        to_string(first.method()));
    for (const Measured& m : measured) {
      text +=
          fmt::format("  {:<28} I {:>10}  theta {:>5}  [{}]\n", m.model.name,
                      si(m.calibration.energy_per_inference_j(), "J"),
                      report::format_number(m.calibration.theta),
                      to_string(m.calibration.method()));
    }
    for (std::size_t p = 0; p < lifecycle::kPredictorCount; ++p) {
      const auto predictor = static_cast<lifecycle::Predictor>(p);
      text += fmt::format(
          "  fit error {:<10}  inference {:.1f}%, training {:.1f}% (MAPE on "
          "the fit set)\n",
          lifecycle::to_string(predictor), profile.fit_error[p].inference_mape,
          profile.fit_error[p].training_mape);
    }
    text += fmt::format(
        "  written to {}; check it with 'mlcarbon calibrate "
        "--evaluate {}'\n",
        out, out);
    std::fputs(text.c_str(), stdout);
  }
  return 0;
}

Result<int> run_evaluate(const FitArgs& a) {
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(*a.profile));
  MLCARBON_ASSIGN_OR_RETURN(const lifecycle::MachineProfile profile,
                            lifecycle::parse_profile(text, *a.profile));
  if (a.json && *a.json != "-")
    MLCARBON_RETURN_IF_ERROR(check_output_file(*a.json));
  FitArgs args = a;
  // The profile's coefficients are per sample at its batch size.
  args.batch = profile.batch;
  MLCARBON_ASSIGN_OR_RETURN(std::vector<models::Model> models,
                            calibrate::held_out_architectures());
  MLCARBON_ASSIGN_OR_RETURN(std::vector<Measured> measured,
                            measure_all(std::move(models), args, "evaluate"));

  nlohmann::ordered_json doc;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "predictor_evaluation";
  doc["schema_version"] = 1;
  doc["profile"] = *a.profile;
  doc["batch"] = profile.batch;
  std::array<double, lifecycle::kPredictorCount> sum_inf{};
  std::array<double, lifecycle::kPredictorCount> sum_train{};
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  std::string table = fmt::format(
      "Predictors of {} against measurement, held-out architectures, batch "
      "{}\n  {:<28} {:>10} {:>20} {:>20} {:>20}\n",
      *a.profile, profile.batch, "architecture", "measured I", "parameters",
      "flops", "per-layer");
  for (const Measured& m : measured) {
    MLCARBON_ASSIGN_OR_RETURN(const lifecycle::ModelPrediction prediction,
                              lifecycle::predict(m.model, profile));
    const double inf = m.calibration.energy_per_inference_j();
    const double train = m.calibration.training.energy_per_sample_j.mean;
    nlohmann::ordered_json row;
    row["architecture"] = m.model.name;
    row["measured"] = {{"inference_j_per_sample", inf},
                       {"training_j_per_sample", train},
                       {"method", to_string(m.calibration.method())}};
    table += fmt::format("  {:<28} {:>10}", m.model.name, si(inf, "J"));
    for (std::size_t p = 0; p < lifecycle::kPredictorCount; ++p) {
      const lifecycle::Prediction& pr = prediction.predictions[p];
      const double e_inf = error_pct(pr.inference_j_per_sample, inf);
      const double e_train = error_pct(pr.training_j_per_sample, train);
      sum_inf[p] += e_inf;
      sum_train[p] += e_train;
      row[std::string(lifecycle::to_string(pr.predictor))] = {
          {"inference_j_per_sample", pr.inference_j_per_sample},
          {"training_j_per_sample", pr.training_j_per_sample},
          {"inference_error_pct", e_inf},
          {"training_error_pct", e_train},
          {"method", "estimated"}};
      table += fmt::format(" {:>10} ({:>5.1f}%)",
                           si(pr.inference_j_per_sample, "J"), e_inf);
    }
    table += '\n';
    rows.push_back(std::move(row));
  }
  doc["architectures"] = std::move(rows);
  nlohmann::ordered_json mape;
  const auto n = static_cast<double>(measured.size());
  for (std::size_t p = 0; p < lifecycle::kPredictorCount; ++p) {
    const auto predictor = static_cast<lifecycle::Predictor>(p);
    mape[std::string(lifecycle::to_string(predictor))] = {
        {"inference_mape_pct", sum_inf[p] / n},
        {"training_mape_pct", sum_train[p] / n}};
    table += fmt::format("  MAPE {:<10}  inference {:.1f}%, training {:.1f}%\n",
                         lifecycle::to_string(predictor), sum_inf[p] / n,
                         sum_train[p] / n);
  }
  doc["mape"] = std::move(mape);
  doc["measured_with"] = to_string(measured.front().calibration.method());
  doc["context"] =
      measure::context_to_json(measured.front().calibration.context);
  if (a.json) {
    MLCARBON_RETURN_IF_ERROR(report::write_output(
        *a.json, doc.dump(2, ' ', false,
                          nlohmann::ordered_json::error_handler_t::replace) +
                     "\n"));
  }
  if (!a.quiet) {
    std::fputs(table.c_str(), a.json && *a.json == "-" ? stderr : stdout);
  }
  return 0;
}

}  // namespace mlcarbon::cli
