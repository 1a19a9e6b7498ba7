// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/regions.h"

#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::embedded {
std::string_view grid_intensity_csv();
std::string_view cloud_regions_csv();
std::string_view countries_csv();
}  // namespace mlcarbon::embedded

namespace mlcarbon::carbon {

std::string_view to_string(RegionKind kind) {
  switch (kind) {
    case RegionKind::kWorld:
      return "world";
    case RegionKind::kCountry:
      return "country";
    case RegionKind::kSubdivision:
      return "subdivision";
    case RegionKind::kCloud:
      return "cloud";
  }
  return "unknown";
}

std::string_view to_string(IntensityScope scope) {
  return scope == IntensityScope::kLifecycle ? "lifecycle" : "direct";
}

namespace {

// Lower case, accents and punctuation dropped: "Curaçao" -> "curacao",
// "Bosnia & Herzegovina" -> "bosnia herzegovina".
std::string fold_name(std::string_view text) {
  std::string out;
  bool space = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    char ascii = 0;
    if (c == 0xC3 && i + 1 < text.size()) {
      // Latin-1 letters in UTF-8: drop the accent so "Curaçao" == "Curacao".
      static constexpr std::string_view kBase =
          "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";
      auto low = static_cast<unsigned char>(text[i + 1]);
      if (low >= 0x80 && low <= 0xBF) {
        ascii = kBase[static_cast<std::size_t>(low - 0x80)];
      }
      ++i;
    } else if (c < 0x80 && std::isalnum(c) != 0) {
      ascii = static_cast<char>(c);
    } else if (c >= 0x80) {
      continue;  // other non-ASCII bytes: ignore
    }
    if (ascii != 0 && std::isalnum(static_cast<unsigned char>(ascii)) != 0) {
      if (space && !out.empty())
        out.push_back(' ');
      space = false;
      out.push_back(
          static_cast<char>(std::tolower(static_cast<unsigned char>(ascii))));
    } else {
      space = true;
    }
  }
  return out;
}

}  // namespace

struct RegionTable::Index {
  std::unordered_map<std::string, std::size_t> by_key;
  std::vector<std::string> candidates;  // codes and names, for suggestions
};

RegionTable::RegionTable() : index_(std::make_unique<Index>()) {}
RegionTable::RegionTable(RegionTable&&) noexcept = default;
RegionTable& RegionTable::operator=(RegionTable&&) noexcept = default;
RegionTable::~RegionTable() = default;

namespace {

Result<RegionKind> parse_kind(std::string_view text) {
  if (text == "world")
    return RegionKind::kWorld;
  if (text == "country")
    return RegionKind::kCountry;
  if (text == "subdivision")
    return RegionKind::kSubdivision;
  if (text == "cloud")
    return RegionKind::kCloud;
  return make_error(Errc::kParse, "unknown kind '{}'", text);
}

Result<IntensityScope> parse_scope(std::string_view text) {
  if (text == "lifecycle")
    return IntensityScope::kLifecycle;
  if (text == "direct")
    return IntensityScope::kOperational;
  return make_error(Errc::kParse,
                    "unknown scope '{}' (expected lifecycle or direct)", text);
}

Result<Region> parse_region(const CsvRow& row, bool cloud) {
  Region r;
  MLCARBON_ASSIGN_OR_RETURN(r.code, row.get("code"));
  MLCARBON_ASSIGN_OR_RETURN(r.name, row.get("name"));
  MLCARBON_ASSIGN_OR_RETURN(r.country, row.get("country"));
  MLCARBON_ASSIGN_OR_RETURN(double g, row.number("g_per_kwh"));
  if (g < 0.0) {
    return tl::unexpected(row.error(fmt::format("negative intensity {}", g)));
  }
  r.intensity = GramsCo2ePerKwh(g);
  MLCARBON_ASSIGN_OR_RETURN(double year, row.number("year"));
  r.year = static_cast<int>(year);
  MLCARBON_ASSIGN_OR_RETURN(std::string scope, row.get("scope"));
  auto parsed_scope = parse_scope(scope);
  if (!parsed_scope) {
    return tl::unexpected(row.error(parsed_scope.error().message()));
  }
  r.scope = *parsed_scope;
  MLCARBON_ASSIGN_OR_RETURN(r.source, row.get("source"));
  if (cloud) {
    r.kind = RegionKind::kCloud;
    MLCARBON_ASSIGN_OR_RETURN(r.provider, row.get("provider"));
    MLCARBON_ASSIGN_OR_RETURN(double pue, row.number("pue"));
    if (pue < 1.0) {
      return tl::unexpected(row.error(fmt::format("PUE {} below 1", pue)));
    }
    r.pue = pue;
    MLCARBON_ASSIGN_OR_RETURN(r.pue_source, row.get("pue_source"));
  } else {
    MLCARBON_ASSIGN_OR_RETURN(r.alpha3, row.get("alpha3"));
    MLCARBON_ASSIGN_OR_RETURN(std::string kind, row.get("kind"));
    auto parsed_kind = parse_kind(kind);
    if (!parsed_kind) {
      return tl::unexpected(row.error(parsed_kind.error().message()));
    }
    r.kind = *parsed_kind;
  }
  return r;
}

}  // namespace

