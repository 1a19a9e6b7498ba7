// SPDX-License-Identifier: Apache-2.0
// The experiments' sweeps: their plans per scale, their results files and
// the runner that measures each point through calibrate::run_training.
#include "mlcarbon/experiments/experiment.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/calibrate/calibrate.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/context_json.h"

namespace mlcarbon::experiments {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kResultsSchemaVersion = 1;
// Every sweep's MLPs read 100 features, as the paper's did.
constexpr int kInputs = 100;
constexpr std::string_view kConvnet = "convnet:";

std::string mlp(int depth, int width) {
  return fmt::format("mlp:depth={},width={},inputs={}", depth, width, kInputs);
}

std::string convnet(int depth, int filters) {
  return fmt::format("convnet:depth={},filters={},inputs={}", depth, filters,
                     kInputs);
}

// Parameter counts, as models counts them (a test checks both forms).
std::int64_t mlp_parameters(std::int64_t depth, std::int64_t width) {
  return (kInputs + 1) * width + (depth - 1) * (width + 1) * width + width + 1;
}

std::int64_t convnet_parameters(std::int64_t depth, std::int64_t filters) {
  return 4 * filters + (depth - 1) * (3 * filters * filters + filters) +
         filters + 1;
}

// The width of a two-layer MLP, or the filters of a convnet of `depth`,
// whose parameter count is nearest `target`.
template <typename Count>
int nearest(std::int64_t target, Count count) {
  int best = 1;
  for (int w = 1; w <= 8192; ++w) {
    if (std::llabs(count(w) - target) < std::llabs(count(best) - target))
      best = w;
    if (count(w) > target)
      break;
  }
  return best;
}

struct Sizes {
  std::vector<std::int64_t> samples;  // samples
  std::vector<std::int64_t> epochs;   // epochs
  std::vector<int> depths;            // size, overhead
  std::vector<int> widths;            // size, overhead
  std::int64_t size_samples = 0;
  std::int64_t size_epochs = 1;
  std::vector<std::int64_t> overhead_samples;
  std::vector<int> deep_depths;  // shape
  std::int64_t shape_samples = 0;
  std::int64_t shape_epochs = 1;
  std::vector<int> dense_widths;  // layertype
  int layertype_depth = 4;
  std::int64_t layertype_samples = 0;
  std::vector<int> epoch_depths;  // epochs: two model sizes
  std::int64_t epoch_samples = 0;
  int samples_depth = 20;
  int samples_width = 100;
  /// Epochs of the samples, layertype and overhead sweeps.
  std::int64_t epochs_all = 1;
};

Sizes sizes_of(Scale scale) {
  switch (scale) {
    case Scale::kQuick:
      // Tiny models, but loops of about 0.1 s: shorter ones fall below the
      // CPU-time sensors' 10 ms steps and read as no energy at all.
      return Sizes{.samples = {1024, 2048, 3072},
                   .epochs = {4, 8, 12},
                   .depths = {2, 6},
                   .widths = {8, 16},
                   .size_samples = 1024,
                   .size_epochs = 8,
                   .overhead_samples = {2048, 1024},
                   .deep_depths = {4, 8},
                   .shape_samples = 1024,
                   .shape_epochs = 8,
                   .dense_widths = {8, 16},
                   .layertype_depth = 2,
                   .layertype_samples = 1024,
                   .epoch_depths = {6, 3},
                   .epoch_samples = 512,
                   .samples_depth = 2,
                   .samples_width = 16,
                   .epochs_all = 8};
    case Scale::kDefault:
      return Sizes{.samples = {5000, 10000, 15000, 20000, 25000},
                   .epochs = {1, 2, 3, 4, 5},
                   .depths = {10, 50, 90, 130, 170},
                   .widths = {25, 50, 100},
                   .size_samples = 4000,
                   .size_epochs = 2,
                   .overhead_samples = {4000, 1000},
                   .deep_depths = {10, 40, 70, 100},
                   .shape_samples = 4000,
                   .shape_epochs = 2,
                   .dense_widths = {25, 50, 100},
                   .layertype_depth = 4,
                   // The dense nets need this many to make loops of 0.1 s.
                   .layertype_samples = 4000,
                   .epoch_depths = {100, 50},
                   .epoch_samples = 2000};
    case Scale::kPaper:
      break;
  }
  return Sizes{.samples = {10000, 20000, 30000, 40000, 50000, 60000, 70000,
                           80000, 90000, 100000},
               .epochs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
               .depths = {10, 30, 50, 70, 90, 110, 130, 150, 170},
               .widths = {25, 50, 75, 100},
               .size_samples = 100000,
               .size_epochs = 10,
               .overhead_samples = {100000, 10000},
               .deep_depths = {10, 40, 70, 100, 130, 160},
               .shape_samples = 100000,
               .shape_epochs = 10,
               .dense_widths = {25, 50, 100, 200, 400},
               .layertype_depth = 4,
               .layertype_samples = 100000,
               .epoch_depths = {100, 50},
               .epoch_samples = 100000};
}

std::string samples_label(std::int64_t samples) {
  return samples % 1000 == 0 ? fmt::format("{}k samples", samples / 1000)
                             : fmt::format("{} samples", samples);
}

Result<int> spec_int(std::string_view spec, std::string_view key) {
  for (std::string_view part : split(spec.substr(kConvnet.size()), ',')) {
    const auto eq = part.find('=');
    if (eq == std::string_view::npos || trim(part.substr(0, eq)) != key)
      continue;
    const auto v = parse_integer<int>(trim(part.substr(eq + 1)));
    if (!v || *v < 1)
      return make_error(Errc::kInvalidArgument,
                        "{}: {} must be a positive integer, got '{}'", spec,
                        key, part.substr(eq + 1));
    return *v;
  }
  return make_error(Errc::kInvalidArgument,
                    "{}: missing {} (expected convnet:depth=D,filters=F,"
                    "inputs=N)",
                    spec, key);
}

Json point_json(const Point& p) {
  return {{"key", p.key},         {"series", p.series}, {"model", p.model},
          {"samples", p.samples}, {"epochs", p.epochs}, {"depth", p.depth},
          {"width", p.width},     {"pair", p.pair}};
}

// FNV-1a: stable across runs and builds, unlike std::hash.
std::string digest(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace

const std::vector<std::string>& experiment_names() {
  static const std::vector<std::string> names = {
      "samples",  "epochs",   "size",   "shape",     "layertype",
      "overhead", "transfer", "reduce", "predictors"};
  return names;
}

std::string claim_of(std::string_view name) {
  static const std::map<std::string, std::string, std::less<>> claims = {
      {"samples",
       "Training energy grows linearly with the number of training samples "
       "(section 4.1)."},
      {"epochs",
       "Training energy grows linearly with the number of epochs, for two "
       "model sizes (100 and 50 layers of width 25; section 4.1)."},
      {"size",
       "Larger models need more energy; over depth 10-170 and width 25-100 "
       "the growth is almost linear in size (section 4.2, Fig. 2)."},
      {"shape",
       "At equal parameter counts, deep networks cost far more energy than "
       "wide ones (section 4.2, Fig. 3)."},
      {"layertype",
       "At equal parameter counts, convolutional networks cost far more "
       "energy than dense ones (section 4.2, Fig. 4)."},
      {"overhead",
       "The training overhead (training − inference) ÷ training approaches "
       "about 80 % as models grow, i.e. θ ≈ 5 (section 4.3, Fig. 5)."},
      {"transfer",
       "Transfer learning can cost more energy than a small dedicated model "
       "(section 4.1)."},
      {"reduce",
       "Making a trained model cheaper to run (pruning, distillation) pays "
       "back after enough inference calls (section 3.1)."},
      {"predictors",
       "The parameter count is a poor predictor of energy (section 4.2); "
       "FLOPs and per-layer costs should do better."}};
  const auto it = claims.find(name);
  return it == claims.end() ? std::string() : it->second;
}

Result<Plan> make_plan(std::string_view name, Scale scale) {
  const Sizes z = sizes_of(scale);
  Plan plan{.name = std::string(name), .scale = scale, .claim = claim_of(name)};
  auto add = [&plan](Point p) { plan.points.push_back(std::move(p)); };
  if (name == "samples") {
    for (const std::int64_t n : z.samples) {
      add({.key = fmt::format("samples={}", n),
           .series = fmt::format("depth {} x width {}", z.samples_depth,
                                 z.samples_width),
           .model = mlp(z.samples_depth, z.samples_width),
           .samples = n,
           .epochs = z.epochs_all,
           .depth = z.samples_depth,
           .width = z.samples_width});
    }
  } else if (name == "epochs") {
    for (const int depth : z.epoch_depths) {
      for (const std::int64_t e : z.epochs) {
        add({.key = fmt::format("depth={},epochs={}", depth, e),
             .series = fmt::format("{} layers of 25", depth),
             .model = mlp(depth, 25),
             .samples = z.epoch_samples,
             .epochs = e,
             .depth = depth,
             .width = 25});
      }
    }
  } else if (name == "size") {
    for (const int width : z.widths) {
      for (const int depth : z.depths) {
        add({.key = fmt::format("depth={},width={}", depth, width),
             .series = fmt::format("width {}", width),
             .model = mlp(depth, width),
             .samples = z.size_samples,
             .epochs = z.size_epochs,
             .depth = depth,
             .width = width});
      }
    }
  } else if (name == "overhead") {
    // The size sweep's smallest and largest widths, at two set sizes.
    const std::vector<int> widths = {z.widths.front(), z.widths.back()};
    for (const std::int64_t n : z.overhead_samples) {
      for (const int width : widths) {
        for (const int depth : z.depths) {
          add({.key =
                   fmt::format("samples={},depth={},width={}", n, depth, width),
               .series = samples_label(n),
               .model = mlp(depth, width),
               .samples = n,
               .epochs = z.epochs_all,
               .depth = depth,
               .width = width});
        }
      }
    }
  } else if (name == "shape") {
    int pair = 0;
    for (const int depth : z.deep_depths) {
      const std::int64_t target = mlp_parameters(depth, 25);
      const int wide =
          nearest(target, [](int w) { return mlp_parameters(2, w); });
      add({.key = fmt::format("deep,depth={}", depth),
           .series = "deep (width 25)",
           .model = mlp(depth, 25),
           .samples = z.shape_samples,
           .epochs = z.shape_epochs,
           .depth = depth,
           .width = 25,
           .pair = pair});
      add({.key = fmt::format("wide,pair={}", pair),
           .series = "wide (2 layers)",
           .model = mlp(2, wide),
           .samples = z.shape_samples,
           .epochs = z.shape_epochs,
           .depth = 2,
           .width = wide,
           .pair = pair});
      ++pair;
    }
  } else if (name == "layertype") {
    int pair = 0;
    const int depth = z.layertype_depth;
    for (const int width : z.dense_widths) {
      const std::int64_t target = mlp_parameters(depth, width);
      const int filters = nearest(
          target, [depth](int f) { return convnet_parameters(depth, f); });
      add({.key = fmt::format("dense,width={}", width),
           .series = "dense",
           .model = mlp(depth, width),
           .samples = z.layertype_samples,
           .epochs = z.epochs_all,
           .depth = depth,
           .width = width,
           .pair = pair});
      add({.key = fmt::format("conv,pair={}", pair),
           .series = "convolutional",
           .model = convnet(depth, filters),
           .samples = z.layertype_samples,
           .epochs = z.epochs_all,
           .depth = depth,
           .width = filters,
           .pair = pair});
      ++pair;
    }
  } else {
    const auto& names = experiment_names();
    if (std::find(names.begin(), names.end(), name) != names.end())
      return make_error(Errc::kInvalidArgument,
                        "experiment '{}' runs no sweep of its own", name);
    return make_error(Errc::kInvalidArgument,
                      "unknown experiment '{}' (known: {}, all)", name,
                      fmt::join(names, ", "));
  }
  return plan;
}

Result<models::Model> build_model(std::string_view spec) {
  if (!spec.starts_with(kConvnet))
    return models::parse_shorthand(spec);
  MLCARBON_ASSIGN_OR_RETURN(const int depth, spec_int(spec, "depth"));
  MLCARBON_ASSIGN_OR_RETURN(const int filters, spec_int(spec, "filters"));
  MLCARBON_ASSIGN_OR_RETURN(const int inputs, spec_int(spec, "inputs"));
  // Convolutions keep the length (padding 1); global average pooling then
  // leaves one value per filter, so the head adds filters + 1 parameters.
  std::string yaml = fmt::format(
      "name: convnet-{}x{}\ninput: [1, {}]\nlayers:\n", depth, filters, inputs);
  for (int i = 0; i < depth; ++i) {
    yaml += fmt::format(
        "  - conv1d: {{filters: {}, kernel: 3, padding: 1}}\n  - relu\n",
        filters);
  }
  yaml += fmt::format(
      "  - avgpool1d: {{kernel: {}}}\n  - flatten\n  - dense: {{units: 1}}\n",
      inputs);
  MLCARBON_ASSIGN_OR_RETURN(models::Model model,
                            models::parse_model(yaml, spec));
  model.origin = std::string(spec);
  return model;
}

std::string plan_fingerprint(const Plan& plan, engine::Device device,
                             int threads) {
  Json doc = {{"name", plan.name},
              {"scale", to_string(plan.scale)},
              {"batch", plan.batch},
              {"device", engine::to_string(device)},
              {"threads", threads}};
  Json points = Json::array();
  for (const Point& p : plan.points)
    points.push_back(point_json(p));
  doc["points"] = std::move(points);
  return digest(doc.dump());
}

double PointResult::overhead() const {
  if (!(training_j > 0.0) || trained_samples < 1 || inferred_samples < 1)
    return 0.0;
  // Per sample, so that the two loops need not have run equally long.
  const double t = training_j / static_cast<double>(trained_samples);
  const double i = inference_j / static_cast<double>(inferred_samples);
  return (t - i) / t;
}

std::string results_json(const Results& r) {
  Json doc;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "experiment-results";
  doc["schema_version"] = kResultsSchemaVersion;
  doc["name"] = r.name;
  doc["scale"] = r.scale;
  doc["fingerprint"] = r.fingerprint;
  doc["engine"] = r.engine;
  doc["energy_basis"] =
      "attributed: the machine's energy times this process's share of the "
      "busy CPU time, plus its GPUs";
  Json context = Json::parse(r.context_json, nullptr, false);
  doc["context"] = context.is_object() ? context : Json::object();
  Json points = Json::array();
  for (const PointResult& p : r.points) {
    Json j = point_json(p.point);
    j["parameters"] = p.parameters;
    j["forward_flops_per_sample"] = p.forward_flops;
    j["training_flops_per_sample"] = p.training_flops;
    j["training_energy_j"] = p.training_j;
    j["inference_energy_j"] = p.inference_j;
    j["training_seconds"] = p.training_s;
    j["inference_seconds"] = p.inference_s;
    j["machine_training_energy_j"] = p.machine_training_j;
    j["trained_samples"] = p.trained_samples;
    j["inferred_samples"] = p.inferred_samples;
    j["final_loss"] = std::isfinite(p.final_loss) ? Json(p.final_loss) : Json();
    j["overhead"] = p.overhead();
    j["method"] = p.method;
    points.push_back(std::move(j));
  }
  doc["points"] = std::move(points);
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string results_csv(const Results& r) {
  std::string out =
      "experiment,key,series,model,depth,width,pair,samples,epochs,"
      "parameters,forward_flops_per_sample,training_flops_per_sample,"
      "training_energy_j,inference_energy_j,training_seconds,"
      "inference_seconds,machine_training_energy_j,overhead,method\n";
  for (const PointResult& p : r.points) {
    const Point& q = p.point;
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{:.6g},{:.6g},{:.9g},{:.9g},{:.6g},"
        "{:.6g},{:.9g},{:.6f},{}\n",
        csv_escape(r.name), csv_escape(q.key), csv_escape(q.series),
        csv_escape(q.model), q.depth, q.width, q.pair, q.samples, q.epochs,
        p.parameters, p.forward_flops, p.training_flops, p.training_j,
        p.inference_j, p.training_s, p.inference_s, p.machine_training_j,
        p.overhead(), p.method);
  }
  return out;
}

Result<Results> parse_results(std::string_view text, std::string_view origin) {
  const Json doc = Json::parse(text, nullptr, false);
  auto bad = [&](std::string_view field, std::string_view expected) {
    return make_error(Errc::kInvalidArgument, "{}: {}: expected {}", origin,
                      field, expected);
  };
  if (!doc.is_object() || doc.value("kind", "") != "experiment-results")
    return bad("kind", "an experiment-results JSON object");
  Results r;
  for (const auto* key : {"name", "scale", "fingerprint"}) {
    if (!doc.contains(key) || !doc[key].is_string())
      return bad(key, "a string");
  }
  r.name = doc["name"].get<std::string>();
  r.scale = doc["scale"].get<std::string>();
  r.fingerprint = doc["fingerprint"].get<std::string>();
  if (doc.contains("context") && doc["context"].is_object())
    r.context_json = doc["context"].dump();
  if (doc.contains("engine") && doc["engine"].is_string())
    r.engine = doc["engine"].get<std::string>();
  if (!doc.contains("points") || !doc["points"].is_array())
    return bad("points", "an array");
  std::size_t i = 0;
  for (const Json& j : doc["points"]) {
    const std::string at = fmt::format("points[{}]", i++);
    if (!j.is_object())
      return bad(at, "an object");
    for (const auto* key : {"key", "series", "model", "method"}) {
      if (!j.contains(key) || !j[key].is_string())
        return bad(fmt::format("{}.{}", at, key), "a string");
    }
    for (const auto* key :
         {"samples", "epochs", "depth", "width", "pair", "parameters",
          "trained_samples", "inferred_samples"}) {
      if (!j.contains(key) || !j[key].is_number_integer())
        return bad(fmt::format("{}.{}", at, key), "an integer");
    }
    for (const auto* key :
         {"forward_flops_per_sample", "training_flops_per_sample",
          "training_energy_j", "inference_energy_j", "training_seconds",
          "inference_seconds", "machine_training_energy_j"}) {
      if (!j.contains(key) || !j[key].is_number() ||
          !(j[key].get<double>() >= 0.0))
        return bad(fmt::format("{}.{}", at, key), "a non-negative number");
    }
    PointResult p;
    p.point = Point{.key = j["key"].get<std::string>(),
                    .series = j["series"].get<std::string>(),
                    .model = j["model"].get<std::string>(),
                    .samples = j["samples"].get<std::int64_t>(),
                    .epochs = j["epochs"].get<std::int64_t>(),
                    .depth = j["depth"].get<int>(),
                    .width = j["width"].get<int>(),
                    .pair = j["pair"].get<int>()};
    p.parameters = j["parameters"].get<std::int64_t>();
    p.forward_flops = j["forward_flops_per_sample"].get<double>();
    p.training_flops = j["training_flops_per_sample"].get<double>();
    p.training_j = j["training_energy_j"].get<double>();
    p.inference_j = j["inference_energy_j"].get<double>();
    p.training_s = j["training_seconds"].get<double>();
    p.inference_s = j["inference_seconds"].get<double>();
    p.machine_training_j = j["machine_training_energy_j"].get<double>();
    p.trained_samples = j["trained_samples"].get<std::int64_t>();
    p.inferred_samples = j["inferred_samples"].get<std::int64_t>();
    p.final_loss = j.contains("final_loss") && j["final_loss"].is_number()
                       ? j["final_loss"].get<double>()
                       : std::nan("");
    p.method = j["method"].get<std::string>();
    r.points.push_back(std::move(p));
  }
  return r;
}

Result<Results> resume_from(const std::filesystem::path& path, bool resume,
                            const Plan& plan, std::string_view fingerprint) {
  Results fresh{.name = plan.name,
                .scale = std::string(to_string(plan.scale)),
                .fingerprint = std::string(fingerprint)};
  std::error_code ec;
  if (!resume || !std::filesystem::exists(path, ec))
    return fresh;
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  MLCARBON_ASSIGN_OR_RETURN(Results old, parse_results(text, path.string()));
  if (old.name != plan.name)
    return make_error(Errc::kInvalidArgument,
                      "--resume: {} holds experiment '{}', not '{}'",
                      path.string(), old.name, plan.name);
  if (old.fingerprint != fingerprint) {
    const std::string what =
        old.scale != fresh.scale
            ? fmt::format("it was run with --scale {}, this run asks for {}",
                          old.scale, fresh.scale)
            : std::string("its points, batch, device or threads differ");
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("--resume: {} was made with another configuration "
                          "({}; fingerprint {} against {})",
                          path.string(), what, old.fingerprint, fingerprint))
            .with_remedy(
                "rerun without --resume to start over, or give another "
                "--out"));
  }
  // Keep only points the plan still has, in the plan's order.
  std::map<std::string, PointResult> by_key;
  for (PointResult& p : old.points)
    by_key.emplace(p.point.key, std::move(p));
  fresh.context_json = old.context_json;
  fresh.engine = old.engine;
  for (const Point& p : plan.points) {
    if (auto it = by_key.find(p.key); it != by_key.end())
      fresh.points.push_back(std::move(it->second));
  }
  return fresh;
}

