// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

namespace mlcarbon::carbon {

/// What a Region row describes.
enum class RegionKind { kWorld, kCountry, kSubdivision, kCloud };

[[nodiscard]] std::string_view to_string(RegionKind kind);

/// Whether an intensity counts the whole life cycle of the power plants
/// (construction, fuel supply) or only what the chimneys emit. Sources differ
/// by about 10-20 % for the same grid and year for this reason alone.
enum class IntensityScope { kLifecycle, kOperational };

[[nodiscard]] std::string_view to_string(IntensityScope scope);

/// One row of the grid carbon-intensity table.
struct Region {
  std::string code;    ///< "DE", "US-IA", "CA-QC", "gcp:europe-west3", "WORLD"
  std::string alpha3;  ///< "DEU" for countries, empty otherwise
  std::string name;    ///< "Germany", "Iowa, United States", ...
  RegionKind kind = RegionKind::kCountry;
  std::string country;  ///< ISO alpha-2 of its country ("" for WORLD)
  GramsCo2ePerKwh intensity;
  int year = 0;        ///< year the intensity describes
  std::string source;  ///< short citation with licence
  IntensityScope scope = IntensityScope::kLifecycle;
  std::optional<double> pue;  ///< the provider's PUE, cloud regions only
  std::string pue_source;     ///< where `pue` comes from
  std::string provider;       ///< "gcp", "aws", "azure"; empty otherwise
};

/// The table of regions: countries, sub-national grids, cloud regions and
/// the world average. Immutable once built, so safe to share across threads.
class RegionTable {
 public:
  /// The table compiled from data/ (parsed once, thread-safe).
  static const RegionTable& builtin();

  /// Builds a table from the CSV texts of data/grid_intensity.csv,
  /// data/cloud_regions.csv and data/countries.csv (for tests and for users
  /// who bring their own tables). Errors name the table and line.
  static Result<RegionTable> parse(std::string_view grid_csv,
                                   std::string_view cloud_csv,
                                   std::string_view countries_csv);

  /// Finds by ISO alpha-2, alpha-3, English name, sub-national code (US-IA,
  /// CA-QC), or provider:region (gcp:europe-west3); case-insensitive, and
  /// blind to accents and punctuation in names. On failure the error
  /// (Errc::kNotFound) says "unknown region 'Germny'" and, when close,
  /// "did you mean 'Germany' (DE)?".
  [[nodiscard]] Result<const Region*> find(std::string_view query) const;

  /// All rows, world first, then countries, subdivisions and cloud regions.
  [[nodiscard]] std::span<const Region> regions() const;
  /// The world average.
  [[nodiscard]] const Region& world() const;

  RegionTable(RegionTable&&) noexcept;
  RegionTable& operator=(RegionTable&&) noexcept;
  ~RegionTable();

 private:
  struct Index;
  RegionTable();
  std::vector<Region> regions_;
  std::size_t world_ = 0;
  std::unique_ptr<Index> index_;
};

/// PUE of a machine under the user's desk: no data-centre overhead.
inline constexpr double kLocalPue = 1.0;

/// The provider's fleet-wide PUE per Green Algorithms v3.0 defaults_PUE.csv
/// (CC BY 4.0): "gcp" 1.12, "aws" 1.2, "azure" 1.12; "unknown" (a data
/// centre of unknown operator) 1.56; "local" or "" gives 1.0; any other
/// name gives nullopt. Case-insensitive.
[[nodiscard]] std::optional<double> default_pue(std::string_view provider);

/// A PUE and why it was chosen.
struct PueChoice {
  double pue = kLocalPue;
  std::string reason;  ///< "from --pue", "GCP europe-west3 (provider)", ...
};

/// The PUE to apply to energy measured in `region`: `override` when given
/// (the caller's --pue), else the region's own PUE, else its provider's
/// default, else 1.0 for a local machine.
[[nodiscard]] PueChoice pue_for(const Region& region,
                                std::optional<double> override = std::nullopt);

}  // namespace mlcarbon::carbon
