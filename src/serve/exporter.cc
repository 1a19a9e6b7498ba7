// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/serve/exporter.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/core/log.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/serve/exposition.h"
#include "mlcarbon/version.h"

namespace mlcarbon::serve {
namespace {

bool is_gpu(sensors::DomainKind kind) {
  return kind == sensors::DomainKind::kGpu;
}

Seconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<Seconds>(std::chrono::steady_clock::now() -
                                             start);
}

}  // namespace

Joules MonotonicCounter::advance(Joules reading) {
  Joules step{0};
  if (last_) {
    // Below the last reading: the source restarted from zero.
    step = reading >= *last_ ? reading - *last_ : std::max(reading, Joules(0));
  }
  last_ = reading;
  total_ += step;
  return step;
}

Result<std::unique_ptr<Exporter>> Exporter::create(ExporterOptions options) {
  if (!std::isfinite(options.interval.count()) ||
      options.interval < std::chrono::milliseconds(10)) {
    return make_error(Errc::kInvalidArgument,
                      "interval {} s: expected at least 10ms",
                      options.interval.count());
  }
  MLCARBON_ASSIGN_OR_RETURN(measure::CarbonSetup carbon,
                            measure::resolve_carbon(options.carbon));
  MLCARBON_ASSIGN_OR_RETURN(
      sensors::Detection detection,
      measure::detect_pipeline_sensors(options.sensors, options.fakes.detect));
  if (detection.sensors.empty()) {
    return make_error(Errc::kUnavailable, "no energy sensor is usable here");
  }
  auto monitor = std::make_unique<measure::Monitor>(
      std::move(detection.sensors),
      measure::MonitorOptions{.interval = options.interval,
                              .clock = options.sensors.clock});
  return std::unique_ptr<Exporter>(
      new Exporter(std::move(options), std::move(carbon), std::move(monitor)));
}

Exporter::Exporter(ExporterOptions options, measure::CarbonSetup carbon,
                   std::unique_ptr<measure::Monitor> monitor)
    : options_(std::move(options)),
      carbon_(std::move(carbon)),
      monitor_(std::move(monitor)),
      domains_(monitor_->domains()),
      counters_(domains_.size()),
      power_(domains_.size(), Watts(0)),
      attribution_(options_.attribution) {
  reader_ = options_.fakes.cpu_reader;
  if (reader_ == nullptr) {
    own_reader_ = measure::make_proc_cpu_reader(
        options_.cgroups ? options_.cgroups->proc_root : "/proc");
    reader_ = own_reader_.get();
  }
  intensity_ = carbon_.info.intensity;
}

Exporter::~Exporter() {
  stop();
}

Status Exporter::start() {
  {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) {
      return make_error(Errc::kInvalidArgument, "the exporter is running");
    }
    stop_requested_ = false;
  }
  sample();
  std::lock_guard lock(mutex_);
  thread_ = std::thread(&Exporter::run_thread, this);
  return {};
}

void Exporter::stop() {
  std::thread thread;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) {
    thread.join();
  }
}

void Exporter::run_thread() {
  std::unique_lock lock(mutex_);
  while (!stop_requested_) {
    wake_.wait_for(lock, options_.interval, [&] { return stop_requested_; });
    if (stop_requested_) {
      break;
    }
    lock.unlock();
    sample();
    lock.lock();
  }
}

