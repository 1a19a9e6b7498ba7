// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/lifecycle/predict.h"

#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlcarbon::lifecycle {
namespace {

using models::LayerType;
using ::testing::HasSubstr;

// Models are built by hand, with stats a test can compute itself, so the
// predictor is tested apart from the layer counting of models/.
struct Builder {
  models::Model m;
  std::int64_t width = 0;

  explicit Builder(std::string name, std::int64_t inputs) : width(inputs) {
    m.name = std::move(name);
    m.origin = m.name;
    m.input = {inputs};
  }
  Builder& dense(std::int64_t units) {
    models::Layer l;
    l.type = LayerType::kDense;
    l.name = "dense_" + std::to_string(m.layers.size());
    l.units = units;
    models::LayerStats s;
    s.input = {width};
    s.output = {units};
    s.params = width * units + units;
    s.forward_flops = 2.0 * static_cast<double>(width * units);
    s.weight_bytes = 4.0 * static_cast<double>(s.params);
    s.activation_bytes = 4.0 * static_cast<double>(units);
    m.layers.push_back(l);
    m.stats.push_back(s);
    width = units;
    return *this;
  }
  Builder& elementwise(LayerType type) {
    models::Layer l;
    l.type = type;
    l.name = "act_" + std::to_string(m.layers.size());
    models::LayerStats s;
    s.input = {width};
    s.output = {width};
    s.forward_flops = static_cast<double>(width);
    s.activation_bytes = 4.0 * static_cast<double>(width);
    m.layers.push_back(l);
    m.stats.push_back(s);
    return *this;
  }
  // depth hidden dense layers (each followed by `act` unless kOther), then
  // one output unit.
  static models::Model mlp(std::int64_t depth, std::int64_t width,
                           std::int64_t inputs,
                           LayerType act = LayerType::kOther) {
    Builder b("mlp:depth=" + std::to_string(depth) + ",width=" +
                  std::to_string(width) + ",inputs=" + std::to_string(inputs),
              inputs);
    for (std::int64_t i = 0; i < depth; ++i) {
      b.dense(width);
      if (act != LayerType::kOther)
        b.elementwise(act);
    }
    b.dense(1);
    return b.m;
  }
};

// The features of predict.h's LayerCoefficients, computed independently.
double layer_energy(const models::LayerStats& s, const LayerCoefficients& c,
                    double batch, double flops_factor) {
  const double in = static_cast<double>(s.input.at(0));
  const double out = static_cast<double>(s.output.at(0));
  const double bytes = s.weight_bytes / batch + 4.0 * (in + out);
  return c.j_per_flop * s.forward_flops * flops_factor + c.j_per_byte * bytes +
         c.j_per_call / batch;
}

struct Truth {
  LayerCoefficients dense_infer{2e-10, 3e-10, 4e-5};
  LayerCoefficients dense_train{5e-10, 9e-10, 1.5e-4};
  LayerCoefficients act_infer{1e-9, 0.0, 2e-5};
  LayerCoefficients act_train{3e-9, 0.0, 6e-5};
  double batch = 32.0;

  ArchitectureMeasurement measure(models::Model m) const {
    double infer = 0.0;
    double train = 0.0;
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
      const bool dense = m.layers[i].type == LayerType::kDense;
      infer +=
          layer_energy(m.stats[i], dense ? dense_infer : act_infer, batch, 1.0);
      train +=
          layer_energy(m.stats[i], dense ? dense_train : act_train, batch, 3.0);
    }
    return {std::move(m), infer, train};
  }
};

std::vector<ArchitectureMeasurement> fit_set(const Truth& truth,
                                             LayerType act) {
  std::vector<ArchitectureMeasurement> runs;
  for (auto [d, w, n] : std::vector<std::array<std::int64_t, 3>>{
           {1, 10, 10},
           {2, 50, 20},
           {4, 25, 100},
           {8, 100, 5},
           {3, 200, 50},
           {10, 15, 30},
           {1, 400, 400},
           {6, 60, 8},
           {5, 120, 12},
           {2, 30, 300},
       }) {
    runs.push_back(truth.measure(Builder::mlp(d, w, n, act)));
  }
  return runs;
}

