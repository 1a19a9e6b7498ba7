// SPDX-License-Identifier: Apache-2.0
// The transfer and reduce experiments: calibrate's measured runs on real
// data, their saved analysis, and figures drawn from it.
#include <algorithm>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/experiments/report.h"
#include "mlcarbon/measure/context_json.h"

namespace mlcarbon::experiments {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kTradeoffSchemaVersion = 1;

std::string num(double v) {
  return fmt::format("{:.9g}", v);
}

std::string method_text(Method m) {
  return m == Method::kMeasured ? "measured" : "estimated";
}

Json phase_json(const calibrate::Phase& p) {
  return {{"window", p.window},
          {"energy_j", p.energy_j},
          {"machine_energy_j", p.machine_energy_j},
          {"seconds", p.seconds},
          {"samples", p.samples},
          {"method", method_text(p.method)}};
}

Json outcome_json(std::string_view role, const calibrate::ModelOutcome& o) {
  return {{"role", role},
          {"model", o.model.name},
          {"parameters", o.model.parameters},
          {"trainable_parameters", o.trainable_parameters},
          {"accuracy", o.accuracy},
          {"test_samples", o.test_samples},
          {"energy_per_inference_j", o.energy_per_inference_j},
          {"inference", phase_json(o.inference)}};
}

// JSON has no infinity: an unbounded figure is null.
Json finite_or_null(double v) {
  return std::isfinite(v) ? Json(v) : Json();
}

double number(const Json& fits, std::string_view a, std::string_view b = {}) {
  const Json* j = &fits;
  for (const std::string_view key : {a, b}) {
    if (key.empty())
      break;
    if (!j->is_object() || !j->contains(key))
      return NAN;
    j = &(*j)[std::string(key)];
  }
  return j->is_number() ? j->get<double>() : NAN;
}

// Energies of the three ways to the target task, with each one's accuracy
// in its label.
Figure transfer_figure(const Json& fits, const std::string& method) {
  Figure f{.name = "transfer",
           .title = "Transfer learning against a small dedicated model",
           .xlabel = "way to a classifier of the target classes",
           .ylabel = fmt::format("training energy (J, {})", method)};
  const double t = number(fits, "transfer_j");
  const double tp = number(fits, "transfer_with_pretraining_j");
  const double d = number(fits, "dedicated_j");
  const double acc_t = 100.0 * number(fits, "accuracy", "transferred");
  const double acc_d = 100.0 * number(fits, "accuracy", "small");
  f.series.push_back({.title = "training energy",
                      .xy = {{0, t}, {1, tp}, {2, d}},
                      .style = "boxes fill solid 0.5"});
  f.extra = fmt::format(
      "set boxwidth 0.6\nset xrange [-0.6:2.6]\nset yrange [0:*]\n"
      // Tic labels are printf formats to gnuplot: %% is a percent sign.
      "set key off\nset xtics (\"fine-tuning only\\n{:.1f} %% accurate\" 0, "
      "\"with pre-training\\n{:.1f} %% accurate\" 1, \"small dedicated\\n"
      "{:.1f} %% accurate\" 2)",
      acc_t, acc_t, acc_d);
  return f;
}

// Cumulative energy of serving n inferences with each model, the
// reductions starting from what they cost: where a line crosses the base
// model's, the reduction has paid back.
Figure reduce_figure(const Json& fits, const std::string& method) {
  Figure f{.name = "reduce",
           .title = "Pruning and distillation: when do they pay back?",
           .xlabel = "inference calls",
           .ylabel =
               fmt::format("energy of reduction and inference (J, {})", method),
           .extra = "set key left top"};
  const double base = number(fits, "base", "energy_per_inference_j");
  double horizon = 0.0;
  for (const char* kind : {"pruning", "distillation"})
    horizon = std::max(horizon, number(fits, kind, "payback_inferences"));
  if (!(horizon > 0.0) || !std::isfinite(horizon))
    horizon = 1e6;
  f.extra += fmt::format("\nset xrange [0:{}]", num(2.0 * horizon));
  f.curves.push_back({fmt::format("base(x) = {}*x", num(base)),
                      "base(x) title 'base model' linewidth 2"});
  for (const char* kind : {"pruning", "distillation"}) {
    const double cost = number(fits, kind, "cost_j");
    const double each = number(fits, kind, "energy_per_inference_j");
    f.curves.push_back(
        {fmt::format("{}(x) = {} + {}*x", kind, num(cost), num(each)),
         fmt::format("{0}(x) title '{0}: cost, then its inferences' dashtype "
                     "2 linewidth 2",
                     kind)});
  }
  return f;
}

Analysis transfer_analysis(const calibrate::TransferResult& r) {
  Analysis a{.name = "transfer",
             .claim = claim_of("transfer"),
             .method = method_text(r.info.method)};
  Json fits = {
      {"transfer_j", r.transfer_j},
      {"transfer_with_pretraining_j", r.transfer_with_pretraining_j},
      {"dedicated_j", r.dedicated_j},
      {"transfer_j_per_point", finite_or_null(r.transfer_j_per_point)},
      {"transfer_with_pretraining_j_per_point",
       finite_or_null(r.transfer_with_pretraining_j_per_point)},
      {"dedicated_j_per_point", finite_or_null(r.dedicated_j_per_point)},
      {"accuracy",
       {{"pretrained", r.pretrained.accuracy},
        {"transferred", r.transferred.accuracy},
        {"small", r.small.accuracy}}},
      {"accuracy_gap_points", r.accuracy_gap_points},
      {"energy_per_inference_j",
       {{"transferred", r.transferred.energy_per_inference_j},
        {"small", r.small.energy_per_inference_j}}},
      {"caveat_holds", r.caveat_holds},
      {"dedicated_cheaper_than_finetuning",
       r.dedicated_cheaper_than_finetuning}};
  Json points = Json::array();
  for (const calibrate::Phase* p : {&r.pretrain, &r.finetune, &r.dedicated})
    points.push_back(phase_json(*p));
  points.push_back(outcome_json("pretrained", r.pretrained));
  points.push_back(outcome_json("transferred", r.transferred));
  points.push_back(outcome_json("small", r.small));
  a.verdict = r.caveat_holds ? "holds" : "does not hold";
  a.finding = fmt::format(
      "On held-out {} the fine-tuned large CNN reached {:.1f} % for {:.3g} J "
      "of fine-tuning ({:.3g} J with its pre-training), the small dedicated "
      "model {:.1f} % for {:.3g} J: {:.3g} J per accuracy point against "
      "{:.3g} J ({:.3g} J with pre-training). The small model also infers "
      "at {:.3g} µJ per sample against {:.3g} µJ.",
      r.info.data_dir, 100.0 * r.transferred.accuracy, r.transfer_j,
      r.transfer_with_pretraining_j, 100.0 * r.small.accuracy, r.dedicated_j,
      r.dedicated_j_per_point, r.transfer_j_per_point,
      r.transfer_with_pretraining_j_per_point,
      1e6 * r.small.energy_per_inference_j,
      1e6 * r.transferred.energy_per_inference_j);
  a.table_md = fmt::format(
      "| way | training energy | accuracy (held out) | J per accuracy point "
      "| energy per inference |\n|---|---|---|---|---|\n"
      "| fine-tuning only | {:.3g} J | {:.1f} % | {:.3g} | {:.3g} µJ |\n"
      "| with pre-training | {:.3g} J | {:.1f} % | {:.3g} | {:.3g} µJ |\n"
      "| small dedicated | {:.3g} J | {:.1f} % | {:.3g} | {:.3g} µJ |\n",
      r.transfer_j, 100.0 * r.transferred.accuracy, r.transfer_j_per_point,
      1e6 * r.transferred.energy_per_inference_j, r.transfer_with_pretraining_j,
      100.0 * r.transferred.accuracy, r.transfer_with_pretraining_j_per_point,
      1e6 * r.transferred.energy_per_inference_j, r.dedicated_j,
      100.0 * r.small.accuracy, r.dedicated_j_per_point,
      1e6 * r.small.energy_per_inference_j);
  a.fits_json = fits.dump();
  a.points_json = points.dump();
  a.figures.push_back(transfer_figure(fits, a.method));
  return a;
}

Json reduction_json(const calibrate::Reduction& r) {
  Json phases = Json::array();
  for (const calibrate::Phase& p : r.phases)
    phases.push_back(phase_json(p));
  return {
      {"cost_j", r.cost_j},
      {"energy_per_inference_j", r.outcome.energy_per_inference_j},
      {"saving_per_inference_j", r.saving_per_inference_j},
      {"payback_inferences",
       r.payback_inferences ? finite_or_null(*r.payback_inferences) : Json()},
      {"accuracy", r.outcome.accuracy},
      {"accuracy_change_points", r.accuracy_change_points},
      {"parameters", r.outcome.model.parameters},
      {"phases", phases}};
}

std::string payback_text(const calibrate::Reduction& r) {
  return r.payback_inferences
             ? fmt::format("pays back after {:.3g} inferences",
                           *r.payback_inferences)
             : std::string("never pays back (it saves nothing per inference)");
}

Analysis reduce_analysis(const calibrate::ReduceResult& r) {
  Analysis a{.name = "reduce",
             .claim = claim_of("reduce"),
             .method = method_text(r.info.method)};
  Json fits = {{"base",
                {{"accuracy", r.base.accuracy},
                 {"energy_per_inference_j", r.base.energy_per_inference_j},
                 {"training_j", r.base_training.energy_j},
                 {"parameters", r.base.model.parameters}}},
               {"pruning", reduction_json(r.pruning)},
               {"distillation", reduction_json(r.distillation)}};
  Json points = Json::array();
  points.push_back(phase_json(r.base_training));
  points.push_back(outcome_json("base", r.base));
  points.push_back(outcome_json("pruned", r.pruning.outcome));
  points.push_back(outcome_json("distilled", r.distillation.outcome));
  const int paying = (r.pruning.payback_inferences ? 1 : 0) +
                     (r.distillation.payback_inferences ? 1 : 0);
  a.verdict = paying == 2   ? "holds"
              : paying == 1 ? "partly holds"
                            : "does not hold";
  a.finding = fmt::format(
      "Base model: {:.1f} % accurate, {:.3g} µJ per inference. Pruning cost "
      "{:.3g} J, changed accuracy by {:+.1f} points and {}; distillation "
      "cost {:.3g} J, changed accuracy by {:+.1f} points and {}.",
      100.0 * r.base.accuracy, 1e6 * r.base.energy_per_inference_j,
      r.pruning.cost_j, r.pruning.accuracy_change_points,
      payback_text(r.pruning), r.distillation.cost_j,
      r.distillation.accuracy_change_points, payback_text(r.distillation));
  a.table_md =
      "| model | parameters | accuracy | energy per inference | cost of the "
      "reduction | payback (inferences) |\n|---|---|---|---|---|---|\n";
  a.table_md += fmt::format("| base | {} | {:.1f} % | {:.3g} µJ | — | — |\n",
                            r.base.model.parameters, 100.0 * r.base.accuracy,
                            1e6 * r.base.energy_per_inference_j);
  for (const calibrate::Reduction* red : {&r.pruning, &r.distillation}) {
    a.table_md += fmt::format(
        "| {} | {} | {:.1f} % | {:.3g} µJ | {:.3g} J | {} |\n", red->kind,
        red->outcome.model.parameters, 100.0 * red->outcome.accuracy,
        1e6 * red->outcome.energy_per_inference_j, red->cost_j,
        red->payback_inferences
            ? fmt::format("{:.3g}", *red->payback_inferences)
            : std::string("never"));
  }
  a.fits_json = fits.dump();
  a.points_json = points.dump();
  a.figures.push_back(reduce_figure(fits, a.method));
  return a;
}

std::string fingerprint_of(std::string_view name, Scale scale,
                           const TradeoffOptions& o) {
  return fmt::format("{}|{}|{}|{}|{}", name, to_string(scale), o.data_dir,
                     engine::to_string(o.device), o.threads);
}

Status save(const std::filesystem::path& out, const Analysis& a,
            std::string_view fingerprint, std::string_view context_json) {
  Json doc = {{"tool", "mlcarbon"},
              {"kind", "experiment-results"},
              {"schema_version", kTradeoffSchemaVersion},
              {"name", a.name},
              {"fingerprint", fingerprint},
              {"method", a.method},
              {"verdict", a.verdict},
              {"finding", a.finding},
              {"table_md", a.table_md},
              {"fits", Json::parse(a.fits_json)},
              {"points", Json::parse(a.points_json)}};
  Json context = Json::parse(context_json, nullptr, false);
  doc["context"] = context.is_object() ? context : Json::object();
  MLCARBON_RETURN_IF_ERROR(write_file_atomic(
      out / (a.name + ".json"),
      doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"));
  // One row per phase or model: what a spreadsheet wants.
  std::string csv =
      "experiment,row,energy_j,seconds,samples,accuracy,"
      "energy_per_inference_j,method\n";
  for (const Json& p : Json::parse(a.points_json)) {
    const bool phase = p.contains("window");
    const Json& e = phase ? p : p["inference"];
    csv += fmt::format(
        "{},{},{},{},{},{},{},{}\n", a.name,
        phase ? p["window"].get<std::string>() : p["role"].get<std::string>(),
        num(e.value("energy_j", 0.0)), num(e.value("seconds", 0.0)),
        e.value("samples", std::int64_t{0}),
        phase ? std::string() : num(p.value("accuracy", 0.0)),
        phase ? std::string() : num(p.value("energy_per_inference_j", 0.0)),
        e.value("method", std::string("estimated")));
  }
  return write_file_atomic(out / (a.name + ".csv"), csv);
}

Result<Analysis> parse_saved(const std::string& text,
                             const std::filesystem::path& path,
                             std::string* fingerprint) {
  const Json doc = Json::parse(text, nullptr, false);
  auto bad = [&](std::string_view field) {
    return make_error(Errc::kInvalidArgument, "{}: {}: missing or malformed",
                      path.string(), field);
  };
  if (!doc.is_object() || doc.value("kind", "") != "experiment-results")
    return bad("kind");
  for (const char* key :
       {"name", "fingerprint", "method", "verdict", "finding", "table_md"}) {
    if (!doc.contains(key) || !doc[key].is_string())
      return bad(key);
  }
  if (!doc.contains("fits") || !doc["fits"].is_object())
    return bad("fits");
  if (!doc.contains("points") || !doc["points"].is_array())
    return bad("points");
  *fingerprint = doc["fingerprint"].get<std::string>();
  Analysis a{.name = doc["name"].get<std::string>(),
             .verdict = doc["verdict"].get<std::string>(),
             .finding = doc["finding"].get<std::string>(),
             .fits_json = doc["fits"].dump(),
             .points_json = doc["points"].dump(),
             .table_md = doc["table_md"].get<std::string>(),
             .method = doc["method"].get<std::string>()};
  a.claim = claim_of(a.name);
  a.figures.push_back(a.name == "transfer"
                          ? transfer_figure(doc["fits"], a.method)
                          : reduce_figure(doc["fits"], a.method));
  return a;
}

}  // namespace

Result<std::optional<Analysis>> load_tradeoff(const std::filesystem::path& out,
                                              std::string_view name) {
  const std::filesystem::path path = out / (std::string(name) + ".json");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return std::optional<Analysis>();
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  std::string fingerprint;
  MLCARBON_ASSIGN_OR_RETURN(Analysis a, parse_saved(text, path, &fingerprint));
  return std::optional<Analysis>(std::move(a));
}

Result<Analysis> run_tradeoff(engine::Engine& engine, std::string_view name,
                              Scale scale, const TradeoffOptions& o) {
  const std::string fingerprint = fingerprint_of(name, scale, o);
  const std::filesystem::path path = o.out / (std::string(name) + ".json");
  std::error_code ec;
  if (o.resume && std::filesystem::exists(path, ec)) {
    MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(path));
    std::string saved;
    MLCARBON_ASSIGN_OR_RETURN(Analysis a, parse_saved(text, path, &saved));
    if (saved == fingerprint)
      return a;
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("--resume: {} was made with another configuration "
                          "({} against {})",
                          path.string(), saved, fingerprint))
            .with_remedy("rerun without --resume to start over, or give "
                         "another --out"));
  }
  Analysis a;
  std::string context_json = "{}";
  if (name == "transfer") {
    calibrate::TransferOptions options = calibrate::transfer_options(scale);
    if (!o.data_dir.empty())
      options.data_dir = o.data_dir;
    options.device = o.device;
    options.threads = o.threads;
    options.progress = o.progress;
    MLCARBON_ASSIGN_OR_RETURN(
        const calibrate::TransferResult r,
        calibrate::run_transfer(engine, options, o.meter));
    a = transfer_analysis(r);
    context_json = measure::context_to_json(r.info.run.context).dump();
  } else if (name == "reduce") {
    calibrate::ReduceOptions options = calibrate::reduce_options(scale);
    if (!o.data_dir.empty())
      options.data_dir = o.data_dir;
    options.device = o.device;
    options.threads = o.threads;
    options.progress = o.progress;
    MLCARBON_ASSIGN_OR_RETURN(const calibrate::ReduceResult r,
                              calibrate::run_reduce(engine, options, o.meter));
    a = reduce_analysis(r);
    context_json = measure::context_to_json(r.info.run.context).dump();
  } else {
    return make_error(Errc::kInvalidArgument,
                      "experiment '{}' is not a single run", name);
  }
  MLCARBON_RETURN_IF_ERROR(save(o.out, a, fingerprint, context_json));
  return a;
}

}  // namespace mlcarbon::experiments
