// SPDX-License-Identifier: Apache-2.0
// Calibration records: JSON in and out, the fit checks and the cache.
// nlohmann-json is used in its non-throwing form only.
#include "mlcarbon/calibrate/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/measure/context_json.h"

namespace mlcarbon::calibrate {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// Reads fields of a parsed document; every error names the file and the
// field's dotted path.
class Fields {
 public:
  explicit Fields(std::string_view origin) : origin_(origin) {}

  [[nodiscard]] tl::unexpected<Error> fail(std::string_view path,
                                           std::string_view expected) const {
    return make_error(Errc::kParse, "{}: {}: expected {}", origin_, path,
                      expected);
  }

  [[nodiscard]] Result<const json*> object(const json& parent,
                                           std::string_view key,
                                           std::string_view path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_object())
      return fail(path, "an object");
    return &*it;
  }

  [[nodiscard]] Result<const json*> array(const json& parent,
                                          std::string_view key,
                                          std::string_view path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_array())
      return fail(path, "a list");
    return &*it;
  }

  [[nodiscard]] Result<double> number(const json& parent, std::string_view key,
                                      std::string_view path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_number() ||
        !std::isfinite(it->get<double>()) || it->get<double>() < 0.0)
      return fail(path, "a non-negative number");
    return it->get<double>();
  }

  [[nodiscard]] Result<std::int64_t> integer(const json& parent,
                                             std::string_view key,
                                             std::string_view path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !(it->is_number_unsigned()))
      return fail(path, "a non-negative whole number");
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(INT64_MAX))
      return fail(path, "a whole number below 2^63");
    return static_cast<std::int64_t>(v);
  }

  [[nodiscard]] Result<std::string> string(const json& parent,
                                           std::string_view key,
                                           std::string_view path) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_string())
      return fail(path, "a string");
    return it->get<std::string>();
  }

  [[nodiscard]] Result<Method> method(const json& parent, std::string_view key,
                                      std::string_view path) const {
    MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                              string(parent, key, path));
    if (text == "measured")
      return Method::kMeasured;
    if (text == "estimated")
      return Method::kEstimated;
    return fail(path, "\"measured\" or \"estimated\"");
  }

  [[nodiscard]] Result<std::vector<std::string>> strings(
      const json& parent, std::string_view key, std::string_view path) const {
    MLCARBON_ASSIGN_OR_RETURN(const json* list, array(parent, key, path));
    std::vector<std::string> out;
    for (const json& item : *list) {
      if (!item.is_string())
        return fail(path, "a list of strings");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

 private:
  std::string_view origin_;
};

std::string join(std::string_view a, std::string_view b) {
  return fmt::format("{}.{}", a, b);
}

ordered_json spread_json(const Spread& s) {
  return {{"mean", s.mean},
          {"stddev", s.stddev},
          {"min", s.min},
          {"max", s.max},
          {"count", s.count}};
}

Result<Spread> read_spread(const Fields& f, const json& parent,
                           std::string_view key, std::string_view prefix) {
  const std::string path = join(prefix, key);
  MLCARBON_ASSIGN_OR_RETURN(const json* o, f.object(parent, key, path));
  Spread s;
  MLCARBON_ASSIGN_OR_RETURN(s.mean, f.number(*o, "mean", join(path, "mean")));
  MLCARBON_ASSIGN_OR_RETURN(s.stddev,
                            f.number(*o, "stddev", join(path, "stddev")));
  MLCARBON_ASSIGN_OR_RETURN(s.min, f.number(*o, "min", join(path, "min")));
  MLCARBON_ASSIGN_OR_RETURN(s.max, f.number(*o, "max", join(path, "max")));
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t count,
                            f.integer(*o, "count", join(path, "count")));
  s.count = static_cast<int>(std::min<std::int64_t>(count, INT32_MAX));
  return s;
}

ordered_json loop_json(const LoopFigures& loop) {
  ordered_json doc;
  const std::string_view method = to_string(loop.method);
  ordered_json energy = spread_json(loop.energy_per_sample_j);
  energy["method"] = method;
  doc["energy_per_sample_j"] = std::move(energy);
  doc["seconds_per_sample"] = spread_json(loop.seconds_per_sample);
  ordered_json repeats = ordered_json::array();
  for (const Repeat& r : loop.repeats) {
    repeats.push_back({{"samples", r.samples},
                       {"batches", r.batches},
                       {"seconds", r.seconds},
                       {"energy_j", r.energy_j},
                       {"machine_energy_j", r.machine_energy_j},
                       {"method", to_string(r.method)}});
  }
  doc["repeats"] = std::move(repeats);
  return doc;
}

