// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/model_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/text.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/table.h"

#include "json_text.h"

namespace mlcarbon::report {
namespace {

using nlohmann::ordered_json;

std::string type_of(const models::Layer& l) {
  return l.type == models::LayerType::kOther ? fmt::format("other ({})", l.op)
                                             : std::string(to_string(l.type));
}

std::string energy_text(const ModelEnergyReport& e, bool color) {
  using lifecycle::Predictor;
  const auto& p = e.prediction;
  std::string out =
      "\n" + paint(color, "1", "Predicted energy") +
      fmt::format(" (estimated; machine profile {}: {}, batch {}{}{})\n",
                  e.profile, e.machine.device, e.machine.batch,
                  e.machine.engine.empty() ? "" : ", ", e.machine.engine);
  Table layers({{Align::kLeft},
                {Align::kLeft, 0, 2},
                {Align::kRight, 0, 2},
                {Align::kRight, 0, 2}},
               "  ");
  layers.add_row({Cell("layer", "1"), Cell("coefficients", "1"),
                  Cell("J per inference", "1"),
                  Cell("J per training sample", "1")});
  for (const auto& l : p.layers) {
    layers.add_row({l.name, l.coefficients, format_number(l.inference_j),
                    format_number(l.training_j)});
  }
  out += layers.render(color);
  out += "  (per-layer predictor, per sample at the profile's batch)\n\n";
  Table totals({{Align::kLeft},
                {Align::kRight, 0, 2},
                {Align::kRight, 0, 2},
                {Align::kRight, 0, 2},
                {Align::kRight, 0, 2}},
               "  ");
  totals.add_row({Cell("predictor", "1"), Cell("J per inference", "1"),
                  Cell("J per training sample", "1"), Cell("overhead θ", "1"),
                  Cell("fit MAPE", "1")});
  for (auto k :
       {Predictor::kParameters, Predictor::kFlops, Predictor::kPerLayer}) {
    const auto& x = p.get(k);
    totals.add_row(
        {std::string(to_string(k)), format_number(x.inference_j_per_sample),
         format_number(x.training_j_per_sample), format_number(x.overhead),
         fmt::format("{:.1f} %", x.fit_error.inference_mape)});
  }
  out += totals.render(color);
  out += "  (fit MAPE: the predictor's error on the profile's own fit set)\n";
  for (const auto& w : p.warnings)
    out += fmt::format("warning: {}\n", w);
  return out;
}

ordered_json energy_json(const ModelEnergyReport& e) {
  using lifecycle::Predictor;
  const auto& p = e.prediction;
  ordered_json j;
  j["method"] = "estimated";
  j["profile"] = e.profile;
  j["device"] = e.machine.device;
  j["batch"] = e.machine.batch;
  ordered_json predictors = ordered_json::object();
  for (auto k :
       {Predictor::kParameters, Predictor::kFlops, Predictor::kPerLayer}) {
    const auto& x = p.get(k);
    predictors[std::string(to_string(k))] = {
        {"inference_j_per_sample", x.inference_j_per_sample},
        {"training_j_per_sample", x.training_j_per_sample},
        {"overhead", x.overhead},
        {"fit_mape_percent",
         {{"inference", x.fit_error.inference_mape},
          {"training", x.fit_error.training_mape}}}};
  }
  j["predictors"] = std::move(predictors);
  ordered_json layers = ordered_json::array();
  for (const auto& l : p.layers) {
    layers.push_back({{"name", l.name},
                      {"coefficients", l.coefficients},
                      {"inference_j_per_sample", l.inference_j},
                      {"training_j_per_sample", l.training_j}});
  }
  j["layers"] = std::move(layers);
  j["warnings"] = p.warnings;
  return j;
}

}  // namespace

std::string model_text(const models::Model& m, std::int64_t batch, bool color,
                       const ModelEnergyReport* energy) {
  const double b = static_cast<double>(batch);
  // Names, paths and ONNX op names come from users: no raw controls.
  std::string out =
      paint(color, "1", fmt::format("Model {}", terminal_safe(m.name))) +
      (m.origin != m.name ? fmt::format(" ({})", terminal_safe(m.origin))
                          : "") +
      "\n";
  out += fmt::format("Input {} per sample, batch {}, fingerprint {}\n\n",
                     models::to_string(m.input), batch, models::fingerprint(m));
  Table table({{Align::kLeft},
               {Align::kLeft, 0, 2},
               {Align::kLeft, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2},
               {Align::kRight, 0, 2}},
              "  ");
  table.add_row({Cell("layer", "1"), Cell("type", "1"),
                 Cell("output shape", "1"), Cell("params", "1"),
                 Cell("forward FLOPs", "1"), Cell("activations", "1")});
  for (std::size_t i = 0; i < m.layers.size() && i < m.stats.size(); ++i) {
    const auto& l = m.layers[i];
    const auto& s = m.stats[i];
    table.add_row({l.name, type_of(l), models::to_string(s.output),
                   grouped(s.params), human_si(s.forward_flops, ""),
                   human_si(s.activation_bytes, "B")});
  }
  out += table.render(color);
  out +=
      "  (FLOPs and activations per sample; a multiply-add is 2 FLOPs; "
      "float32)\n";
  if (!m.unsupported.empty()) {
    out += "\n" + paint(color, "1", "Not understood") +
           " (counted without parameters or FLOPs)\n";
    for (const auto& u : m.unsupported)
      out += fmt::format("  {} x {}\n", terminal_safe(u.op), u.count);
  }

  out += "\n" + paint(color, "1", "Totals") + "\n";
  Table totals({{Align::kLeft}, {Align::kRight, 0, 2}, {Align::kRight, 0, 2}},
               "  ");
  totals.add_row({"", Cell("per sample", "1"),
                  Cell(fmt::format("per batch of {}", batch), "1")});
  const double params = static_cast<double>(m.parameters());
  totals.add_row({"parameters", grouped(m.parameters()), ""});
  totals.add_row({"weights (float32)", human_si(params * 4.0, "B"), ""});
  totals.add_row({"forward FLOPs", human_si(m.forward_flops(), "FLOPs"),
                  human_si(m.forward_flops() * b, "FLOPs")});
  totals.add_row({"training FLOPs", human_si(m.training_flops(), "FLOPs"),
                  human_si(m.training_flops() * b, "FLOPs")},
                 "forward + backward (3x forward)", 2);
  totals.add_row({"activations", human_si(m.activation_bytes(1), "B"),
                  human_si(m.activation_bytes(batch), "B")},
                 "every layer's output and the input, float32", 2);
  out += totals.render(color);
  if (energy != nullptr)
    out += energy_text(*energy, color);
  return out;
}

std::string model_json(const models::Model& m, std::int64_t batch,
                       const ModelEnergyReport* energy) {
  const double b = static_cast<double>(batch);
  ordered_json doc;
  doc["schema_version"] = kModelSchemaVersion;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "model";
  doc["name"] = m.name;
  doc["origin"] = m.origin;
  doc["fingerprint"] = models::fingerprint(m);
  doc["batch"] = batch;
  doc["input_shape"] = m.input;
  ordered_json layers = ordered_json::array();
  for (std::size_t i = 0; i < m.layers.size() && i < m.stats.size(); ++i) {
    const auto& l = m.layers[i];
    const auto& s = m.stats[i];
    ordered_json j;
    j["name"] = l.name;
    j["type"] = to_string(l.type);
    if (l.type == models::LayerType::kOther)
      j["op"] = l.op;
    if (l.pos.line > 0) {
      j["line"] = l.pos.line;
      j["column"] = l.pos.column;
    }
    j["input_shape"] = s.input;
    j["output_shape"] = s.output;
    j["params"] = s.params;
    j["forward_flops_per_sample"] = s.forward_flops;
    j["weight_bytes"] = s.weight_bytes;
    j["activation_bytes_per_sample"] = s.activation_bytes;
    layers.push_back(std::move(j));
  }
  doc["layers"] = std::move(layers);
  ordered_json unsupported = ordered_json::array();
  for (const auto& u : m.unsupported)
    unsupported.push_back({{"op", u.op}, {"count", u.count}});
  doc["unsupported_ops"] = std::move(unsupported);
  doc["totals"] = {
      {"params", m.parameters()},
      {"weight_bytes", static_cast<double>(m.parameters()) * 4.0},
      {"forward_flops_per_sample", m.forward_flops()},
      {"forward_flops_per_batch", m.forward_flops() * b},
      {"training_flops_per_sample", m.training_flops()},
      {"training_flops_per_batch", m.training_flops() * b},
      {"activation_bytes_per_sample", m.activation_bytes(1)},
      {"activation_bytes_per_batch", m.activation_bytes(batch)},
  };
  if (energy != nullptr)
    doc["predicted_energy"] = energy_json(*energy);
  return dump_json(doc);
}

}  // namespace mlcarbon::report
