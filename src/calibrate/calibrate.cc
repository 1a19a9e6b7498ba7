// SPDX-License-Identifier: Apache-2.0
// Calibration and training runs of a model on the engine, under the one
// measure pipeline (docs/calibrate.md).
#include "mlcarbon/calibrate/calibrate.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/time.h"

#include "windows.h"

namespace mlcarbon::calibrate {
namespace {

// The CPU-time sensors count in 10 ms steps (USER_HZ = 100) at each window
// edge; below this a window's figure may be off by several per cent.
constexpr Seconds kShortWindow{1.0};
// Warm-up: at least this many batches of each loop, and this share of the
// budget, before the time per batch is trusted.
constexpr std::int64_t kMinWarmupBatches = 3;
constexpr double kWarmupShare = 0.05;
// Headroom kept from the budget for the windows' edges and the stop.
constexpr double kBudgetUse = 0.9;
// A loop whose batches take no measurable time still ends its warm-up.
constexpr std::int64_t kMaxWarmupBatches = 10'000;

Seconds since(const Clock& clock, SteadyTime t0) {
  return clock.now() - t0;
}

// Runs one loop kind in batches of one until it has had its warm-up;
// returns the time per batch of the second half (the first batches pay for
// allocations and caches).
struct WarmupLoop {
  std::int64_t batches = 0;
  double seconds_per_batch = 0.0;
};

Result<WarmupLoop> warm_up(engine::Session& session, bool training,
                           Seconds target, const Clock& clock) {
  WarmupLoop out;
  std::vector<double> seconds;
  const SteadyTime t0 = clock.now();
  while ((out.batches < kMinWarmupBatches || since(clock, t0) < target) &&
         out.batches < kMaxWarmupBatches) {
    Result<engine::LoopResult> r =
        training ? session.train(1, {}) : session.infer(1, {});
    if (!r)
      return tl::unexpected(std::move(r).error());
    seconds.push_back(r->seconds);
    ++out.batches;
    // A single batch longer than the target needs no more warm-up.
    if (out.batches >= kMinWarmupBatches && since(clock, t0) >= target * 3)
      break;
  }
  const std::size_t half = seconds.size() / 2;
  double sum = 0.0;
  for (std::size_t i = half; i < seconds.size(); ++i)
    sum += seconds[i];
  out.seconds_per_batch = sum / static_cast<double>(seconds.size() - half);
  return out;
}

// One unmeasured batch before a window: the other loop's window left its
// own data in the caches, and a long run of this loop would not start cold.
Status prime(engine::Session& session, bool training) {
  Result<engine::LoopResult> r =
      training ? session.train(1, {}) : session.infer(1, {});
  if (!r)
    return tl::unexpected(std::move(r).error());
  return {};
}

Repeat to_repeat(const engine::LoopResult& loop,
                 const measure::WindowRecord& window) {
  return Repeat{.samples = loop.samples,
                .batches = loop.batches,
                .seconds = loop.seconds,
                .energy_j = window.measurement.attributed.value(),
                .machine_energy_j = window.measurement.total.value(),
                .method = window.measurement.method()};
}

// The model on seeded synthetic regression data, trained with the engine's
// default optimiser and loss: the same for calibrations and training runs.
Result<std::unique_ptr<engine::Session>> open_session(
    engine::Engine& engine, const models::Model& model, std::int64_t samples,
    std::int64_t batch, engine::Device device, int threads,
    std::uint64_t seed) {
  const engine::DataSpec data{.kind = engine::DataSpec::Kind::kRegression,
                              .samples = samples,
                              .seed = seed};
  const engine::TrainOptions train{.batch = batch};
  const engine::Settings settings{
      .device = device, .threads = threads, .seed = seed};
  return engine.open(model, data, train, settings);
}

std::int64_t batches_for(Seconds window, double seconds_per_batch) {
  if (!(seconds_per_batch > 0.0))
    return 1;
  const double n = window.count() / seconds_per_batch;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(n)));
}

}  // namespace

