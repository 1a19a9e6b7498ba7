// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/cgroups.h"

#include <fstream>
#include <string>
#include <vector>

#include <pwd.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/measure/attribution.h"

#include "support/test_support.h"

namespace mlcarbon::measure {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

const std::string kDockerId(64, 'a');
const std::string kContainerdId = "0123456789abcdef0123";
const std::string kPodmanId(64, 'b');

void put(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}
void v2_usage(const fs::path& dir, long long usec) {
  put(dir / "cpu.stat",
      "usage_usec " + std::to_string(usec) + "\nuser_usec 1\nsystem_usec 2\n");
}
void v1_usage(const fs::path& dir, long long ns) {
  put(dir / "cpuacct.usage", std::to_string(ns) + "\n");
}

std::string my_user() {
  passwd* p = getpwuid(getuid());
  return p != nullptr ? p->pw_name : std::to_string(getuid());
}

// A cgroup v2 host with a Slurm job (slurmstepd.scope/job_42), a systemd
// service, docker, containerd under Kubernetes, and podman.
struct V2Tree {
  TempDir dir;
  CgroupOptions options{.cgroup_root = dir.path() / "cg",
                        .proc_root = dir.path() / "proc"};
  V2Tree() {
    const fs::path r = options.cgroup_root;
    put(r / "cgroup.controllers", "cpu memory\n");
    v2_usage(r, 99'000'000);
    v2_usage(r / "system.slice/nginx.service", 2'000'000);
    put(r / "system.slice/nginx.service/cgroup.procs", "100\n");
    v2_usage(r / "system.slice/slurmstepd.scope", 10'000'000);
    v2_usage(r / "system.slice/slurmstepd.scope/job_42", 7'000'000);
    v2_usage(r / "system.slice/slurmstepd.scope/job_42/step_0", 6'000'000);
    put(r / "system.slice/slurmstepd.scope/job_42/step_0/cgroup.procs",
        "200\n201\n");
    v2_usage(r / ("system.slice/docker-" + kDockerId + ".scope"), 3'000'000);
    v2_usage(r / ("kubepods.slice/kubepods-pod1.slice/cri-containerd-" +
                  kContainerdId + ".scope"),
             1'000'000);
    v2_usage(r / ("machine.slice/libpod-" + kPodmanId + ".scope"), 500'000);
    put(r / "user.slice/user-1000.slice/cgroup.procs", "300\n");
    put(options.proc_root / "200/cgroup",
        "0::/system.slice/slurmstepd.scope/job_42/step_0\n");
    put(options.proc_root / "300/cgroup", "0::/user.slice/user-1000.slice\n");
  }
};

// A cgroup v1 host: Slurm's cpuacct tree, docker's cgroupfs driver, a unit.
struct V1Tree {
  TempDir dir;
  CgroupOptions options{.cgroup_root = dir.path() / "cg",
                        .proc_root = dir.path() / "proc"};
  explicit V1Tree(bool hybrid) {
    const fs::path r = options.cgroup_root / "cpu,cpuacct";
    fs::create_directories(options.cgroup_root / "memory");
    if (hybrid)
      fs::create_directories(options.cgroup_root / "unified/system.slice");
    v1_usage(r, 50'000'000'000);
    v1_usage(r / "slurm", 6'000'000'000);
    v1_usage(r / "slurm/uid_0/job_7", 5'000'000'000);
    put(r / "slurm/uid_0/job_7/step_0/cgroup.procs", "400\n");
    v1_usage(r / "slurm/uid_0/job_7/step_0", 4'000'000'000);
    v1_usage(r / ("docker/" + kDockerId), 2'000'000'000);
    v1_usage(r / "system.slice/ssh.service", 1'000'000'000);
    put(options.proc_root / "400/cgroup",
        "9:name=systemd:/\n3:cpu,cpuacct:/slurm/uid_0/job_7/step_0\n"
        "0::/\n");
  }
};

TEST(CgroupsTest, ClassifiesPaths) {
  auto job = classify_cgroup("/slurm/uid_0/job_42/step_0");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->kind, WorkloadKind::kSlurmJob);
  EXPECT_EQ(job->path, "/slurm/uid_0/job_42");
  EXPECT_EQ(job->job_id, "42");
  EXPECT_EQ(job->user, "root");

  auto v2job = classify_cgroup("/system.slice/slurmstepd.scope/job_9/step_1");
  ASSERT_TRUE(v2job);
  EXPECT_EQ(v2job->path, "/system.slice/slurmstepd.scope/job_9");
  EXPECT_EQ(v2job->job_id, "9");

  auto docker = classify_cgroup("/system.slice/docker-" + kDockerId + ".scope");
  ASSERT_TRUE(docker);
  EXPECT_EQ(docker->kind, WorkloadKind::kContainer);
  EXPECT_EQ(docker->runtime, "docker");
  EXPECT_EQ(docker->container_id, kDockerId);

  auto podman =
      classify_cgroup("/machine.slice/libpod-" + kPodmanId + ".scope");
  ASSERT_TRUE(podman);
  EXPECT_EQ(podman->runtime, "podman");
  // conmon's scope is a unit, not the container.
  auto conmon =
      classify_cgroup("/machine.slice/libpod-conmon-" + kPodmanId + ".scope");
  ASSERT_TRUE(conmon);
  EXPECT_EQ(conmon->kind, WorkloadKind::kUnit);

  auto unit = classify_cgroup("/system.slice/cron.service");
  ASSERT_TRUE(unit);
  EXPECT_EQ(unit->kind, WorkloadKind::kUnit);
  EXPECT_EQ(unit->unit, "cron.service");

  EXPECT_FALSE(classify_cgroup("/user.slice/user-1000.slice"));
  EXPECT_FALSE(classify_cgroup("/"));
  EXPECT_FALSE(classify_cgroup("/job_x"));
}

TEST(CgroupsTest, ReadsAV2TreeWithoutOverlap) {
  V2Tree tree;
  auto snapshot = read_cgroups(tree.options);
  ASSERT_TRUE(snapshot) << snapshot.error().to_string();
  EXPECT_EQ(snapshot->layout, CgroupLayout::kV2);
  const auto& w = snapshot->workloads;
  ASSERT_EQ(w.size(), 6U);
  EXPECT_EQ(w[0].workload.path,
            "/kubepods.slice/kubepods-pod1.slice/"
            "cri-containerd-" +
                kContainerdId + ".scope");
  EXPECT_EQ(w[0].workload.runtime, "containerd");
  EXPECT_DOUBLE_EQ(w[0].cpu.count(), 1.0);
  EXPECT_EQ(w[1].workload.runtime, "podman");
  EXPECT_DOUBLE_EQ(w[1].cpu.count(), 0.5);
  EXPECT_EQ(w[2].workload.path, "/system.slice/docker-" + kDockerId + ".scope");
  EXPECT_DOUBLE_EQ(w[2].cpu.count(), 3.0);
  EXPECT_EQ(w[3].workload.path, "/system.slice/nginx.service");
  EXPECT_DOUBLE_EQ(w[3].cpu.count(), 2.0);
  EXPECT_EQ(w[3].pids, std::vector<int>{100});
  // The scope's own time is what its nested job did not use.
  EXPECT_EQ(w[4].workload.path, "/system.slice/slurmstepd.scope");
  EXPECT_DOUBLE_EQ(w[4].cpu.count(), 3.0);
  EXPECT_EQ(w[5].workload.path, "/system.slice/slurmstepd.scope/job_42");
  EXPECT_EQ(w[5].workload.kind, WorkloadKind::kSlurmJob);
  EXPECT_EQ(w[5].workload.job_id, "42");
  EXPECT_DOUBLE_EQ(w[5].cpu.count(), 7.0);
  EXPECT_EQ(w[5].pids, (std::vector<int>{200, 201}));
  // v2 paths carry no uid: the owner of the job's first process.
  EXPECT_EQ(w[5].workload.user, my_user());

  auto path = cgroup_of_pid(tree.options, CgroupLayout::kV2, 200);
  ASSERT_TRUE(path) << path.error().to_string();
  const Workload* holder = workload_holding(w, *path);
  ASSERT_NE(holder, nullptr);
  EXPECT_EQ(holder->job_id, "42");
  auto outside = cgroup_of_pid(tree.options, CgroupLayout::kV2, 300);
  ASSERT_TRUE(outside);
  EXPECT_EQ(workload_holding(w, *outside), nullptr);
}

TEST(CgroupsTest, ReadsV1AndHybridTrees) {
  for (bool hybrid : {false, true}) {
    V1Tree tree(hybrid);
    auto snapshot = read_cgroups(tree.options);
    ASSERT_TRUE(snapshot) << snapshot.error().to_string();
    EXPECT_EQ(snapshot->layout,
              hybrid ? CgroupLayout::kHybrid : CgroupLayout::kV1);
    const auto& w = snapshot->workloads;
    ASSERT_EQ(w.size(), 3U);
    EXPECT_EQ(w[0].workload.path, "/docker/" + kDockerId);
    EXPECT_EQ(w[0].workload.kind, WorkloadKind::kContainer);
    EXPECT_DOUBLE_EQ(w[0].cpu.count(), 2.0);
    EXPECT_EQ(w[1].workload.path, "/slurm/uid_0/job_7");
    EXPECT_EQ(w[1].workload.job_id, "7");
    EXPECT_EQ(w[1].workload.user, "root");
    EXPECT_DOUBLE_EQ(w[1].cpu.count(), 5.0);
    EXPECT_EQ(w[1].pids, std::vector<int>{400});
    EXPECT_EQ(w[2].workload.unit, "ssh.service");
    EXPECT_DOUBLE_EQ(w[2].cpu.count(), 1.0);

    auto path = cgroup_of_pid(tree.options, snapshot->layout, 400);
    ASSERT_TRUE(path) << path.error().to_string();
    EXPECT_EQ(*path, "/slurm/uid_0/job_7/step_0");
    const Workload* holder = workload_holding(w, *path);
    ASSERT_NE(holder, nullptr);
    EXPECT_EQ(holder->job_id, "7");
  }
}

TEST(CgroupsTest, NoHierarchyIsAClearError) {
  TempDir dir;
  auto snapshot = read_cgroups({.cgroup_root = dir.path()});
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().code(), Errc::kUnavailable);
  EXPECT_NE(snapshot.error().message().find(dir.path().string()),
            std::string::npos);
  EXPECT_FALSE(snapshot.error().remedy().empty());
}

TEST(CgroupsTest, BadCpuFileSkipsOnlyThatCgroup) {
  V2Tree tree;
  put(tree.options.cgroup_root / "system.slice/nginx.service/cpu.stat",
      "usage_usec lots\n");
  auto snapshot = read_cgroups(tree.options);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->workloads.size(), 5U);
}

// A snapshot of named workloads with cumulative CPU seconds.
CgroupSnapshot snapshot_of(
    const std::vector<std::pair<std::string, double>>& cpu) {
  CgroupSnapshot s;
  for (const auto& [path, seconds] : cpu) {
    WorkloadCpu w;
    w.workload.path = path;
    w.cpu = Seconds(seconds);
    s.workloads.push_back(w);
  }
  return s;
}

double energy_of(const CgroupAttribution& a, const std::string& path) {
  for (const CgroupEnergy& e : a.series()) {
    if (e.workload.path == path)
      return e.energy.value();
  }
  return -1;
}

double attributed_sum(const CgroupAttribution& a) {
  double sum = a.other().value() + a.unattributed().value();
  for (const CgroupEnergy& e : a.series())
    sum += e.energy.value();
  return sum;
}

TEST(CgroupAttributionTest, SplitsCpuByTimeAndGpusByProcessLists) {
  CgroupAttribution a;
  a.update(snapshot_of({{"/a", 100}, {"/b", 50}}),
           {.cpu_side = Joules(999), .machine_busy = Seconds(1000)});
  // The first update is a baseline: its step goes to nobody.
  EXPECT_DOUBLE_EQ(a.unattributed().value(), 999.0);
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 0.0);
  a.update(snapshot_of({{"/a", 104}, {"/b", 51}}),
           {.cpu_side = Joules(100),
            .gpus = {{.energy = Joules(50),
                      .workloads = std::vector<std::string>{"/a"}},
                     {.energy = Joules(30), .workloads = std::nullopt},
                     {.energy = Joules(20),
                      .workloads = std::vector<std::string>{"/a", "/b"}}},
            .machine_busy = Seconds(1010)});
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 40.0 + 50.0 + 10.0);
  EXPECT_DOUBLE_EQ(energy_of(a, "/b"), 10.0 + 10.0);
  // Idle CPU share (50 J) and the GPU that cannot tell (30 J).
  EXPECT_DOUBLE_EQ(a.unattributed().value(), 999.0 + 80.0);
  EXPECT_DOUBLE_EQ(a.other().value(), 0.0);
  EXPECT_DOUBLE_EQ(attributed_sum(a), 999.0 + 200.0);
  // A step whose tree could not be read goes to nobody, in full.
  a.unattribute({.cpu_side = Joules(7),
                 .gpus = {{.energy = Joules(3), .workloads = std::nullopt}}});
  EXPECT_DOUBLE_EQ(attributed_sum(a), 999.0 + 200.0 + 10.0);
}

TEST(CgroupAttributionTest, NeverGivesMoreThanTheNodeUsed) {
  CgroupAttribution a;
  a.update(snapshot_of({{"/a", 0}, {"/b", 0}}), {.machine_busy = Seconds(0)});
  // Cgroup counters read a moment after /proc/stat: 4 s of work in 2 s.
  a.update(snapshot_of({{"/a", 3}, {"/b", 1}}),
           {.cpu_side = Joules(100), .machine_busy = Seconds(2)});
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 75.0);
  EXPECT_DOUBLE_EQ(energy_of(a, "/b"), 25.0);
  EXPECT_DOUBLE_EQ(a.unattributed().value(), 0.0);
  // A counter that went back (a cgroup recreated) gives nothing.
  a.update(snapshot_of({{"/a", 1}, {"/b", 2}}),
           {.cpu_side = Joules(10), .machine_busy = Seconds(4)});
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 75.0);
  EXPECT_DOUBLE_EQ(energy_of(a, "/b"), 30.0);
  EXPECT_DOUBLE_EQ(a.unattributed().value(), 5.0);
}

TEST(CgroupAttributionTest, NewWorkloadGetsItsWholeCpuTime) {
  CgroupAttribution a;
  a.update(snapshot_of({{"/a", 10}}), {.machine_busy = Seconds(100)});
  a.update(snapshot_of({{"/a", 11}, {"/new", 3}}),
           {.cpu_side = Joules(40), .machine_busy = Seconds(104)});
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 10.0);
  EXPECT_DOUBLE_EQ(energy_of(a, "/new"), 30.0);
}

