// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/cgroups.h"

#include <algorithm>
#include <array>
#include <system_error>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::measure {
namespace {

namespace fs = std::filesystem;

// Deeper trees are not made by any runtime; the bound stops a loop in a
// bind-mounted or corrupted tree.
constexpr int kMaxDepth = 32;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return c >= '0' && c <= '9'; });
}
bool is_hex_id(std::string_view s) {
  return s.size() >= 12 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "1000" -> "alice" where the uid has a name.
std::string user_of_uid(std::string_view uid_text) {
  const std::optional<unsigned> uid = parse_integer<unsigned>(uid_text);
  if (!uid)
    return std::string(uid_text);
  std::array<char, 1024> buf{};
  passwd entry{};
  passwd* found = nullptr;
  if (getpwuid_r(*uid, &entry, buf.data(), buf.size(), &found) == 0 &&
      found != nullptr) {
    return found->pw_name;
  }
  return std::string(uid_text);
}

// A container scope "<prefix><id>.scope" -> the id.
std::optional<std::string> scope_id(std::string_view name,
                                    std::string_view prefix) {
  if (!starts_with(name, prefix) || !ends_with(name, ".scope"))
    return std::nullopt;
  std::string_view id = name.substr(prefix.size());
  id.remove_suffix(std::string_view(".scope").size());
  if (!is_hex_id(id))
    return std::nullopt;
  return std::string(id);
}

std::optional<Workload> classify_component(std::string_view name,
                                           std::string_view parent) {
  Workload w;
  if (starts_with(name, "job_") && all_digits(name.substr(4))) {
    w.kind = WorkloadKind::kSlurmJob;
    w.job_id = std::string(name.substr(4));
    return w;
  }
  struct Runtime {
    std::string_view prefix;
    std::string_view name;
  };
  static constexpr std::array<Runtime, 4> kScopes{{
      {"docker-", "docker"},
      {"cri-containerd-", "containerd"},
      {"crio-", "cri-o"},
      {"libpod-", "podman"},
  }};
  for (const Runtime& r : kScopes) {
    if (std::optional<std::string> id = scope_id(name, r.prefix)) {
      w.kind = WorkloadKind::kContainer;
      w.unit = std::string(name);
      w.runtime = std::string(r.name);
      w.container_id = std::move(*id);
      return w;
    }
  }
  // cgroupfs drivers (v1 docker, or Kubernetes without systemd): /docker/<id>.
  if (parent == "docker" && is_hex_id(name)) {
    w.kind = WorkloadKind::kContainer;
    w.runtime = "docker";
    w.container_id = std::string(name);
    return w;
  }
  if (ends_with(name, ".service") || ends_with(name, ".scope")) {
    w.kind = WorkloadKind::kUnit;
    w.unit = std::string(name);
    return w;
  }
  return std::nullopt;
}

Result<Seconds> read_cpu_time(const fs::path& dir, CgroupLayout layout) {
  if (layout == CgroupLayout::kV2) {
    MLCARBON_ASSIGN_OR_RETURN(const std::string stat,
                              read_file(dir / "cpu.stat", 64 * 1024));
    for (std::string_view line : split(stat, '\n')) {
      if (starts_with(line, "usage_usec ")) {
        MLCARBON_ASSIGN_OR_RETURN(const std::uint64_t usec,
                                  parse_u64(trim(line.substr(11))));
        return Seconds(static_cast<double>(usec) * 1e-6);
      }
    }
    return make_error(Errc::kParse, "{}: no usage_usec line",
                      (dir / "cpu.stat").string());
  }
  MLCARBON_ASSIGN_OR_RETURN(const std::string usage,
                            read_small_file(dir / "cpuacct.usage"));
  Result<std::uint64_t> ns = parse_u64(usage);
  if (!ns) {
    return make_error(Errc::kParse, "{}: expected nanoseconds, got '{}'",
                      (dir / "cpuacct.usage").string(), usage);
  }
  return Seconds(static_cast<double>(*ns) * 1e-9);
}

std::vector<int> read_pids(const fs::path& dir) {
  std::vector<int> pids;
  Result<std::string> text = read_file(dir / "cgroup.procs", 1 << 20);
  if (!text)
    return pids;
  for (std::string_view line : split(*text, '\n')) {
    if (std::optional<int> pid = parse_integer<int>(trim(line)))
      pids.push_back(*pid);
  }
  return pids;
}

std::string owner_of_pid(const fs::path& proc_root, int pid) {
  struct stat st {};
  const fs::path dir = proc_root / std::to_string(pid);
  if (::stat(dir.c_str(), &st) != 0)
    return {};
  return user_of_uid(std::to_string(st.st_uid));
}

struct Walker {
  const CgroupOptions& options;
  CgroupLayout layout;
  std::vector<WorkloadCpu>& out;

  // Returns the CPU time of the top-most workloads in `dir`'s subtree (its
  // own when `dir` is one) and adds its pids to `pids`.
  Seconds walk(const fs::path& dir, const std::string& path,
               std::string_view parent, std::optional<Workload> inherited,
               int depth, std::vector<int>& pids) {
    const std::string name = dir.filename().string();
    std::optional<Workload> self =
        depth == 0 ? std::nullopt : classify_component(name, parent);
    if (self) {
      self->path = path;
      if (self->kind == WorkloadKind::kSlurmJob && inherited &&
          !inherited->user.empty()) {
        self->user = inherited->user;
      }
    }
    // v1 Slurm keeps the user in the path above the job: uid_<n>.
    std::optional<Workload> context = inherited;
    if (starts_with(name, "uid_") && all_digits(name.substr(4))) {
      context = Workload{};
      context->user = user_of_uid(name.substr(4));
    }
    std::vector<int> own_pids = read_pids(dir);
    Seconds nested{0};
    if (depth < kMaxDepth) {
      std::error_code ec;
      for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
           it.increment(ec)) {
        std::error_code type_ec;
        if (it->is_symlink(type_ec) || !it->is_directory(type_ec))
          continue;
        const std::string child = it->path().filename().string();
        nested +=
            walk(it->path(), path == "/" ? "/" + child : path + "/" + child,
                 name, context, depth + 1, own_pids);
      }
    }
    if (!self) {
      pids.insert(pids.end(), own_pids.begin(), own_pids.end());
      return nested;
    }
    Result<Seconds> cpu = read_cpu_time(dir, layout);
    if (!cpu) {
      // Gone mid-read, or a cgroup without CPU accounting: its nested
      // workloads still count.
      return nested;
    }
    if (self->kind == WorkloadKind::kSlurmJob && self->user.empty() &&
        !own_pids.empty()) {
      self->user = owner_of_pid(options.proc_root, own_pids.front());
    }
    out.push_back({.workload = std::move(*self),
                   .cpu = std::max(*cpu - nested, Seconds(0)),
                   .pids = std::move(own_pids)});
    return *cpu;
  }
};

