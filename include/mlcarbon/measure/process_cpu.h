// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::measure {

/// CPU-time counters for process-tree attribution. An interface so tests can
/// script them; the real one reads /proc (make_proc_cpu_reader).
/// Not thread-safe: the Monitor calls it under its mutex.
class ProcessCpuReader {
 public:
  virtual ~ProcessCpuReader() = default;
  /// Busy CPU time of the whole machine since boot, summed over all CPUs:
  /// every /proc/stat column but idle and iowait (guest time is already in
  /// user).
  [[nodiscard]] virtual Result<Seconds> machine_busy_time() = 0;
  /// CPU time of `pid` and every live descendant: the sum over the tree of
  /// utime + stime + cutime + cstime. A descendant that exited and was reaped
  /// is in its parent's cutime/cstime, so its time is not lost (docs/meter.md).
  /// Fails when `pid` itself cannot be read (gone or reaped).
  [[nodiscard]] virtual Result<Seconds> tree_cpu_time(int pid) = 0;
  /// The pids found by the last successful tree_cpu_time(), root first;
  /// empty when the reader does not know them.
  [[nodiscard]] virtual std::vector<int> last_tree() const { return {}; }
  /// Resident memory of that tree (the sum of each process's RSS), or
  /// nullopt where the reader cannot tell.
  [[nodiscard]] virtual std::optional<std::uint64_t> last_tree_rss_bytes()
      const {
    return std::nullopt;
  }
  /// The machine's installed memory (MemTotal), or nullopt where the reader
  /// cannot tell.
  [[nodiscard]] virtual std::optional<std::uint64_t> machine_memory_bytes() {
    return std::nullopt;
  }
};

/// The /proc reader rooted at `proc_root` (a fixture tree in tests). Lists
/// children from <pid>/task/<tid>/children where the kernel has them, else
/// by scanning every <proc>/<pid>/stat for its ppid.
[[nodiscard]] std::unique_ptr<ProcessCpuReader> make_proc_cpu_reader(
    std::filesystem::path proc_root);

}  // namespace mlcarbon::measure
