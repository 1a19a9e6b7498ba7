// SPDX-License-Identifier: Apache-2.0
// Fuzzes the /proc readers: sensors::procfs (stat, meminfo, cpuinfo) and the
// process-tree CPU reader of measure (stat, <pid>/stat, children files),
// on a fake /proc tree written from the input. Parts, split at "%%" lines:
// stat, meminfo, cpuinfo, then for pids 1 to 4 their stat and the children
// file of their main thread. Without a children file for pid 1 the reader
// scans every <pid>/stat instead.
#include <cstdint>
#include <string>

#include "mlcarbon/measure/process_cpu.h"
#include "mlcarbon/sensors/procfs.h"

#include "fuzz_util.h"

namespace {

constexpr int kPids = 4;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  const auto parts =
      fuzz::split_parts(fuzz::as_text(data, size), 3 + 2 * kPids);
  const fuzz::TempTree& tree = fuzz::fresh_tree();
  tree.write("stat", parts[0]);
  tree.write("meminfo", parts[1]);
  tree.write("cpuinfo", parts[2]);
  const bool children_files = !parts[4].empty();
  for (int pid = 1; pid <= kPids; ++pid) {
    const auto index = static_cast<std::size_t>(3 + 2 * (pid - 1));
    const std::string dir = std::to_string(pid);
    tree.write(dir + "/stat", parts[index]);
    if (children_files)
      tree.write(dir + "/task/" + dir + "/children", parts[index + 1]);
  }

  namespace procfs = sensors::procfs;
  const auto times = procfs::read_cpu_times(tree.root());
  if (times)
    (void)procfs::utilisation(procfs::CpuTimes{}, *times);
  if (const auto mem = procfs::read_meminfo(tree.root()))
    (void)mem->used_bytes();
  (void)procfs::read_cpuinfo(tree.root());

  const auto reader = measure::make_proc_cpu_reader(tree.root());
  (void)reader->machine_busy_time();
  for (int pid = 1; pid <= 2; ++pid) {
    const auto cpu = reader->tree_cpu_time(pid);
    if (!cpu)
      (void)cpu.error().to_string();
    (void)reader->last_tree();
  }
  return 0;
}
