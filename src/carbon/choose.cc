// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/choose.h"

#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::carbon {

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr)
      return std::nullopt;
    return std::string(value);
  };
}

namespace {

// "/usr/share/zoneinfo/Europe/Berlin" -> "Europe/Berlin".
std::string zone_from_path(std::string_view path) {
  static constexpr std::string_view kMarker = "zoneinfo/";
  auto pos = path.rfind(kMarker);
  if (pos != std::string_view::npos) {
    path.remove_prefix(pos + kMarker.size());
  }
  // Debian's posix/ and right/ trees hold the same zones.
  for (std::string_view prefix : {"posix/", "right/"}) {
    if (path.starts_with(prefix))
      path.remove_prefix(prefix.size());
  }
  return std::string(path);
}

bool names_no_country(std::string_view zone) {
  return zone.empty() || iequals(zone, "UTC") || iequals(zone, "GMT") ||
         iequals(zone, "UCT") || iequals(zone, "Zulu") ||
         iequals(zone, "Universal") || iequals(zone, "Factory") ||
         zone.starts_with("Etc/");
}

// Looks `zone` up in a tzdata table whose columns are country list,
// coordinates, zone name.
std::optional<std::string> country_in_tab(const std::filesystem::path& tab,
                                          std::string_view zone) {
  auto text = read_file(tab);
  if (!text)
    return std::nullopt;
  for (std::string_view line : split(*text, '\n')) {
    if (line.empty() || line.front() == '#')
      continue;
    auto cols = split(line, '\t');
    if (cols.size() < 3 || trim(cols[2]) != zone)
      continue;
    auto first = trim(split(cols[0], ',').front());
    if (first.empty())
      return std::nullopt;
    return std::string(first);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> country_of_zone(
    std::string_view zone, const std::filesystem::path& zoneinfo_root) {
  if (names_no_country(zone))
    return std::nullopt;
  // zone1970.tab lists canonical zones; zone.tab also has the older links
  // (Europe/Oslo) with their own country.
  if (auto c = country_in_tab(zoneinfo_root / "zone1970.tab", zone))
    return c;
  return country_in_tab(zoneinfo_root / "zone.tab", zone);
}

std::optional<std::string> system_time_zone(const EnvLookup& env,
                                            const TimeZonePaths& paths) {
  if (auto tz = env("TZ"); tz && !trim(*tz).empty()) {
    std::string_view value = trim(*tz);
    if (value.front() == ':')
      value.remove_prefix(1);
    return zone_from_path(value);
  }
  if (auto text = read_file(paths.timezone_file); text) {
    std::string_view value = trim(*text);
    if (!value.empty())
      return std::string(value);
  }
  std::error_code ec;
  auto target = std::filesystem::read_symlink(paths.localtime, ec);
  if (!ec && !target.empty())
    return zone_from_path(target.string());
  return std::nullopt;
}

Result<RegionChoice> choose_region(const RegionTable& table,
                                   const std::optional<std::string>& flag,
                                   const EnvLookup& env,
                                   const TimeZonePaths& paths,
                                   std::string_view flag_name) {
  if (flag) {
    auto region = table.find(*flag);
    if (!region) {
      return tl::unexpected(
          std::move(region).error().with_context(std::string(flag_name)));
    }
    return RegionChoice{*region, fmt::format("from {}", flag_name), false};
  }
  if (auto value = env("MLCARBON_REGION"); value && !trim(*value).empty()) {
    auto region = table.find(*value);
    if (!region) {
      return tl::unexpected(
          std::move(region).error().with_context("MLCARBON_REGION"));
    }
    return RegionChoice{*region, "from MLCARBON_REGION", false};
  }
  auto zone = system_time_zone(env, paths);
  if (!zone) {
    return RegionChoice{
        &table.world(),
        "world average: no region given and no system time zone found", true};
  }
  auto country = country_of_zone(*zone, paths.zoneinfo_root);
  if (!country) {
    return RegionChoice{
        &table.world(),
        fmt::format("world average: no region given and time zone {} names "
                    "no country",
                    *zone),
        true};
  }
  auto region = table.find(*country);
  if (!region) {
    return RegionChoice{
        &table.world(),
        fmt::format("world average: time zone {} is in {}, which has no grid "
                    "intensity figure",
                    *zone, *country),
        true};
  }
  return RegionChoice{*region, fmt::format("inferred from time zone {}", *zone),
                      true};
}

}  // namespace mlcarbon::carbon