TEST(CgroupAttributionTest, BoundsSeriesAndKeepsEveryFigureGrowing) {
  CgroupAttribution a({.max_series = 1, .keep_gone = 1});
  a.update(snapshot_of({{"/a", 0}, {"/b", 0}}), {.machine_busy = Seconds(0)});
  a.update(snapshot_of({{"/a", 3}, {"/b", 1}}),
           {.cpu_side = Joules(40), .machine_busy = Seconds(4)});
  // The step's biggest consumer takes the one series.
  ASSERT_EQ(a.series().size(), 1U);
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 30.0);
  EXPECT_DOUBLE_EQ(a.other().value(), 10.0);
  // /b now uses more, but /a keeps its series while it lives.
  a.update(snapshot_of({{"/a", 4}, {"/b", 4}}),
           {.cpu_side = Joules(40), .machine_busy = Seconds(8)});
  EXPECT_DOUBLE_EQ(energy_of(a, "/a"), 40.0);
  EXPECT_DOUBLE_EQ(a.other().value(), 40.0);
  // /a ends; its series stays for keep_gone updates, then /b gets it and
  // counts from then on.
  a.update(snapshot_of({{"/b", 8}}),
           {.cpu_side = Joules(40), .machine_busy = Seconds(12)});
  ASSERT_EQ(a.series().size(), 1U);
  EXPECT_FALSE(a.series()[0].live);
  EXPECT_DOUBLE_EQ(a.other().value(), 80.0);
  a.update(snapshot_of({{"/b", 12}}),
           {.cpu_side = Joules(40), .machine_busy = Seconds(16)});
  ASSERT_EQ(a.series().size(), 1U);
  EXPECT_EQ(a.series()[0].workload.path, "/b");
  EXPECT_DOUBLE_EQ(energy_of(a, "/b"), 40.0);
  EXPECT_DOUBLE_EQ(a.other().value(), 80.0);
  EXPECT_EQ(a.live_workloads(), 1U);
}

}  // namespace
}  // namespace mlcarbon::measure
