// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/attribution.h"

#include <algorithm>

#include <fmt/format.h>

namespace mlcarbon::measure {

Attribution::Attribution(ProcessCpuReader& reader, std::size_t domains,
                         std::optional<int> tracked_pid)
    : reader_(reader), tracked_pid_(tracked_pid), gpu_use_(domains) {}

void Attribution::track(int pid) {
  tracked_pid_ = pid;
  ++epoch_;
  tree_last_.reset();
  busy_last_.reset();
  read_cpu();
}

void Attribution::read_cpu() {
  if (!tracked_pid_)
    return;
  // Accumulate positive steps only: a descendant that leaves the tree
  // (orphaned, reparented to init) lowers the sum without giving back the
  // time it used while it was ours.
  Result<Seconds> busy = reader_.machine_busy_time();
  Result<Seconds> tree = reader_.tree_cpu_time(*tracked_pid_);
  if (!busy || !tree) {
    ++failures_;
    error_ = (!busy ? busy.error() : tree.error()).to_string();
    return;
  }
  if (busy_last_ && tree_last_) {
    busy_accumulated_ += std::max(*busy - *busy_last_, Seconds(0));
    tree_accumulated_ += std::max(*tree - *tree_last_, Seconds(0));
  }
  busy_last_ = *busy;
  tree_last_ = *tree;
  tree_pids_ = reader_.last_tree();
  const std::optional<std::uint64_t> rss = reader_.last_tree_rss_bytes();
  const std::optional<std::uint64_t> total = reader_.machine_memory_bytes();
  if (rss && total && *total > 0) {
    rss_share_sum_ +=
        std::min(static_cast<double>(*rss) / static_cast<double>(*total), 1.0);
    ++rss_readings_;
  }
}

bool Attribution::wants_gpu_lists() const {
  return tracked_pid_.has_value() && !tree_pids_.empty();
}

void Attribution::record_gpu_processes(std::size_t domain,
                                       std::span<const int> pids) {
  GpuUse& use = gpu_use_.at(domain);
  ++use.lists;
  use.busy += pids.empty() ? 0U : 1U;
  const bool ours = std::any_of(pids.begin(), pids.end(), [&](int pid) {
    return std::find(tree_pids_.begin(), tree_pids_.end(), pid) !=
           tree_pids_.end();
  });
  use.ours += ours ? 1U : 0U;
}

bool Attribution::gpu_seen_since(std::size_t domain,
                                 const AttributionMark& mark) const {
  return domain < mark.gpu_use.size() &&
         gpu_use_[domain].ours > mark.gpu_use[domain].ours;
}

bool Attribution::gpu_is_ours(std::size_t domain,
                              const AttributionMark& mark) const {
  if (domain >= mark.gpu_use.size())
    return true;
  // Without process lists the GPU's energy goes to the tree in full.
  return gpu_lists_since(domain, mark) == 0 || gpu_seen_since(domain, mark);
}

std::uint64_t Attribution::gpu_lists_since(std::size_t domain,
                                           const AttributionMark& mark) const {
  if (domain >= mark.gpu_use.size())
    return 0;
  return gpu_use_[domain].lists - mark.gpu_use[domain].lists;
}

AttributionMark Attribution::mark() const {
  return {.epoch = epoch_,
          .tree_ok = tracked_pid_.has_value() && tree_last_.has_value(),
          .tree = tree_accumulated_,
          .busy = busy_accumulated_,
          .tree_failures = failures_,
          .rss_share_sum = rss_share_sum_,
          .rss_readings = rss_readings_,
          .gpu_use = gpu_use_};
}

AttributedShare Attribution::share_since(const AttributionMark& mark) const {
  AttributedShare out;
  if (!tracked_pid_)
    return out;
  if (!mark.tree_ok || mark.epoch != epoch_) {
    out.warnings.push_back(fmt::format(
        "process {} could not be read when the window began ({}); the "
        "whole machine's energy is attributed",
        *tracked_pid_, error_));
    return out;
  }
  const Seconds busy = busy_accumulated_ - mark.busy;
  const Seconds tree = tree_accumulated_ - mark.tree;
  out.share = busy > Seconds(0) ? std::clamp(tree / busy, 0.0, 1.0) : 0.0;
  if (rss_readings_ > mark.rss_readings) {
    out.memory_share = (rss_share_sum_ - mark.rss_share_sum) /
                       static_cast<double>(rss_readings_ - mark.rss_readings);
  }
  if (failures_ > mark.tree_failures) {
    out.warnings.push_back(fmt::format(
        "process {} could not be read {} times (last error: {}); CPU time "
        "after its last good reading is not attributed",
        *tracked_pid_, failures_ - mark.tree_failures, error_));
  }
  return out;
}

}  // namespace mlcarbon::measure
