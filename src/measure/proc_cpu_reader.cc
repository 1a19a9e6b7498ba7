// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/sensors/procfs.h"

namespace mlcarbon::measure {
namespace {

namespace fs = std::filesystem;

// /proc/stat's first line and a <pid>/stat line fit in one page.
using Buffer = std::array<char, 4096>;

std::uint64_t page_bytes() {
  static const std::uint64_t kBytes = [] {
    const long size = ::sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<std::uint64_t>(size) : 4096U;
  }();
  return kBytes;
}

double ticks_per_second() {
  return static_cast<double>(sensors::procfs::ticks_per_second());
}

struct PidStat {
  int ppid = 0;
  // utime + stime + cutime + cstime, in clock ticks.
  std::uint64_t ticks = 0;
  // Resident set size (field 24), in pages; 0 when the line is shorter.
  std::uint64_t rss_pages = 0;
};

// Parses <pid>/stat; the command name may hold spaces and ')'.
Result<PidStat> parse_pid_stat(std::string_view text, const char* path) {
  const std::size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) {
    return make_error(Errc::kParse, "{}: no ')' after the command", path);
  }
  text.remove_prefix(paren + 1);
  // Fields after the command: state(3) ppid(4) ... utime(14) stime(15)
  // cutime(16) cstime(17). cutime/cstime are signed in the kernel but never
  // negative in practice.
  PidStat stat;
  // Some fields before the times are signed (tty_nr is -1 without a tty).
  Tokenizer tokens(text);
  (void)tokens.next();  // state
  const auto ppid = tokens.next_integer<int>();
  if (!ppid) {
    return make_error(Errc::kParse, "{}: no ppid", path);
  }
  stat.ppid = *ppid;
  for (int field = 5; field <= 17; ++field) {
    const auto value = tokens.next_integer<std::int64_t>();
    if (!value) {
      return make_error(Errc::kParse, "{}: field {} is not a number", path,
                        field);
    }
    if (field >= 14 && *value > 0) {
      stat.ticks += static_cast<std::uint64_t>(*value);
    }
  }
  // priority(18) nice(19) num_threads(20) itrealvalue(21) starttime(22)
  // vsize(23) rss(24): only the memory attribution needs them, so a line
  // without them still gives the times.
  for (int field = 18; field <= 24; ++field) {
    const auto value = tokens.next_integer<std::int64_t>();
    if (!value) {
      break;
    }
    if (field == 24 && *value > 0) {
      stat.rss_pages = static_cast<std::uint64_t>(*value);
    }
  }
  return stat;
}

class ProcCpuReader final : public ProcessCpuReader {
 public:
  explicit ProcCpuReader(fs::path root)
      : root_(std::move(root)), stat_path_((root_ / "stat").string()) {}

  Result<Seconds> machine_busy_time() override {
    MLCARBON_ASSIGN_OR_RETURN(
        const sensors::procfs::CpuTimes times,
        sensors::procfs::read_stat_file(stat_path_.c_str()));
    return times.total - times.idle;
  }

  Result<Seconds> tree_cpu_time(int pid) override {
    // A descendant that vanished mid-read was probably reaped just then: its
    // parent may not yet show it in cutime. Read again once (docs/meter.md).
    tree_.clear();
    tree_rss_pages_ = 0;
    Result<Seconds> first = read_tree(pid);
    if (first || first.error().code() != Errc::kUnavailable) {
      return first;
    }
    tree_.clear();
    tree_rss_pages_ = 0;
    Result<Seconds> second = read_tree(pid);
    if (second || second.error().code() != Errc::kUnavailable) {
      return second;
    }
    return make_error(Errc::kIo, "the tree of process {} kept changing", pid);
  }

  std::vector<int> last_tree() const override { return tree_; }

  std::optional<std::uint64_t> last_tree_rss_bytes() const override {
    return tree_rss_pages_ * page_bytes();
  }

  std::optional<std::uint64_t> machine_memory_bytes() override {
    // Installed memory does not change while a run lasts: read it once.
    if (!memory_total_) {
      if (auto mem = sensors::procfs::read_meminfo(root_)) {
        memory_total_ = mem->total_bytes;
      }
    }
    return memory_total_;
  }

 private:
  // kUnavailable means "a descendant vanished, retry".
  Result<Seconds> read_tree(int pid) {
    if (!children_files_known_) {
      children_files_ = fs::exists(root_ / std::to_string(pid) / "task" /
                                   std::to_string(pid) / "children");
      children_files_known_ = true;
    }
    std::uint64_t ticks = 0;
    if (children_files_) {
      MLCARBON_RETURN_IF_ERROR(sum_by_children_files(pid, true, ticks));
    } else {
      MLCARBON_RETURN_IF_ERROR(sum_by_scan(pid, ticks));
    }
    return Seconds(static_cast<double>(ticks) / ticks_per_second());
  }

