// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::measure {

/// One domain's power in every bucket of a Timeline.
struct DomainSeries {
  std::string domain;  // "package-0", "gpu-0"
  std::string sensor;  // the sensor's name()
  Method method = Method::kEstimated;
  /// Already counted in another domain (core inside package).
  bool nested = false;
  /// Per bucket: energy / duration, so that mean_w x duration_s sums to the
  /// domain's energy exactly.
  std::vector<double> mean_w;
  /// Per bucket: the lowest and highest power of the sampling intervals
  /// merged into it.
  std::vector<double> min_w;
  std::vector<double> max_w;
};

/// Power over time per domain, downsampled to a bounded number of buckets
/// that share their edges across domains (docs/meter.md, "Timelines").
struct Timeline {
  /// Bucket starts, in seconds since the timeline began, and lengths.
  std::vector<double> start_s;
  std::vector<double> duration_s;
  std::vector<DomainSeries> domains;
  /// Sampling intervals (after merging intervals shorter than the minimum)
  /// that went into the buckets.
  std::uint64_t intervals = 0;

  [[nodiscard]] bool empty() const { return start_s.empty(); }
  [[nodiscard]] std::size_t size() const { return start_s.size(); }
};

/// Builds a Timeline from cumulative energy readings in O(max_points x
/// domains) memory however long the run: each bucket holds a power-of-two
/// number of sampling intervals; when the buckets fill up, neighbours merge
/// pairwise and every later bucket holds twice as many.
class TimelineBuilder {
 public:
  struct Options {
    /// The most buckets a timeline has; at least 2 (odd numbers round
    /// down to even).
    std::size_t max_points = 2048;
    /// Readings closer together than this are merged into one interval
    /// before their power is taken, so that two readings a few
    /// microseconds apart (a window edge after a tick) do not make a
    /// meaningless peak.
    Seconds min_interval{0};
  };

  /// `domains` gives the series' names and order; their energy and powers
  /// are ignored.
  TimelineBuilder(std::vector<DomainSeries> domains, Options options);

  /// Adds a reading: the time since the timeline began and every domain's
  /// cumulative energy, in the order of the constructor's domains. The
  /// first reading only sets the origin. A counter that goes backwards
  /// counts as no energy, as the meter counts it.
  void add(Seconds t, std::span<const Joules> cumulative);

  /// The buckets so far, including the partly filled one; the builder may
  /// go on.
  [[nodiscard]] Timeline timeline() const;

  /// Buckets held now (closed ones and the open one).
  [[nodiscard]] std::size_t buckets() const;

 private:
  struct Bucket {
    double start = 0.0;
    double duration = 0.0;
    std::uint64_t intervals = 0;
    std::vector<double> energy;
    std::vector<double> min_w;
    std::vector<double> max_w;
  };
  void push_interval(double start, double duration,
                     const std::vector<double>& energy);
  void merge_into(Bucket& into, const Bucket& from) const;
  void close_open_bucket();

  std::vector<DomainSeries> names_;
  Options options_;
  bool have_origin_ = false;
  double last_t_ = 0.0;
  std::vector<double> last_energy_;
  // Readings not yet long enough to make an interval.
  double raw_start_ = 0.0;
  double raw_duration_ = 0.0;
  std::vector<double> raw_energy_;
  std::uint64_t intervals_per_bucket_ = 1;
  Bucket open_;
  std::vector<Bucket> closed_;
};

}  // namespace mlcarbon::measure
