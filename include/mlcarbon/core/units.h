// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <compare>
#include <string_view>

#include <fmt/format.h>

namespace mlcarbon {

/// Seconds as a double-valued duration, the one time unit of energy maths.
using Seconds = std::chrono::duration<double>;

/// A strongly typed physical quantity. Only same-unit addition, subtraction,
/// comparison and scaling are defined here; conversions between units are
/// the free functions below, so that a Watts can never be added to a Joules.
template <typename Tag>
class Quantity {
 public:
  constexpr Quantity() = default;
  constexpr explicit Quantity(double value) : value_(value) {}

  [[nodiscard]] constexpr double value() const { return value_; }

  constexpr Quantity& operator+=(Quantity other) {
    value_ += other.value_;
    return *this;
  }
  constexpr Quantity& operator-=(Quantity other) {
    value_ -= other.value_;
    return *this;
  }
  constexpr Quantity& operator*=(double k) {
    value_ *= k;
    return *this;
  }
  friend constexpr Quantity operator+(Quantity a, Quantity b) {
    return Quantity(a.value_ + b.value_);
  }
  friend constexpr Quantity operator-(Quantity a, Quantity b) {
    return Quantity(a.value_ - b.value_);
  }
  friend constexpr Quantity operator-(Quantity a) {
    return Quantity(-a.value_);
  }
  friend constexpr Quantity operator*(Quantity a, double k) {
    return Quantity(a.value_ * k);
  }
  friend constexpr Quantity operator*(double k, Quantity a) {
    return Quantity(a.value_ * k);
  }
  friend constexpr Quantity operator/(Quantity a, double k) {
    return Quantity(a.value_ / k);
  }
  /// The ratio of two quantities of the same unit is a plain number.
  friend constexpr double operator/(Quantity a, Quantity b) {
    return a.value_ / b.value_;
  }
  friend constexpr auto operator<=>(Quantity, Quantity) = default;

 private:
  double value_ = 0.0;
};

struct JoulesTag {
  static constexpr std::string_view kSymbol = "J";
};
struct WattsTag {
  static constexpr std::string_view kSymbol = "W";
};
struct KilowattHoursTag {
  static constexpr std::string_view kSymbol = "kWh";
};
struct GramsCo2eTag {
  static constexpr std::string_view kSymbol = "gCO2e";
};
struct GramsCo2ePerKwhTag {
  static constexpr std::string_view kSymbol = "gCO2e/kWh";
};

using Joules = Quantity<JoulesTag>;
using Watts = Quantity<WattsTag>;
using KilowattHours = Quantity<KilowattHoursTag>;
using GramsCo2e = Quantity<GramsCo2eTag>;
using GramsCo2ePerKwh = Quantity<GramsCo2ePerKwhTag>;

inline constexpr double kJoulesPerKwh = 3.6e6;
inline constexpr double kGramsPerPound = 453.59237;

constexpr KilowattHours to_kwh(Joules e) {
  return KilowattHours(e.value() / kJoulesPerKwh);
}
constexpr Joules to_joules(KilowattHours e) {
  return Joules(e.value() * kJoulesPerKwh);
}
constexpr Joules operator*(Watts p, Seconds t) {
  return Joules(p.value() * t.count());
}
constexpr Joules operator*(Seconds t, Watts p) {
  return p * t;
}
constexpr Watts operator/(Joules e, Seconds t) {
  return Watts(e.value() / t.count());
}
constexpr GramsCo2e operator*(KilowattHours e, GramsCo2ePerKwh ef) {
  return GramsCo2e(e.value() * ef.value());
}
constexpr GramsCo2e operator*(GramsCo2ePerKwh ef, KilowattHours e) {
  return e * ef;
}
constexpr GramsCo2e operator*(Joules e, GramsCo2ePerKwh ef) {
  return to_kwh(e) * ef;
}

/// Whether an energy figure came from a hardware counter or from a model.
enum class Method { kMeasured, kEstimated };

constexpr std::string_view to_string(Method m) {
  return m == Method::kMeasured ? "measured" : "estimated";
}

}  // namespace mlcarbon

/// Formats a quantity as its number followed by its unit symbol; the format
/// spec applies to the number: fmt::format("{:.2f}", Joules(3)) == "3.00 J".
template <typename Tag>
struct fmt::formatter<mlcarbon::Quantity<Tag>> : fmt::formatter<double> {
  template <typename FormatContext>
  auto format(mlcarbon::Quantity<Tag> q, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    auto out = fmt::formatter<double>::format(q.value(), ctx);
    *out++ = ' ';
    return fmt::format_to(out, "{}", Tag::kSymbol);
  }
};
