// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

/// Fast readers of /proc for utilisation and process-tree attribution. Each
/// reads one file with a single read() into a stack buffer (no iostreams),
/// so the meter can call them every interval. Every function takes the /proc
/// root so tests can point it at a fixture tree. Thread-safe (no state).
namespace mlcarbon::sensors::procfs {

/// Machine-wide CPU time from the first line of <proc>/stat, summed over
/// all CPUs. Compare two readings: utilisation = 1 - d(idle) / d(total).
struct CpuTimes {
  Seconds total{0};
  /// idle + iowait.
  Seconds idle{0};
};
[[nodiscard]] Result<CpuTimes> read_cpu_times(
    const std::filesystem::path& proc_root);
/// The same from a /proc/stat file's path, without allocating: the one
/// /proc/stat reader, for the meter's every tick.
[[nodiscard]] Result<CpuTimes> read_stat_file(const char* stat_path);
/// The same from /proc/stat text; `origin` names it in errors. Every field
/// read must be a whole tick count (garbage is an error, not a zero).
[[nodiscard]] Result<CpuTimes> parse_cpu_times(std::string_view stat,
                                               std::string_view origin);

/// Busy fraction (0..1) of all CPUs between two readings; 0 when no time
/// passed.
[[nodiscard]] double utilisation(const CpuTimes& before, const CpuTimes& after);

/// Kernel clock ticks per second (sysconf(_SC_CLK_TCK)), cached.
[[nodiscard]] long ticks_per_second();

/// Memory figures from <proc>/meminfo, in bytes.
struct MemInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;
  /// MemTotal - MemAvailable: what the memory model counts as used.
  [[nodiscard]] std::uint64_t used_bytes() const {
    return total_bytes > available_bytes ? total_bytes - available_bytes : 0;
  }
};
[[nodiscard]] Result<MemInfo> read_meminfo(
    const std::filesystem::path& proc_root);

/// What <proc>/cpuinfo says about the processor.
struct CpuInfo {
  /// "model name" of the first processor; empty when absent (some ARM).
  std::string model_name;
  /// "vendor_id": GenuineIntel, AuthenticAMD, ...
  std::string vendor_id;
  /// CPUID "cpu family", "model" and "stepping" of the first processor; -1
  /// when absent.
  int family = -1;
  int model = -1;
  int stepping = -1;
  /// The first processor's "flags" hold "hypervisor" (CPUID leaf 1, ECX
  /// bit 31): the kernel runs under a hypervisor.
  bool hypervisor_flag = false;
  /// Number of "processor" entries: the logical CPUs this system sees.
  int logical_cpus = 0;
  /// First logical CPU of each "physical id", in package order; {0} when
  /// cpuinfo has no physical id.
  std::vector<int> package_first_cpu;
};
[[nodiscard]] Result<CpuInfo> read_cpuinfo(
    const std::filesystem::path& proc_root);

}  // namespace mlcarbon::sensors::procfs
