// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/monitor.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include <fmt/format.h>

namespace mlcarbon::measure {
namespace {

using std::chrono::steady_clock;

steady_clock::duration to_wait(Seconds s) {
  // A zero or negative interval would spin the thread.
  const Seconds floor_s = std::max(s, Seconds(1e-3));
  return std::chrono::duration_cast<steady_clock::duration>(floor_s);
}

bool is_gpu(sensors::DomainKind kind) {
  return kind == sensors::DomainKind::kGpu;
}

std::size_t count_domains(
    const std::vector<std::unique_ptr<sensors::EnergySensor>>& sensors) {
  std::size_t n = 0;
  for (const auto& s : sensors) {
    MLCARBON_CHECK(s != nullptr, "a sensor is null");
    n += s->domains().size();
  }
  return n;
}

}  // namespace

Monitor::Monitor(std::vector<std::unique_ptr<sensors::EnergySensor>> sensors,
                 MonitorOptions options)
    : sensors_(std::move(sensors)),
      options_(std::move(options)),
      own_reader_(options_.cpu_reader != nullptr
                      ? nullptr
                      : make_proc_cpu_reader(options_.proc_root)),
      reader_(options_.cpu_reader != nullptr ? options_.cpu_reader
                                             : own_reader_.get()),
      attribution_(*reader_, count_domains(sensors_), options_.tracked_pid) {
  MLCARBON_CHECK(options_.clock != nullptr, "MonitorOptions::clock is null");
  states_.resize(sensors_.size());
  for (std::size_t s = 0; s < sensors_.size(); ++s) {
    states_[s].first_domain = current_.size();
    states_[s].domain_count = sensors_[s]->domains().size();
    for (std::size_t d = 0; d < states_[s].domain_count; ++d) {
      current_.emplace_back(0);
      owner_.push_back(s);
    }
  }
  idle_power_.assign(current_.size(), Watts(0));
  // Seed the counters so that a sensor's first reading is not taken as the
  // energy since boot by a window begun before any tick.
  std::lock_guard lock(mutex_);
  read_all_locked();
}

Monitor::~Monitor() {
  stop();
}

Status Monitor::start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) {
      return make_error(Errc::kInvalidArgument, "the monitor is running");
    }
    stop_requested_ = false;
  }
  if (options_.idle_baseline > Seconds(0)) {
    MLCARBON_RETURN_IF_ERROR(measure_idle(options_.idle_baseline));
  }
  std::lock_guard lock(mutex_);
  if (stop_requested_) {
    return make_error(Errc::kCancelled, "stopped while measuring idle power");
  }
  read_all_locked();
  thread_ = std::thread(&Monitor::run_thread, this);
  return {};
}

void Monitor::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    ++stop_generation_;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) {
    thread.join();
  }
}

bool Monitor::running() const {
  std::lock_guard lock(mutex_);
  return thread_.joinable();
}

void Monitor::set_interval(Seconds interval) {
  {
    std::lock_guard lock(mutex_);
    options_.interval = interval;
    ++interval_generation_;
  }
  wake_.notify_all();
}

void Monitor::set_sync(std::function<void()> sync) {
  std::lock_guard lock(mutex_);
  options_.sync = std::move(sync);
}

void Monitor::track_process(int pid) {
  std::lock_guard lock(mutex_);
  attribution_.track(pid);
}

void Monitor::run_thread() {
  std::unique_lock lock(mutex_);
  while (!stop_requested_) {
    const std::uint64_t generation = interval_generation_;
    const bool woken = wake_.wait_for(lock, to_wait(options_.interval), [&] {
      return stop_requested_ || interval_generation_ != generation;
    });
    if (stop_requested_) {
      break;
    }
    if (!woken) {
      read_all_locked(/*tick=*/true);
    }
  }
}

void Monitor::tick() {
  std::lock_guard lock(mutex_);
  read_all_locked(/*tick=*/true);
}

NodeReading Monitor::read_node() {
  std::lock_guard lock(mutex_);
  read_all_locked();
  NodeReading out;
  out.time = options_.clock->now();
  out.energy = current_;
  out.gpu_processes.resize(current_.size());
  for (std::size_t i = 0; i < current_.size(); ++i) {
    const std::size_t s = owner_[i];
    const std::size_t local = i - states_[s].first_domain;
    if (is_gpu(sensors_[s]->domains()[local].kind))
      out.gpu_processes[i] = sensors_[s]->device_processes(local);
  }
  for (const SensorState& state : states_)
    out.sensor_failures.push_back(state.failures);
  return out;
}