  Result<PidStat> read_pid(int pid) {
    const std::string path = fmt::format("{}/{}/stat", root_.string(), pid);
    Buffer buffer;
    MLCARBON_ASSIGN_OR_RETURN(std::string_view text,
                              read_file_prefix(path.c_str(), buffer));
    return parse_pid_stat(text, path.c_str());
  }

  // Lists a process's children before reading its own stat: a child reaped
  // in between is then in the parent's cutime and fails its own read, which
  // triggers the retry instead of silently going missing.
  Status sum_by_children_files(int pid, bool is_root, std::uint64_t& ticks) {
    // /proc is a tree, but a listing that names a process twice or its own
    // ancestor (a fixture, or a pid reused mid-read) must not loop or count
    // twice.
    if (in_tree(pid)) {
      return {};
    }
    std::vector<int> children;
    std::error_code ec;
    const fs::path task = root_ / std::to_string(pid) / "task";
    for (const auto& entry : fs::directory_iterator(task, ec)) {
      std::string text;
      if (Status read = read_children(entry.path() / "children", text); !read) {
        continue;
      }
      Tokenizer tokens(text);
      while (const auto child = tokens.next_integer<int>()) {
        children.push_back(*child);
      }
    }
    Result<PidStat> stat = read_pid(pid);
    if (!stat) {
      if (is_root) {
        return tl::unexpected(std::move(stat).error());
      }
      return make_error(Errc::kUnavailable, "process {} vanished", pid);
    }
    ticks += stat->ticks;
    tree_rss_pages_ += stat->rss_pages;
    tree_.push_back(pid);
    for (int child : children) {
      MLCARBON_RETURN_IF_ERROR(sum_by_children_files(child, false, ticks));
    }
    return {};
  }

  static Status read_children(const fs::path& path, std::string& out) {
    Buffer buffer;
    MLCARBON_ASSIGN_OR_RETURN(std::string_view text,
                              read_file_prefix(path.c_str(), buffer));
    out.assign(text);
    return {};
  }

  // Without children files: one pass over every <proc>/<pid>/stat for its
  // ppid and times, then a walk down from `pid`.
  Status sum_by_scan(int pid, std::uint64_t& ticks) {
    entries_.clear();
    bool vanished = false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
      const std::string name = entry.path().filename().string();
      const auto id = parse_integer<int>(name);
      if (!id) {
        continue;
      }
      Result<PidStat> stat = read_pid(*id);
      if (!stat) {
        vanished = vanished || stat.error().code() == Errc::kNotFound;
        continue;
      }
      entries_.push_back({*id, *stat});
    }
    if (ec) {
      return make_error(Errc::kIo, "listing {}: {}", root_.string(),
                        ec.message());
    }
    bool found = false;
    for (const Entry& e : entries_) {
      found = found || e.pid == pid;
    }
    if (!found) {
      return make_error(Errc::kNotFound, "process {} is not in {}", pid,
                        root_.string());
    }
    // Walk down by ppid; trees are small, so the quadratic scan is cheap.
    tree_.assign(1, pid);
    for (std::size_t i = 0; i < tree_.size(); ++i) {
      for (const Entry& e : entries_) {
        if (e.pid == tree_[i]) {
          ticks += e.stat.ticks;
          tree_rss_pages_ += e.stat.rss_pages;
        } else if (e.stat.ppid == tree_[i] && !in_tree(e.pid)) {
          tree_.push_back(e.pid);
        }
      }
    }
    if (vanished) {
      return make_error(Errc::kUnavailable, "a process vanished mid-scan");
    }
    return {};
  }

  bool in_tree(int pid) const {
    return std::find(tree_.begin(), tree_.end(), pid) != tree_.end();
  }

  struct Entry {
    int pid;
    PidStat stat;
  };

  fs::path root_;
  std::string stat_path_;
  bool children_files_known_ = false;
  bool children_files_ = false;
  // Reused between calls so a tick allocates little.
  std::vector<Entry> entries_;
  std::vector<int> tree_;
  std::uint64_t tree_rss_pages_ = 0;
  std::optional<std::uint64_t> memory_total_;
};

}  // namespace

std::unique_ptr<ProcessCpuReader> make_proc_cpu_reader(fs::path proc_root) {
  return std::make_unique<ProcCpuReader>(std::move(proc_root));
}

}  // namespace mlcarbon::measure