Result<LoopFigures> read_loop(const Fields& f, const json& parent,
                              std::string_view key) {
  MLCARBON_ASSIGN_OR_RETURN(const json* o, f.object(parent, key, key));
  MLCARBON_ASSIGN_OR_RETURN(const json* list,
                            f.array(*o, "repeats", join(key, "repeats")));
  std::vector<Repeat> repeats;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string path = fmt::format("{}.repeats[{}]", key, i);
    const json& item = (*list)[i];
    if (!item.is_object())
      return f.fail(path, "an object");
    Repeat r;
    MLCARBON_ASSIGN_OR_RETURN(
        r.samples, f.integer(item, "samples", join(path, "samples")));
    MLCARBON_ASSIGN_OR_RETURN(
        r.batches, f.integer(item, "batches", join(path, "batches")));
    MLCARBON_ASSIGN_OR_RETURN(r.seconds,
                              f.number(item, "seconds", join(path, "seconds")));
    MLCARBON_ASSIGN_OR_RETURN(
        r.energy_j, f.number(item, "energy_j", join(path, "energy_j")));
    MLCARBON_ASSIGN_OR_RETURN(
        r.machine_energy_j,
        f.number(item, "machine_energy_j", join(path, "machine_energy_j")));
    MLCARBON_ASSIGN_OR_RETURN(r.method,
                              f.method(item, "method", join(path, "method")));
    if (r.samples == 0)
      return f.fail(join(path, "samples"), "at least one sample");
    repeats.push_back(r);
  }
  if (repeats.empty())
    return f.fail(join(key, "repeats"), "at least one repeat");
  LoopFigures loop = summarise(std::move(repeats));
  // The stored summary must be the one its repeats give: a hand-edited
  // mean would otherwise be used silently.
  MLCARBON_ASSIGN_OR_RETURN(const Spread stored,
                            read_spread(f, *o, "energy_per_sample_j", key));
  const double mean = loop.energy_per_sample_j.mean;
  if (std::abs(stored.mean - mean) > 1e-9 * std::max(1.0, std::abs(mean))) {
    return f.fail(join(key, "energy_per_sample_j.mean"),
                  fmt::format("{} (the mean of its repeats), found {}", mean,
                              stored.mean));
  }
  return loop;
}

Result<measure::RunContext> read_context(const Fields& f, const json& parent) {
  MLCARBON_ASSIGN_OR_RETURN(const json* o,
                            f.object(parent, "context", "context"));
  measure::RunContext c;
  MLCARBON_ASSIGN_OR_RETURN(c.host, f.string(*o, "host", "context.host"));
  MLCARBON_ASSIGN_OR_RETURN(c.os, f.string(*o, "os", "context.os"));
  MLCARBON_ASSIGN_OR_RETURN(c.cpu_model,
                            f.string(*o, "cpu_model", "context.cpu_model"));
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t cpus,
                            f.integer(*o, "cpu_count", "context.cpu_count"));
  c.cpu_count = static_cast<int>(std::min<std::int64_t>(cpus, INT32_MAX));
  MLCARBON_ASSIGN_OR_RETURN(
      c.ram_total_gb, f.number(*o, "ram_total_gb", "context.ram_total_gb"));
  MLCARBON_ASSIGN_OR_RETURN(c.gpus, f.strings(*o, "gpus", "context.gpus"));
  MLCARBON_ASSIGN_OR_RETURN(const json* sensors,
                            f.array(*o, "sensors", "context.sensors"));
  for (std::size_t i = 0; i < sensors->size(); ++i) {
    const std::string path = fmt::format("context.sensors[{}]", i);
    const json& s = (*sensors)[i];
    if (!s.is_object())
      return f.fail(path, "an object");
    measure::SensorInfo info;
    MLCARBON_ASSIGN_OR_RETURN(info.name,
                              f.string(s, "name", join(path, "name")));
    MLCARBON_ASSIGN_OR_RETURN(info.method,
                              f.method(s, "method", join(path, "method")));
    MLCARBON_ASSIGN_OR_RETURN(
        info.description,
        f.string(s, "description", join(path, "description")));
    c.sensors.push_back(std::move(info));
  }
  MLCARBON_ASSIGN_OR_RETURN(
      c.unavailable, f.strings(*o, "unavailable", "context.unavailable"));
  MLCARBON_ASSIGN_OR_RETURN(
      c.mlcarbon_version,
      f.string(*o, "mlcarbon_version", "context.mlcarbon_version"));
  return c;
}