Status validate(const CalibrateOptions& o) {
  if (o.batch < 1)
    return make_error(Errc::kInvalidArgument,
                      "the batch size (--batch) must be at least 1, got {}",
                      o.batch);
  if (o.threads < 1)
    return make_error(Errc::kInvalidArgument,
                      "the thread count (--threads) must be at least 1, got {}",
                      o.threads);
  if (o.repeats < 1)
    return make_error(Errc::kInvalidArgument,
                      "the repeats must be at least 1, got {}", o.repeats);
  const double budget = o.budget.count();
  if (!(std::isfinite(budget) && budget > 0.0))
    return make_error(Errc::kInvalidArgument,
                      "the budget (--budget) must be a finite, positive "
                      "duration, got {}",
                      budget);
  return {};
}

ModelInfo model_info(const models::Model& model) {
  return ModelInfo{.name = model.name,
                   .origin = model.origin,
                   .fingerprint = models::fingerprint(model),
                   .parameters = model.parameters(),
                   .forward_flops = model.forward_flops(),
                   .training_flops = model.training_flops(),
                   .layers = static_cast<int>(model.layers.size())};
}

Result<Calibration> run_calibration(engine::Engine& engine,
                                    const models::Model& model,
                                    const CalibrateOptions& options,
                                    measure::PipelineOptions meter) {
  MLCARBON_RETURN_IF_ERROR(validate(options));
  const Clock& clock = *meter.sensors.clock;
  const SteadyTime t0 = clock.now();
  auto report = [&](std::string_view stage) {
    if (options.progress)
      options.progress(stage, since(clock, t0), options.budget);
  };

  Calibration c;
  c.created = format_time(clock.wall_now());
  c.model = model_info(model);
  c.batch = options.batch;
  c.device = std::string(engine::to_string(options.device));
  c.threads = options.threads;
  c.engine = engine.description();
  c.interval_s = meter.interval.count();
  c.budget_s = options.budget.count();

  report("opening the model");
  // A few batches of data: the loops cycle through it, and generating it
  // is kept out of the budget's windows.
  MLCARBON_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::Session> session,
      open_session(engine, model, options.batch * 64, options.batch,
                   options.device, options.threads, options.seed));

  if (meter.run_window == "run")
    meter.run_window = "calibrate";
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            measure::Pipeline::create(std::move(meter)));
  MLCARBON_RETURN_IF_ERROR(pipeline->start(static_cast<int>(::getpid())));

  // Warm-up, in its own window so that the run shows what it cost; no
  // figure uses it.
  report("warm-up");
  const SteadyTime warm_start = clock.now();
  const Seconds warm_target = options.budget * kWarmupShare;
  MLCARBON_RETURN_IF_ERROR(pipeline->begin_window("warmup"));
  Result<WarmupLoop> warm_infer = warm_up(*session, false, warm_target, clock);
  Result<WarmupLoop> warm_train =
      warm_infer ? warm_up(*session, true, warm_target, clock)
                 : Result<WarmupLoop>(WarmupLoop{});
  Result<measure::WindowRecord> warm_window = pipeline->end_window("warmup");
  if (!warm_infer)
    return tl::unexpected(std::move(warm_infer).error());
  if (!warm_train)
    return tl::unexpected(std::move(warm_train).error());
  if (!warm_window)
    return tl::unexpected(std::move(warm_window).error());
  c.warmup = Warmup{.inference_batches = warm_infer->batches,
                    .training_batches = warm_train->batches,
                    .seconds = since(clock, warm_start).count(),
                    .energy_j = warm_window->measurement.attributed.value()};

  // What is left of the budget, shared by the repeats; each pair of
  // windows gets the same time for inference and for training.
  const Seconds left = options.budget - since(clock, t0);
  const Seconds window =
      std::max(left * kBudgetUse, Seconds(0)) / (2.0 * options.repeats);
  const std::int64_t infer_batches =
      batches_for(window, warm_infer->seconds_per_batch);
  const std::int64_t train_batches =
      batches_for(window, warm_train->seconds_per_batch);

  std::vector<Repeat> inference;
  std::vector<Repeat> training;
  double shortest = INFINITY;
  for (int k = 1; k <= options.repeats; ++k) {
    report(fmt::format("inference {}/{}", k, options.repeats));
    MLCARBON_RETURN_IF_ERROR(prime(*session, /*training=*/false));
    MLCARBON_ASSIGN_OR_RETURN(
        auto inf, in_window(*pipeline, fmt::format("inference-{}", k),
                            [&] { return session->infer(infer_batches, {}); }));
    report(fmt::format("training {}/{}", k, options.repeats));
    MLCARBON_RETURN_IF_ERROR(prime(*session, /*training=*/true));
    MLCARBON_ASSIGN_OR_RETURN(
        auto tr, in_window(*pipeline, fmt::format("training-{}", k),
                           [&] { return session->train(train_batches, {}); }));
    for (const auto* w : {&inf.second, &tr.second}) {
      add_warnings(c.warnings, w->measurement);
      shortest = std::min(shortest, w->measurement.duration.count());
    }
    inference.push_back(to_repeat(inf.first, inf.second));
    training.push_back(to_repeat(tr.first, tr.second));
  }
  MLCARBON_ASSIGN_OR_RETURN(measure::Run run, pipeline->stop());
  c.context = run.context;
  c.inference = summarise(std::move(inference));
  c.training = summarise(std::move(training));
  compute_theta(c);
  c.duration_s = since(clock, t0).count();
  if (shortest < kShortWindow.count()) {
    c.warnings.push_back(fmt::format(
        "the shortest window lasted {:.2f} s: CPU-time sensors count in 10 ms "
        "steps at each edge, so its figure may be off by a few per cent; a "
        "longer --budget gives longer windows",
        shortest));
  }
  if (c.duration_s > c.budget_s * 1.1) {
    c.warnings.push_back(fmt::format(
        "the calibration took {:.1f} s for a budget of {:.1f} s: one batch "
        "takes longer than the budget allows",
        c.duration_s, c.budget_s));
  }
  if (c.method() == Method::kEstimated) {
    c.warnings.push_back(
        "energy is estimated (a model of CPU time x power), not measured by "
        "a hardware counter");
  }
  return c;
}

