// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/measure/monitor.h"

namespace mlcarbon::measure {
namespace {

// The window closed and reopened at every segment cut.
constexpr std::string_view kSegment = "mlcarbon.segment";

}  // namespace

Status validate(const PipelineOptions& options) {
  const double interval = options.interval.count();
  if (!(std::isfinite(interval) && interval > 0.0)) {
    return make_error(Errc::kInvalidArgument,
                      "the sampling interval (--interval) must be a finite, "
                      "positive number of seconds, got {}",
                      interval);
  }
  const double idle = options.idle_baseline.count();
  if (!(std::isfinite(idle) && idle >= 0.0)) {
    return make_error(Errc::kInvalidArgument,
                      "the idle baseline (--idle-baseline) must be a finite, "
                      "non-negative number of seconds, got {}",
                      idle);
  }
  if (options.run_window.empty() || options.run_window == kSegment) {
    return make_error(Errc::kInvalidArgument,
                      "the run window needs a name other than '{}'", kSegment);
  }
  return sensors::check_sensor_names(options.sensors.only);
}

struct Pipeline::Impl {
  PipelineOptions options;
  CarbonSetup carbon;
  RunContext context;
  std::string run_id;
  std::unique_ptr<Monitor> monitor;
  const Clock* clock = nullptr;
  bool idle_done = false;
  bool started = false;
  // Energy is cut into segments for a time-varying intensity and for the
  // status callback.
  bool segmenting = false;
  Seconds period{1.0};
  SteadyTime t0{};

  // Guards points, last_cut and windows; held across a whole cut so that
  // the segmenting thread and window edges cut one at a time.
  std::mutex cut_mutex;
  std::vector<carbon::EnergyPoint> points;
  SteadyTime last_cut{};
  std::vector<WindowRecord> windows;

  std::mutex thread_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;

  // Ends the current segment, records its energy and, with `reopen`, begins
  // the next one.
  void cut(bool reopen) {
    std::lock_guard lock(cut_mutex);
    if (auto m = monitor->end_window(kSegment)) {
      const Joules before = points.back().cumulative;
      points.push_back({m->end, before + m->total});
    }
    if (reopen)
      (void)monitor->begin_window(kSegment);
    last_cut = clock->now();
  }

  void report_status() {
    if (!options.on_status)
      return;
    Joules energy{0};
    {
      std::lock_guard lock(cut_mutex);
      energy = points.back().cumulative;
    }
    options.on_status(clock->now() - t0, energy);
  }

  void loop() {
    std::unique_lock lock(thread_mutex);
    while (!stopping) {
      wake.wait_for(lock, period);
      if (stopping)
        break;
      lock.unlock();
      cut(/*reopen=*/true);
      report_status();
      lock.lock();
    }
  }

  void stop_thread() {
    {
      std::lock_guard lock(thread_mutex);
      stopping = true;
    }
    wake.notify_all();
    if (thread.joinable())
      thread.join();
  }

