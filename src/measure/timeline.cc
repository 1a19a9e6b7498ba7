// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/timeline.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "mlcarbon/core/error.h"

namespace mlcarbon::measure {

TimelineBuilder::TimelineBuilder(std::vector<DomainSeries> domains,
                                 Options options)
    : names_(std::move(domains)), options_(options) {
  options_.max_points = std::max<std::size_t>(options_.max_points / 2 * 2, 2);
  const std::size_t n = names_.size();
  for (DomainSeries& d : names_) {
    d.mean_w.clear();
    d.min_w.clear();
    d.max_w.clear();
  }
  last_energy_.assign(n, 0.0);
  raw_energy_.assign(n, 0.0);
  open_.energy.assign(n, 0.0);
  open_.min_w.assign(n, std::numeric_limits<double>::infinity());
  open_.max_w.assign(n, -std::numeric_limits<double>::infinity());
  closed_.reserve(options_.max_points);
}

void TimelineBuilder::add(Seconds t, std::span<const Joules> cumulative) {
  MLCARBON_CHECK(cumulative.size() == names_.size(),
                 "a timeline reading has the wrong number of domains");
  const double now = t.count();
  if (!have_origin_) {
    have_origin_ = true;
    last_t_ = now;
    raw_start_ = now;
    for (std::size_t d = 0; d < cumulative.size(); ++d)
      last_energy_[d] = cumulative[d].value();
    return;
  }
  raw_duration_ += std::max(now - last_t_, 0.0);
  last_t_ = std::max(now, last_t_);
  for (std::size_t d = 0; d < cumulative.size(); ++d) {
    const double e = cumulative[d].value();
    raw_energy_[d] += std::max(e - last_energy_[d], 0.0);
    last_energy_[d] = e;
  }
  if (raw_duration_ > 0.0 && raw_duration_ >= options_.min_interval.count()) {
    push_interval(raw_start_, raw_duration_, raw_energy_);
    raw_start_ = last_t_;
    raw_duration_ = 0.0;
    std::fill(raw_energy_.begin(), raw_energy_.end(), 0.0);
  }
}

void TimelineBuilder::push_interval(double start, double duration,
                                    const std::vector<double>& energy) {
  if (open_.intervals == 0)
    open_.start = start;
  open_.duration += duration;
  ++open_.intervals;
  for (std::size_t d = 0; d < energy.size(); ++d) {
    const double power = energy[d] / duration;
    open_.energy[d] += energy[d];
    open_.min_w[d] = std::min(open_.min_w[d], power);
    open_.max_w[d] = std::max(open_.max_w[d], power);
  }
  if (open_.intervals == intervals_per_bucket_)
    close_open_bucket();
}

void TimelineBuilder::merge_into(Bucket& into, const Bucket& from) const {
  into.duration += from.duration;
  into.intervals += from.intervals;
  for (std::size_t d = 0; d < names_.size(); ++d) {
    into.energy[d] += from.energy[d];
    into.min_w[d] = std::min(into.min_w[d], from.min_w[d]);
    into.max_w[d] = std::max(into.max_w[d], from.max_w[d]);
  }
}

void TimelineBuilder::close_open_bucket() {
  closed_.push_back(open_);
  open_.start = 0.0;
  open_.duration = 0.0;
  open_.intervals = 0;
  std::fill(open_.energy.begin(), open_.energy.end(), 0.0);
  std::fill(open_.min_w.begin(), open_.min_w.end(),
            std::numeric_limits<double>::infinity());
  std::fill(open_.max_w.begin(), open_.max_w.end(),
            -std::numeric_limits<double>::infinity());
  if (closed_.size() < options_.max_points)
    return;
  // Full: halve the resolution. With the open bucket the total stays at
  // most max_points.
  const std::size_t half = closed_.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    Bucket merged = std::move(closed_[2 * i]);
    merge_into(merged, closed_[2 * i + 1]);
    closed_[i] = std::move(merged);
  }
  closed_.resize(half);
  intervals_per_bucket_ *= 2;
}

std::size_t TimelineBuilder::buckets() const {
  return closed_.size() + (open_.intervals > 0 ? 1 : 0);
}

Timeline TimelineBuilder::timeline() const {
  std::vector<Bucket> all = closed_;
  if (open_.intervals > 0)
    all.push_back(open_);
  // The readings since the last interval: a long enough tail is an
  // interval of its own; a short one joins the last bucket without
  // touching its min and max, so its energy still counts.
  if (raw_duration_ > 0.0 || !all.empty()) {
    const bool own =
        all.empty() || raw_duration_ >= options_.min_interval.count();
    if (own && raw_duration_ > 0.0) {
      Bucket tail;
      tail.start = raw_start_;
      tail.duration = raw_duration_;
      tail.intervals = 1;
      tail.energy = raw_energy_;
      for (double e : raw_energy_) {
        tail.min_w.push_back(e / raw_duration_);
        tail.max_w.push_back(e / raw_duration_);
      }
      if (all.size() < options_.max_points)
        all.push_back(std::move(tail));
      else
        merge_into(all.back(), tail);
    } else if (!all.empty()) {
      all.back().duration += raw_duration_;
      for (std::size_t d = 0; d < raw_energy_.size(); ++d)
        all.back().energy[d] += raw_energy_[d];
    }
  }
  Timeline out;
  out.domains = names_;
  out.start_s.reserve(all.size());
  out.duration_s.reserve(all.size());
  for (DomainSeries& d : out.domains) {
    d.mean_w.reserve(all.size());
    d.min_w.reserve(all.size());
    d.max_w.reserve(all.size());
  }
  for (const Bucket& b : all) {
    out.intervals += b.intervals;
    out.start_s.push_back(b.start);
    out.duration_s.push_back(b.duration);
    for (std::size_t d = 0; d < out.domains.size(); ++d) {
      const double mean = b.duration > 0.0 ? b.energy[d] / b.duration : 0.0;
      DomainSeries& s = out.domains[d];
      s.mean_w.push_back(mean);
      // A tail joined without an interval of its own may move the mean a
      // hair outside the band it had.
      s.min_w.push_back(std::min(b.min_w[d], mean));
      s.max_w.push_back(std::max(b.max_w[d], mean));
    }
  }
  return out;
}

}  // namespace mlcarbon::measure
