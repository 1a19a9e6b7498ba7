// SPDX-License-Identifier: Apache-2.0
// Energy predictors: fitting a machine profile on measured architectures
// and predicting unseen ones (docs/predictors.md). nlohmann-json is used in
// its non-throwing form only.
#include "mlcarbon/lifecycle/predict.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mlcarbon::lifecycle {
namespace {

using Matrix = std::vector<std::vector<double>>;
using models::LayerType;

// Bytes of one float32 element.
constexpr double kBytesPerElement = 4.0;

constexpr std::string_view kPooled = "pooled";

// Least squares on the columns `cols` of `a` by Householder QR; the other
// entries of the result are zero, and so is a column that is (numerically)
// dependent on those before it.
std::vector<double> least_squares(const Matrix& a, std::span<const double> b,
                                  const std::vector<std::size_t>& cols,
                                  std::size_t n) {
  const std::size_t m = a.size();
  const std::size_t k = cols.size();
  Matrix r(m, std::vector<double>(k));
  std::vector<double> y(b.begin(), b.end());
  double scale = 0.0;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < k; ++j) {
      r[i][j] = a[i][cols[j]];
      scale = std::max(scale, std::abs(r[i][j]));
    }
  }
  const double tiny = scale * 1e-12;
  const std::size_t steps = std::min(m, k);
  for (std::size_t j = 0; j < steps; ++j) {
    double norm = 0.0;
    for (std::size_t i = j; i < m; ++i)
      norm += r[i][j] * r[i][j];
    norm = std::sqrt(norm);
    if (norm <= tiny)
      continue;
    const double alpha = r[j][j] > 0.0 ? -norm : norm;
    std::vector<double> v(m, 0.0);
    v[j] = r[j][j] - alpha;
    for (std::size_t i = j + 1; i < m; ++i)
      v[i] = r[i][j];
    double vv = 0.0;
    for (std::size_t i = j; i < m; ++i)
      vv += v[i] * v[i];
    if (vv == 0.0)
      continue;
    auto reflect = [&](auto&& get) {
      double dot = 0.0;
      for (std::size_t i = j; i < m; ++i)
        dot += v[i] * get(i);
      const double f = 2.0 * dot / vv;
      for (std::size_t i = j; i < m; ++i)
        get(i) -= f * v[i];
    };
    for (std::size_t c = j; c < k; ++c)
      reflect([&](std::size_t i) -> double& { return r[i][c]; });
    reflect([&](std::size_t i) -> double& { return y[i]; });
  }
  std::vector<double> z(k, 0.0);
  for (std::size_t jj = steps; jj-- > 0;) {
    if (std::abs(r[jj][jj]) <= tiny)
      continue;  // dependent column: left at zero
    double s = y[jj];
    for (std::size_t c = jj + 1; c < k; ++c)
      s -= r[jj][c] * z[c];
    z[jj] = s / r[jj][jj];
  }
  std::vector<double> x(n, 0.0);
  for (std::size_t j = 0; j < k; ++j)
    x[cols[j]] = z[j];
  return x;
}

// Aᵀ(b − A·x).
std::vector<double> gradient(const Matrix& a, std::span<const double> b,
                             const std::vector<double>& x) {
  std::vector<double> w(x.size(), 0.0);
  for (std::size_t i = 0; i < a.size(); ++i) {
    double residual = b[i];
    for (std::size_t j = 0; j < x.size(); ++j)
      residual -= a[i][j] * x[j];
    for (std::size_t j = 0; j < x.size(); ++j)
      w[j] += a[i][j] * residual;
  }
  return w;
}

double element_count(const models::Shape& shape) {
  double n = 1.0;
  for (auto d : shape)
    n *= static_cast<double>(d);
  return n;
}

// One layer's features per sample at batch B (see LayerCoefficients).
struct Features {
  double flops = 0.0;
  double bytes = 0.0;
  double calls = 0.0;
};

// The training FLOPs of a model per forward FLOP, as Model counts them.
double training_factor(const models::Model& m) {
  const double forward = m.forward_flops();
  return forward > 0.0 ? m.training_flops() / forward : 3.0;
}