void Exporter::sample() {
  const auto started = std::chrono::steady_clock::now();
  // Reads happen outside the lock, so a scrape never waits on a sensor.
  measure::NodeReading reading = monitor_->read_node();
  const WallTime wall = options_.sensors.clock->wall_now();
  std::optional<measure::CgroupSnapshot> snapshot;
  std::string cgroup_error;
  std::optional<Seconds> busy;
  std::vector<std::optional<std::vector<std::string>>> gpu_workloads(
      domains_.size());
  if (options_.cgroups) {
    Result<measure::CgroupSnapshot> read = read_cgroups(*options_.cgroups);
    Result<Seconds> machine = reader_->machine_busy_time();
    if (read && machine) {
      snapshot = std::move(*read);
      busy = *machine;
    } else {
      cgroup_error = (!read ? read.error() : machine.error()).to_string();
    }
    for (std::size_t i = 0; snapshot && i < domains_.size(); ++i) {
      if (!reading.gpu_processes[i])
        continue;
      std::vector<std::string>& paths = gpu_workloads[i].emplace();
      for (int pid : *reading.gpu_processes[i]) {
        Result<std::string> path =
            measure::cgroup_of_pid(*options_.cgroups, snapshot->layout, pid);
        if (!path)
          continue;
        if (const measure::Workload* w =
                measure::workload_holding(snapshot->workloads, *path)) {
          paths.push_back(w->path);
        }
      }
    }
  }

  std::lock_guard lock(mutex_);
  const std::optional<Seconds> dt =
      last_time_ ? std::optional(Seconds(reading.time - *last_time_))
                 : std::nullopt;
  Joules node{0};
  measure::NodeStep step;
  for (std::size_t i = 0; i < domains_.size(); ++i) {
    const Joules e = counters_[i].advance(reading.energy[i]);
    if (dt && *dt > Seconds(0))
      power_[i] = e / *dt;
    if (domains_[i].nested)
      continue;
    node += e;
    if (is_gpu(domains_[i].kind)) {
      step.gpus.push_back({.energy = e, .workloads = gpu_workloads[i]});
    } else {
      step.cpu_side += e;
    }
  }
  // With an hourly series, the intensity of the hour the step began in.
  intensity_ =
      measure::mean_intensity(carbon_, last_wall_.value_or(wall), wall, {});
  co2e_ += (node * carbon_.info.pue) * intensity_;
  if (snapshot) {
    step.machine_busy = *busy;
    attribution_.update(*snapshot, step);
  } else if (options_.cgroups) {
    attribution_.unattribute(step);
    if (cgroup_failures_ == 0) {
      log_warning("cgroup attribution: {}", cgroup_error);
    }
    ++cgroup_failures_;
    cgroup_error_ = std::move(cgroup_error);
  }
  sensor_failures_ = std::move(reading.sensor_failures);
  last_time_ = reading.time;
  last_wall_ = wall;
  ++samples_;
  sample_duration_ = since(started);
}

std::uint64_t Exporter::samples() const {
  std::lock_guard lock(mutex_);
  return samples_;
}

const measure::CarbonInfo& Exporter::carbon() const {
  return carbon_.info;
}