  [[nodiscard]] bool reserved(std::string_view name) const {
    return name == options.run_window || name == kSegment;
  }
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Pipeline::~Pipeline() {
  if (impl_)
    abort();
}

Result<sensors::Detection> detect_pipeline_sensors(
    const sensors::SensorOptions& options,
    const std::function<sensors::Detection()>& fake) {
  if (fake)
    return fake();
  return sensors::detect_requested_sensors(options);
}

Result<std::unique_ptr<Pipeline>> Pipeline::create(PipelineOptions options) {
  MLCARBON_RETURN_IF_ERROR(validate(options));
  auto impl = std::make_unique<Impl>();
  MLCARBON_ASSIGN_OR_RETURN(impl->carbon, resolve_carbon(options.carbon));
  // Made now so that a machine without random bytes fails before a run.
  MLCARBON_ASSIGN_OR_RETURN(impl->run_id, new_run_id());
  MLCARBON_ASSIGN_OR_RETURN(
      sensors::Detection detection,
      detect_pipeline_sensors(options.sensors, options.fakes.detect));
  impl->context = collect_context(detection, options.sensors.proc_root);
  impl->clock = options.sensors.clock;
  MLCARBON_CHECK(impl->clock != nullptr, "SensorOptions::clock is null");
  impl->monitor = std::make_unique<Monitor>(
      std::move(detection.sensors),
      MonitorOptions{.interval = options.interval,
                     .clock = impl->clock,
                     .proc_root = options.sensors.proc_root,
                     .cpu_reader = options.fakes.cpu_reader,
                     .sleep = options.fakes.sleep});
  impl->segmenting =
      impl->carbon.series.has_value() || options.on_status != nullptr;
  // Short segments follow an hourly series closely; the status line needs
  // no more than one update a second.
  impl->period = impl->carbon.series ? std::min(options.interval, Seconds(60.0))
                                     : std::max(options.interval, Seconds(1.0));
  impl->options = std::move(options);
  return std::unique_ptr<Pipeline>(new Pipeline(std::move(impl)));
}

Status Pipeline::measure_idle() {
  Impl& p = *impl_;
  if (p.idle_done || p.options.idle_baseline <= Seconds(0))
    return {};
  MLCARBON_RETURN_IF_ERROR(p.monitor->measure_idle(p.options.idle_baseline));
  p.idle_done = true;
  return {};
}

Status Pipeline::start(std::optional<int> tracked_pid) {
  Impl& p = *impl_;
  if (p.started)
    return make_error(Errc::kInvalidArgument, "the run is already started");
  if (p.run_id.empty()) {  // a pipeline started again makes a new run
    MLCARBON_ASSIGN_OR_RETURN(p.run_id, new_run_id());
  }
  MLCARBON_RETURN_IF_ERROR(measure_idle());
  if (p.options.fakes.background) {
    MLCARBON_RETURN_IF_ERROR(p.monitor->start());
  }
  if (tracked_pid)
    p.monitor->track_process(*tracked_pid);
  const WallTime wall_start = p.clock->wall_now();
  if (Status s = p.monitor->begin_window(p.options.run_window); !s) {
    p.monitor->stop();
    return s;
  }
  if (p.options.timeline_points > 0)
    p.monitor->begin_timeline(p.options.timeline_points);
  p.t0 = p.clock->now();
  {
    std::lock_guard lock(p.cut_mutex);
    p.windows.clear();
  }
  if (p.segmenting) {
    {
      std::lock_guard lock(p.cut_mutex);
      p.points = {{wall_start, Joules(0)}};
      p.last_cut = p.t0;
    }
    (void)p.monitor->begin_window(kSegment);
    if (p.options.fakes.background) {
      p.stopping = false;
      p.thread = std::thread([&p] { p.loop(); });
    }
  }
  p.started = true;
  return {};
}

bool Pipeline::running() const {
  return impl_->started;
}

Status Pipeline::begin_window(std::string_view name) {
  Impl& p = *impl_;
  if (!p.started)
    return make_error(Errc::kInvalidArgument, "the run is not started");
  if (p.reserved(name))
    return make_error(Errc::kInvalidArgument, "window name '{}' is reserved",
                      name);
  // Cut at the edge so that the window's hours are priced exactly.
  if (p.carbon.series)
    p.cut(/*reopen=*/true);
  return p.monitor->begin_window(name);
}

Result<WindowRecord> Pipeline::end_window(std::string_view name) {
  Impl& p = *impl_;
  if (p.reserved(name))
    return make_error(Errc::kInvalidArgument, "window name '{}' is reserved",
                      name);
  MLCARBON_ASSIGN_OR_RETURN(Measurement m, p.monitor->end_window(name));
  if (p.started && p.carbon.series)
    p.cut(/*reopen=*/true);
  std::lock_guard lock(p.cut_mutex);
  WindowRecord record = price_window(std::move(m), p.carbon, p.points);
  p.windows.push_back(record);
  return record;
}

Result<Measurement> Pipeline::read() {
  Impl& p = *impl_;
  if (!p.started)
    return make_error(Errc::kInvalidArgument, "the run is not started");
  return p.monitor->peek_window(p.options.run_window);
}

void Pipeline::tick() {
  Impl& p = *impl_;
  p.monitor->tick();
  if (!p.started || !p.segmenting || p.options.fakes.background)
    return;
  SteadyTime last{};
  {
    std::lock_guard lock(p.cut_mutex);
    last = p.last_cut;
  }
  if (p.clock->now() - last >= p.period) {
    p.cut(/*reopen=*/true);
    p.report_status();
  }
}

Result<Run> Pipeline::stop() {
  Impl& p = *impl_;
  if (!p.started)
    return make_error(Errc::kInvalidArgument, "the run is not started");
  p.started = false;
  p.stop_thread();
  if (p.segmenting)
    p.cut(/*reopen=*/false);
  std::vector<std::string> discarded;
  for (const std::string& name : p.monitor->open_windows()) {
    if (!p.reserved(name) && p.monitor->cancel_window(name))
      discarded.push_back(name);
  }
  Result<Measurement> m = p.monitor->end_window(p.options.run_window);
  Timeline timeline = p.monitor->end_timeline();
  p.monitor->stop();
  if (!m)
    return tl::unexpected(m.error());
  Run run;
  run.run_id = std::exchange(p.run_id, std::string());
  run.project = p.options.project;
  run.tags = p.options.tags;
  run.context = p.context;
  run.measurement = std::move(*m);
  run.timeline = std::move(timeline);
  for (const std::string& name : discarded) {
    run.measurement.warnings.push_back(fmt::format(
        "window '{}' was still open when the run ended; it was discarded",
        name));
  }
  {
    std::lock_guard lock(p.cut_mutex);
    run.windows = p.windows;
    apply_carbon(run, p.carbon, p.points);
  }
  return run;
}

void Pipeline::abort() {
  impl_->started = false;
  impl_->stop_thread();
  (void)impl_->monitor->end_timeline();
  impl_->monitor->stop();
}

const CarbonInfo& Pipeline::carbon() const {
  return impl_->carbon.info;
}

const RunContext& Pipeline::context() const {
  return impl_->context;
}

}  // namespace mlcarbon::measure
