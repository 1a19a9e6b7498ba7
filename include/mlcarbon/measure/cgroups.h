// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

/// The node's cgroup tree read for per-job attribution (docs/cluster.md,
/// "Attribution to jobs"): which workloads (Slurm jobs, containers, systemd
/// units) run here and how much CPU time each used.
namespace mlcarbon::measure {

/// What a cgroup's path says it is.
enum class WorkloadKind {
  kSlurmJob,   // .../job_<id>/...: a Slurm job (its steps included)
  kContainer,  // docker-<id>.scope, /docker/<id>, cri-containerd-<id>.scope,
               // crio-<id>.scope, libpod-<id>.scope
  kUnit,       // any other systemd unit: <name>.service, <name>.scope
};
[[nodiscard]] std::string_view to_string(WorkloadKind kind);

/// The labels a workload's cgroup path gives it.
struct Workload {
  WorkloadKind kind = WorkloadKind::kUnit;
  /// The cgroup path below the hierarchy root, "/slurm/uid_1000/job_42".
  std::string path;
  /// Slurm: the job id; empty otherwise.
  std::string job_id;
  /// Slurm: the user, from uid_<n> in the path (v1) or from the owner of
  /// the job's first process (v2); a name where the uid has one.
  std::string user;
  /// systemd unit name ("nginx.service"); for a container its scope.
  std::string unit;
  /// Container runtime ("docker", "containerd", "cri-o", "podman") and id.
  std::string runtime;
  std::string container_id;
};

/// Classifies a cgroup path: the workload it is, or nullopt for slices,
/// Slurm step folders and other plain folders (which belong to the
/// workload above them, if any). The user of a v1 Slurm job comes from a
/// uid_<n> component before job_<id>.
[[nodiscard]] std::optional<Workload> classify_cgroup(std::string_view path);

/// One workload and the CPU time it used, its nested workloads' time taken
/// out, so the CPU times of a tree's workloads never overlap.
struct WorkloadCpu {
  Workload workload;
  Seconds cpu{0};
  /// Pids in the workload's cgroups (nested workloads' excluded).
  std::vector<int> pids;
};

/// Which cgroup hierarchy holds CPU time on this host.
enum class CgroupLayout {
  kV2,      // unified: cpu.stat usage_usec
  kV1,      // legacy: cpuacct.usage (nanoseconds)
  kHybrid,  // v1 cpuacct beside a unified hierarchy without controllers
};
[[nodiscard]] std::string_view to_string(CgroupLayout layout);

/// Where the reader looks; fixture trees in tests.
struct CgroupOptions {
  std::filesystem::path cgroup_root = "/sys/fs/cgroup";
  std::filesystem::path proc_root = "/proc";
};

/// Every workload of the tree, with its CPU time now.
struct CgroupSnapshot {
  CgroupLayout layout = CgroupLayout::kV2;
  /// The hierarchy read: cgroup_root (v2) or its cpuacct folder.
  std::filesystem::path hierarchy;
  std::vector<WorkloadCpu> workloads;
};

/// Finds the layout under options.cgroup_root. Fails with kUnavailable and
/// a remedy when neither a unified hierarchy nor a cpuacct one is there.
[[nodiscard]] Result<CgroupLayout> detect_cgroup_layout(
    const CgroupOptions& options);

/// Reads the whole tree once. A cgroup that vanishes mid-read is skipped
/// (jobs end at any time); an unreadable root is an error.
[[nodiscard]] Result<CgroupSnapshot> read_cgroups(const CgroupOptions& options);

/// The cgroup path of `pid` in `layout`'s CPU hierarchy, from
/// <proc>/<pid>/cgroup ("0::/path" in v2, the cpuacct line in v1).
[[nodiscard]] Result<std::string> cgroup_of_pid(const CgroupOptions& options,
                                                CgroupLayout layout, int pid);

/// The workload among `workloads` whose path holds `cgroup_path` (the
/// deepest one), or nullptr.
[[nodiscard]] const Workload* workload_holding(
    const std::vector<WorkloadCpu>& workloads, std::string_view cgroup_path);

}  // namespace mlcarbon::measure
