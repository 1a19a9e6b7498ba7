// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mlcarbon/core/units.h"
#include "mlcarbon/measure/cgroups.h"
#include "mlcarbon/measure/process_cpu.h"

namespace mlcarbon::measure {

/// How often one GPU domain's process list was read, held any process, and
/// held one of the tracked tree's.
struct GpuUse {
  std::uint64_t lists = 0;
  std::uint64_t busy = 0;
  std::uint64_t ours = 0;
};

/// The attribution counters where a window began (Attribution::mark()).
struct AttributionMark {
  std::uint64_t epoch = 0;
  /// A tree was tracked and read when the window began.
  bool tree_ok = false;
  Seconds tree{0};
  Seconds busy{0};
  std::uint64_t tree_failures = 0;
  /// Sum and count of the tree's RSS / installed memory readings.
  double rss_share_sum = 0.0;
  std::uint64_t rss_readings = 0;
  std::vector<GpuUse> gpu_use;
};

/// The tracked tree's part of a window.
struct AttributedShare {
  /// CPU-time share in [0, 1]; empty when no tree is tracked or it could not
  /// be read when the window began.
  std::optional<double> share;
  /// The tree's mean resident memory over the machine's installed memory
  /// in [0, 1], for the memory model's energy; empty where the reader cannot
  /// tell (the CPU-time share then applies).
  std::optional<double> memory_share;
  /// What makes the share less complete.
  std::vector<std::string> warnings;
};

/// Process-tree and GPU attribution (docs/meter.md, "Attribution"): the CPU
/// time of a tracked process tree against the machine's busy CPU time, and
/// which GPUs ran a process of the tree. Counters accumulate positive steps
/// only, so a descendant that leaves the tree keeps the time it used.
///
/// Not thread-safe: the Monitor calls it under its mutex.
class Attribution {
 public:
  /// `reader` is not owned; `domains` is the number of energy domains (the
  /// GPU functions take an index below it).
  Attribution(ProcessCpuReader& reader, std::size_t domains,
              std::optional<int> tracked_pid = std::nullopt);

  /// Tracks `pid` from now on; marks taken before give no share.
  void track(int pid);
  [[nodiscard]] const std::optional<int>& tracked_pid() const {
    return tracked_pid_;
  }

  /// Reads the tree's and the machine's CPU time once.
  void read_cpu();

  /// Whether GPU process lists can be matched: a tree is tracked and its
  /// pids are known.
  [[nodiscard]] bool wants_gpu_lists() const;
  /// Records one process list of GPU domain `domain`.
  void record_gpu_processes(std::size_t domain, std::span<const int> pids);
  /// Whether the tree was seen on `domain` since `mark`: further lists
  /// change nothing for that window.
  [[nodiscard]] bool gpu_seen_since(std::size_t domain,
                                    const AttributionMark& mark) const;
  /// Whether GPU domain `domain`'s energy since `mark` goes to the tree:
  /// yes when the tree was seen on it, or when no list was read (a sensor
  /// that cannot tell gives the GPU to the tree in full).
  [[nodiscard]] bool gpu_is_ours(std::size_t domain,
                                 const AttributionMark& mark) const;
  /// Process lists read for `domain` since `mark`.
  [[nodiscard]] std::uint64_t gpu_lists_since(
      std::size_t domain, const AttributionMark& mark) const;

  /// The counters now, to measure a window from.
  [[nodiscard]] AttributionMark mark() const;
  /// The tree's CPU-time share since `mark`, with warnings for reads that
  /// failed.
  [[nodiscard]] AttributedShare share_since(const AttributionMark& mark) const;

 private:
  ProcessCpuReader& reader_;
  std::optional<int> tracked_pid_;
  std::uint64_t epoch_ = 0;
  Seconds tree_accumulated_{0};
  std::optional<Seconds> tree_last_;
  Seconds busy_accumulated_{0};
  std::optional<Seconds> busy_last_;
  std::uint64_t failures_ = 0;
  double rss_share_sum_ = 0.0;
  std::uint64_t rss_readings_ = 0;
  std::string error_;
  std::vector<int> tree_pids_;
  std::vector<GpuUse> gpu_use_;
};

/// The energy one GPU domain used over a step, and the workloads (cgroup
/// paths) whose processes ran on it; nullopt where the sensor cannot tell.
struct GpuStep {
  Joules energy{0};
  std::optional<std::vector<std::string>> workloads;
};

/// One step of the node: its energy since the previous step, split into the
/// CPU side (every counted domain but GPUs) and each GPU, and the machine's
/// busy CPU time now (cumulative, /proc/stat).
struct NodeStep {
  Joules cpu_side{0};
  std::vector<GpuStep> gpus;
  Seconds machine_busy{0};
};

/// One exported cgroup series.
struct CgroupEnergy {
  Workload workload;
  /// Energy attributed while the workload held a series.
  Joules energy{0};
  /// Still on the node at the last update.
  bool live = true;
};

struct CgroupAttributionOptions {
  /// At most this many cgroup series; the energy of workloads without one
  /// goes to other(). Bounds what a scrape returns on a busy node.
  std::size_t max_series = 100;
  /// A workload gone from the tree keeps its series for this many updates,
  /// so a scrape sees its final value, then frees it.
  std::size_t keep_gone = 60;
};

/// The node's energy attributed to cgroup workloads (docs/cluster.md,
/// "Attribution to jobs"), as Kepler does for containers: the CPU side by
/// each workload's share of the machine's busy CPU time, each GPU in equal
/// parts to the workloads with a process on it. Like Attribution, CPU
/// counters accumulate positive steps only. Every step's energy is split
/// exactly: sum(series) + other() + unattributed() is the node's energy, and
/// no workload gets more than the node used.
///
/// Series are bounded: a workload gets one when a slot is free, the
/// biggest consumers of the step first, and keeps it while it lives; the
/// others' energy is summed in other(). Every figure only grows.
///
/// Not thread-safe.
class CgroupAttribution {
 public:
  explicit CgroupAttribution(CgroupAttributionOptions options = {});

  /// Splits one step. The first call only records the CPU counters (its
  /// step's energy is unattributed: nobody's share is known yet); a
  /// workload first seen later gets all its CPU time, as it started since
  /// the previous update.
  void update(const CgroupSnapshot& snapshot, const NodeStep& step);
  /// Counts a step whose cgroup tree could not be read as unattributed, so
  /// the series still sum to the node's energy.
  void unattribute(const NodeStep& step);

  /// The series, ordered by path.
  [[nodiscard]] std::vector<CgroupEnergy> series() const;
  /// Energy of workloads without a series.
  [[nodiscard]] Joules other() const { return other_; }
  /// Energy no workload used: idle CPUs' share, processes outside every
  /// workload, idle GPUs, GPUs whose processes cannot be listed.
  [[nodiscard]] Joules unattributed() const { return unattributed_; }
  /// Live workloads at the last update (with or without a series).
  [[nodiscard]] std::size_t live_workloads() const { return live_; }

 private:
  struct State {
    Workload workload;
    Seconds last_cpu{0};
    Joules energy{0};
    bool has_series = false;
    std::size_t gone_for = 0;
  };
  CgroupAttributionOptions options_;
  bool started_ = false;
  std::optional<Seconds> busy_last_;
  std::map<std::string, State, std::less<>> states_;
  std::size_t series_ = 0;
  std::size_t live_ = 0;
  Joules other_{0};
  Joules unattributed_{0};
};

}  // namespace mlcarbon::measure
