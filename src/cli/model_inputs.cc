// SPDX-License-Identifier: Apache-2.0
#include "model_inputs.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/log.h"

namespace mlcarbon::cli {
namespace {

std::string at(const lifecycle::ModelRequest& r, lifecycle::SourcePos pos) {
  return fmt::format("{}:{}:{}", r.origin, pos.line, pos.column);
}

std::filesystem::path under(const std::filesystem::path& folder,
                            std::string_view path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : folder / p;
}

Result<lifecycle::ModelEnergy> resolve_predict(
    const lifecycle::ModelRequest& r, const std::filesystem::path& folder) {
  auto model = load_model_from(r.model, folder);
  if (!model) {
    return tl::unexpected(
        Error(model.error().code() == Errc::kNotFound ? Errc::kInvalidArgument
                                                      : model.error().code(),
              fmt::format("{}: {}.model: {}", at(r, r.model_pos), r.where,
                          model.error().message()))
            .with_remedy(model.error().remedy()));
  }
  auto profile = read_profile(under(folder, r.profile));
  if (!profile) {
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("{}: profile: {}", at(r, r.profile_pos),
                          profile.error().message()))
            .with_remedy("write one with 'mlcarbon calibrate --fit'; a "
                         "relative path is read from the scenario's folder"));
  }
  auto p = lifecycle::predict(*model, *profile);
  if (!p) {
    return make_error(Errc::kInvalidArgument, "{}: {}.{}: {}", at(r, r.way_pos),
                      r.where, r.field, p.error().message());
  }
  const lifecycle::Prediction& layer = p->get(lifecycle::Predictor::kPerLayer);
  lifecycle::ModelEnergy e;
  e.inference_j_per_sample =
      lifecycle::Range::exact(layer.inference_j_per_sample);
  e.overhead = lifecycle::Range::exact(layer.overhead);
  e.source =
      fmt::format("predicted per-layer for {} from {}, fit MAPE {:.1f} %",
                  model->name, r.profile, layer.fit_error.inference_mape);
  for (const auto& w : p->warnings) {
    e.warnings.push_back(w);
    log_warning("{}: {}.model: {}", at(r, r.model_pos), r.where, w);
  }
  return e;
}

}  // namespace

Result<models::Model> load_model_from(std::string_view shorthand_or_path,
                                      const std::filesystem::path& folder) {
  if (models::is_shorthand(shorthand_or_path))
    return models::load_model(shorthand_or_path);
  return models::load_model(under(folder, shorthand_or_path).string());
}

Result<lifecycle::MachineProfile> read_profile(
    const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return lifecycle::parse_profile(text, path.string());
}

lifecycle::ModelResolver model_resolver(std::filesystem::path folder) {
  return
      [folder = std::move(folder)](
          const lifecycle::ModelRequest& r) -> Result<lifecycle::ModelEnergy> {
        if (r.way == lifecycle::ModelWay::kPredict)
          return resolve_predict(r, folder);
        return resolve_calibration(r, folder);
      };
}

}  // namespace mlcarbon::cli
