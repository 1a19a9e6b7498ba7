// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/regions.h"

#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace mlcarbon::carbon {
namespace {

const RegionTable& table() {
  return RegionTable::builtin();
}

TEST(RegionTableTest, FindsByAlpha2Alpha3AndName) {
  auto by_alpha2 = table().find("DE");
  auto by_alpha3 = table().find("DEU");
  auto by_name = table().find("Germany");
  auto by_lower = table().find("  germany ");

  ASSERT_TRUE(by_alpha2.has_value()) << by_alpha2.error().to_string();
  ASSERT_TRUE(by_alpha3.has_value());
  ASSERT_TRUE(by_name.has_value());
  ASSERT_TRUE(by_lower.has_value());
  EXPECT_EQ(*by_alpha2, *by_alpha3);
  EXPECT_EQ(*by_alpha2, *by_name);
  EXPECT_EQ(*by_alpha2, *by_lower);
  EXPECT_EQ((*by_alpha2)->code, "DE");
  EXPECT_EQ((*by_alpha2)->alpha3, "DEU");
  EXPECT_EQ((*by_alpha2)->kind, RegionKind::kCountry);
  EXPECT_GT((*by_alpha2)->year, 2020);
}

TEST(RegionTableTest, FindsNamesWithoutAccentsOrPunctuation) {
  auto a = table().find("Cote d'Ivoire");
  auto b = table().find("CIV");
  auto usa = table().find("USA");
  auto reunion = table().find("RÉUNION");

  ASSERT_TRUE(a.has_value()) << a.error().to_string();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*a, *b);
  ASSERT_TRUE(usa.has_value());
  EXPECT_EQ((*usa)->code, "US");
  ASSERT_TRUE(reunion.has_value()) << reunion.error().to_string();
  EXPECT_EQ((*reunion)->code, "RE");  // accent folded, not lowered
}

TEST(RegionTableTest, SubdivisionsExist) {
  auto iowa = table().find("us-ia");
  auto quebec = table().find("CA-QC");
  auto quebec_by_name = table().find("Quebec");
  auto georgia = table().find("Georgia");

  ASSERT_TRUE(iowa.has_value());
  EXPECT_EQ((*iowa)->kind, RegionKind::kSubdivision);
  EXPECT_EQ((*iowa)->country, "US");
  ASSERT_TRUE(quebec.has_value());
  EXPECT_EQ((*quebec)->country, "CA");
  ASSERT_TRUE(quebec_by_name.has_value());
  EXPECT_EQ(*quebec_by_name, *quebec);
  // The country keeps its name; the US state is US-GA.
  ASSERT_TRUE(georgia.has_value());
  EXPECT_EQ((*georgia)->code, "GE");
}

TEST(RegionTableTest, CloudRegionHasPue) {
  auto frankfurt = table().find("gcp:europe-west3");
  auto aws = table().find("aws:eu-central-1");
  auto azure = table().find("azure:westeurope");

  ASSERT_TRUE(frankfurt.has_value());
  EXPECT_EQ((*frankfurt)->kind, RegionKind::kCloud);
  EXPECT_EQ((*frankfurt)->country, "DE");
  ASSERT_TRUE((*frankfurt)->pue.has_value());
  EXPECT_NEAR(*(*frankfurt)->pue, 1.12, 1e-9);
  EXPECT_EQ((*frankfurt)->year, 2024);
  EXPECT_EQ((*frankfurt)->scope, IntensityScope::kOperational);
  ASSERT_TRUE(aws.has_value());
  EXPECT_NEAR(*(*aws)->pue, 1.2, 1e-9);
  ASSERT_TRUE(azure.has_value());
  EXPECT_EQ((*azure)->country, "NL");
}

