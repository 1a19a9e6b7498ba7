// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "mlcarbon/core/units.h"

namespace mlcarbon::carbon {

/// Average passenger car per km driven, 175 g CO2e/km (European average used
/// by Green Algorithms v3.0 referenceValues.csv, "passengerCar_EU_perkm",
/// CC BY 4.0).
inline constexpr double kCarGramsPerKm = 175.0;

/// An average car per year: 11,000 lb (Strubell et al. 2019, cited by
/// the paper): 11000 * 453.59237 g.
inline constexpr double kCarGramsPerYear = 11000.0 * kGramsPerPound;

/// CO2 a mature tree sequesters per month, 917 g (11 kg a year; Green
/// Algorithms v3.0 referenceValues.csv, "tree_month", CC BY 4.0).
inline constexpr double kTreeGramsPerMonth = 917.0;

/// One economy passenger-km of flying, 171 g (Green Algorithms v3.0
/// referenceValues.csv, "flight_economy_perkm", from UK government 2020
/// conversion factors; CC BY 4.0).
inline constexpr double kFlightGramsPerKm = 171.0;

/// A named one-way economy flight and its emissions per passenger.
struct Flight {
  std::string_view code;  ///< "paris-london"
  std::string_view name;  ///< "Paris - London"
  double grams;
};

/// Flights of Green Algorithms v3.0 referenceValues.csv (CC BY 4.0).
[[nodiscard]] std::span<const Flight> flights_table();
/// A flight by code: "paris-london" (50 kg), "paris-dublin" (110 kg),
/// "nyc-sf" (570 kg), "nyc-melbourne" (2310 kg); case-insensitive.
[[nodiscard]] std::optional<Flight> find_flight(std::string_view code);

/// km driven by an average car that emit `co2`.
[[nodiscard]] double car_km(GramsCo2e co2);
/// Years of an average car's emissions.
[[nodiscard]] double car_years(GramsCo2e co2);
/// Economy passenger-km of flying.
[[nodiscard]] double flight_km(GramsCo2e co2);
/// How many times `flight` that many emissions are.
[[nodiscard]] double flights(GramsCo2e co2, const Flight& flight);
/// Months one tree needs to absorb `co2`.
[[nodiscard]] double tree_months(GramsCo2e co2);

}  // namespace mlcarbon::carbon