Features layer_features(const models::LayerStats& s, double batch,
                        double flops_factor) {
  return Features{
      s.forward_flops * flops_factor,
      s.weight_bytes / batch +
          kBytesPerElement * (element_count(s.input) + element_count(s.output)),
      1.0 / batch};
}

double apply(const LayerCoefficients& c, const Features& f) {
  return c.j_per_flop * f.flops + c.j_per_byte * f.bytes +
         c.j_per_call * f.calls;
}

double apply(const LinearPredictor& p, double x) {
  return p.slope * x + p.intercept_j;
}

double mape(std::span<const double> predicted, std::span<const double> actual) {
  double sum = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i)
    sum += std::abs(predicted[i] - actual[i]) / actual[i];
  return actual.empty() ? 0.0
                        : 100.0 * sum / static_cast<double>(actual.size());
}

// Fits min Σ ((A·x)_i / y_i − 1)² with x ≥ 0: relative residuals, so that a
// small model counts as much as a large one (the error that matters is the
// MAPE). Columns are scaled to a largest entry of 1 for the solver.
Result<std::vector<double>> fit_relative(Matrix a, std::span<const double> y) {
  const std::size_t n = a.empty() ? 0 : a.front().size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    for (double& v : a[i])
      v /= y[i];
  }
  std::vector<double> scale(n, 0.0);
  for (const auto& row : a) {
    for (std::size_t j = 0; j < n; ++j)
      scale[j] = std::max(scale[j], std::abs(row[j]));
  }
  for (auto& row : a) {
    for (std::size_t j = 0; j < n; ++j) {
      if (scale[j] > 0.0)
        row[j] /= scale[j];
    }
  }
  const std::vector<double> ones(a.size(), 1.0);
  MLCARBON_ASSIGN_OR_RETURN(std::vector<double> x, solve_nnls(a, ones));
  for (std::size_t j = 0; j < n; ++j) {
    if (scale[j] > 0.0)
      x[j] /= scale[j];
  }
  return x;
}

Status check_measurement(const ArchitectureMeasurement& m, std::size_t index) {
  auto bad = [](double v) { return !std::isfinite(v) || v <= 0.0; };
  if (m.model.stats.size() != m.model.layers.size()) {
    return make_error(Errc::kInvalidArgument,
                      "fit architecture {} ('{}') has no layer statistics; "
                      "infer its shapes first",
                      index + 1, m.model.name);
  }
  if (bad(m.inference_j_per_sample) || bad(m.training_j_per_sample)) {
    return make_error(Errc::kInvalidArgument,
                      "fit architecture {} ('{}'): the energies per sample "
                      "must be positive and finite, got inference {} J and "
                      "training {} J",
                      index + 1, m.model.name, m.inference_j_per_sample,
                      m.training_j_per_sample);
  }
  return {};
}

// Groups the layer types of the fit set: a type in at least
// kMinArchitecturesPerType architectures gets a group of its own, the rest
// share "pooled"; while the groups have more unknowns (3 each) than there
// are architectures, the rarest own group joins the pool.
std::vector<LayerGroup> group_types(
    std::span<const ArchitectureMeasurement> runs) {
  std::map<LayerType, int> count;
  for (const auto& r : runs) {
    std::set<LayerType> seen;
    for (const auto& l : r.model.layers)
      seen.insert(l.type);
    for (auto t : seen)
      ++count[t];
  }
  std::vector<std::pair<LayerType, int>> own;
  std::vector<LayerType> pooled;
  int pooled_archs = 0;
  for (const auto& [type, n] : count) {
    if (n >= kMinArchitecturesPerType) {
      own.emplace_back(type, n);
    } else {
      pooled.push_back(type);
    }
  }
  auto groups = [&] { return own.size() + (pooled.empty() ? 0 : 1); };
  while (!own.empty() && 3 * groups() > runs.size()) {
    auto rarest = std::min_element(
        own.begin(), own.end(),
        [](const auto& x, const auto& y) { return x.second < y.second; });
    pooled.push_back(rarest->first);
    own.erase(rarest);
  }
  std::vector<LayerGroup> out;
  for (const auto& [type, n] : own) {
    LayerGroup g;
    g.name = std::string(models::to_string(type));
    g.types = {type};
    g.architectures = n;
    out.push_back(std::move(g));
  }
  if (!pooled.empty()) {
    std::sort(pooled.begin(), pooled.end());
    LayerGroup g;
    g.name = std::string(kPooled);
    g.types = pooled;
    for (const auto& r : runs) {
      const bool has = std::any_of(
          r.model.layers.begin(), r.model.layers.end(), [&](const auto& l) {
            return std::find(pooled.begin(), pooled.end(), l.type) !=
                   pooled.end();
          });
      pooled_archs += has ? 1 : 0;
    }
    g.architectures = pooled_archs;
    out.push_back(std::move(g));
  }
  return out;
}