// FNV-1a: a short, stable digest for file names (not a security measure).
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

bool safe_file_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

Spread spread_of(std::span<const double> values) {
  Spread s;
  if (values.empty())
    return s;
  s.count = static_cast<int>(values.size());
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) /
           static_cast<double>(values.size());
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  if (values.size() > 1) {
    double sum = 0.0;
    for (const double v : values)
      sum += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(sum / static_cast<double>(values.size() - 1));
  }
  return s;
}

LoopFigures summarise(std::vector<Repeat> repeats) {
  LoopFigures loop;
  std::vector<double> energy;
  std::vector<double> seconds;
  bool measured = !repeats.empty();
  for (const Repeat& r : repeats) {
    const auto n = static_cast<double>(std::max<std::int64_t>(r.samples, 1));
    energy.push_back(r.energy_j / n);
    seconds.push_back(r.seconds / n);
    measured = measured && r.method == Method::kMeasured;
  }
  loop.energy_per_sample_j = spread_of(energy);
  loop.seconds_per_sample = spread_of(seconds);
  loop.method = measured ? Method::kMeasured : Method::kEstimated;
  loop.repeats = std::move(repeats);
  return loop;
}

void compute_theta(Calibration& c) {
  const double i = c.inference.energy_per_sample_j.mean;
  c.theta = i > 0.0 ? c.training.energy_per_sample_j.mean / i : 0.0;
  std::vector<double> ratios;
  const std::size_t pairs =
      std::min(c.inference.repeats.size(), c.training.repeats.size());
  for (std::size_t k = 0; k < pairs; ++k) {
    const Repeat& inf = c.inference.repeats[k];
    const Repeat& tr = c.training.repeats[k];
    if (inf.energy_j <= 0.0 || inf.samples <= 0 || tr.samples <= 0)
      continue;
    ratios.push_back((tr.energy_j / static_cast<double>(tr.samples)) /
                     (inf.energy_j / static_cast<double>(inf.samples)));
  }
  c.theta_spread = spread_of(ratios);
}