std::vector<DomainEnergy> Monitor::domains() const {
  std::lock_guard lock(mutex_);
  std::vector<DomainEnergy> out;
  for (std::size_t i = 0; i < current_.size(); ++i)
    out.push_back(describe_locked(i));
  return out;
}

DomainEnergy Monitor::describe_locked(std::size_t i) const {
  const sensors::EnergySensor& sensor = *sensors_[owner_[i]];
  const sensors::Domain& domain =
      sensor.domains()[i - states_[owner_[i]].first_domain];
  return {.domain = domain.name,
          .kind = domain.kind,
          .sensor = std::string(sensor.name()),
          .method = sensor.method(),
          .description = sensor.description(),
          .nested = domain.nested,
          .band = sensor.band()};
}

std::uint64_t Monitor::readings() const {
  std::lock_guard lock(mutex_);
  return readings_;
}

void Monitor::read_all_locked(bool tick) {
  for (std::size_t s = 0; s < sensors_.size(); ++s) {
    if (tick && !timeline_ && !sensors_[s]->needs_periodic_sampling()) {
      continue;
    }
    SensorState& state = states_[s];
    Result<sensors::EnergySample> sample = sensors_[s]->sample();
    if (!sample) {
      // Keep the last good reading: the counters are cumulative, so a later
      // good reading recovers the energy in between.
      ++state.failures;
      state.last_error = sample.error().to_string();
      continue;
    }
    if (sample->energy.size() != state.domain_count) {
      ++state.failures;
      state.last_error = fmt::format("returned {} readings for {} domains",
                                     sample->energy.size(), state.domain_count);
      continue;
    }
    std::copy(
        sample->energy.begin(), sample->energy.end(),
        current_.begin() + static_cast<std::ptrdiff_t>(state.first_domain));
    for (std::string& w : sample->warnings) {
      state.warnings.push_back(
          fmt::format("sensor '{}': {}", sensors_[s]->name(), std::move(w)));
    }
  }
  attribution_.read_cpu();
  read_gpu_use_locked(tick);
  ++readings_;
  if (timeline_)
    timeline_->add(options_.clock->now() - timeline_start_, current_);
}

void Monitor::begin_timeline(std::size_t max_points) {
  std::lock_guard lock(mutex_);
  std::vector<DomainSeries> series;
  series.reserve(current_.size());
  for (std::size_t i = 0; i < current_.size(); ++i) {
    const std::size_t s = owner_[i];
    const sensors::Domain& domain =
        sensors_[s]->domains()[i - states_[s].first_domain];
    series.push_back(DomainSeries{.domain = domain.name,
                                  .sensor = std::string(sensors_[s]->name()),
                                  .method = sensors_[s]->method(),
                                  .nested = domain.nested});
  }
  // Half the interval: a window edge just after a tick joins the next
  // interval instead of making a peak of its own.
  timeline_.emplace(
      std::move(series),
      TimelineBuilder::Options{.max_points = max_points,
                               .min_interval = options_.interval / 2.0});
  timeline_start_ = options_.clock->now();
  timeline_->add(Seconds(0), current_);
}

Timeline Monitor::end_timeline() {
  std::lock_guard lock(mutex_);
  if (!timeline_)
    return {};
  Timeline out = timeline_->timeline();
  timeline_.reset();
  return out;
}

void Monitor::read_gpu_use_locked(bool tick) {
  if (!attribution_.wants_gpu_lists()) {
    return;
  }
  auto seen_by_every_window = [&](std::size_t i) {
    return std::all_of(windows_.begin(), windows_.end(), [&](const auto& w) {
      return attribution_.gpu_seen_since(i, w.second.attribution);
    });
  };
  for (std::size_t i = 0; i < current_.size(); ++i) {
    const std::size_t s = owner_[i];
    const std::size_t local = i - states_[s].first_domain;
    if (!is_gpu(sensors_[s]->domains()[local].kind)) {
      continue;
    }
    // Once every open window has seen the tree on this GPU, further lists
    // change nothing: a long training run stops paying for them.
    if (tick && seen_by_every_window(i)) {
      continue;
    }
    const std::optional<std::vector<int>> pids =
        sensors_[s]->device_processes(local);
    if (pids) {
      attribution_.record_gpu_processes(i, *pids);
    }
  }
}

