// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/tracker.h"

#include <utility>

#include <unistd.h>

#include "mlcarbon/measure/monitor.h"

namespace mlcarbon {

namespace {
constexpr std::string_view kWindow = "mlcarbon.tracker";
}  // namespace

struct Tracker::Impl {
  TrackerOptions options;
  measure::CarbonSetup carbon;
  measure::RunContext context;
  std::unique_ptr<measure::Monitor> monitor;
  bool running = false;
};

Tracker::Tracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracker::Tracker(Tracker&&) noexcept = default;
Tracker& Tracker::operator=(Tracker&&) noexcept = default;
Tracker::~Tracker() {
  if (impl_ && impl_->running)
    (void)stop();
}

Result<Tracker> Tracker::create(TrackerOptions options) {
  auto impl = std::make_unique<Impl>();
  MLCARBON_ASSIGN_OR_RETURN(impl->carbon,
                            measure::resolve_carbon(options.carbon));
  sensors::Detection detection = sensors::detect_sensors(options.sensors);
  impl->context =
      measure::collect_context(detection, options.sensors.proc_root);
  impl->monitor = std::make_unique<measure::Monitor>(
      std::move(detection.sensors),
      measure::MonitorOptions{.interval = options.interval,
                              .clock = options.sensors.clock,
                              .proc_root = options.sensors.proc_root});
  if (options.attribute_to_self)
    impl->monitor->track_process(::getpid());
  impl->options = std::move(options);
  return Tracker(std::move(impl));
}

Status Tracker::start() {
  if (impl_->running) {
    return make_error(Errc::kInvalidArgument, "the tracker is already running");
  }
  MLCARBON_RETURN_IF_ERROR(impl_->monitor->start());
  if (auto s = impl_->monitor->begin_window(kWindow); !s) {
    impl_->monitor->stop();
    return s;
  }
  impl_->running = true;
  return {};
}

Result<measure::Run> Tracker::stop() {
  if (!impl_->running) {
    return make_error(Errc::kInvalidArgument, "the tracker is not running");
  }
  impl_->running = false;
  auto m = impl_->monitor->end_window(kWindow);
  impl_->monitor->stop();
  if (!m)
    return tl::unexpected(m.error());
  measure::Run run;
  run.run_id = measure::new_run_id();
  run.project = impl_->options.project;
  run.tags = impl_->options.tags;
  run.context = impl_->context;
  run.measurement = std::move(*m);
  run.measurement.name = "tracker";
  // Without energy points a series gives the intensity at the start.
  measure::apply_carbon(run, impl_->carbon);
  return run;
}

bool Tracker::running() const {
  return impl_->running;
}

void Tracker::add_tag(std::string tag) {
  impl_->options.tags.push_back(std::move(tag));
}

Tracker::Scope::Scope(Tracker& tracker,
                      std::function<void(Result<measure::Run>)> on_stop)
    : tracker_(tracker), on_stop_(std::move(on_stop)) {
  auto s = tracker_.start();
  started_ = s.has_value();
  if (!started_ && on_stop_)
    on_stop_(tl::unexpected(s.error()));
}

Tracker::Scope::~Scope() {
  if (!started_)
    return;
  auto run = tracker_.stop();
  if (on_stop_)
    on_stop_(std::move(run));
}

}  // namespace mlcarbon