std::string to_json(const Calibration& c) {
  ordered_json doc;
  doc["tool"] = "mlcarbon";
  doc["kind"] = "calibration";
  doc["schema_version"] = c.schema_version;
  doc["created"] = c.created;
  doc["model"] = {{"name", c.model.name},
                  {"origin", c.model.origin},
                  {"fingerprint", c.model.fingerprint},
                  {"parameters", c.model.parameters},
                  {"forward_flops_per_sample", c.model.forward_flops},
                  {"training_flops_per_sample", c.model.training_flops},
                  {"layers", c.model.layers}};
  doc["settings"] = {{"batch", c.batch},
                     {"device", c.device},
                     {"threads", c.threads},
                     {"interval_s", c.interval_s},
                     {"budget_s", c.budget_s}};
  doc["engine"] = c.engine;
  doc["context"] = measure::context_to_json(c.context);
  doc["method"] = to_string(c.method());
  doc["energy_basis"] =
      "attributed: the machine's energy times this process's share of the "
      "busy CPU time, plus its GPUs";
  doc["energy_per_inference_j"] = {{"value", c.energy_per_inference_j()},
                                   {"method", to_string(c.inference.method)}};
  doc["theta"] = c.theta;
  doc["theta_spread"] = spread_json(c.theta_spread);
  doc["inference"] = loop_json(c.inference);
  doc["training"] = loop_json(c.training);
  doc["warmup"] = {{"inference_batches", c.warmup.inference_batches},
                   {"training_batches", c.warmup.training_batches},
                   {"seconds", c.warmup.seconds},
                   {"energy_j", c.warmup.energy_j},
                   {"method", to_string(c.method())},
                   {"excluded", true}};
  doc["duration_s"] = c.duration_s;
  doc["warnings"] = c.warnings;
  return doc.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

Result<Calibration> parse_calibration(std::string_view text,
                                      std::string_view origin) {
  const json j = json::parse(text, nullptr, false);
  const Fields f(origin);
  if (j.is_discarded() || !j.is_object())
    return f.fail("(document)", "a JSON object (is the file complete?)");
  {
    auto tool = j.find("tool");
    auto kind = j.find("kind");
    if (tool == j.end() || *tool != "mlcarbon" || kind == j.end() ||
        *kind != "calibration") {
      return make_error(Errc::kParse,
                        "{}: not an mlcarbon calibration (expected \"tool\": "
                        "\"mlcarbon\" and \"kind\": \"calibration\")",
                        origin);
    }
  }
  Calibration c;
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t version,
                            f.integer(j, "schema_version", "schema_version"));
  if (version != kCalibrationSchemaVersion) {
    return f.fail("schema_version",
                  fmt::format("{} (this mlcarbon's), found {}",
                              kCalibrationSchemaVersion, version));
  }
  MLCARBON_ASSIGN_OR_RETURN(c.created, f.string(j, "created", "created"));
  MLCARBON_ASSIGN_OR_RETURN(const json* model, f.object(j, "model", "model"));
  MLCARBON_ASSIGN_OR_RETURN(c.model.name,
                            f.string(*model, "name", "model.name"));
  MLCARBON_ASSIGN_OR_RETURN(c.model.origin,
                            f.string(*model, "origin", "model.origin"));
  MLCARBON_ASSIGN_OR_RETURN(c.model.fingerprint, f.string(*model, "fingerprint",
                                                          "model.fingerprint"));
  MLCARBON_ASSIGN_OR_RETURN(
      c.model.parameters, f.integer(*model, "parameters", "model.parameters"));
  MLCARBON_ASSIGN_OR_RETURN(c.model.forward_flops,
                            f.number(*model, "forward_flops_per_sample",
                                     "model.forward_flops_per_sample"));
  MLCARBON_ASSIGN_OR_RETURN(c.model.training_flops,
                            f.number(*model, "training_flops_per_sample",
                                     "model.training_flops_per_sample"));
  MLCARBON_ASSIGN_OR_RETURN(const std::int64_t layers,
                            f.integer(*model, "layers", "model.layers"));
  c.model.layers = static_cast<int>(std::min<std::int64_t>(layers, INT32_MAX));

  MLCARBON_ASSIGN_OR_RETURN(const json* settings,
                            f.object(j, "settings", "settings"));
  MLCARBON_ASSIGN_OR_RETURN(c.batch,
                            f.integer(*settings, "batch", "settings.batch"));
  if (c.batch < 1)
    return f.fail("settings.batch", "a batch of at least 1");
  MLCARBON_ASSIGN_OR_RETURN(c.device,
                            f.string(*settings, "device", "settings.device"));
  MLCARBON_ASSIGN_OR_RETURN(
      const std::int64_t threads,
      f.integer(*settings, "threads", "settings.threads"));
  c.threads = static_cast<int>(std::min<std::int64_t>(threads, INT32_MAX));
  MLCARBON_ASSIGN_OR_RETURN(
      c.interval_s, f.number(*settings, "interval_s", "settings.interval_s"));
  MLCARBON_ASSIGN_OR_RETURN(
      c.budget_s, f.number(*settings, "budget_s", "settings.budget_s"));
  MLCARBON_ASSIGN_OR_RETURN(c.engine, f.string(j, "engine", "engine"));
  MLCARBON_ASSIGN_OR_RETURN(c.context, read_context(f, j));
  MLCARBON_ASSIGN_OR_RETURN(c.inference, read_loop(f, j, "inference"));
  MLCARBON_ASSIGN_OR_RETURN(c.training, read_loop(f, j, "training"));
  if (!(c.inference.energy_per_sample_j.mean > 0.0))
    return f.fail("inference.repeats", "a positive inference energy");
  MLCARBON_ASSIGN_OR_RETURN(const json* warmup,
                            f.object(j, "warmup", "warmup"));
  MLCARBON_ASSIGN_OR_RETURN(
      c.warmup.inference_batches,
      f.integer(*warmup, "inference_batches", "warmup.inference_batches"));
  MLCARBON_ASSIGN_OR_RETURN(
      c.warmup.training_batches,
      f.integer(*warmup, "training_batches", "warmup.training_batches"));
  MLCARBON_ASSIGN_OR_RETURN(c.warmup.seconds,
                            f.number(*warmup, "seconds", "warmup.seconds"));
  MLCARBON_ASSIGN_OR_RETURN(c.warmup.energy_j,
                            f.number(*warmup, "energy_j", "warmup.energy_j"));
  MLCARBON_ASSIGN_OR_RETURN(c.duration_s,
                            f.number(j, "duration_s", "duration_s"));
  MLCARBON_ASSIGN_OR_RETURN(c.warnings, f.strings(j, "warnings", "warnings"));
  compute_theta(c);
  return c;
}