FitOptions options() {
  FitOptions o;
  o.batch = 32;
  o.engine = "test";
  o.context_json = R"({"hostname":"testhost"})";
  return o;
}

const LayerGroup* group(const MachineProfile& p, std::string_view name) {
  for (const auto& g : p.layer_groups) {
    if (g.name == name)
      return &g;
  }
  return nullptr;
}

TEST(NnlsTest, MatchesHandSolvedUnconstrainedSystem) {
  // x = (2, 1) fits all three rows exactly.
  const std::vector<std::vector<double>> a = {{1, 0}, {0, 1}, {1, 1}};
  const std::vector<double> b = {2, 1, 3};

  auto x = solve_nnls(a, b);

  ASSERT_TRUE(x.has_value()) << x.error().to_string();
  EXPECT_NEAR((*x)[0], 2.0, 1e-12);
  EXPECT_NEAR((*x)[1], 1.0, 1e-12);
}

TEST(NnlsTest, ClampsANegativeSlopeToZero) {
  // b = 4 − x over x = 1, 2, 3: least squares gives slope −1, intercept 4;
  // with both ≥ 0 the slope is 0 and the intercept the mean of b, 2 (the
  // slope's gradient there, Σ x_i (b_i − 2) = −2, keeps it at its bound).
  const std::vector<std::vector<double>> a = {{1, 1}, {1, 2}, {1, 3}};
  const std::vector<double> b = {3, 2, 1};

  auto x = solve_nnls(a, b);

  ASSERT_TRUE(x.has_value());
  EXPECT_NEAR((*x)[0], 2.0, 1e-12);
  EXPECT_NEAR((*x)[1], 0.0, 1e-12);
}

TEST(NnlsTest, AnAllNegativeTargetGivesZero) {
  const std::vector<std::vector<double>> a = {{1, 0}, {0, 1}};
  const std::vector<double> b = {-1, -2};

  auto x = solve_nnls(a, b);

  ASSERT_TRUE(x.has_value());
  EXPECT_EQ((*x)[0], 0.0);
  EXPECT_EQ((*x)[1], 0.0);
}

TEST(NnlsTest, RejectsRaggedAndNonFiniteInput) {
  const std::vector<double> b = {1, 2};
  EXPECT_FALSE(solve_nnls({{1, 0}, {1}}, b).has_value());
  EXPECT_FALSE(solve_nnls({{1, NAN}, {1, 2}}, b).has_value());
  EXPECT_FALSE(solve_nnls({{1, 2}}, b).has_value());
}

TEST(FitProfileTest, RecoversKnownDenseCoefficients) {
  // Only dense layers: their FLOPs, bytes and calls vary independently over
  // the fit set, so the coefficients are identifiable.
  const Truth truth;
  const auto runs = fit_set(truth, LayerType::kOther);

  auto p = fit_profile(runs, options());

  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  const LayerGroup* dense = group(*p, "dense");
  ASSERT_NE(dense, nullptr);
  // Exact data: recovered to 1e-6 relative (the solver's rounding).
  EXPECT_NEAR(dense->inference.j_per_flop, 2e-10, 2e-16);
  EXPECT_NEAR(dense->inference.j_per_byte, 3e-10, 3e-16);
  EXPECT_NEAR(dense->inference.j_per_call, 4e-5, 4e-11);
  EXPECT_NEAR(dense->training.j_per_flop, 5e-10, 5e-16);
  EXPECT_NEAR(dense->training.j_per_byte, 9e-10, 9e-16);
  EXPECT_NEAR(dense->training.j_per_call, 1.5e-4, 1.5e-10);
  EXPECT_EQ(dense->architectures, 10);
  EXPECT_LT(p->fit_error[static_cast<std::size_t>(Predictor::kPerLayer)]
                .inference_mape,
            1e-6);
  EXPECT_EQ(p->batch, 32);
  EXPECT_EQ(p->fit_set.size(), 10U);
}

