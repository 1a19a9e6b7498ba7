// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/machine.h"

#include <array>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/sensors/models.h"

namespace mlcarbon::sensors {
namespace {

// A sysfs attribute, trimmed; empty when unreadable (DMI files such as
// product_serial are root-only, and containers often hide /sys).
std::string read_attribute(const std::filesystem::path& path) {
  return read_small_file(path).value_or(std::string());
}

bool contains(std::string_view haystack, std::string_view needle) {
  return to_lower(haystack).find(needle) != std::string::npos;
}

// The tag Azure writes into every VM's chassis_asset_tag.
constexpr std::string_view kAzureAssetTag = "7783-7084-3265-9085-8269-3286-77";

struct VendorRule {
  std::string_view needle;      // lower case, in sys_vendor or product_name
  std::string_view hypervisor;  // "" keeps what else says
  std::string_view cloud;
};

// DMI vendors and products that only virtual machines report.
constexpr std::array<VendorRule, 10> kVendors{{
    {"google compute engine", "KVM", "gcp"},
    {"amazon ec2", "", "aws"},
    {"qemu", "KVM", ""},
    {"kvm", "KVM", ""},
    {"vmware", "VMware", ""},
    {"innotek", "VirtualBox", ""},
    {"virtualbox", "VirtualBox", ""},
    {"xen", "Xen", ""},
    {"bochs", "Bochs", ""},
    {"openstack", "KVM", ""},
}};

}  // namespace

std::string_view to_string(MachineKind kind) {
  switch (kind) {
    case MachineKind::kBareMetal:
      return "bare-metal";
    case MachineKind::kVirtual:
      return "vm";
    case MachineKind::kUnknown:
      break;
  }
  return "unknown";
}

Machine detect_machine(const MachineRoots& roots) {
  Machine m;
  bool virtual_evidence = false;
  bool any_read = false;
  if (auto cpu = procfs::read_cpuinfo(roots.proc_root)) {
    any_read = true;
    if (cpu->hypervisor_flag) {
      virtual_evidence = true;
      m.evidence.emplace_back("cpuinfo flag 'hypervisor'");
    }
  }
  m.vendor = read_attribute(roots.dmi_root / "sys_vendor");
  m.product = read_attribute(roots.dmi_root / "product_name");
  const std::string bios = read_attribute(roots.dmi_root / "bios_version");
  const std::string asset =
      read_attribute(roots.dmi_root / "chassis_asset_tag");
  any_read = any_read || !m.vendor.empty() || !m.product.empty();
  for (const VendorRule& rule : kVendors) {
    const bool in_vendor = contains(m.vendor, rule.needle);
    if (!in_vendor && !contains(m.product, rule.needle))
      continue;
    m.evidence.push_back(in_vendor
                             ? fmt::format("DMI sys_vendor '{}'", m.vendor)
                             : fmt::format("DMI product_name '{}'", m.product));
    if (m.hypervisor.empty())
      m.hypervisor = std::string(rule.hypervisor);
    if (m.cloud.empty())
      m.cloud = std::string(rule.cloud);
    if (rule.cloud != "aws")
      virtual_evidence = true;
    break;
  }
  if (contains(m.vendor, "microsoft") &&
      contains(m.product, "virtual machine")) {
    virtual_evidence = true;
    m.hypervisor = "Hyper-V";
    m.evidence.push_back(fmt::format("DMI '{}' '{}'", m.vendor, m.product));
    if (asset == kAzureAssetTag) {
      m.cloud = "azure";
      m.evidence.emplace_back("DMI chassis_asset_tag is Azure's");
    }
  }
  // Older (Xen) EC2 instances say so only in the BIOS version.
  if (m.cloud.empty() && contains(bios, "amazon")) {
    m.cloud = "aws";
    m.evidence.push_back(fmt::format("DMI bios_version '{}'", bios));
  }
  if (const std::string type = read_attribute(roots.hypervisor_root / "type");
      !type.empty()) {
    any_read = true;
    virtual_evidence = true;
    if (m.hypervisor.empty())
      m.hypervisor = type == "xen" ? "Xen" : type;
    m.evidence.push_back(fmt::format(
        "{} '{}'", (roots.hypervisor_root / "type").string(), type));
  }
  // EC2's metal instances ("c5.metal") carry Amazon's DMI without a
  // hypervisor; the Nitro VMs set the CPUID flag.
  if (m.cloud == "aws" && !virtual_evidence && m.product.ends_with(".metal"))
    m.evidence.push_back(fmt::format("EC2 instance type '{}'", m.product));
  if (m.cloud == "aws" && m.hypervisor.empty() && virtual_evidence)
    m.hypervisor = "KVM";  // Nitro
  if (virtual_evidence) {
    m.kind = MachineKind::kVirtual;
  } else if (any_read) {
    m.kind = MachineKind::kBareMetal;
    m.evidence.emplace_back(
        "no hypervisor flag in cpuinfo, no virtual DMI vendor, no "
        "/sys/hypervisor");
  }
  return m;
}

std::string cpu_family(const procfs::CpuInfo& cpu) {
  // "intel xeon gold 6248": no (R), (TM), "CPU" or clock.
  const std::string name = normalise_cpu_name(cpu.model_name);
  std::smatch match;
  // EPYC 7xxN and 7xxNx: the last digit is the generation (7B12, 7R13).
  static const std::regex kEpyc7("epyc 7[0-9a-z]{2}([1-4])");
  if (std::regex_search(name, match, kEpyc7)) {
    const char gen = match[1].str()[0];
    if (gen <= '3')
      return fmt::format("amd-epyc-{}", gen);
    return {};
  }
  // Xeon Scalable: the second digit of the number is the generation.
  static const std::regex kScalable(
      "xeon (platinum|gold|silver|bronze) [0-9]([0-9])[0-9]{2}");
  if (std::regex_search(name, match, kScalable)) {
    const char gen = match[2].str()[0];
    if (gen == '1')
      return "intel-skylake";
    if (gen == '2')
      return "intel-cascade-lake";
    return {};
  }
  static const std::regex kE5("xeon e[57]-[0-9]{4}[a-z]*( v([2-4]))?");
  if (std::regex_search(name, match, kE5)) {
    if (!match[2].matched)
      return "intel-sandy-bridge";
    switch (match[2].str()[0]) {
      case '2':
        return "intel-ivy-bridge";
      case '3':
        return "intel-haswell";
      default:
        return "intel-broadwell";
    }
  }
  if (cpu.vendor_id == "AuthenticAMD") {
    if (cpu.family == 0x17 && cpu.model == 0x01)
      return "amd-epyc-1";
    if (cpu.family == 0x17 && cpu.model == 0x31)
      return "amd-epyc-2";
    if (cpu.family == 0x19 && cpu.model == 0x01)
      return "amd-epyc-3";
    return {};
  }
  if (cpu.vendor_id != "GenuineIntel" || cpu.family != 6)
    return {};
  switch (cpu.model) {
    case 0x2A:
    case 0x2D:
      return "intel-sandy-bridge";
    case 0x3A:
    case 0x3E:
      return "intel-ivy-bridge";
    case 0x3C:
    case 0x3F:
    case 0x45:
    case 0x46:
      return "intel-haswell";
    case 0x3D:
    case 0x47:
    case 0x4F:
    case 0x56:
      return "intel-broadwell";
    case 0x4E:
    case 0x5E:
      return "intel-skylake";
    case 0x55:
      // Skylake-SP is stepping 0-4, Cascade Lake 5-7 (Cooper Lake 10-11
      // is counted with it, being the same core).
      return cpu.stepping >= 0 && cpu.stepping <= 4 ? "intel-skylake"
                                                    : "intel-cascade-lake";
    case 0x8E:
    case 0x9E:
      return "intel-coffee-lake";
    default:
      return {};
  }
}

}  // namespace mlcarbon::sensors