std::optional<fs::path> cpuacct_hierarchy(const fs::path& root) {
  for (const char* name : {"cpuacct", "cpu,cpuacct", "cpuacct,cpu"}) {
    std::error_code ec;
    if (fs::exists(root / name / "cpuacct.usage", ec))
      return root / name;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kSlurmJob:
      return "slurm-job";
    case WorkloadKind::kContainer:
      return "container";
    case WorkloadKind::kUnit:
      return "unit";
  }
  return "unit";
}

std::string_view to_string(CgroupLayout layout) {
  switch (layout) {
    case CgroupLayout::kV2:
      return "v2";
    case CgroupLayout::kV1:
      return "v1";
    case CgroupLayout::kHybrid:
      return "hybrid";
  }
  return "v2";
}

std::optional<Workload> classify_cgroup(std::string_view path) {
  std::optional<Workload> found;
  std::string user;
  std::string_view parent;
  std::string prefix;
  for (std::string_view part : split(path, '/')) {
    if (part.empty())
      continue;
    prefix += "/";
    prefix += part;
    if (starts_with(part, "uid_") && all_digits(part.substr(4)))
      user = user_of_uid(part.substr(4));
    if (std::optional<Workload> w = classify_component(part, parent)) {
      w->path = prefix;
      if (w->kind == WorkloadKind::kSlurmJob)
        w->user = user;
      found = std::move(w);
    }
    parent = part;
  }
  return found;
}

