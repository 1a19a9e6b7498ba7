// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/error.h"

namespace mlcarbon::carbon {

/// Reads an environment variable; injectable so tests need no setenv.
using EnvLookup =
    std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment (std::getenv).
[[nodiscard]] EnvLookup process_env();

/// Where choose_region() looks for the system time zone.
struct TimeZonePaths {
  std::filesystem::path zoneinfo_root = "/usr/share/zoneinfo";
  std::filesystem::path localtime = "/etc/localtime";
  std::filesystem::path timezone_file = "/etc/timezone";
};

/// A region and a sentence saying why it was chosen.
struct RegionChoice {
  const Region* region = nullptr;
  /// "from --region", "from MLCARBON_REGION", "inferred from time zone
  /// Europe/Berlin", "world average: no region given and time zone Etc/UTC
  /// names no country".
  std::string reason;
  bool inferred = false;  ///< true when guessed (time zone or world)
};

/// Chooses the grid region without the network: the --region `flag`, else
/// MLCARBON_REGION, else the country of the system time zone (TZ, then
/// /etc/timezone, then the /etc/localtime link, mapped to a country by
/// tzdata's zone1970.tab), else the world average. A flag or variable that
/// names no region is an error (with "did you mean"); a time zone that names
/// none falls back to the world average. `flag_name` is how errors and the
/// reason name the flag: "--region" on the command line, "options.region"
/// in the C API.
[[nodiscard]] Result<RegionChoice> choose_region(
    const RegionTable& table, const std::optional<std::string>& flag,
    const EnvLookup& env, const TimeZonePaths& paths = {},
    std::string_view flag_name = "--region");

/// The system's IANA time-zone name ("Europe/Berlin"), if it can be found.
[[nodiscard]] std::optional<std::string> system_time_zone(
    const EnvLookup& env, const TimeZonePaths& paths = {});

/// The ISO alpha-2 country of an IANA zone per zone1970.tab (the first of its
/// country list); nullopt for UTC, Etc/... and unknown zones.
[[nodiscard]] std::optional<std::string> country_of_zone(
    std::string_view zone, const std::filesystem::path& zoneinfo_root);

}  // namespace mlcarbon::carbon
