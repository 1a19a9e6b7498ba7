// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/choose.h"

#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace mlcarbon::carbon {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

// A zoneinfo fixture and an /etc/localtime link to `zone` in a TempDir.
struct TzFixture {
  testing::TempDir dir;
  TimeZonePaths paths;
  explicit TzFixture(const std::string& zone) {
    paths.zoneinfo_root = testing::fixture("carbon/zoneinfo");
    paths.localtime = dir.path() / "localtime";
    paths.timezone_file = dir.path() / "timezone-absent";
    std::filesystem::create_symlink("/usr/share/zoneinfo/" + zone,
                                    paths.localtime);
  }
};

const RegionTable& table() {
  return RegionTable::builtin();
}

TEST(ChooseRegionTest, FlagWinsOverEnvironment) {
  TzFixture tz("Europe/Berlin");

  auto choice = choose_region(table(), std::string("FR"),
                              env_of({{"MLCARBON_REGION", "US-IA"}}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region->code, "FR");
  EXPECT_EQ(choice->reason, "from --region");
  EXPECT_FALSE(choice->inferred);
}

TEST(ChooseRegionTest, EnvironmentWinsOverTimeZone) {
  TzFixture tz("Europe/Berlin");

  auto choice = choose_region(table(), std::nullopt,
                              env_of({{"MLCARBON_REGION", "ca-qc"}}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region->code, "CA-QC");
  EXPECT_EQ(choice->reason, "from MLCARBON_REGION");
}

TEST(ChooseRegionTest, BadFlagIsAnErrorWithSuggestion) {
  TzFixture tz("Europe/Berlin");

  auto choice =
      choose_region(table(), std::string("Germny"), env_of({}), tz.paths);

  ASSERT_FALSE(choice.has_value());
  EXPECT_EQ(choice.error().to_string(),
            "--region: unknown region 'Germny'; did you mean 'Germany' (DE)?");
}

TEST(ChooseRegionTest, InfersCountryFromLocaltimeLink) {
  TzFixture tz("Europe/Berlin");

  auto choice = choose_region(table(), std::nullopt, env_of({}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region->code, "DE");
  EXPECT_EQ(choice->reason, "inferred from time zone Europe/Berlin");
  EXPECT_TRUE(choice->inferred);
}

TEST(ChooseRegionTest, TzVariableWinsOverLocaltime) {
  TzFixture tz("Europe/Berlin");

  auto choice = choose_region(table(), std::nullopt,
                              env_of({{"TZ", ":America/New_York"}}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region->code, "US");
}

TEST(ChooseRegionTest, LegacyZoneUsesZoneTab) {
  TzFixture tz("Europe/Oslo");

  auto choice = choose_region(table(), std::nullopt, env_of({}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region->code, "NO");
}

TEST(ChooseRegionTest, UtcGivesWorldAverage) {
  TzFixture tz("Etc/UTC");

  auto choice = choose_region(table(), std::nullopt, env_of({}), tz.paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region, &table().world());
  EXPECT_EQ(choice->reason,
            "world average: no region given and time zone Etc/UTC names no "
            "country");
}

TEST(ChooseRegionTest, NoTimeZoneGivesWorldAverage) {
  testing::TempDir dir;
  TimeZonePaths paths{testing::fixture("carbon/zoneinfo"),
                      dir.path() / "no-localtime", dir.path() / "no-timezone"};

  auto choice = choose_region(table(), std::nullopt, env_of({}), paths);

  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->region, &table().world());
}

TEST(ChooseRegionTest, TimezoneFileIsRead) {
  testing::TempDir dir;
  TimeZonePaths paths{testing::fixture("carbon/zoneinfo"),
                      dir.path() / "no-localtime", dir.path() / "timezone"};
  {
    std::FILE* f = std::fopen(paths.timezone_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("America/Toronto\n", f);
    std::fclose(f);
  }

  auto zone = system_time_zone(env_of({}), paths);

  ASSERT_TRUE(zone.has_value());
  EXPECT_EQ(*zone, "America/Toronto");
  EXPECT_EQ(country_of_zone(*zone, paths.zoneinfo_root), "CA");
}

}  // namespace
}  // namespace mlcarbon::carbon
