// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::testing {

/// An EnergySensor fed scripted cumulative readings (zeus's mocked
/// energy_uj). Each sample() takes the next scripted reading; once the script
/// is empty it repeats the current one, which set_energy() also sets.
/// Thread-safe, so a test may script it while a Monitor's thread samples it:
/// keep a raw pointer after moving the unique_ptr into the Monitor.
class FakeSensor final : public sensors::EnergySensor {
 public:
  explicit FakeSensor(std::vector<sensors::Domain> domains,
                      Method method = Method::kMeasured,
                      std::string name = "fake",
                      const Clock* clock = &SystemClock::instance())
      : domains_(std::move(domains)),
        method_(method),
        name_(std::move(name)),
        clock_(clock),
        current_(domains_.size(), 0.0) {}

  /// One domain per name, all of kind kPackage, not nested.
  static std::unique_ptr<FakeSensor> with_domains(
      const std::vector<std::string>& names, Method method = Method::kMeasured,
      std::string name = "fake") {
    std::vector<sensors::Domain> domains;
    for (std::size_t i = 0; i < names.size(); ++i) {
      domains.push_back({.name = names[i], .index = static_cast<int>(i)});
    }
    return std::make_unique<FakeSensor>(std::move(domains), method,
                                        std::move(name));
  }

  [[nodiscard]] std::string_view name() const override { return name_; }
  [[nodiscard]] Method method() const override { return method_; }
  [[nodiscard]] std::string description() const override {
    return "scripted readings";
  }
  [[nodiscard]] const std::vector<sensors::Domain>& domains() const override {
    return domains_;
  }

  [[nodiscard]] Result<sensors::EnergySample> sample() override {
    std::lock_guard lock(mutex_);
    ++samples_;
    if (failures_left_ > 0) {
      --failures_left_;
      return make_error(Errc::kIo, "scripted failure");
    }
    if (!script_.empty()) {
      current_ = std::move(script_.front());
      script_.pop_front();
    }
    sensors::EnergySample out;
    out.time = clock_->now();
    out.energy.reserve(current_.size());
    for (double j : current_) {
      out.energy.emplace_back(j);
    }
    return out;
  }

  /// The cumulative Joules every later sample() returns (until scripted).
  void set_energy(std::vector<double> joules) {
    std::lock_guard lock(mutex_);
    script_.clear();
    current_ = std::move(joules);
  }
  /// Queues readings, one per sample().
  void push(std::vector<double> joules) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(joules));
  }
  /// Makes the next `count` sample() calls fail (forever: a large count).
  void fail_next(std::size_t count) {
    std::lock_guard lock(mutex_);
    failures_left_ = count;
  }
  /// Scripts device_processes() for every domain: nullopt (the default)
  /// means the sensor cannot tell.
  void set_device_processes(std::optional<std::vector<int>> pids) {
    std::lock_guard lock(mutex_);
    pids_ = std::move(pids);
  }
  [[nodiscard]] std::optional<std::vector<int>> device_processes(
      std::size_t /*domain*/) override {
    std::lock_guard lock(mutex_);
    ++process_lists_;
    return pids_;
  }
  /// How many times device_processes() was called.
  [[nodiscard]] std::size_t process_lists() const {
    std::lock_guard lock(mutex_);
    return process_lists_;
  }
  /// Scripts needs_periodic_sampling() (true by default).
  void set_periodic(bool periodic) {
    std::lock_guard lock(mutex_);
    periodic_ = periodic;
  }
  [[nodiscard]] bool needs_periodic_sampling() const override {
    std::lock_guard lock(mutex_);
    return periodic_;
  }
  /// How many times sample() was called.
  [[nodiscard]] std::size_t samples() const {
    std::lock_guard lock(mutex_);
    return samples_;
  }

 private:
  std::vector<sensors::Domain> domains_;
  Method method_;
  std::string name_;
  const Clock* clock_;
  mutable std::mutex mutex_;
  std::vector<double> current_;
  std::deque<std::vector<double>> script_;
  std::size_t failures_left_ = 0;
  std::size_t samples_ = 0;
  std::optional<std::vector<int>> pids_;
  std::size_t process_lists_ = 0;
  bool periodic_ = true;
};

}  // namespace mlcarbon::testing