std::optional<std::size_t> group_of(const std::vector<LayerGroup>& groups,
                                    LayerType type) {
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const auto& types = groups[g].types;
    if (std::find(types.begin(), types.end(), type) != types.end())
      return g;
  }
  return std::nullopt;
}

// The per-group feature sums of a model: 3 columns per group.
std::vector<double> group_row(const models::Model& m,
                              const std::vector<LayerGroup>& groups,
                              double batch, bool training) {
  std::vector<double> row(3 * groups.size(), 0.0);
  const double factor = training ? training_factor(m) : 1.0;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    const auto g = group_of(groups, m.layers[i].type);
    if (!g)
      continue;
    const Features f = layer_features(m.stats[i], batch, factor);
    row[3 * *g] += f.flops;
    row[3 * *g + 1] += f.bytes;
    row[3 * *g + 2] += f.calls;
  }
  return row;
}

// Fits J = slope·x + intercept on relative residuals, slope and intercept
// non-negative.
Result<LinearPredictor> fit_linear(std::span<const double> x,
                                   std::span<const double> y) {
  Matrix a;
  for (double v : x)
    a.push_back({v, 1.0});
  MLCARBON_ASSIGN_OR_RETURN(auto c, fit_relative(std::move(a), y));
  return LinearPredictor{c[0], c[1]};
}

}  // namespace

std::string_view to_string(Predictor predictor) {
  switch (predictor) {
    case Predictor::kParameters:
      return "parameters";
    case Predictor::kFlops:
      return "flops";
    case Predictor::kPerLayer:
      return "per-layer";
  }
  return "per-layer";
}

Result<std::vector<double>> solve_nnls(const Matrix& a,
                                       std::span<const double> b) {
  if (a.empty() || a.front().empty() || a.size() != b.size()) {
    return make_error(Errc::kInvalidArgument,
                      "least squares: need a non-empty matrix with one "
                      "right-hand side per row, got {} rows and {} values",
                      a.size(), b.size());
  }
  const std::size_t n = a.front().size();
  double norm = 0.0;
  for (const auto& row : a) {
    if (row.size() != n) {
      return make_error(Errc::kInvalidArgument,
                        "least squares: rows of {} and {} columns", n,
                        row.size());
    }
    for (double v : row) {
      if (!std::isfinite(v))
        return make_error(Errc::kInvalidArgument,
                          "least squares: a matrix entry is not finite");
      norm = std::max(norm, std::abs(v));
    }
  }
  for (double v : b) {
    if (!std::isfinite(v))
      return make_error(Errc::kInvalidArgument,
                        "least squares: a right-hand side is not finite");
  }
  const double tol = 10.0 * std::numeric_limits<double>::epsilon() * norm *
                     static_cast<double>(std::max(a.size(), n));
  std::vector<double> x(n, 0.0);
  std::vector<bool> passive(n, false);
  std::vector<bool> barred(n, false);  // entered and came out at once
  // Lawson and Hanson prove termination; the bound guards rounding.
  for (std::size_t iter = 0; iter < 3 * n + 10; ++iter) {
    const std::vector<double> w = gradient(a, b, x);
    std::optional<std::size_t> t;
    for (std::size_t j = 0; j < n; ++j) {
      if (!passive[j] && !barred[j] && w[j] > tol && (!t || w[j] > w[*t]))
        t = j;
    }
    if (!t)
      break;
    passive[*t] = true;
    for (std::size_t inner = 0; inner <= n; ++inner) {
      std::vector<std::size_t> cols;
      for (std::size_t j = 0; j < n; ++j) {
        if (passive[j])
          cols.push_back(j);
      }
      const std::vector<double> z = least_squares(a, b, cols, n);
      bool feasible = true;
      for (auto j : cols)
        feasible = feasible && z[j] > 0.0;
      if (feasible) {
        x = z;
        break;
      }
      double alpha = 1.0;
      for (auto j : cols) {
        if (z[j] <= 0.0)
          alpha = std::min(alpha, x[j] / (x[j] - z[j]));
      }
      for (std::size_t j = 0; j < n; ++j)
        x[j] += alpha * (z[j] - x[j]);
      for (auto j : cols) {
        if (x[j] <= tol) {
          x[j] = 0.0;
          passive[j] = false;
        }
      }
    }
    if (!passive[*t])
      barred[*t] = true;
  }
  return x;
}

