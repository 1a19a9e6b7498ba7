// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/experiments/experiment.h"
#include "mlcarbon/experiments/fit.h"
#include "mlcarbon/experiments/report.h"

#include "support/fake_engine.h"
#include "support/test_support.h"

namespace mlcarbon::experiments {
namespace {

using mlcarbon::testing::FakeEngine;
using mlcarbon::testing::FakeMachine;
using mlcarbon::testing::TempDir;

TEST(FitTest, LinearFitRecoversAnExactLine) {
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> y = {5, 7, 9, 11};
  auto f = fit_linear(x, y);
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_NEAR(f->slope, 2.0, 1e-12);
  EXPECT_NEAR(f->intercept, 3.0, 1e-12);
  EXPECT_NEAR(f->r2, 1.0, 1e-12);
  EXPECT_EQ(f->n, 4U);
}

TEST(FitTest, RSquaredFallsWithScatter) {
  const std::vector<double> x = {1, 2, 3, 4};
  const std::vector<double> y = {1, 4, 2, 5};
  auto f = fit_linear(x, y);
  ASSERT_TRUE(f);
  // y = x + 0.5 leaves residuals of SS 5 out of SS_tot 10.
  EXPECT_NEAR(f->slope, 1.0, 1e-12);
  EXPECT_NEAR(f->intercept, 0.5, 1e-12);
  EXPECT_NEAR(f->r2, 0.5, 1e-12);
}

TEST(FitTest, LinearFitRefusesWhatCannotBeFitted) {
  const std::vector<double> one = {1};
  const std::vector<double> same = {2, 2, 2};
  const std::vector<double> y = {1, 2, 3};
  const std::vector<double> nan = {1, NAN, 3};
  EXPECT_FALSE(fit_linear(one, one));
  EXPECT_FALSE(fit_linear(same, y));
  EXPECT_FALSE(fit_linear(y, nan));
  EXPECT_FALSE(fit_linear(y, one));
}

TEST(FitTest, AsymptoteAndTheThetaItImplies) {
  // y = 0.8 - 40 / x
  std::vector<double> x = {100, 200, 400, 1000};
  std::vector<double> y;
  for (const double v : x)
    y.push_back(0.8 - 40.0 / v);
  auto f = fit_asymptote(x, y);
  ASSERT_TRUE(f) << f.error().to_string();
  EXPECT_NEAR(f->asymptote, 0.8, 1e-12);
  EXPECT_NEAR(f->coefficient, 40.0, 1e-9);
  EXPECT_NEAR(theta_of_overhead(f->asymptote), 5.0, 1e-9);
  EXPECT_TRUE(std::isinf(theta_of_overhead(1.0)));
  const std::vector<double> zero = {0, 1};
  EXPECT_FALSE(fit_asymptote(zero, zero));
}

TEST(FitTest, Mape) {
  const std::vector<double> predicted = {110, 90};
  const std::vector<double> measured = {100, 100};
  auto m = mape(predicted, measured);
  ASSERT_TRUE(m);
  EXPECT_NEAR(*m, 10.0, 1e-12);
  const std::vector<double> zero = {0, 100};
  EXPECT_FALSE(mape(predicted, zero));
}

TEST(PlanTest, PairsHaveEqualParameterCountsAsModelsCountsThem) {
  for (const char* name : {"shape", "layertype"}) {
    for (const Scale scale : {Scale::kQuick, Scale::kDefault}) {
      auto plan = make_plan(name, scale);
      ASSERT_TRUE(plan) << plan.error().to_string();
      std::map<int, std::vector<std::int64_t>> by_pair;
      for (const Point& p : plan->points) {
        auto m = build_model(p.model);
        ASSERT_TRUE(m) << p.model << ": " << m.error().to_string();
        by_pair[p.pair].push_back(m->parameters());
      }
      for (const auto& [pair, counts] : by_pair) {
        ASSERT_EQ(counts.size(), 2U) << name;
        const auto diff = std::llabs(counts[0] - counts[1]);
        EXPECT_LE(static_cast<double>(diff),
                  0.05 * static_cast<double>(counts[0]))
            << name << " pair " << pair << ": " << counts[0] << " against "
            << counts[1];
      }
    }
  }
}

TEST(PlanTest, EveryScaleHasUniqueKeysAndBuildableModels) {
  for (const Scale scale : {Scale::kQuick, Scale::kDefault, Scale::kPaper}) {
    for (const std::string& name : experiment_names()) {
      auto plan = make_plan(name, scale);
      if (name == "predictors" || name == "transfer" || name == "reduce") {
        EXPECT_FALSE(plan) << name;
        continue;
      }
      ASSERT_TRUE(plan) << plan.error().to_string();
      std::set<std::string> keys;
      for (const Point& p : plan->points) {
        EXPECT_TRUE(keys.insert(p.key).second) << name << ": " << p.key;
        if (scale == Scale::kQuick) {
          EXPECT_TRUE(build_model(p.model)) << p.model;
        }
      }
      EXPECT_FALSE(plan->claim.empty());
    }
  }
  auto unknown = make_plan("sizes", Scale::kQuick);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().to_string().find("size"), std::string::npos);
  EXPECT_FALSE(parse_scale("huge"));
  EXPECT_FALSE(build_model("convnet:depth=0,filters=2,inputs=10"));
}

// The fake engine charges 0.008 J per training sample and 0.002 J per
// inference sample.
TEST(RunTest, EveryPointIsSavedAndResumeSkipsThem) {
  TempDir dir;
  FakeMachine machine;
  FakeEngine engine(machine);
  auto plan = make_plan("samples", Scale::kQuick);
  ASSERT_TRUE(plan);
  RunOptions options{.out = dir.path(), .meter = machine.meter()};
  auto all = run_plan(engine, *plan, options);
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->points.size(), plan->points.size());
  EXPECT_EQ(engine.opens, static_cast<int>(plan->points.size()));
  for (const PointResult& p : all->points) {
    EXPECT_NEAR(p.overhead(), 0.75, 1e-6);
    EXPECT_NEAR(p.training_j, 0.008 * static_cast<double>(p.trained_samples),
                1e-6);
  }