TEST(RegionTableTest, TypoGetsSuggestion) {
  auto country = table().find("Germny");
  auto cloud = table().find("gcp:europe-wset3");

  ASSERT_FALSE(country.has_value());
  EXPECT_EQ(country.error().code(), Errc::kNotFound);
  EXPECT_EQ(country.error().message(),
            "unknown region 'Germny'; did you mean 'Germany' (DE)?");
  ASSERT_FALSE(cloud.has_value());
  EXPECT_EQ(cloud.error().message(),
            "unknown region 'gcp:europe-wset3'; did you mean "
            "'gcp:europe-west3'?");
}

TEST(RegionTableTest, UnknownRegionIsNotFound) {
  auto result = table().find("Atlantis-on-Sea-Under-The-Waves");

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), Errc::kNotFound);
  EXPECT_EQ(result.error().message(),
            "unknown region 'Atlantis-on-Sea-Under-The-Waves'");
  EXPECT_FALSE(result.error().remedy().empty());
}

TEST(RegionTableTest, WorldAverageIs475) {
  const Region& world = table().world();

  EXPECT_EQ(world.kind, RegionKind::kWorld);
  EXPECT_NEAR(world.intensity.value(), 475.0, 1e-9);
  auto found = table().find("world");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, &world);
}

TEST(RegionTableTest, TableIsSane) {
  std::set<std::string> codes;
  int countries = 0;

  for (const Region& r : table().regions()) {
    EXPECT_TRUE(std::isfinite(r.intensity.value())) << r.code;
    EXPECT_GE(r.intensity.value(), 0.0) << r.code;
    EXPECT_LE(r.intensity.value(), 1500.0) << r.code;
    EXPECT_GE(r.year, 2015) << r.code;
    EXPECT_LE(r.year, 2025) << r.code;
    EXPECT_FALSE(r.source.empty()) << r.code;
    EXPECT_TRUE(codes.insert(r.code).second) << "duplicate " << r.code;
    if (r.kind == RegionKind::kCountry) {
      ++countries;
      EXPECT_EQ(r.code.size(), 2u) << r.code;
      EXPECT_EQ(r.alpha3.size(), 3u) << r.code;
      EXPECT_FALSE(r.name.empty()) << r.code;
      EXPECT_EQ(r.country, r.code);
    }
    if (r.kind == RegionKind::kCloud) {
      ASSERT_TRUE(r.pue.has_value()) << r.code;
      EXPECT_GE(*r.pue, 1.0) << r.code;
      EXPECT_LE(*r.pue, 2.0) << r.code;
    }
  }
  EXPECT_GE(countries, 200);
}

TEST(RegionTableTest, ParseRejectsBadRowWithLine) {
  std::string grid =
      "# comment\n"
      "code,alpha3,name,kind,country,g_per_kwh,year,scope,source\n"
      "WORLD,,World,world,,475,2019,lifecycle,IEA\n"
      "DE,DEU,Germany,country,DE,lots,2023,lifecycle,OWID\n";
  std::string cloud =
      "code,provider,region,name,location,country,g_per_kwh,year,scope,pue,"
      "pue_source,source\n";

  auto result = RegionTable::parse(grid, cloud, "alpha2,alpha3,name,aliases\n");

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().message(),
            "grid_intensity.csv:4: g_per_kwh: 'lots' is not a number");
}

TEST(PueTest, OverrideRegionProviderAndLocal) {
  const Region* gcp = *table().find("gcp:europe-west1");
  const Region* de = *table().find("DE");

  PueChoice forced = pue_for(*de, 1.4);
  PueChoice cloud = pue_for(*gcp);
  PueChoice local = pue_for(*de);

  EXPECT_NEAR(forced.pue, 1.4, 1e-12);
  EXPECT_EQ(forced.reason, "from --pue");
  EXPECT_NEAR(cloud.pue, 1.08, 1e-12);  // GA's per-region figure
  EXPECT_NE(cloud.reason.find("region"), std::string::npos);
  EXPECT_NEAR(local.pue, 1.0, 1e-12);
  EXPECT_NEAR(*default_pue("AWS"), 1.2, 1e-12);
  EXPECT_FALSE(default_pue("hetzner").has_value());
}

}  // namespace
}  // namespace mlcarbon::carbon