TEST(FitProfileTest, PredictsAHeldOutModelWithActivations) {
  // relu's FLOPs and bytes are proportional (both one per element), so its
  // split between them is not identifiable; the predictions still are.
  const Truth truth;
  auto p = fit_profile(fit_set(truth, LayerType::kRelu), options());
  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  const auto held_out =
      truth.measure(Builder::mlp(20, 35, 70, LayerType::kRelu));

  auto m = predict(held_out.model, *p);

  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  const Prediction& layer = m->get(Predictor::kPerLayer);
  EXPECT_NEAR(layer.inference_j_per_sample, held_out.inference_j_per_sample,
              1e-6 * held_out.inference_j_per_sample);
  EXPECT_NEAR(layer.training_j_per_sample, held_out.training_j_per_sample,
              1e-6 * held_out.training_j_per_sample);
  EXPECT_NEAR(layer.overhead,
              held_out.training_j_per_sample / held_out.inference_j_per_sample,
              1e-6);
  EXPECT_TRUE(m->warnings.empty());
  ASSERT_EQ(m->layers.size(), held_out.model.layers.size());
  double sum = 0.0;
  for (const auto& l : m->layers)
    sum += l.inference_j;
  EXPECT_DOUBLE_EQ(sum, layer.inference_j_per_sample);
  EXPECT_EQ(m->layers[1].coefficients, "relu");
  // The coarser predictors answer too, with their fit error attached.
  for (auto k : {Predictor::kParameters, Predictor::kFlops}) {
    EXPECT_GT(m->get(k).inference_j_per_sample, 0.0) << to_string(k);
    EXPECT_GT(m->get(k).fit_error.inference_mape, 0.0) << to_string(k);
  }
}

TEST(FitProfileTest, PoolsARareTypeAndWarnsOnAnUnknownOne) {
  const Truth truth;
  auto runs = fit_set(truth, LayerType::kRelu);
  // tanh in one architecture only: too rare for coefficients of its own.
  runs[0] = truth.measure(Builder::mlp(2, 10, 10, LayerType::kTanh));

  auto p = fit_profile(runs, options());

  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  const LayerGroup* pooled = group(*p, "pooled");
  ASSERT_NE(pooled, nullptr);
  EXPECT_EQ(pooled->types, std::vector<LayerType>{LayerType::kTanh});
  EXPECT_EQ(pooled->architectures, 1);
  auto m = predict(Builder::mlp(2, 10, 10, LayerType::kGelu), *p);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_THAT(m->warnings[0], HasSubstr("layer type 'gelu' is not in the "
                                        "machine profile"));
  EXPECT_THAT(m->warnings[0], HasSubstr("pooled coefficients"));
  EXPECT_EQ(m->layers[1].coefficients, "pooled");
}

TEST(FitProfileTest, AnUnknownTypeWithoutAPoolFallsBackToTheFlopSlope) {
  const Truth truth;
  auto p = fit_profile(fit_set(truth, LayerType::kOther), options());
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(group(*p, "pooled"), nullptr);

  auto m = predict(Builder::mlp(1, 10, 10, LayerType::kSigmoid), *p);

  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->warnings.size(), 1U);
  EXPECT_THAT(m->warnings[0], HasSubstr("'sigmoid'"));
  EXPECT_THAT(m->warnings[0], HasSubstr("J per FLOP"));
  EXPECT_EQ(m->layers[1].coefficients, "flops");
  EXPECT_DOUBLE_EQ(m->layers[1].inference_j, p->flops_inference.slope * 10.0);
  EXPECT_GT(m->layers[1].inference_j, 0.0);
}