Result<RegionTable> RegionTable::parse(std::string_view grid_csv,
                                       std::string_view cloud_csv,
                                       std::string_view countries_csv) {
  RegionTable table;
  std::map<std::string, std::vector<std::string>> aliases;  // alpha2 -> names
  MLCARBON_ASSIGN_OR_RETURN(auto countries,
                            parse_csv_table(countries_csv, "countries.csv"));
  for (const CsvRow& row : countries) {
    MLCARBON_ASSIGN_OR_RETURN(std::string alpha2, row.get("alpha2"));
    MLCARBON_ASSIGN_OR_RETURN(std::string list, row.get("aliases"));
    for (std::string_view alias : split(list, ';')) {
      if (!trim(alias).empty())
        aliases[alpha2].emplace_back(trim(alias));
    }
  }

  MLCARBON_ASSIGN_OR_RETURN(auto grid,
                            parse_csv_table(grid_csv, "grid_intensity.csv"));
  MLCARBON_ASSIGN_OR_RETURN(auto cloud,
                            parse_csv_table(cloud_csv, "cloud_regions.csv"));
  bool has_world = false;
  for (const auto* source : {&grid, &cloud}) {
    bool is_cloud = source == &cloud;
    for (const CsvRow& row : *source) {
      MLCARBON_ASSIGN_OR_RETURN(Region region, parse_region(row, is_cloud));
      if (region.kind == RegionKind::kWorld) {
        table.world_ = table.regions_.size();
        has_world = true;
      }
      if (table.index_->by_key.contains(to_lower(region.code))) {
        return tl::unexpected(
            row.error(fmt::format("duplicate code '{}'", region.code)));
      }
      table.index_->by_key.emplace(to_lower(region.code),
                                   table.regions_.size());
      table.regions_.push_back(std::move(region));
    }
  }
  if (!has_world) {
    return make_error(Errc::kParse, "grid_intensity.csv: no WORLD row");
  }

  // Names after codes, so a code always wins ("CA" is Canada, not a name).
  auto& index = *table.index_;
  auto add_name = [&index](std::string_view name, std::size_t i) {
    std::string key = fold_name(name);
    if (!key.empty())
      index.by_key.emplace(key, i);
  };
  for (std::size_t i = 0; i < table.regions_.size(); ++i) {
    const Region& r = table.regions_[i];
    index.candidates.push_back(r.code);
    index.candidates.push_back(r.name);
    if (!r.alpha3.empty())
      index.by_key.emplace(to_lower(r.alpha3), i);
    add_name(r.name, i);
    if (r.kind == RegionKind::kCountry) {
      for (const auto& alias : aliases[r.code])
        add_name(alias, i);
    }
  }
  // Bare subdivision names ("Iowa", "Quebec") last: a country of the same
  // name (Georgia) keeps it.
  for (std::size_t i = 0; i < table.regions_.size(); ++i) {
    const Region& r = table.regions_[i];
    if (r.kind != RegionKind::kSubdivision)
      continue;
    auto comma = r.name.find(',');
    if (comma != std::string::npos) {
      add_name(std::string_view(r.name).substr(0, comma), i);
    }
  }
  return table;
}

const RegionTable& RegionTable::builtin() {
  static const RegionTable table = [] {
    auto parsed =
        parse(embedded::grid_intensity_csv(), embedded::cloud_regions_csv(),
              embedded::countries_csv());
    MLCARBON_CHECK(parsed.has_value(), "built-in region tables: {}",
                   parsed ? std::string() : parsed.error().to_string());
    return std::move(*parsed);
  }();
  return table;
}

Result<const Region*> RegionTable::find(std::string_view query) const {
  std::string_view q = trim(query);
  if (auto it = index_->by_key.find(to_lower(q)); it != index_->by_key.end()) {
    return &regions_[it->second];
  }
  if (auto it = index_->by_key.find(fold_name(q)); it != index_->by_key.end()) {
    return &regions_[it->second];
  }
  std::string message = fmt::format("unknown region '{}'", q);
  if (auto close = suggest(q, index_->candidates)) {
    const Region* hit = nullptr;
    if (auto it = index_->by_key.find(to_lower(*close));
        it != index_->by_key.end()) {
      hit = &regions_[it->second];
    } else if (auto it2 = index_->by_key.find(fold_name(*close));
               it2 != index_->by_key.end()) {
      hit = &regions_[it2->second];
    }
    if (hit != nullptr && hit->code != *close) {
      message += fmt::format("; did you mean '{}' ({})?", *close, hit->code);
    } else {
      message += fmt::format("; did you mean '{}'?", *close);
    }
  }
  return tl::unexpected(
      Error(Errc::kNotFound, std::move(message))
          .with_remedy("give an ISO country code or name (DE, DEU, Germany), "
                       "a US state or Canadian province (US-IA, CA-QC) or a "
                       "cloud region (gcp:europe-west3, aws:eu-central-1, "
                       "azure:westeurope)"));
}

std::span<const Region> RegionTable::regions() const {
  return regions_;
}

const Region& RegionTable::world() const {
  return regions_[world_];
}

std::optional<double> default_pue(std::string_view provider) {
  std::string p = to_lower(trim(provider));
  if (p.empty() || p == "local")
    return kLocalPue;
  if (p == "gcp")
    return 1.12;
  if (p == "aws")
    return 1.2;
  if (p == "azure")
    return 1.12;
  if (p == "unknown")
    return 1.56;
  return std::nullopt;
}

PueChoice pue_for(const Region& region, std::optional<double> override) {
  if (override)
    return {*override, "from --pue"};
  if (region.pue) {
    return {*region.pue, fmt::format("{}: {}", region.name, region.pue_source)};
  }
  if (!region.provider.empty()) {
    if (auto pue = default_pue(region.provider)) {
      return {*pue, fmt::format("default for {}", region.provider)};
    }
  }
  return {kLocalPue, "local machine: no data-centre overhead"};
}

}  // namespace mlcarbon::carbon