std::string Exporter::metrics() const {
  const auto started = std::chrono::steady_clock::now();
  measure::Measurement node;
  node.domains = domains_;
  const std::string node_method(to_string(node.method()));
  const measure::CarbonInfo& info = carbon_.info;

  Exposition out;
  std::lock_guard lock(mutex_);
  out.family("mlcarbon_energy_joules_total",
             "Energy of each sensor domain since the exporter started. "
             "Domains with nested=\"true\" are inside another domain: sum "
             "nested=\"false\" for the node.",
             "counter");
  auto domain_labels = [&](std::size_t i) {
    const measure::DomainEnergy& d = domains_[i];
    return std::vector<Label>{{"domain", d.domain},
                              {"kind", sensors::to_string(d.kind)},
                              {"sensor", d.sensor},
                              {"method", to_string(d.method)},
                              {"nested", d.nested ? "true" : "false"}};
  };
  for (std::size_t i = 0; i < domains_.size(); ++i) {
    out.sample("mlcarbon_energy_joules_total", domain_labels(i),
               counters_[i].total().value());
  }
  out.family("mlcarbon_power_watts",
             "Average power of each sensor domain over the last interval.",
             "gauge");
  for (std::size_t i = 0; i < domains_.size(); ++i) {
    out.sample("mlcarbon_power_watts", domain_labels(i), power_[i].value());
  }
  out.family("mlcarbon_co2e_grams_total",
             "CO2e of the node's energy since the exporter started: energy x "
             "PUE x the region's carbon intensity.",
             "counter");
  out.sample("mlcarbon_co2e_grams_total",
             {{"region", info.region}, {"method", node_method}}, co2e_.value());
  out.family("mlcarbon_carbon_intensity_grams_per_kwh",
             "Carbon intensity of the grid the node draws from.", "gauge");
  out.sample("mlcarbon_carbon_intensity_grams_per_kwh",
             {{"region", info.region}, {"source", info.intensity_source}},
             intensity_.value());
  out.family("mlcarbon_pue", "Power usage effectiveness applied to the energy.",
             "gauge");
  out.sample("mlcarbon_pue", {{"region", info.region}}, info.pue);

  if (options_.cgroups) {
    out.family("mlcarbon_cgroup_energy_joules_total",
               "The node's energy attributed to cgroup workloads (Slurm jobs, "
               "containers, systemd units) by CPU time and GPU process lists; "
               "cgroup=\"(other)\" sums workloads beyond the series limit, "
               "cgroup=\"(unattributed)\" is what no workload used.",
               "counter");
    for (const measure::CgroupEnergy& c : attribution_.series()) {
      const measure::Workload& w = c.workload;
      out.sample("mlcarbon_cgroup_energy_joules_total",
                 {{"cgroup", w.path},
                  {"kind", measure::to_string(w.kind)},
                  {"job_id", w.job_id},
                  {"user", w.user},
                  {"unit", w.unit},
                  {"runtime", w.runtime},
                  {"container_id", w.container_id},
                  {"method", node_method}},
                 c.energy.value());
    }
    out.sample(
        "mlcarbon_cgroup_energy_joules_total",
        {{"cgroup", "(other)"}, {"kind", "other"}, {"method", node_method}},
        attribution_.other().value());
    out.sample("mlcarbon_cgroup_energy_joules_total",
               {{"cgroup", "(unattributed)"},
                {"kind", "unattributed"},
                {"method", node_method}},
               attribution_.unattributed().value());
    out.family("mlcarbon_cgroup_workloads",
               "Workload cgroups on the node at the last sample.", "gauge");
    out.sample("mlcarbon_cgroup_workloads", {},
               static_cast<double>(attribution_.live_workloads()));
    out.family("mlcarbon_cgroup_read_errors_total",
               "Samples whose cgroup tree could not be read.", "counter");
    out.sample("mlcarbon_cgroup_read_errors_total", {},
               static_cast<double>(cgroup_failures_));
  }
  out.family("mlcarbon_sensor_read_errors_total",
             "Failed sensor reads; the counters keep their last good reading "
             "and catch up when the sensor comes back.",
             "counter");
  {
    std::size_t s = 0;
    std::string last_sensor;
    for (const measure::DomainEnergy& d : domains_) {
      if (d.sensor == last_sensor)
        continue;
      last_sensor = d.sensor;
      out.sample("mlcarbon_sensor_read_errors_total", {{"sensor", d.sensor}},
                 s < sensor_failures_.size()
                     ? static_cast<double>(sensor_failures_[s])
                     : 0.0);
      ++s;
    }
  }
  out.family("mlcarbon_samples_total", "Readings of the node taken.",
             "counter");
  out.sample("mlcarbon_samples_total", {}, static_cast<double>(samples_));
  out.family("mlcarbon_sample_duration_seconds",
             "Time the last reading of sensors and cgroups took.", "gauge");
  out.sample("mlcarbon_sample_duration_seconds", {}, sample_duration_.count());
  out.family("mlcarbon_build_info", "The exporter's version.", "gauge");
  out.sample("mlcarbon_build_info", {{"version", MLCARBON_VERSION}}, 1.0);
  out.family("mlcarbon_scrape_duration_seconds",
             "Time this scrape took to render, up to this line.", "gauge");
  out.sample("mlcarbon_scrape_duration_seconds", {}, since(started).count());
  return out.take();
}

}  // namespace mlcarbon::serve