Status Monitor::begin_window(std::string_view name) {
  std::function<void()> sync;
  {
    std::lock_guard lock(mutex_);
    if (windows_.find(name) != windows_.end()) {
      return make_error(Errc::kInvalidArgument, "window '{}' is already open",
                        name);
    }
    sync = options_.sync;
  }
  if (sync) {
    sync();
  }
  std::lock_guard lock(mutex_);
  if (windows_.find(name) != windows_.end()) {
    return make_error(Errc::kInvalidArgument, "window '{}' is already open",
                      name);
  }
  read_all_locked();
  Window window;
  window.start = options_.clock->now();
  window.wall_start = options_.clock->wall_now();
  window.energy = current_;
  window.failures.reserve(states_.size());
  window.warnings.reserve(states_.size());
  for (const SensorState& state : states_) {
    window.failures.push_back(state.failures);
    window.warnings.push_back(state.warnings.size());
  }
  window.readings = readings_;
  window.attribution = attribution_.mark();
  windows_.emplace(std::string(name), std::move(window));
  return {};
}

Result<Measurement> Monitor::end_window(std::string_view name) {
  return close_or_peek(name, /*close=*/true);
}

Result<Measurement> Monitor::peek_window(std::string_view name) {
  return close_or_peek(name, /*close=*/false);
}

Result<Measurement> Monitor::close_or_peek(std::string_view name, bool close) {
  std::function<void()> sync;
  {
    std::lock_guard lock(mutex_);
    if (windows_.find(name) == windows_.end()) {
      return make_error(Errc::kNotFound, "window '{}' is not open", name);
    }
    sync = options_.sync;
  }
  if (sync) {
    sync();
  }
  std::lock_guard lock(mutex_);
  auto it = windows_.find(name);
  if (it == windows_.end()) {
    return make_error(Errc::kNotFound, "window '{}' is not open", name);
  }
  read_all_locked();
  Measurement measurement = make_measurement_locked(it->first, it->second);
  if (close)
    windows_.erase(it);
  return measurement;
}

Status Monitor::cancel_window(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = windows_.find(name);
  if (it == windows_.end()) {
    return make_error(Errc::kNotFound, "window '{}' is not open", name);
  }
  windows_.erase(it);
  return {};
}

std::vector<std::string> Monitor::open_windows() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  names.reserve(windows_.size());
  for (const auto& entry : windows_) {
    names.push_back(entry.first);
  }
  return names;
}

Watts Monitor::idle_power_locked(std::size_t domain) const {
  return idle_power_[domain];
}

EnergyBounds Measurement::attributed_bounds() const {
  if (!attributed_share)
    return total_bounds();
  // Split as Monitor splits the central figure: CPU (and memory counters)
  // by the CPU-time share, the memory model by the resident share.
  Joules cpu{0};
  EnergyBounds cpu_bounds;
  Joules memory{0};
  EnergyBounds memory_bounds;
  Joules gpu{0};
  EnergyBounds gpu_bounds;
  for (const DomainEnergy& d : domains) {
    if (d.nested)
      continue;
    if (is_gpu(d.kind)) {
      gpu += d.energy;
      gpu_bounds = gpu_bounds + d.bounds(d.energy);
    } else if (d.kind == sensors::DomainKind::kMemory) {
      memory += d.energy;
      memory_bounds = memory_bounds + d.bounds(d.energy);
    } else {
      cpu += d.energy;
      cpu_bounds = cpu_bounds + d.bounds(d.energy);
    }
  }
  const double share = *attributed_share;
  const double memory_share = attributed_memory_share.value_or(share);
  EnergyBounds out{cpu_bounds.low * share + memory_bounds.low * memory_share,
                   cpu_bounds.high * share + memory_bounds.high * memory_share};
  const Joules ours =
      std::max(attributed - cpu * share - memory * memory_share, Joules(0));
  if (gpu > Joules(0)) {
    out = out + EnergyBounds{ours * (gpu_bounds.low / gpu),
                             ours * (gpu_bounds.high / gpu)};
  } else {
    out = out + EnergyBounds{ours, ours};
  }
  // Sums in another order than the central figure's: keep it inside.
  return {std::min(out.low, attributed), std::max(out.high, attributed)};
}

