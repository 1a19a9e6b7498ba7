// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/sensors/procfs.h"

/// What kind of machine this is, found offline (no metadata server): bare
/// metal or a virtual machine, the hypervisor and the cloud where the
/// firmware names them, and the CPU's microarchitecture family.
namespace mlcarbon::sensors {

enum class MachineKind { kUnknown, kBareMetal, kVirtual };

/// "unknown", "bare-metal", "vm".
[[nodiscard]] std::string_view to_string(MachineKind kind);

struct Machine {
  MachineKind kind = MachineKind::kUnknown;
  /// "KVM", "Xen", "Hyper-V", "VMware", ...; empty when not known.
  std::string hypervisor;
  /// "gcp", "aws", "azure"; empty when no cloud is named.
  std::string cloud;
  /// DMI sys_vendor and product_name as read (empty when absent).
  std::string vendor;
  std::string product;
  /// The facts the verdict rests on, one per entry: "cpuinfo flag
  /// 'hypervisor'", "DMI sys_vendor 'Google'".
  std::vector<std::string> evidence;
};

/// Where detect_machine() looks; every root is settable for fixtures.
struct MachineRoots {
  std::filesystem::path proc_root = "/proc";
  std::filesystem::path dmi_root = "/sys/class/dmi/id";
  std::filesystem::path hypervisor_root = "/sys/hypervisor";
};

/// Reads the CPUID hypervisor flag (cpuinfo), DMI (sys_vendor,
/// product_name, bios_version, chassis_asset_tag) and <hypervisor>/type.
/// Never fails: what cannot be read is no evidence.
[[nodiscard]] Machine detect_machine(const MachineRoots& roots);

/// The CPU microarchitecture family in the names the cloud power figures
/// use ("intel-skylake", "amd-epyc-2"), from the model name ("AMD EPYC
/// 7B12", "Xeon Gold 6248") or, where the name hides it (cloud guests
/// read "Intel(R) Xeon(R) CPU @ 2.20GHz"), from the CPUID family, model and
/// stepping. Empty when not known.
[[nodiscard]] std::string cpu_family(const procfs::CpuInfo& cpu);

}  // namespace mlcarbon::sensors
