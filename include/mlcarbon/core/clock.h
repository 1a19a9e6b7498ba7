// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>

namespace mlcarbon {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

/// Time source, injectable so that tests run without sleeping.
/// Thread-safe: now() may be called from the sampling thread.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic time, for intervals.
  [[nodiscard]] virtual SteadyTime now() const = 0;
  /// Calendar time, for report timestamps only.
  [[nodiscard]] virtual WallTime wall_now() const = 0;
};

/// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] SteadyTime now() const override {
    return std::chrono::steady_clock::now();
  }
  [[nodiscard]] WallTime wall_now() const override {
    return std::chrono::system_clock::now();
  }
  /// The process-wide instance.
  static const SystemClock& instance();
};

/// A clock that moves only when told to (ninja's VirtualFileSystem::Tick).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime wall_start = WallTime{})
      : wall_start_(wall_start) {}
  [[nodiscard]] SteadyTime now() const override {
    return SteadyTime(std::chrono::steady_clock::duration(elapsed_.load()));
  }
  [[nodiscard]] WallTime wall_now() const override {
    return wall_start_ +
           std::chrono::duration_cast<WallTime::duration>(
               std::chrono::steady_clock::duration(elapsed_.load()));
  }
  /// Moves time forward by `d`.
  template <typename Rep, typename Period>
  void advance(std::chrono::duration<Rep, Period> d) {
    elapsed_ +=
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(d)
            .count();
  }

 private:
  WallTime wall_start_;
  std::atomic<std::chrono::steady_clock::rep> elapsed_{0};
};

}  // namespace mlcarbon
