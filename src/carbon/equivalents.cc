// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/equivalents.h"

#include <array>

#include "mlcarbon/core/text.h"

namespace mlcarbon::carbon {

namespace {
// Green Algorithms v3.0 referenceValues.csv (CC BY 4.0), which takes them
// from the carbonfootprint.com flight calculator.
constexpr std::array<Flight, 4> kFlights{{
    {"paris-london", "Paris - London", 50'000.0},
    {"paris-dublin", "Paris - Dublin", 110'000.0},
    {"nyc-sf", "New York - San Francisco", 570'000.0},
    {"nyc-melbourne", "New York - Melbourne", 2'310'000.0},
}};
}  // namespace

std::span<const Flight> flights_table() {
  return kFlights;
}

std::optional<Flight> find_flight(std::string_view code) {
  for (const Flight& f : kFlights) {
    if (iequals(f.code, code))
      return f;
  }
  return std::nullopt;
}

double car_km(GramsCo2e co2) {
  return co2.value() / kCarGramsPerKm;
}
double car_years(GramsCo2e co2) {
  return co2.value() / kCarGramsPerYear;
}
double flight_km(GramsCo2e co2) {
  return co2.value() / kFlightGramsPerKm;
}
double flights(GramsCo2e co2, const Flight& flight) {
  return co2.value() / flight.grams;
}
double tree_months(GramsCo2e co2) {
  return co2.value() / kTreeGramsPerMonth;
}

}  // namespace mlcarbon::carbon