Result<TrainingRecord> run_training(engine::Engine& engine,
                                    const models::Model& model,
                                    const TrainOptions& options,
                                    measure::PipelineOptions meter) {
  if (options.samples < 1 || options.epochs < 1 || options.batch < 1 ||
      options.threads < 1) {
    return make_error(Errc::kInvalidArgument,
                      "samples, epochs, batch and threads must each be at "
                      "least 1 (got {}, {}, {}, {})",
                      options.samples, options.epochs, options.batch,
                      options.threads);
  }
  TrainingRecord record;
  record.engine = engine.description();
  record.model = model_info(model);
  record.options = options;
  if (meter.run_window == "run")
    meter.run_window = "train";
  const Clock& clock = *meter.sensors.clock;
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            measure::Pipeline::create(std::move(meter)));
  MLCARBON_RETURN_IF_ERROR(pipeline->start(static_cast<int>(::getpid())));

  const SteadyTime open_start = clock.now();
  MLCARBON_ASSIGN_OR_RETURN(
      std::unique_ptr<engine::Session> session,
      open_session(engine, model, options.samples, options.batch,
                   options.device, options.threads, options.seed));
  record.open_seconds = since(clock, open_start).count();

  const std::int64_t batches = session->batches_per_epoch() * options.epochs;
  engine::ProgressFn progress;
  if (options.progress) {
    progress = [&](std::int64_t done, std::int64_t total) {
      options.progress(done, total);
      return true;
    };
  }
  if (options.measure_inference) {
    MLCARBON_RETURN_IF_ERROR(prime(*session, false));
    MLCARBON_ASSIGN_OR_RETURN(auto inferred,
                              in_window(*pipeline, "inference", [&] {
                                return session->infer(batches, progress);
                              }));
    record.inference_loop = inferred.first;
    record.inference_window = std::move(inferred.second);
    MLCARBON_RETURN_IF_ERROR(prime(*session, true));
  }
  MLCARBON_ASSIGN_OR_RETURN(auto measured,
                            in_window(*pipeline, "training", [&] {
                              return session->train(batches, progress);
                            }));
  record.loop = measured.first;
  record.window = std::move(measured.second);
  MLCARBON_ASSIGN_OR_RETURN(record.run, pipeline->stop());
  if (record.window.measurement.duration < kShortWindow) {
    record.run.measurement.warnings.push_back(fmt::format(
        "the training loop lasted {:.2f} s: CPU-time sensors count in 10 ms "
        "steps, so its energy may be off by a few per cent or more",
        record.window.measurement.duration.count()));
  }
  return record;
}

}  // namespace mlcarbon::calibrate
