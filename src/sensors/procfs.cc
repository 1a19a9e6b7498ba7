// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/procfs.h"

#include <array>
#include <charconv>
#include <set>

#include <dirent.h>
#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"

#include "read_util.h"

namespace mlcarbon::sensors::procfs {
namespace {

using detail::read_prefix;
using detail::take_u64;

Seconds ticks_to_seconds(std::uint64_t ticks) {
  return Seconds(static_cast<double>(ticks) /
                 static_cast<double>(ticks_per_second()));
}

std::optional<int> parse_int(std::string_view s) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size())
    return std::nullopt;
  return v;
}

// Numeric entries of a directory (pids, tids).
std::vector<int> numeric_entries(const std::filesystem::path& dir) {
  std::vector<int> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return out;
  while (const dirent* e = ::readdir(d)) {
    if (auto v = parse_int(e->d_name))
      out.push_back(*v);
  }
  ::closedir(d);
  return out;
}

}  // namespace

long ticks_per_second() {
  static const long kTicks = [] {
    const long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? t : 100;
  }();
  return kTicks;
}

Result<CpuTimes> read_cpu_times(const std::filesystem::path& proc_root) {
  std::array<char, 1024> buf{};
  const auto path = proc_root / "stat";
  MLCARBON_ASSIGN_OR_RETURN(std::string_view text, read_prefix(path, buf));
  if (!starts_with(text, "cpu "))
    return make_error(Errc::kParse, "{}: no 'cpu' line", path.string());
  text.remove_prefix(4);
  // user nice system idle iowait irq softirq steal (guest is inside user).
  std::uint64_t total = 0;
  std::uint64_t idle = 0;
  for (int field = 0; field < 8; ++field) {
    const auto v = take_u64(text);
    if (!v) {
      if (field < 4)
        return make_error(Errc::kParse, "{}: short 'cpu' line", path.string());
      break;
    }
    total += *v;
    if (field == 3 || field == 4)
      idle += *v;
  }
  return CpuTimes{ticks_to_seconds(total), ticks_to_seconds(idle)};
}

double utilisation(const CpuTimes& before, const CpuTimes& after) {
  const double total = (after.total - before.total).count();
  if (total <= 0)
    return 0.0;
  const double busy = total - (after.idle - before.idle).count();
  return std::clamp(busy / total, 0.0, 1.0);
}

Result<ProcessTimes> read_process_times(const std::filesystem::path& proc_root,
                                        int pid) {
  std::array<char, 1024> buf{};
  const auto path = proc_root / std::to_string(pid) / "stat";
  MLCARBON_ASSIGN_OR_RETURN(std::string_view text, read_prefix(path, buf));
  // comm may hold spaces and parentheses: fields resume after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos || close + 2 >= text.size())
    return make_error(Errc::kParse, "{}: no command field", path.string());
  text.remove_prefix(close + 2);
  // Field 3 (state) is now first; ppid is field 4, utime 14, stime 15.
  text.remove_prefix(std::min(text.size(), std::size_t{1}));
  std::uint64_t values[13] = {};
  for (int i = 0; i < 13; ++i) {
    const auto v = take_u64(text);
    // Fields 7 (tty_nr) and 8 (tpgid) may be negative, never the ones we use.
    if (!v) {
      if (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
      if (!text.empty() && text.front() == '-') {
        text.remove_prefix(1);
        if (take_u64(text))
          continue;
      }
      return make_error(Errc::kParse, "{}: bad field {}", path.string(), i + 4);
    }
    values[i] = *v;
  }
  ProcessTimes out;
  out.pid = pid;
  out.ppid = static_cast<int>(values[0]);
  out.cpu_time = ticks_to_seconds(values[10] + values[11]);
  return out;
}

Result<std::vector<int>> list_children(const std::filesystem::path& proc_root,
                                       int pid) {
  const auto pid_dir = proc_root / std::to_string(pid);
  std::vector<int> children;
  bool have_children_files = false;
  std::array<char, 4096> buf{};
  for (int tid : numeric_entries(pid_dir / "task")) {
    auto text =
        read_prefix(pid_dir / "task" / std::to_string(tid) / "children", buf);
    if (!text)
      continue;
    have_children_files = true;
    std::string_view rest = *text;
    while (auto v = take_u64(rest))
      children.push_back(static_cast<int>(*v));
  }
  if (have_children_files)
    return children;
  if (::access(pid_dir.c_str(), F_OK) != 0)
    return make_error(Errc::kNotFound, "no process {} under {}", pid,
                      proc_root.string());
  for (int other : numeric_entries(proc_root)) {
    auto times = read_process_times(proc_root, other);
    if (times && times->ppid == pid)
      children.push_back(other);
  }
  return children;
}

Result<std::vector<int>> list_process_tree(
    const std::filesystem::path& proc_root, int pid) {
  std::vector<int> tree{pid};
  std::set<int> seen{pid};
  for (std::size_t i = 0; i < tree.size(); ++i) {
    auto children = list_children(proc_root, tree[i]);
    if (!children) {
      if (i == 0)
        return tl::unexpected(std::move(children).error());
      continue;  // a descendant exited while we walked
    }
    for (int c : *children) {
      if (seen.insert(c).second)
        tree.push_back(c);
    }
  }
  return tree;
}

Result<MemInfo> read_meminfo(const std::filesystem::path& proc_root) {
  std::array<char, 4096> buf{};
  const auto path = proc_root / "meminfo";
  MLCARBON_ASSIGN_OR_RETURN(std::string_view text, read_prefix(path, buf));
  MemInfo out;
  bool total = false;
  bool available = false;
  for (std::string_view line : split(text, '\n')) {
    std::uint64_t* target = nullptr;
    if (starts_with(line, "MemTotal:")) {
      target = &out.total_bytes;
      total = true;
    } else if (starts_with(line, "MemAvailable:")) {
      target = &out.available_bytes;
      available = true;
    } else {
      continue;
    }
    line.remove_prefix(line.find(':') + 1);
    const auto kb = take_u64(line);
    if (!kb)
      return make_error(Errc::kParse, "{}: bad line", path.string());
    *target = *kb * 1024;
    if (total && available)
      break;
  }
  if (!total || !available)
    return make_error(Errc::kParse, "{}: no MemTotal/MemAvailable",
                      path.string());
  return out;
}

Result<CpuInfo> read_cpuinfo(const std::filesystem::path& proc_root) {
  MLCARBON_ASSIGN_OR_RETURN(std::string text, read_file(proc_root / "cpuinfo"));
  CpuInfo out;
  std::set<int> packages;
  int processor = -1;
  for (std::string_view line : split(text, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    const std::string_view key = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (key == "processor") {
      ++out.logical_cpus;
      processor = parse_int(value).value_or(out.logical_cpus - 1);
    } else if (key == "model name" && out.model_name.empty()) {
      out.model_name = std::string(value);
    } else if (key == "vendor_id" && out.vendor_id.empty()) {
      out.vendor_id = std::string(value);
    } else if (key == "physical id") {
      if (auto id = parse_int(value); id && packages.insert(*id).second)
        out.package_first_cpu.push_back(std::max(processor, 0));
    }
  }
  if (out.package_first_cpu.empty())
    out.package_first_cpu.push_back(0);
  return out;
}

}  // namespace mlcarbon::sensors::procfs