Result<MachineProfile> fit_profile(
    std::span<const ArchitectureMeasurement> runs, const FitOptions& options) {
  if (runs.size() < kMinFitArchitectures) {
    return make_error(Errc::kInvalidArgument,
                      "a machine profile needs at least {} measured "
                      "architectures, got {}",
                      kMinFitArchitectures, runs.size());
  }
  if (options.batch < 1) {
    return make_error(Errc::kInvalidArgument,
                      "the fit batch must be at least 1, got {}",
                      options.batch);
  }
  for (std::size_t i = 0; i < runs.size(); ++i)
    MLCARBON_RETURN_IF_ERROR(check_measurement(runs[i], i));

  MachineProfile p;
  p.device = options.device;
  p.batch = options.batch;
  p.engine = options.engine;
  p.context_json = options.context_json;
  const auto batch = static_cast<double>(options.batch);
  std::vector<double> infer, train, params, flops, train_flops;
  for (const auto& r : runs) {
    p.fit_set.push_back(r.model.name);
    infer.push_back(r.inference_j_per_sample);
    train.push_back(r.training_j_per_sample);
    params.push_back(static_cast<double>(r.model.parameters()));
    flops.push_back(r.model.forward_flops());
    train_flops.push_back(r.model.training_flops());
  }

  p.layer_groups = group_types(runs);
  for (bool training : {false, true}) {
    Matrix a;
    for (const auto& r : runs)
      a.push_back(group_row(r.model, p.layer_groups, batch, training));
    MLCARBON_ASSIGN_OR_RETURN(
        auto c, fit_relative(std::move(a), training ? train : infer));
    for (std::size_t g = 0; g < p.layer_groups.size(); ++g) {
      LayerCoefficients& k =
          training ? p.layer_groups[g].training : p.layer_groups[g].inference;
      k = LayerCoefficients{c[3 * g], c[3 * g + 1], c[3 * g + 2]};
    }
  }
  MLCARBON_ASSIGN_OR_RETURN(p.parameters_inference, fit_linear(params, infer));
  MLCARBON_ASSIGN_OR_RETURN(p.parameters_training, fit_linear(params, train));
  MLCARBON_ASSIGN_OR_RETURN(p.flops_inference, fit_linear(flops, infer));
  MLCARBON_ASSIGN_OR_RETURN(p.flops_training, fit_linear(train_flops, train));

  // The fit error: each predictor on the fit set itself.
  std::array<std::vector<double>, kPredictorCount> pi, pt;
  for (const auto& r : runs) {
    MLCARBON_ASSIGN_OR_RETURN(auto m, predict(r.model, p));
    for (std::size_t k = 0; k < kPredictorCount; ++k) {
      pi[k].push_back(m.predictions[k].inference_j_per_sample);
      pt[k].push_back(m.predictions[k].training_j_per_sample);
    }
  }
  for (std::size_t k = 0; k < kPredictorCount; ++k)
    p.fit_error[k] = FitError{mape(pi[k], infer), mape(pt[k], train)};
  MLCARBON_RETURN_IF_ERROR(check_profile(p));
  return p;
}