Measurement Monitor::make_measurement_locked(const std::string& name,
                                             const Window& window) const {
  Measurement m;
  m.name = name;
  m.start = window.wall_start;
  m.end = options_.clock->wall_now();
  m.duration =
      std::max(Seconds(options_.clock->now() - window.start), Seconds(0));
  m.samples = static_cast<std::size_t>(readings_ - window.readings) + 1;
  Joules cpu_and_memory{0};
  Joules memory_model{0};
  Joules gpu{0};
  m.domains.reserve(current_.size());
  for (std::size_t i = 0; i < current_.size(); ++i) {
    DomainEnergy d = describe_locked(i);
    d.energy = current_[i] - window.energy[i];
    if (d.energy < Joules(0)) {
      m.warnings.push_back(
          fmt::format("{} {} went backwards by {:.3f}; counted as 0", d.sensor,
                      d.domain, -d.energy));
      d.energy = Joules(0);
    }
    if (m.duration > Seconds(0)) {
      d.average_power = d.energy / m.duration;
    }
    d.idle_energy = idle_power_locked(i) * m.duration;
    if (!d.nested) {
      m.total += d.energy;
      m.above_idle += std::max(d.energy - d.idle_energy, Joules(0));
      if (d.kind == sensors::DomainKind::kMemory) {
        memory_model += d.energy;
      } else if (!is_gpu(d.kind)) {
        cpu_and_memory += d.energy;
      } else if (attribution_.gpu_is_ours(i, window.attribution)) {
        gpu += d.energy;
      } else if (attribution_.tracked_pid()) {
        m.warnings.push_back(fmt::format(
            "{}: no process of the tracked tree was seen on it ({} process "
            "lists read); its energy is not attributed",
            d.domain, attribution_.gpu_lists_since(i, window.attribution)));
      }
    }
    m.domains.push_back(std::move(d));
  }
  for (std::size_t s = 0; s < states_.size(); ++s) {
    const std::vector<std::string>& warned = states_[s].warnings;
    m.warnings.insert(
        m.warnings.end(),
        warned.begin() + static_cast<std::ptrdiff_t>(window.warnings[s]),
        warned.end());
    const std::uint64_t failed = states_[s].failures - window.failures[s];
    if (failed > 0) {
      m.warnings.push_back(fmt::format(
          "sensor '{}' failed {} of {} readings in this window (last error: "
          "{}); its energy stops at its last good reading",
          sensors_[s]->name(), failed, m.samples, states_[s].last_error));
    }
  }
  AttributedShare share = attribution_.share_since(window.attribution);
  m.warnings.insert(m.warnings.end(),
                    std::make_move_iterator(share.warnings.begin()),
                    std::make_move_iterator(share.warnings.end()));
  m.attributed_share = share.share;
  m.attributed_memory_share = share.memory_share;
  // The memory model's power is the installed memory's: the tree owns the
  // part it keeps resident, not the part of the CPU time it used.
  const std::optional<double> memory_share =
      share.memory_share ? share.memory_share : share.share;
  m.attributed = share.share ? cpu_and_memory * *share.share +
                                   memory_model * *memory_share + gpu
                             : m.total;
  return m;
}

Result<IdleBaseline> Monitor::measure_idle(Seconds duration) {
  if (duration <= Seconds(0)) {
    return make_error(Errc::kInvalidArgument,
                      "the idle baseline needs a positive duration");
  }
  std::vector<Joules> begin;
  SteadyTime t0;
  std::uint64_t generation = 0;
  std::function<void(Seconds)> sleep;
  {
    std::lock_guard lock(mutex_);
    read_all_locked();
    begin = current_;
    t0 = options_.clock->now();
    generation = stop_generation_;
    sleep = options_.sleep;
  }
  if (sleep) {
    sleep(duration);
  } else {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, to_wait(duration),
                   [&] { return stop_generation_ != generation; });
  }
  std::lock_guard lock(mutex_);
  if (stop_generation_ != generation) {
    return make_error(Errc::kCancelled, "stopped while measuring idle power");
  }
  read_all_locked();
  const Seconds elapsed = options_.clock->now() - t0;
  if (elapsed <= Seconds(0)) {
    return make_error(Errc::kInvalidArgument,
                      "no time passed while measuring idle power");
  }
  IdleBaseline baseline;
  baseline.duration = elapsed;
  for (std::size_t i = 0; i < current_.size(); ++i) {
    idle_power_[i] = std::max((current_[i] - begin[i]) / elapsed, Watts(0));
    const std::size_t s = owner_[i];
    baseline.domains.push_back(DomainPower{
        .sensor = std::string(sensors_[s]->name()),
        .domain = sensors_[s]->domains()[i - states_[s].first_domain].name,
        .power = idle_power_[i]});
  }
  baseline_ = baseline;
  return baseline;
}

void Monitor::set_idle_baseline(IdleBaseline baseline) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < current_.size(); ++i) {
    const std::size_t s = owner_[i];
    const std::string_view sensor = sensors_[s]->name();
    const std::string& domain =
        sensors_[s]->domains()[i - states_[s].first_domain].name;
    idle_power_[i] = Watts(0);
    for (const DomainPower& p : baseline.domains) {
      if (p.sensor == sensor && p.domain == domain) {
        idle_power_[i] = p.power;
      }
    }
  }
  baseline_ = std::move(baseline);
}

std::optional<IdleBaseline> Monitor::idle_baseline() const {
  std::lock_guard lock(mutex_);
  return baseline_;
}

}  // namespace mlcarbon::measure
