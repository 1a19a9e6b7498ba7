// SPDX-License-Identifier: Apache-2.0
// `mlcarbon model describe FILE|SHORTHAND`: a model's layers, shapes,
// parameters, FLOPs and memory (docs/model-files.md).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <unistd.h>

#include "mlcarbon/calibrate/scenario_inputs.h"
#include "mlcarbon/lifecycle/predict.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/report/model_report.h"
#include "mlcarbon/report/output.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct DescribeArgs {
  std::string model;
  std::int64_t batch = 1;
  std::string json;
  std::string color = "auto";
  std::string profile;  ///< --predict
};

Result<int> run_describe(const DescribeArgs& a) {
  if (a.batch < 1) {
    return make_error(Errc::kInvalidArgument,
                      "--batch: expected a positive whole number, got {}",
                      a.batch);
  }
  MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                            models::load_model(a.model));
  std::optional<report::ModelEnergyReport> energy;
  if (!a.profile.empty()) {
    auto machine = calibrate::read_profile(a.profile);
    if (!machine) {
      return tl::unexpected(
          std::move(machine).error().with_context("--predict"));
    }
    MLCARBON_ASSIGN_OR_RETURN(auto prediction,
                              lifecycle::predict(model, *machine));
    energy = report::ModelEnergyReport{a.profile, std::move(*machine),
                                       std::move(prediction)};
  }
  const report::ModelEnergyReport* e = energy ? &*energy : nullptr;
  if (!a.json.empty()) {
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(a.json, report::model_json(model, a.batch, e)));
  }
  if (a.json != "-") {
    MLCARBON_RETURN_IF_ERROR(report::write_output(
        "-", report::model_text(model, a.batch,
                                use_color(a.color, STDOUT_FILENO), e)));
  }
  return static_cast<int>(ExitCode::kSuccess);
}

}  // namespace

Action setup_model(CLI::App& sub) {
  sub.require_subcommand(1);
  CLI::App* describe = sub.add_subcommand(
      "describe",
      "Show a model's layers, shapes, parameters, FLOPs and memory");
  auto a = std::make_shared<DescribeArgs>();
  describe
      ->add_option("MODEL", a->model,
                   "Model file (YAML or JSON, see docs/model-files.md), .onnx "
                   "file, or shorthand such as mlp:depth=10,width=25,"
                   "inputs=100")
      ->required();
  describe
      ->add_option("--batch", a->batch,
                   "Batch size for the per-batch totals (default 1)")
      ->type_name("N");
  describe
      ->add_option("--json", a->json,
                   "Write the description as JSON to FILE (- = stdout)")
      ->type_name("FILE");
  describe
      ->add_option("--predict", a->profile,
                   "Add the energy each predictor of the machine profile "
                   "PROFILE (written by mlcarbon calibrate --fit) gives, "
                   "per layer and in total")
      ->type_name("PROFILE");
  add_color_option(*describe, a->color);
  return [a, describe]() -> Result<int> {
    if (describe->parsed())
      return run_describe(*a);
    return static_cast<int>(ExitCode::kUsage);
  };
}

}  // namespace mlcarbon::cli
