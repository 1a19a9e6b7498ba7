// SPDX-License-Identifier: Apache-2.0
// Fuzzes region lookup: RegionTable::find, choose_region with a fuzzed
// --region, MLCARBON_REGION, TZ, /etc/timezone and tzdata tables, and
// RegionTable::parse on user-supplied tables. Parts, split at "%%" lines:
// flag, MLCARBON_REGION, TZ, /etc/timezone, zone1970.tab, zone.tab,
// grid_intensity.csv, cloud_regions.csv, countries.csv. An empty part is
// absent; without the three tables a small built-in one is used
// (small_regions.h).
#include <cstdint>
#include <optional>
#include <string>

#include "mlcarbon/carbon/choose.h"
#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/text.h"

#include "fuzz_util.h"
#include "small_regions.h"

namespace {

std::optional<std::string> present(std::string_view part) {
  if (part.empty())
    return std::nullopt;
  return std::string(part);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  const auto parts = fuzz::split_parts(fuzz::as_text(data, size), 9);

  std::optional<carbon::RegionTable> own;
  if (!parts[6].empty()) {
    auto parsed = carbon::RegionTable::parse(parts[6], parts[7], parts[8]);
    if (!parsed) {
      (void)parsed.error().to_string();
    } else {
      own = std::move(*parsed);
    }
  }
  const carbon::RegionTable& table = own ? *own : fuzz::small_regions();

  for (std::string_view query : split(parts[0], '\n')) {
    auto found = table.find(query);
    if (!found)
      (void)found.error().to_string();
  }

  const fuzz::TempTree& tree = fuzz::fresh_tree();
  tree.write("etc/timezone", parts[3]);
  tree.write("zoneinfo/zone1970.tab", parts[4]);
  tree.write("zoneinfo/zone.tab", parts[5]);
  const carbon::TimeZonePaths paths{
      .zoneinfo_root = tree.root() / "zoneinfo",
      .localtime = tree.root() / "etc/localtime",
      .timezone_file = tree.root() / "etc/timezone"};
  const carbon::EnvLookup env =
      [&](std::string_view name) -> std::optional<std::string> {
    if (name == "MLCARBON_REGION")
      return present(parts[1]);
    if (name == "TZ")
      return present(parts[2]);
    return std::nullopt;
  };
  auto choice =
      carbon::choose_region(table, present(trim(parts[0])), env, paths);
  if (!choice)
    (void)choice.error().to_string();
  auto without_flag = carbon::choose_region(table, std::nullopt, env, paths);
  if (!without_flag)
    (void)without_flag.error().to_string();
  return 0;
}