Result<ModelPrediction> predict(const models::Model& model,
                                const MachineProfile& profile) {
  if (model.stats.size() != model.layers.size()) {
    return make_error(Errc::kInvalidArgument,
                      "{}: the model has no layer statistics to predict from",
                      model.origin);
  }
  ModelPrediction out;
  const auto batch =
      static_cast<double>(std::max<std::int64_t>(profile.batch, 1));
  const double factor = training_factor(model);
  std::optional<std::size_t> pooled;
  for (std::size_t g = 0; g < profile.layer_groups.size(); ++g) {
    if (profile.layer_groups[g].name == kPooled)
      pooled = g;
  }
  std::set<LayerType> warned;
  double infer = 0.0;
  double train = 0.0;
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const models::Layer& layer = model.layers[i];
    const models::LayerStats& s = model.stats[i];
    LayerPrediction lp{layer.name, layer.type, 0.0, 0.0, ""};
    auto g = group_of(profile.layer_groups, layer.type);
    const std::string_view type_name = models::to_string(layer.type);
    if (!g && pooled) {
      g = pooled;
      if (warned.insert(layer.type).second) {
        out.warnings.push_back(fmt::format(
            "layer type '{}' is not in the machine profile (no fit "
            "architecture had one); its layers use the pooled coefficients",
            type_name));
      }
    }
    if (g) {
      const LayerGroup& group = profile.layer_groups[*g];
      lp.inference_j = apply(group.inference, layer_features(s, batch, 1.0));
      lp.training_j = apply(group.training, layer_features(s, batch, factor));
      lp.coefficients = group.name;
    } else {
      if (warned.insert(layer.type).second) {
        out.warnings.push_back(fmt::format(
            "layer type '{}' is not in the machine profile (no fit "
            "architecture had one); its layers use the FLOP predictor's J "
            "per FLOP",
            type_name));
      }
      lp.inference_j = profile.flops_inference.slope * s.forward_flops;
      lp.training_j = profile.flops_training.slope * s.forward_flops * factor;
      lp.coefficients = "flops";
    }
    infer += lp.inference_j;
    train += lp.training_j;
    out.layers.push_back(std::move(lp));
  }
  const auto params = static_cast<double>(model.parameters());
  const std::array<std::pair<double, double>, kPredictorCount> figures = {{
      {apply(profile.parameters_inference, params),
       apply(profile.parameters_training, params)},
      {apply(profile.flops_inference, model.forward_flops()),
       apply(profile.flops_training, model.training_flops())},
      {infer, train},
  }};
  for (std::size_t k = 0; k < kPredictorCount; ++k) {
    const auto predictor = static_cast<Predictor>(k);
    const auto [i, t] = figures[k];
    if (!std::isfinite(i) || i <= 0.0 || !std::isfinite(t)) {
      return make_error(Errc::kInvalidArgument,
                        "{}: the {} predictor gives {} J per inference, not a "
                        "positive number; the machine profile cannot predict "
                        "this model",
                        model.origin, to_string(predictor), i);
    }
    out.predictions[k] =
        Prediction{predictor, i, t, t / i, profile.fit_error[k]};
  }
  return out;
}

// ----------------------------------------------------------------------------
// The profile file.

namespace {

using Json = nlohmann::ordered_json;

Json coefficients_json(const LayerCoefficients& c) {
  return Json{{"j_per_flop", c.j_per_flop},
              {"j_per_byte", c.j_per_byte},
              {"j_per_call", c.j_per_call}};
}

Json linear_json(const LinearPredictor& p, std::string_view slope) {
  return Json{{std::string(slope), p.slope}, {"intercept_j", p.intercept_j}};
}

Json error_json(const FitError& e) {
  return Json{{"inference", e.inference_mape}, {"training", e.training_mape}};
}

// Reads the fields of a profile; every error names the origin and the field.
class ProfileReader {
 public:
  explicit ProfileReader(std::string_view origin) : origin_(origin) {}

