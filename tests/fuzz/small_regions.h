// SPDX-License-Identifier: Apache-2.0
// A region table of a few rows for the fuzz targets: "did you mean" over the
// whole builtin table costs tens of milliseconds per miss under the
// sanitizers, which would starve the fuzzer of executions. The code paths
// (names, aliases, codes, cloud regions, suggestions) are the same.
#pragma once

#include <string_view>

#include "mlcarbon/carbon/regions.h"

#include "fuzz_util.h"

namespace mlcarbon::fuzz {

/// Parsed once; stops the target if the table no longer parses.
inline const carbon::RegionTable& small_regions() {
  static constexpr std::string_view kGrid =
      R"(code,alpha3,name,kind,country,g_per_kwh,year,scope,source
WORLD,,World,world,,475.0,2019,lifecycle,test
DE,DEU,Germany,country,DE,380.95,2023,lifecycle,test
FR,FRA,France,country,FR,56.04,2023,lifecycle,test
US-IA,,"Iowa, United States",subdivision,US,293.85,2020,direct,test
CI,CIV,Côte d'Ivoire,country,CI,400,2022,lifecycle,test
)";
  static constexpr std::string_view kCloud =
      R"(code,provider,region,name,location,country,g_per_kwh,year,scope,pue,pue_source,source
gcp:europe-west3,gcp,europe-west3,GCP europe-west3 (Frankfurt),DE,DE,276,2024,direct,1.08,test,test
aws:eu-west-3,aws,eu-west-3,AWS eu-west-3 (Paris),FR,FR,56.04,2023,direct,1.2,test,test
)";
  static constexpr std::string_view kCountries = R"(alpha2,alpha3,name,aliases
DE,DEU,Germany,Federal Republic of Germany
FR,FRA,France,French Republic
US,USA,United States,USA
CI,CIV,Côte d'Ivoire,Ivory Coast
)";

  static const carbon::RegionTable kTable = [] {
    auto table = carbon::RegionTable::parse(kGrid, kCloud, kCountries);
    if (!table)
      fail(table.error().to_string());
    return std::move(*table);
  }();
  return kTable;
}

}  // namespace mlcarbon::fuzz
