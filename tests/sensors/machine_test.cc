// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/machine.h"

#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace mlcarbon::sensors {
namespace {

using mlcarbon::testing::fixture;

Machine detect(const std::string& name) {
  const auto root = fixture("machine/" + name);
  return detect_machine({root / "proc", root / "dmi", root / "hypervisor"});
}

struct Case {
  std::string fixture;
  MachineKind kind;
  std::string hypervisor;
  std::string cloud;
  std::string family;
};

class MachineDetectionTest : public ::testing::TestWithParam<Case> {};

TEST_P(MachineDetectionTest, KindHypervisorCloudAndFamily) {
  const Case& c = GetParam();

  const Machine m = detect(c.fixture);
  auto cpu = procfs::read_cpuinfo(fixture("machine/" + c.fixture + "/proc"));

  EXPECT_EQ(m.kind, c.kind);
  EXPECT_EQ(m.hypervisor, c.hypervisor);
  EXPECT_EQ(m.cloud, c.cloud);
  EXPECT_FALSE(m.evidence.empty());
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu_family(*cpu), c.family);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, MachineDetectionTest,
    ::testing::Values(
        Case{"bare_metal", MachineKind::kBareMetal, "", "", "intel-skylake"},
        Case{"kvm", MachineKind::kVirtual, "KVM", "", "amd-epyc-2"},
        // GCE hides the model name: family from CPUID model 85 stepping 7.
        Case{"gce", MachineKind::kVirtual, "KVM", "gcp", "intel-cascade-lake"},
        Case{"ec2", MachineKind::kVirtual, "KVM", "aws", "amd-epyc-2"},
        Case{"ec2_metal", MachineKind::kBareMetal, "", "aws",
             "intel-cascade-lake"},
        Case{"ec2_xen", MachineKind::kVirtual, "Xen", "aws", "intel-haswell"},
        Case{"azure", MachineKind::kVirtual, "Hyper-V", "azure",
             "intel-cascade-lake"},
        // Hyper-V without Azure's asset tag: a VM, no cloud named.
        Case{"hyperv", MachineKind::kVirtual, "Hyper-V", "",
             "intel-cascade-lake"}),
    [](const auto& param_info) { return param_info.param.fixture; });

TEST(MachineDetectionTest, NothingReadableIsUnknown) {
  const Machine m =
      detect_machine({"/nonexistent/proc", "/nonexistent/dmi", "/nonexistent"});

  EXPECT_EQ(m.kind, MachineKind::kUnknown);
  EXPECT_EQ(to_string(m.kind), "unknown");
}

TEST(CpuFamilyTest, FromModelNames) {
  auto family = [](std::string name) {
    procfs::CpuInfo cpu;
    cpu.model_name = std::move(name);
    return cpu_family(cpu);
  };

  EXPECT_EQ(family("AMD EPYC 7B12"), "amd-epyc-2");
  EXPECT_EQ(family("AMD EPYC 7763 64-Core Processor"), "amd-epyc-3");
  EXPECT_EQ(family("AMD EPYC 7601 32-Core Processor"), "amd-epyc-1");
  EXPECT_EQ(family("AMD EPYC 9654 96-Core Processor"), "");
  EXPECT_EQ(family("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"),
            "intel-cascade-lake");
  EXPECT_EQ(family("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"), "");
  EXPECT_EQ(family("Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz"),
            "intel-sandy-bridge");
  EXPECT_EQ(family("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz"),
            "intel-broadwell");
  EXPECT_EQ(family("Intel(R) Xeon(R) Processor"), "");
}

}  // namespace
}  // namespace mlcarbon::sensors