  tl::unexpected<Error> fail(std::string_view path,
                             std::string_view what) const {
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("{}: {}: {}", origin_, path, what)));
  }

  Result<const Json*> field(const Json& j, std::string_view path,
                            std::string_view key) const {
    const std::string full =
        path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
    auto it = j.find(std::string(key));
    if (it == j.end())
      return fail(full, "missing");
    return &*it;
  }

  Result<const Json*> object(const Json& j, std::string_view path,
                             std::string_view key) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* v, field(j, path, key));
    if (!v->is_object())
      return fail(join(path, key), "expected an object");
    return v;
  }

  Result<double> number(const Json& j, std::string_view path,
                        std::string_view key) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* v, field(j, path, key));
    if (!v->is_number())
      return fail(join(path, key), "expected a number");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < 0.0) {
      return fail(join(path, key),
                  fmt::format("expected a non-negative number, got {}", d));
    }
    return d;
  }

  Result<std::string> text(const Json& j, std::string_view path,
                           std::string_view key) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* v, field(j, path, key));
    if (!v->is_string())
      return fail(join(path, key), "expected text");
    return v->get<std::string>();
  }

  Result<LayerCoefficients> coefficients(const Json& j, std::string_view path,
                                         std::string_view key) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* o, object(j, path, key));
    const std::string p = join(path, key);
    LayerCoefficients c;
    MLCARBON_ASSIGN_OR_RETURN(c.j_per_flop, number(*o, p, "j_per_flop"));
    MLCARBON_ASSIGN_OR_RETURN(c.j_per_byte, number(*o, p, "j_per_byte"));
    MLCARBON_ASSIGN_OR_RETURN(c.j_per_call, number(*o, p, "j_per_call"));
    return c;
  }

  Result<LinearPredictor> linear(const Json& j, std::string_view path,
                                 std::string_view key,
                                 std::string_view slope) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* o, object(j, path, key));
    const std::string p = join(path, key);
    LinearPredictor l;
    MLCARBON_ASSIGN_OR_RETURN(l.slope, number(*o, p, slope));
    MLCARBON_ASSIGN_OR_RETURN(l.intercept_j, number(*o, p, "intercept_j"));
    return l;
  }

  Result<FitError> error(const Json& j, std::string_view path) const {
    MLCARBON_ASSIGN_OR_RETURN(const Json* o,
                              object(j, path, "fit_mape_percent"));
    const std::string p = join(path, "fit_mape_percent");
    FitError e;
    MLCARBON_ASSIGN_OR_RETURN(e.inference_mape, number(*o, p, "inference"));
    MLCARBON_ASSIGN_OR_RETURN(e.training_mape, number(*o, p, "training"));
    return e;
  }

  static std::string join(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  }

 private:
  std::string origin_;
};

Result<LayerGroup> read_group(const ProfileReader& r, const Json& g,
                              std::string_view path) {
  if (!g.is_object())
    return r.fail(path, "expected an object");
  LayerGroup group;
  MLCARBON_ASSIGN_OR_RETURN(group.name, r.text(g, path, "name"));
  MLCARBON_ASSIGN_OR_RETURN(const Json* types, r.field(g, path, "types"));
  const std::string types_path = ProfileReader::join(path, "types");
  if (!types->is_array() || types->empty())
    return r.fail(types_path, "expected a list of layer type names");
  for (std::size_t i = 0; i < types->size(); ++i) {
    const Json& t = (*types)[i];
    const auto type =
        t.is_string()
            ? models::parse_layer_type(t.get_ref<const std::string&>())
            : std::nullopt;
    if (!type) {
      return r.fail(fmt::format("{}[{}]", types_path, i),
                    fmt::format("expected a layer type name (one of: {})",
                                fmt::join(models::layer_type_names(), ", ")));
    }
    group.types.push_back(*type);
  }
  MLCARBON_ASSIGN_OR_RETURN(double archs, r.number(g, path, "architectures"));
  group.architectures = static_cast<int>(std::min(archs, 1e9));
  MLCARBON_ASSIGN_OR_RETURN(group.inference,
                            r.coefficients(g, path, "inference"));
  MLCARBON_ASSIGN_OR_RETURN(group.training,
                            r.coefficients(g, path, "training"));
  return group;
}

}  // namespace