Result<Results> run_plan(engine::Engine& engine, const Plan& plan,
                         const RunOptions& options) {
  const std::string fingerprint =
      plan_fingerprint(plan, options.device, options.threads);
  const std::filesystem::path json = options.out / (plan.name + ".json");
  const std::filesystem::path csv = options.out / (plan.name + ".csv");
  MLCARBON_ASSIGN_OR_RETURN(
      Results results, resume_from(json, options.resume, plan, fingerprint));
  std::set<std::string> done;
  for (const PointResult& p : results.points)
    done.insert(p.point.key);
  auto save = [&]() -> Status {
    MLCARBON_RETURN_IF_ERROR(write_file_atomic(json, results_json(results)));
    return write_file_atomic(csv, results_csv(results));
  };
  std::size_t finished = 0;
  for (const Point& point : plan.points) {
    const bool skip = done.contains(point.key);
    if (options.progress)
      options.progress(finished, plan.points.size(), point, skip);
    ++finished;
    if (skip)
      continue;
    MLCARBON_ASSIGN_OR_RETURN(const models::Model model,
                              build_model(point.model));
    const calibrate::TrainOptions train{.samples = point.samples,
                                        .epochs = point.epochs,
                                        .batch = plan.batch,
                                        .device = options.device,
                                        .threads = options.threads,
                                        .measure_inference = true};
    measure::PipelineOptions meter = options.meter;
    meter.run_window = "experiment";
    auto record =
        calibrate::run_training(engine, model, train, std::move(meter));
    if (!record) {
      return tl::unexpected(std::move(record).error().with_context(
          fmt::format("experiment {}, point {}", plan.name, point.key)));
    }
    const measure::Measurement& t = record->window.measurement;
    const measure::Measurement& i = record->inference_window->measurement;
    PointResult r{.point = point,
                  .parameters = record->model.parameters,
                  .forward_flops = record->model.forward_flops,
                  .training_flops = record->model.training_flops,
                  .training_j = t.attributed.value(),
                  .inference_j = i.attributed.value(),
                  .training_s = record->loop.seconds,
                  .inference_s = record->inference_loop->seconds,
                  .machine_training_j = t.total.value(),
                  .trained_samples = record->loop.samples,
                  .inferred_samples = record->inference_loop->samples,
                  .final_loss = record->loop.mean_loss,
                  .method = t.method() == Method::kMeasured &&
                                    i.method() == Method::kMeasured
                                ? "measured"
                                : "estimated"};
    results.engine = record->engine;
    if (results.context_json == "{}")
      results.context_json =
          measure::context_to_json(record->run.context).dump();
    results.points.push_back(std::move(r));
    MLCARBON_RETURN_IF_ERROR(save());
  }
  if (options.progress && !plan.points.empty())
    options.progress(plan.points.size(), plan.points.size(), plan.points.back(),
                     true);
  // A resumed sweep that had nothing left still gets its files.
  MLCARBON_RETURN_IF_ERROR(save());
  return results;
}

}  // namespace mlcarbon::experiments
