// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/units.h"
#include "mlcarbon/sensors/sensor.h"

/// Plain records produced by the meter (measure::Monitor). They carry energy
/// only; the CO2e conversion is the caller's (carbon module).
namespace mlcarbon::measure {

/// The interval an energy figure lies in: low <= figure <= high. For a
/// measured figure both ends equal it (docs/meter.md, "Error bands").
struct EnergyBounds {
  Joules low{0};
  Joules high{0};

  friend EnergyBounds operator+(EnergyBounds a, EnergyBounds b) {
    return {a.low + b.low, a.high + b.high};
  }
  friend bool operator==(const EnergyBounds&, const EnergyBounds&) = default;
};

/// Energy of one sensor domain over one window.
struct DomainEnergy {
  /// "package-0", "dram-0", "gpu-0", "cpu", "memory".
  std::string domain;
  sensors::DomainKind kind = sensors::DomainKind::kPackage;
  /// The sensor's name(): "rapl-powercap", "cpu-model", ...
  std::string sensor;
  /// kMeasured for a hardware counter, kEstimated for a model.
  Method method = Method::kEstimated;
  /// How the figure was obtained (the sensor's description()).
  std::string description;
  /// Already counted in another domain (core inside package): shown, but not
  /// added to Measurement::total.
  bool nested = false;
  /// cumulative(end) - cumulative(begin).
  Joules energy{0};
  /// energy / duration; 0 for an empty window.
  Watts average_power{0};
  /// Idle power of the baseline x duration; 0 without a baseline.
  Joules idle_energy{0};
  /// The sensor's band(): factors on every figure of this domain.
  sensors::Band band;

  /// `e` (energy, idle_energy or a part of them) scaled by the band.
  [[nodiscard]] EnergyBounds bounds(Joules e) const {
    return {e * band.low, e * band.high};
  }
};

/// What the meter measured over one named window (zeus's Measurement).
struct Measurement {
  /// Window name; "run" for a whole command.
  std::string name;
  /// Calendar times of the window edges, for reports only.
  WallTime start{};
  WallTime end{};
  /// Monotonic length of the window.
  Seconds duration{0};
  std::vector<DomainEnergy> domains;
  /// Sum of energy over the domains that are not nested: machine energy.
  Joules total{0};
  /// Sum over non-nested domains of max(0, energy - idle_energy); equals
  /// total without an idle baseline.
  Joules above_idle{0};
  /// CPU-time share in [0, 1] of the tracked process tree in the machine's
  /// busy CPU time; empty when no process is tracked or it could not be read.
  std::optional<double> attributed_share;
  /// The tree's mean resident memory / installed memory, applied to the
  /// memory model's energy; empty where it was not known (the CPU-time
  /// share then applies).
  std::optional<double> attributed_memory_share;
  /// Energy attributed to the tracked tree: share x (CPU and memory domains)
  /// + GPU domains in full (docs/meter.md). Equals total when there is no
  /// share.
  Joules attributed{0};
  /// Readings of all sensors in the window, both edges included.
  std::size_t samples = 0;
  /// Problems that make the figures less complete, e.g. a sensor that failed
  /// mid-run. Each says what is missing.
  std::vector<std::string> warnings;

  /// Idle energy of the counted (non-nested) domains: what the machine
  /// would have drawn idle over the window; 0 without a baseline.
  [[nodiscard]] Joules counted_idle_energy() const {
    Joules sum{0};
    for (const DomainEnergy& d : domains) {
      if (!d.nested) {
        sum += d.idle_energy;
      }
    }
    return sum;
  }

  /// Bounds of `total`: the sum of the counted domains' bounds, so a
  /// measured domain adds its figure to both ends and an estimated one its
  /// band. Summing bounds assumes the errors of different sensors may all
  /// lean the same way: the conservative choice.
  [[nodiscard]] EnergyBounds total_bounds() const {
    return counted_bounds([](const DomainEnergy& d) { return d.energy; });
  }

  /// Bounds of counted_idle_energy(): the idle baseline comes from the same
  /// sensors, so it carries their bands.
  [[nodiscard]] EnergyBounds idle_bounds() const {
    return counted_bounds([](const DomainEnergy& d) { return d.idle_energy; });
  }

  /// Bounds of `above_idle`: each domain's max(0, energy - idle) scaled by
  /// its band.
  [[nodiscard]] EnergyBounds above_idle_bounds() const {
    return counted_bounds([](const DomainEnergy& d) {
      return std::max(d.energy - d.idle_energy, Joules(0));
    });
  }

  /// The sum over counted (non-nested) domains of their band around
  /// part(domain).
  template <typename Part>
  [[nodiscard]] EnergyBounds counted_bounds(Part part) const {
    EnergyBounds sum;
    for (const DomainEnergy& d : domains) {
      if (!d.nested)
        sum = sum + d.bounds(part(d));
    }
    return sum;
  }

  /// Bounds of `attributed`: share x the CPU and memory domains' bounds,
  /// plus the attributed GPU energy (attributed minus that share, as the
  /// meter adds it) scaled by the GPU domains' band.
  [[nodiscard]] EnergyBounds attributed_bounds() const;

  /// kMeasured only if there is a counted (non-nested) domain and every
  /// counted domain is measured.
  [[nodiscard]] Method method() const {
    bool any = false;
    for (const DomainEnergy& d : domains) {
      if (d.nested) {
        continue;
      }
      any = true;
      if (d.method != Method::kMeasured) {
        return Method::kEstimated;
      }
    }
    return any ? Method::kMeasured : Method::kEstimated;
  }
};

/// Idle power of one domain, measured before a run.
struct DomainPower {
  std::string sensor;
  std::string domain;
  Watts power{0};
};

/// Per-domain idle power, from Monitor::measure_idle() or a saved run.
struct IdleBaseline {
  /// How long the baseline was sampled.
  Seconds duration{0};
  std::vector<DomainPower> domains;
};

}  // namespace mlcarbon::measure