Result<CgroupLayout> detect_cgroup_layout(const CgroupOptions& options) {
  std::error_code ec;
  const fs::path& root = options.cgroup_root;
  if (fs::exists(root / "cgroup.controllers", ec))
    return CgroupLayout::kV2;
  if (cpuacct_hierarchy(root)) {
    return fs::exists(root / "unified", ec) ? CgroupLayout::kHybrid
                                            : CgroupLayout::kV1;
  }
  return tl::unexpected(
      Error(Errc::kUnavailable,
            fmt::format("{}: neither a cgroup v2 hierarchy "
                        "(cgroup.controllers) nor a v1 cpuacct one",
                        root.string()))
          .with_remedy("mount cgroupfs there, or point --cgroup-root at its "
                       "mount point"));
}

Result<CgroupSnapshot> read_cgroups(const CgroupOptions& options) {
  MLCARBON_ASSIGN_OR_RETURN(const CgroupLayout layout,
                            detect_cgroup_layout(options));
  CgroupSnapshot snapshot;
  snapshot.layout = layout;
  snapshot.hierarchy = layout == CgroupLayout::kV2
                           ? options.cgroup_root
                           : *cpuacct_hierarchy(options.cgroup_root);
  std::error_code ec;
  if (!fs::is_directory(snapshot.hierarchy, ec)) {
    return make_error(Errc::kIo, "{}: cannot read the cgroup hierarchy",
                      snapshot.hierarchy.string());
  }
  Walker walker{options, layout, snapshot.workloads};
  std::vector<int> root_pids;
  (void)walker.walk(snapshot.hierarchy, "/", "", std::nullopt, 0, root_pids);
  // Stable order, whatever order the directory listing had.
  std::sort(snapshot.workloads.begin(), snapshot.workloads.end(),
            [](const WorkloadCpu& a, const WorkloadCpu& b) {
              return a.workload.path < b.workload.path;
            });
  return snapshot;
}

Result<std::string> cgroup_of_pid(const CgroupOptions& options,
                                  CgroupLayout layout, int pid) {
  const fs::path file = options.proc_root / std::to_string(pid) / "cgroup";
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(file, 64 * 1024));
  // Lines are "hierarchy-id:controllers:path".
  for (std::string_view line : split(text, '\n')) {
    const std::size_t first = line.find(':');
    const std::size_t second = line.find(':', first + 1);
    if (first == std::string_view::npos || second == std::string_view::npos)
      continue;
    const std::string_view controllers =
        line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (layout == CgroupLayout::kV2) {
      if (line.substr(0, first) == "0" && controllers.empty())
        return std::string(path);
      continue;
    }
    for (std::string_view c : split(controllers, ',')) {
      if (c == "cpuacct")
        return std::string(path);
    }
  }
  return make_error(Errc::kParse, "{}: no {} line", file.string(),
                    layout == CgroupLayout::kV2 ? "unified (0::)" : "cpuacct");
}

const Workload* workload_holding(const std::vector<WorkloadCpu>& workloads,
                                 std::string_view cgroup_path) {
  const Workload* best = nullptr;
  for (const WorkloadCpu& w : workloads) {
    const std::string& p = w.workload.path;
    const bool holds = cgroup_path == p || (starts_with(cgroup_path, p) &&
                                            cgroup_path.size() > p.size() &&
                                            cgroup_path[p.size()] == '/');
    if (holds && (best == nullptr || p.size() > best->path.size()))
      best = &w.workload;
  }
  return best;
}

}  // namespace mlcarbon::measure
