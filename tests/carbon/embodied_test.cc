// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/embodied.h"

#include <string>

#include <gtest/gtest.h>

namespace mlcarbon::carbon {
namespace {

TEST(EmbodiedTest, BuiltinTableHasASourcedDefaultPerKind) {
  const EmbodiedTable& table = EmbodiedTable::builtin();
  EXPECT_EQ(table.kinds(), (std::vector<std::string>{"vcpu", "gpu"}));
  for (const EmbodiedFactor& f : table.rows()) {
    EXPECT_FALSE(f.source.empty()) << f.kind;
    EXPECT_EQ(f.licence, "Apache-2.0") << f.kind;
    EXPECT_GE(f.year, 2000) << f.kind;
    EXPECT_LE(f.kg_low, f.kg);
    EXPECT_LE(f.kg, f.kg_high);
  }
  // 22.4 kg per vCPU over 4 years: 0.64 g CO2e per vCPU-hour.
  const auto vcpu = table.find("vcpu");
  ASSERT_TRUE(vcpu.has_value());
  EXPECT_NEAR((*vcpu)->g_per_hour(), 22.4e3 / (4 * 365.25 * 24), 1e-12);
  EXPECT_NEAR((*vcpu)->g_per_hour(), 0.639, 1e-3);
}

TEST(EmbodiedTest, GpuModelsFallBackToTheKindsDefault) {
  const EmbodiedTable& table = EmbodiedTable::builtin();
  const auto any = table.find("gpu", "NVIDIA A100-SXM4-40GB");
  const auto plain = table.find("gpu");
  ASSERT_TRUE(any.has_value() && plain.has_value());
  EXPECT_EQ(*any, *plain);
}

TEST(EmbodiedTest, AMatchingRowWinsOverTheDefault) {
  const auto table = EmbodiedTable::parse(
      "kind,match,kg_co2e_low,kg_co2e,kg_co2e_high,lifetime_years,source,"
      "year,licence\n"
      "gpu,,100,150,200,4,a,2021,MIT\n"
      "gpu,h100,250,273,300,3,b,2024,MIT\n",
      "t.csv");
  ASSERT_TRUE(table.has_value()) << table.error().to_string();
  const auto h100 = table->find("gpu", "NVIDIA H100 80GB HBM3");
  ASSERT_TRUE(h100.has_value());
  EXPECT_EQ((*h100)->source, "b");
  const auto share = table->share("gpu", 8, 24.0, "NVIDIA H100 80GB HBM3");
  ASSERT_TRUE(share.has_value());
  EXPECT_NEAR(share->central.value(), 8 * 24.0 * 273e3 / (3 * 365.25 * 24),
              1e-9);
  EXPECT_NEAR(share->low.value(), 8 * 24.0 * 250e3 / (3 * 365.25 * 24), 1e-9);
  ASSERT_EQ(share->terms.size(), 1U);
  EXPECT_NE(share->terms[0].find("8 gpu (h100) x 24 h"), std::string::npos)
      << share->terms[0];
}

TEST(EmbodiedTest, UnknownKindIsAnErrorListingTheKinds) {
  const auto found = EmbodiedTable::builtin().find("tpu");
  ASSERT_FALSE(found.has_value());
  EXPECT_NE(found.error().message().find("unknown device kind 'tpu'"),
            std::string::npos);
  EXPECT_NE(found.error().message().find("vcpu, gpu"), std::string::npos);
}

TEST(EmbodiedTest, BadTablesAreRejectedNamingTheLine) {
  const std::string header =
      "kind,match,kg_co2e_low,kg_co2e,kg_co2e_high,lifetime_years,source,"
      "year,licence\n";
  const auto inverted =
      EmbodiedTable::parse(header + "gpu,,200,150,100,4,a,2021,MIT\n", "t.csv");
  const auto no_lifetime =
      EmbodiedTable::parse(header + "gpu,,1,1,1,0,a,2021,MIT\n", "t.csv");
  const auto no_default =
      EmbodiedTable::parse(header + "gpu,h100,1,1,1,3,a,2021,MIT\n", "t.csv");
  const auto no_licence =
      EmbodiedTable::parse(header + "gpu,,1,1,1,3,a,2021,\n", "t.csv");
  ASSERT_FALSE(inverted.has_value());
  EXPECT_NE(inverted.error().message().find("t.csv:2"), std::string::npos)
      << inverted.error().message();
  EXPECT_FALSE(no_lifetime.has_value());
  ASSERT_FALSE(no_default.has_value());
  EXPECT_NE(no_default.error().message().find("no default row"),
            std::string::npos);
  EXPECT_FALSE(no_licence.has_value());
}

TEST(EmbodiedTest, MachineShareCountsVcpusAndEachGpuModel) {
  const EmbodiedShare none = embodied_for_machine(0, {}, Seconds(3600.0));
  EXPECT_EQ(none.central.value(), 0.0);
  EXPECT_TRUE(none.terms.empty());
  const EmbodiedShare s = embodied_for_machine(
      2, {"NVIDIA T4", "NVIDIA T4", "NVIDIA L4"}, Seconds(1800.0));
  const EmbodiedTable& t = EmbodiedTable::builtin();
  EXPECT_NEAR(s.central.value(),
              2 * 0.5 * (*t.find("vcpu"))->g_per_hour() +
                  3 * 0.5 * (*t.find("gpu"))->g_per_hour(),
              1e-12);
  ASSERT_EQ(s.terms.size(), 3U);
  // One term per model, in name order: L4, then the two T4s.
  EXPECT_NE(s.terms[2].find("2 gpu x 0.5 h"), std::string::npos) << s.terms[2];
}

}  // namespace
}  // namespace mlcarbon::carbon
