// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/tracker.h"

#include <utility>

#include <unistd.h>

namespace mlcarbon {

struct Tracker::Impl {
  std::unique_ptr<measure::Pipeline> pipeline;
  std::vector<std::string> tags;
  bool attribute_to_self = true;
};

Tracker::Tracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracker::Tracker(Tracker&&) noexcept = default;
Tracker& Tracker::operator=(Tracker&&) noexcept = default;
Tracker::~Tracker() {
  if (impl_ && impl_->pipeline->running())
    (void)stop();
}

Result<Tracker> Tracker::create(TrackerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->tags = options.tags;
  impl->attribute_to_self = options.attribute_to_self;
  MLCARBON_ASSIGN_OR_RETURN(
      impl->pipeline,
      measure::Pipeline::create({.project = std::move(options.project),
                                 .tags = std::move(options.tags),
                                 .carbon = std::move(options.carbon),
                                 .interval = options.interval,
                                 .idle_baseline = options.idle_baseline,
                                 .sensors = std::move(options.sensors),
                                 .run_window = "tracker",
                                 .fakes = std::move(options.fakes)}));
  return Tracker(std::move(impl));
}

Status Tracker::start() {
  if (impl_->pipeline->running()) {
    return make_error(Errc::kInvalidArgument, "the tracker is already running");
  }
  return impl_->pipeline->start(
      impl_->attribute_to_self ? std::optional<int>(::getpid()) : std::nullopt);
}

Result<measure::Run> Tracker::stop() {
  if (!impl_->pipeline->running()) {
    return make_error(Errc::kInvalidArgument, "the tracker is not running");
  }
  MLCARBON_ASSIGN_OR_RETURN(measure::Run run, impl_->pipeline->stop());
  run.tags = impl_->tags;
  return run;
}

bool Tracker::running() const {
  return impl_->pipeline->running();
}

void Tracker::add_tag(std::string tag) {
  impl_->tags.push_back(std::move(tag));
}

Status Tracker::begin_window(std::string_view name) {
  return impl_->pipeline->begin_window(name);
}

Result<measure::WindowRecord> Tracker::end_window(std::string_view name) {
  return impl_->pipeline->end_window(name);
}

Result<measure::Measurement> Tracker::read() {
  if (!impl_->pipeline->running()) {
    return make_error(Errc::kInvalidArgument, "the tracker is not running");
  }
  return impl_->pipeline->read();
}

void Tracker::tick() {
  impl_->pipeline->tick();
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