Result<Calibration> load_calibration(const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(path));
  return parse_calibration(text, path.string());
}

std::vector<std::string> sensor_lines(const measure::RunContext& context) {
  std::vector<std::string> out;
  out.reserve(context.sensors.size());
  for (const measure::SensorInfo& s : context.sensors)
    out.push_back(fmt::format("{}: {}", s.name, s.description));
  return out;
}

Target target_of(const Calibration& c) {
  return Target{.fingerprint = c.model.fingerprint,
                .batch = c.batch,
                .device = c.device,
                .threads = c.threads,
                .host = c.context.host,
                .cpu_model = c.context.cpu_model,
                .sensors = sensor_lines(c.context)};
}

std::vector<std::string> mismatches(const Calibration& c, const Target& target,
                                    std::string_view origin) {
  std::vector<std::string> out;
  auto differ = [&](std::string_view what, const auto& theirs,
                    const auto& ours) {
    if (theirs != ours) {
      out.push_back(
          fmt::format("calibration {} was made with {} '{}', this one is '{}'",
                      origin, what, theirs, ours));
    }
  };
  differ("model fingerprint", c.model.fingerprint, target.fingerprint);
  differ("batch", c.batch, target.batch);
  differ("device", c.device, target.device);
  differ("threads", c.threads, target.threads);
  differ("host", c.context.host, target.host);
  differ("CPU model", c.context.cpu_model, target.cpu_model);
  if (!target.sensors.empty()) {
    differ("sensors",
           fmt::format("{}", fmt::join(sensor_lines(c.context), "; ")),
           fmt::format("{}", fmt::join(target.sensors, "; ")));
  }
  return out;
}

std::filesystem::path default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/')
    return std::filesystem::path(xdg) / "mlcarbon" / "calibrations";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0')
    return std::filesystem::path(home) / ".cache" / "mlcarbon" / "calibrations";
  return {};
}

std::string cache_key(const Target& t) {
  std::string fingerprint;
  for (const char ch : t.fingerprint.substr(0, 32))
    fingerprint += safe_file_char(ch) ? ch : '_';
  std::string device;
  for (const char ch : t.device.substr(0, 16))
    device += safe_file_char(ch) ? ch : '_';
  const std::uint64_t machine =
      fnv1a(fmt::format("{}\n{}", t.host, t.cpu_model));
  return fmt::format("{}-b{}-{}-t{}-{:016x}.json", fingerprint, t.batch, device,
                     t.threads, machine);
}

Result<std::optional<Calibration>> find_cached(const std::filesystem::path& dir,
                                               const Target& target) {
  const std::filesystem::path path = dir / cache_key(target);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return std::optional<Calibration>();
  MLCARBON_ASSIGN_OR_RETURN(Calibration c, load_calibration(path));
  // Two machines whose host and CPU digests collide, or a file copied in
  // by hand, must not be taken for this target's.
  if (!mismatches(c, target, path.string()).empty())
    return std::optional<Calibration>();
  return std::optional<Calibration>(std::move(c));
}

Result<std::filesystem::path> store_cached(const std::filesystem::path& dir,
                                           const Calibration& c) {
  if (dir.empty()) {
    return make_error(Errc::kNotFound,
                      "no cache folder: neither XDG_CACHE_HOME nor HOME is "
                      "set");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return make_error(errc_from_errno(ec.value()),
                      "cannot create the calibration cache {}: {}",
                      dir.string(), ec.message());
  }
  const std::filesystem::path path = dir / cache_key(target_of(c));
  MLCARBON_RETURN_IF_ERROR(write_file_atomic(path, to_json(c)));
  return path;
}

}  // namespace mlcarbon::calibrate