TEST(FitProfileTest, PredictsAHeldOutShorthandFromMlpsAndCnns) {
  // Real layer counts (models/): conv1d, relu, flatten and dense layers,
  // energies from known coefficients per type.
  auto energy = [](const models::Model& m, double flops_factor) {
    double j = 0.0;
    for (const auto& s : m.stats) {
      double in = 1.0;
      double out = 1.0;
      for (auto d : s.input)
        in *= static_cast<double>(d);
      for (auto d : s.output)
        out *= static_cast<double>(d);
      const double bytes = s.weight_bytes / 16.0 + 4.0 * (in + out);
      j += 1e-10 * flops_factor * s.forward_flops + 5e-11 * bytes + 2e-5 / 16.0;
    }
    return j;
  };
  std::vector<ArchitectureMeasurement> runs;
  for (const char* text :
       {"mlp:depth=1,width=10,inputs=10", "mlp:depth=3,width=40,inputs=20",
        "mlp:depth=6,width=25,inputs=100", "mlp:depth=2,width=200,inputs=8",
        "mlp:depth=10,width=15,inputs=30", "mlp:depth=4,width=80,inputs=60",
        "mlp:depth=8,width=120,inputs=12", "cnn:depth=1,filters=4,inputs=20",
        "cnn:depth=2,filters=8,inputs=50", "cnn:depth=4,filters=16,inputs=30",
        "cnn:depth=3,filters=32,inputs=10", "cnn:depth=6,filters=6,inputs=64",
        "cnn:depth=2,filters=24,inputs=100",
        "cnn:depth=5,filters=12,inputs=40"}) {
    auto m = models::parse_shorthand(text);
    ASSERT_TRUE(m.has_value()) << m.error().to_string();
    const double infer = energy(*m, 1.0);
    const double train = energy(*m, m->training_flops() / m->forward_flops());
    runs.push_back({std::move(*m), infer, train});
  }
  FitOptions o = options();
  o.batch = 16;
  auto p = fit_profile(runs, o);
  ASSERT_TRUE(p.has_value()) << p.error().to_string();
  auto held_out = models::parse_shorthand("cnn:depth=7,filters=20,inputs=45");
  ASSERT_TRUE(held_out.has_value());

  auto m = predict(*held_out, *p);

  ASSERT_TRUE(m.has_value()) << m.error().to_string();
  const double truth = energy(*held_out, 1.0);
  EXPECT_NEAR(m->get(Predictor::kPerLayer).inference_j_per_sample, truth,
              1e-6 * truth);
  EXPECT_TRUE(m->warnings.empty());
  EXPECT_NE(group(*p, "conv1d"), nullptr);
  EXPECT_NE(group(*p, "flatten"), nullptr);
}

TEST(FitProfileTest, TooFewArchitecturesIsAnError) {
  const Truth truth;
  auto runs = fit_set(truth, LayerType::kRelu);
  runs.resize(kMinFitArchitectures - 1);

  auto p = fit_profile(runs, options());

  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message(), HasSubstr("needs at least 4 measured "
                                             "architectures, got 3"));
}

TEST(FitProfileTest, ANonPositiveEnergyIsAnError) {
  const Truth truth;
  auto runs = fit_set(truth, LayerType::kRelu);
  runs[2].training_j_per_sample = -1.0;

  auto p = fit_profile(runs, options());

  ASSERT_FALSE(p.has_value());
  EXPECT_THAT(p.error().message(), HasSubstr("fit architecture 3"));
}

TEST(FitProfileTest, ParameterAndFlopPredictorsFitALinearCost) {
  // Energy proportional to FLOPs plus a fixed cost: the FLOP predictor is
  // exact, and its intercept is that cost.
  std::vector<ArchitectureMeasurement> runs;
  for (std::int64_t w : {5, 10, 20, 40, 80}) {
    models::Model m = Builder::mlp(2, w, 10);
    const double e = 1e-9 * m.forward_flops() + 1e-4;
    runs.push_back({m, e, 3.0 * e});
  }

  auto p = fit_profile(runs, options());

  ASSERT_TRUE(p.has_value());
  EXPECT_NEAR(p->flops_inference.slope, 1e-9, 1e-15);
  EXPECT_NEAR(p->flops_inference.intercept_j, 1e-4, 1e-10);
  EXPECT_LT(
      p->fit_error[static_cast<std::size_t>(Predictor::kFlops)].inference_mape,
      1e-6);
}

TEST(ProfileJsonTest, RoundTrips) {
  const Truth truth;
  auto runs = fit_set(truth, LayerType::kRelu);
  runs[0] = truth.measure(Builder::mlp(2, 10, 10, LayerType::kTanh));
  auto p = fit_profile(runs, options());
  ASSERT_TRUE(p.has_value());

  const std::string json = profile_json(*p);
  auto back = parse_profile(json, "profile.json");

  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(profile_json(*back), json);
  EXPECT_EQ(back->context_json, R"({"hostname":"testhost"})");
  ASSERT_EQ(back->layer_groups.size(), p->layer_groups.size());
  EXPECT_EQ(back->layer_groups[0].inference.j_per_flop,
            p->layer_groups[0].inference.j_per_flop);
  EXPECT_THAT(json, HasSubstr(R"("kind": "machine_profile")"));
}

class BadProfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Truth truth;
    auto p = fit_profile(fit_set(truth, LayerType::kRelu), options());
    ASSERT_TRUE(p.has_value());
    json_ = profile_json(*p);
  }
  // json_ with the first `from` replaced by `to`.
  std::string with(std::string_view from, std::string_view to) const {
    std::string s = json_;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos)
      s.replace(at, from.size(), to);
    return s;
  }
  std::string error(const std::string& text) const {
    auto p = parse_profile(text, "lab.json");
    return p ? std::string("(parsed)") : p.error().message();
  }
  std::string json_;
};

TEST_F(BadProfileTest, ErrorsNameTheFileAndTheField) {
  EXPECT_EQ(error(with(R"("batch": 32)", R"("batch": 0)")),
            "lab.json: batch: expected a whole number of samples of at least "
            "1, got 0");
  EXPECT_THAT(error(with(R"("j_per_call": )", R"("j_per_call": -)")),
              HasSubstr("lab.json: predictors.per_layer.groups[0].inference."
                        "j_per_call: expected a non-negative number, got -"));
  EXPECT_EQ(error(with(R"("intercept_j")", R"("intercept")")),
            "lab.json: predictors.parameters.inference.intercept_j: missing");
  EXPECT_EQ(error(with(R"("device": "cpu")", R"("device": 1)")),
            "lab.json: device: expected text");
  // The type list's "dense" is the one a newline follows.
  EXPECT_THAT(error(with("\"dense\"\n", "\"densse\"\n")),
              HasSubstr("groups[0].types[0]: expected a layer type name"));
  EXPECT_THAT(error(with("machine_profile", "run")),
              HasSubstr("lab.json: kind: not a machine profile"));
  EXPECT_THAT(error(with(R"("schema_version": 1)", R"("schema_version": 2)")),
              HasSubstr("schema_version 1, got 2"));
  EXPECT_THAT(error("{\"tool\": "), HasSubstr("not a JSON object"));
  EXPECT_THAT(error(with(R"("j_per_flop": )", R"("j_per_flop": 1e999, "x": )")),
              HasSubstr("not a JSON object"));
}

TEST(CheckProfileTest, RefusesNanAndNegativeNumbers) {
  MachineProfile p;
  p.layer_groups.push_back(LayerGroup{"dense", {LayerType::kDense}, {}, {}, 1});
  EXPECT_TRUE(check_profile(p).has_value());

  p.layer_groups[0].training.j_per_byte = NAN;
  auto nan = check_profile(p);
  p.layer_groups[0].training.j_per_byte = 0.0;
  p.flops_inference.intercept_j = -1.0;
  auto negative = check_profile(p);
  p.flops_inference.intercept_j = 0.0;
  p.layer_groups.push_back(
      LayerGroup{"pooled", {LayerType::kDense}, {}, {}, 1});
  auto twice = check_profile(p);

  ASSERT_FALSE(nan.has_value());
  EXPECT_THAT(nan.error().message(), HasSubstr("dense.training.j_per_byte"));
  ASSERT_FALSE(negative.has_value());
  EXPECT_THAT(negative.error().message(), HasSubstr("flops.inference"));
  ASSERT_FALSE(twice.has_value());
  EXPECT_THAT(twice.error().message(), HasSubstr("'dense' is in two groups"));
}

TEST(PredictTest, AModelWithoutStatsIsAnError) {
  models::Model m = Builder::mlp(1, 4, 4);
  m.stats.clear();

  auto r = predict(m, MachineProfile{});

  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("no layer statistics"));
}

TEST(PredictTest, AProfileOfZerosCannotPredict) {
  auto r = predict(Builder::mlp(1, 4, 4), MachineProfile{});

  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message(), HasSubstr("not a positive number"));
}

}  // namespace
}  // namespace mlcarbon::lifecycle