  // An interrupted sweep: only the first two points were saved.
  Results cut = *all;
  cut.points.resize(2);
  const auto json = dir.path() / "samples.json";
  ASSERT_TRUE(write_file_atomic(json, results_json(cut)));
  engine.opens = 0;
  options.resume = true;
  std::vector<std::string> skipped;
  options.progress = [&](std::size_t done, std::size_t total, const Point& p,
                         bool skip) {
    if (skip && done < total)
      skipped.push_back(p.key);
  };
  auto resumed = run_plan(engine, *plan, options);
  ASSERT_TRUE(resumed) << resumed.error().to_string();
  EXPECT_EQ(engine.opens, static_cast<int>(plan->points.size()) - 2);
  EXPECT_EQ(skipped, (std::vector<std::string>{plan->points[0].key,
                                               plan->points[1].key}));
  ASSERT_EQ(resumed->points.size(), plan->points.size());
  for (std::size_t i = 0; i < plan->points.size(); ++i)
    EXPECT_EQ(resumed->points[i].point.key, plan->points[i].key);
  auto text = read_file(json);
  ASSERT_TRUE(text);
  auto back = parse_results(*text, "samples.json");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->points.size(), plan->points.size());
  auto csv = read_file(dir.path() / "samples.csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(std::count(csv->begin(), csv->end(), '\n'),
            static_cast<long>(plan->points.size()) + 1);

  // Without --resume the sweep starts over.
  engine.opens = 0;
  options.resume = false;
  ASSERT_TRUE(run_plan(engine, *plan, options));
  EXPECT_EQ(engine.opens, static_cast<int>(plan->points.size()));
}

TEST(RunTest, ResumeRefusesAnotherConfiguration) {
  TempDir dir;
  FakeMachine machine;
  FakeEngine engine(machine);
  auto quick = make_plan("samples", Scale::kQuick);
  auto other = make_plan("samples", Scale::kDefault);
  ASSERT_TRUE(quick && other);
  RunOptions options{.out = dir.path(), .meter = machine.meter()};
  ASSERT_TRUE(run_plan(engine, *quick, options));
  options.resume = true;
  auto r = run_plan(engine, *other, options);
  ASSERT_FALSE(r);
  const std::string message = r.error().to_string();
  EXPECT_NE(message.find("another configuration"), std::string::npos)
      << message;
  EXPECT_NE(message.find("--scale quick"), std::string::npos) << message;
  // Another thread count is another configuration too.
  options.threads = 2;
  auto t = run_plan(engine, *quick, options);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().to_string().find("threads"), std::string::npos);
}

TEST(RunTest, AMalformedResultsFileIsNamed) {
  TempDir dir;
  const auto json = dir.path() / "samples.json";
  ASSERT_TRUE(write_file_atomic(json, "{\"kind\": \"experiment-results\"}"));
  auto plan = make_plan("samples", Scale::kQuick);
  ASSERT_TRUE(plan);
  auto r = resume_from(json, true, *plan, "x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().to_string().find("samples.json: name"), std::string::npos)
      << r.error().to_string();
}

TEST(AnalysisTest, LinearSweepsFitAndStateAVerdict) {
  Results r{.name = "samples", .scale = "quick"};
  for (int i = 1; i <= 4; ++i) {
    PointResult p;
    p.point = {.key = std::to_string(i),
               .series = "s",
               .model = "m",
               .samples = 100 * i};
    p.training_j = 0.5 * 100 * i + 2.0;
    p.inference_j = 0.1 * 100 * i;
    p.trained_samples = p.inferred_samples = 100 * i;
    r.points.push_back(p);
  }
  auto a = analyse(r);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->verdict, "holds");
  EXPECT_NE(a->fits_json.find("\"slope_j_per_sample\":0.5"), std::string::npos)
      << a->fits_json;
  ASSERT_EQ(a->figures.size(), 1U);
  const std::string script = gnuplot_script(a->figures[0]);
  EXPECT_NE(script.find("set output 'samples.svg'"), std::string::npos);
  EXPECT_NE(script.find("set output 'samples.png'"), std::string::npos);
  EXPECT_NE(script.find("set xlabel \"training samples\""), std::string::npos);
  EXPECT_NE(gnuplot_data(a->figures[0]).find("400 202"), std::string::npos);
}

}  // namespace
}  // namespace mlcarbon::experiments
