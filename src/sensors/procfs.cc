// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/procfs.h"

#include <array>
#include <set>

#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::sensors::procfs {
namespace {

Seconds ticks_to_seconds(std::uint64_t ticks) {
  return Seconds(static_cast<double>(ticks) /
                 static_cast<double>(ticks_per_second()));
}

}  // namespace

long ticks_per_second() {
  static const long kTicks = [] {
    const long t = ::sysconf(_SC_CLK_TCK);
    return t > 0 ? t : 100;
  }();
  return kTicks;
}

Result<CpuTimes> parse_cpu_times(std::string_view stat,
                                 std::string_view origin) {
  std::string_view line = stat.substr(0, stat.find('\n'));
  if (!line.starts_with("cpu "))
    return make_error(Errc::kParse, "{}: no 'cpu' line first", origin);
  Tokenizer tokens(line.substr(4));
  // user nice system idle iowait irq softirq steal: guest and guest_nice
  // after them are already inside user and nice. Kernels before 2.6.11
  // stop after iowait, so only the first four are required.
  std::uint64_t total = 0;
  std::uint64_t idle = 0;
  for (int field = 0; field < 8; ++field) {
    if (field >= 4 && tokens.done())
      break;
    const auto v = tokens.next_integer<std::uint64_t>();
    if (!v) {
      return make_error(Errc::kParse,
                        "{}: field {} of the 'cpu' line is not a tick count",
                        origin, field + 1);
    }
    total += *v;
    if (field == 3 || field == 4)
      idle += *v;
  }
  return CpuTimes{ticks_to_seconds(total), ticks_to_seconds(idle)};
}

Result<CpuTimes> read_stat_file(const char* stat_path) {
  // The aggregate line comes first and is far shorter than this.
  std::array<char, 1024> buf{};
  MLCARBON_ASSIGN_OR_RETURN(const std::string_view text,
                            read_file_prefix(stat_path, buf));
  return parse_cpu_times(text, stat_path);
}

Result<CpuTimes> read_cpu_times(const std::filesystem::path& proc_root) {
  return read_stat_file((proc_root / "stat").c_str());
}

double utilisation(const CpuTimes& before, const CpuTimes& after) {
  const double total = (after.total - before.total).count();
  if (total <= 0)
    return 0.0;
  const double busy = total - (after.idle - before.idle).count();
  return std::clamp(busy / total, 0.0, 1.0);
}

Result<MemInfo> read_meminfo(const std::filesystem::path& proc_root) {
  std::array<char, 4096> buf{};
  const auto path = proc_root / "meminfo";
  MLCARBON_ASSIGN_OR_RETURN(std::string_view text,
                            read_file_prefix(path.c_str(), buf));
  MemInfo out;
  bool total = false;
  bool available = false;
  for (std::string_view line : split(text, '\n')) {
    std::uint64_t* target = nullptr;
    if (line.starts_with("MemTotal:")) {
      target = &out.total_bytes;
      total = true;
    } else if (line.starts_with("MemAvailable:")) {
      target = &out.available_bytes;
      available = true;
    } else {
      continue;
    }
    line.remove_prefix(line.find(':') + 1);
    const auto kb = Tokenizer(line).next_integer<std::uint64_t>();
    if (!kb) {
      return make_error(Errc::kParse, "{}: '{}' is not a size in kB",
                        path.string(), trim(line));
    }
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
      processor = parse_integer<int>(value).value_or(out.logical_cpus - 1);
    } else if (key == "model name" && out.model_name.empty()) {
      out.model_name = std::string(value);
    } else if (key == "vendor_id" && out.vendor_id.empty()) {
      out.vendor_id = std::string(value);
    } else if (out.logical_cpus == 1 && key == "cpu family") {
      out.family = parse_integer<int>(value).value_or(-1);
    } else if (out.logical_cpus == 1 && key == "model") {
      out.model = parse_integer<int>(value).value_or(-1);
    } else if (out.logical_cpus == 1 && key == "stepping") {
      out.stepping = parse_integer<int>(value).value_or(-1);
    } else if (out.logical_cpus == 1 && key == "flags") {
      for (std::string_view flag : split(value, ' '))
        out.hypervisor_flag = out.hypervisor_flag || flag == "hypervisor";
    } else if (key == "physical id") {
      if (auto id = parse_integer<int>(value);
          id && packages.insert(*id).second)
        out.package_first_cpu.push_back(std::max(processor, 0));
    }
  }
  if (out.package_first_cpu.empty())
    out.package_first_cpu.push_back(0);
  return out;
}

}  // namespace mlcarbon::sensors::procfs
