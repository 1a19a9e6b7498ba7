// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/attribution.h"

#include <algorithm>

#include <fmt/format.h>

namespace mlcarbon::measure {
namespace {

// CPU counters count positive steps only: a process or cgroup that leaves
// lowers a sum without giving back the time it used.
Seconds positive_step(Seconds now, Seconds last) {
  return std::max(now - last, Seconds(0));
}

}  // namespace

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
    busy_accumulated_ += positive_step(*busy, *busy_last_);
    tree_accumulated_ += positive_step(*tree, *tree_last_);
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

CgroupAttribution::CgroupAttribution(CgroupAttributionOptions options)
    : options_(options) {}

void CgroupAttribution::update(const CgroupSnapshot& snapshot,
                               const NodeStep& step) {
  const std::optional<Seconds> busy_last = busy_last_;
  busy_last_ = step.machine_busy;
  const bool first = !started_;
  started_ = true;

  for (auto& [path, state] : states_)
    ++state.gone_for;
  // This step's CPU time per live workload.
  std::map<std::string, Seconds, std::less<>> cpu;
  Seconds cpu_sum{0};
  for (const WorkloadCpu& w : snapshot.workloads) {
    auto [it, inserted] = states_.try_emplace(w.workload.path);
    State& state = it->second;
    const Seconds last = inserted ? Seconds(0) : state.last_cpu;
    state.workload = w.workload;
    state.last_cpu = w.cpu;
    state.gone_for = 0;
    if (first)
      continue;
    const Seconds used = positive_step(w.cpu, last);
    cpu[w.workload.path] = used;
    cpu_sum += used;
  }

  std::map<std::string, Joules, std::less<>> energy;
  Joules attributed{0};
  if (!first) {
    // Shares of the machine's busy time; cgroup and /proc/stat counters are
    // read a moment apart, so scale down a sum above the whole.
    const Seconds busy =
        busy_last ? positive_step(step.machine_busy, *busy_last) : Seconds(0);
    const Seconds whole = std::max(busy, cpu_sum);
    if (whole > Seconds(0)) {
      for (const auto& [path, used] : cpu) {
        const Joules e = step.cpu_side * (used / whole);
        energy[path] += e;
        attributed += e;
      }
    }
    for (const GpuStep& gpu : step.gpus) {
      if (!gpu.workloads)
        continue;
      std::vector<std::string_view> users;
      for (const std::string& path : *gpu.workloads) {
        if (states_.contains(path) && states_.at(path).gone_for == 0 &&
            std::find(users.begin(), users.end(), path) == users.end()) {
          users.push_back(path);
        }
      }
      for (std::string_view path : users) {
        const Joules e = gpu.energy / static_cast<double>(users.size());
        energy[std::string(path)] += e;
        attributed += e;
      }
    }
  }
  Joules node = step.cpu_side;
  for (const GpuStep& gpu : step.gpus)
    node += gpu.energy;
  // On the first update nobody's share is known: the step is unattributed.
  unattributed_ += std::max(node - attributed, Joules(0));

  // Free the series of workloads gone long enough.
  for (auto it = states_.begin(); it != states_.end();) {
    if (it->second.gone_for > options_.keep_gone) {
      series_ -= it->second.has_series ? 1U : 0U;
      it = states_.erase(it);
    } else {
      ++it;
    }
  }
  live_ = static_cast<std::size_t>(
      std::count_if(states_.begin(), states_.end(),
                    [](const auto& s) { return s.second.gone_for == 0; }));
  // Free slots go to this step's biggest live consumers.
  std::vector<std::pair<Joules, std::string_view>> waiting;
  for (const auto& [path, state] : states_) {
    if (!state.has_series && state.gone_for == 0) {
      auto e = energy.find(path);
      waiting.emplace_back(e == energy.end() ? Joules(0) : e->second, path);
    }
  }
  std::sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (const auto& [e, path] : waiting) {
    if (series_ >= options_.max_series)
      break;
    states_.find(path)->second.has_series = true;
    ++series_;
  }
  for (const auto& [path, e] : energy) {
    State& state = states_.find(path)->second;
    if (state.has_series) {
      state.energy += e;
    } else {
      other_ += e;
    }
  }
}

void CgroupAttribution::unattribute(const NodeStep& step) {
  unattributed_ += step.cpu_side;
  for (const GpuStep& gpu : step.gpus)
    unattributed_ += gpu.energy;
}

std::vector<CgroupEnergy> CgroupAttribution::series() const {
  std::vector<CgroupEnergy> out;
  for (const auto& [path, state] : states_) {
    if (state.has_series) {
      out.push_back({.workload = state.workload,
                     .energy = state.energy,
                     .live = state.gone_for == 0});
    }
  }
  return out;
}

}  // namespace mlcarbon::measure