Status check_profile(const MachineProfile& p) {
  auto bad = [](double v) { return !std::isfinite(v) || v < 0.0; };
  auto fail = [](std::string_view field, double v) {
    return make_error(Errc::kInvalidArgument,
                      "machine profile: {} is {}, not a non-negative number",
                      field, v);
  };
  if (p.batch < 1) {
    return make_error(Errc::kInvalidArgument,
                      "machine profile: batch is {}, not at least 1", p.batch);
  }
  const Json context = Json::parse(p.context_json, nullptr, false);
  if (context.is_discarded() || !context.is_object()) {
    return make_error(Errc::kInvalidArgument,
                      "machine profile: the context is not a JSON object");
  }
  std::set<LayerType> seen;
  for (const auto& g : p.layer_groups) {
    for (auto t : g.types) {
      if (!seen.insert(t).second) {
        return make_error(Errc::kInvalidArgument,
                          "machine profile: layer type '{}' is in two groups",
                          models::to_string(t));
      }
    }
    for (const auto& [phase, c] :
         {std::pair{"inference", g.inference}, {"training", g.training}}) {
      for (const auto& [what, v] : {std::pair{"j_per_flop", c.j_per_flop},
                                    {"j_per_byte", c.j_per_byte},
                                    {"j_per_call", c.j_per_call}}) {
        if (bad(v))
          return fail(fmt::format("{}.{}.{}", g.name, phase, what), v);
      }
    }
  }
  for (const auto& [what, l] :
       {std::pair{"parameters.inference", p.parameters_inference},
        {"parameters.training", p.parameters_training},
        {"flops.inference", p.flops_inference},
        {"flops.training", p.flops_training}}) {
    if (bad(l.slope))
      return fail(fmt::format("{} slope", what), l.slope);
    if (bad(l.intercept_j))
      return fail(fmt::format("{} intercept", what), l.intercept_j);
  }
  for (std::size_t k = 0; k < kPredictorCount; ++k) {
    const auto name = to_string(static_cast<Predictor>(k));
    if (bad(p.fit_error[k].inference_mape))
      return fail(fmt::format("{} inference MAPE", name),
                  p.fit_error[k].inference_mape);
    if (bad(p.fit_error[k].training_mape))
      return fail(fmt::format("{} training MAPE", name),
                  p.fit_error[k].training_mape);
  }
  return {};
}

std::string profile_json(const MachineProfile& p) {
  Json groups = Json::array();
  for (const auto& g : p.layer_groups) {
    Json types = Json::array();
    for (auto t : g.types)
      types.push_back(std::string(models::to_string(t)));
    groups.push_back(Json{{"name", g.name},
                          {"types", types},
                          {"architectures", g.architectures},
                          {"inference", coefficients_json(g.inference)},
                          {"training", coefficients_json(g.training)}});
  }
  Json context = Json::parse(p.context_json, nullptr, false);
  if (context.is_discarded() || !context.is_object())
    context = Json::object();
  auto error = [&](Predictor k) {
    return error_json(p.fit_error[static_cast<std::size_t>(k)]);
  };
  const Json j{
      {"tool", "mlcarbon"},
      {"kind", "machine_profile"},
      {"schema_version", kProfileSchemaVersion},
      {"device", p.device},
      {"batch", p.batch},
      {"engine", p.engine},
      {"context", context},
      {"fit_set", p.fit_set},
      {"predictors",
       Json{{"parameters",
             Json{{"inference",
                   linear_json(p.parameters_inference, "j_per_parameter")},
                  {"training",
                   linear_json(p.parameters_training, "j_per_parameter")},
                  {"fit_mape_percent", error(Predictor::kParameters)}}},
            {"flops",
             Json{{"inference", linear_json(p.flops_inference, "j_per_flop")},
                  {"training", linear_json(p.flops_training, "j_per_flop")},
                  {"fit_mape_percent", error(Predictor::kFlops)}}},
            {"per_layer",
             Json{{"groups", groups},
                  {"fit_mape_percent", error(Predictor::kPerLayer)}}}}},
  };
  return j.dump(2) + "\n";
}

Result<MachineProfile> parse_profile(std::string_view json_text,
                                     std::string_view origin) {
  const Json j = Json::parse(json_text, nullptr, false);
  const ProfileReader r(origin);
  if (j.is_discarded() || !j.is_object())
    return r.fail("(file)", "not a JSON object: not a machine profile");
  auto is = [&](const char* key, const char* value) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() &&
           it->get_ref<const std::string&>() == value;
  };
  if (!is("tool", "mlcarbon") || !is("kind", "machine_profile")) {
    return r.fail("kind",
                  "not a machine profile (expected \"tool\": \"mlcarbon\" and "
                  "\"kind\": \"machine_profile\")");
  }
  MLCARBON_ASSIGN_OR_RETURN(double version, r.number(j, "", "schema_version"));
  if (version != kProfileSchemaVersion) {
    return r.fail("schema_version",
                  fmt::format("this mlcarbon reads machine profiles of "
                              "schema_version {}, got {}",
                              kProfileSchemaVersion, version));
  }
  MachineProfile p;
  MLCARBON_ASSIGN_OR_RETURN(p.device, r.text(j, "", "device"));
  MLCARBON_ASSIGN_OR_RETURN(double batch, r.number(j, "", "batch"));
  if (batch < 1.0 || batch > 1e9 || batch != std::floor(batch)) {
    return r.fail("batch", fmt::format("expected a whole number of samples of "
                                       "at least 1, got {}",
                                       batch));
  }
  p.batch = static_cast<std::int64_t>(batch);
  MLCARBON_ASSIGN_OR_RETURN(p.engine, r.text(j, "", "engine"));
  MLCARBON_ASSIGN_OR_RETURN(const Json* context, r.object(j, "", "context"));
  p.context_json = context->dump();
  MLCARBON_ASSIGN_OR_RETURN(const Json* fit_set, r.field(j, "", "fit_set"));
  if (!fit_set->is_array())
    return r.fail("fit_set", "expected a list of architecture names");
  for (std::size_t i = 0; i < fit_set->size(); ++i) {
    if (!(*fit_set)[i].is_string())
      return r.fail(fmt::format("fit_set[{}]", i), "expected text");
    p.fit_set.push_back((*fit_set)[i].get<std::string>());
  }
  MLCARBON_ASSIGN_OR_RETURN(const Json* pred, r.object(j, "", "predictors"));
  constexpr std::string_view kPred = "predictors";
  MLCARBON_ASSIGN_OR_RETURN(const Json* params,
                            r.object(*pred, kPred, "parameters"));
  constexpr std::string_view kParams = "predictors.parameters";
  MLCARBON_ASSIGN_OR_RETURN(
      p.parameters_inference,
      r.linear(*params, kParams, "inference", "j_per_parameter"));
  MLCARBON_ASSIGN_OR_RETURN(
      p.parameters_training,
      r.linear(*params, kParams, "training", "j_per_parameter"));
  MLCARBON_ASSIGN_OR_RETURN(p.fit_error[0], r.error(*params, kParams));
  MLCARBON_ASSIGN_OR_RETURN(const Json* flops, r.object(*pred, kPred, "flops"));
  constexpr std::string_view kFlops = "predictors.flops";
  MLCARBON_ASSIGN_OR_RETURN(
      p.flops_inference, r.linear(*flops, kFlops, "inference", "j_per_flop"));
  MLCARBON_ASSIGN_OR_RETURN(p.flops_training,
                            r.linear(*flops, kFlops, "training", "j_per_flop"));
  MLCARBON_ASSIGN_OR_RETURN(p.fit_error[1], r.error(*flops, kFlops));
  MLCARBON_ASSIGN_OR_RETURN(const Json* layer,
                            r.object(*pred, kPred, "per_layer"));
  constexpr std::string_view kLayer = "predictors.per_layer";
  MLCARBON_ASSIGN_OR_RETURN(const Json* groups,
                            r.field(*layer, kLayer, "groups"));
  if (!groups->is_array())
    return r.fail("predictors.per_layer.groups", "expected a list of groups");
  for (std::size_t i = 0; i < groups->size(); ++i) {
    MLCARBON_ASSIGN_OR_RETURN(
        auto g, read_group(r, (*groups)[i],
                           fmt::format("predictors.per_layer.groups[{}]", i)));
    p.layer_groups.push_back(std::move(g));
  }
  MLCARBON_ASSIGN_OR_RETURN(p.fit_error[2], r.error(*layer, kLayer));
  if (auto ok = check_profile(p); !ok) {
    return make_error(Errc::kInvalidArgument, "{}: {}", origin,
                      ok.error().message());
  }
  return p;
}

}  // namespace mlcarbon::lifecycle
