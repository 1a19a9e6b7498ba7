// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/core/units.h"

/// Embodied (manufacturing) emissions of hardware, amortised over its
/// lifetime: a separate, optional term beside the operational one
/// (data/embodied.csv, docs/models.md "Embodied emissions").
namespace mlcarbon::carbon {

/// One row of data/embodied.csv: a device kind's embodied emissions with a
/// low and high end, and the lifetime they are spread over.
struct EmbodiedFactor {
  /// "vcpu" (one vCPU's share of a server) or "gpu".
  std::string kind;
  /// For GPUs: a substring of the model name (case-insensitive); empty
  /// for the kind's default.
  std::string match;
  double kg_low = 0.0;
  double kg = 0.0;
  double kg_high = 0.0;
  double lifetime_years = 0.0;
  std::string source;
  int year = 0;
  std::string licence;

  /// Grams CO2e per device-hour: kg x 1000 / (lifetime in hours, 365.25-day
  /// years).
  [[nodiscard]] double g_per_hour_low() const;
  [[nodiscard]] double g_per_hour() const;
  [[nodiscard]] double g_per_hour_high() const;
  /// "8 gpu x 720 h at 4.28 g CO2e/h (150 kg over 4 years; source, licence)".
  [[nodiscard]] std::string describe(double count, double hours) const;
};

/// Embodied emissions of devices held for a time.
struct EmbodiedShare {
  GramsCo2e low;
  GramsCo2e central;
  GramsCo2e high;
  /// One line per device kind: "2 vcpu x 0.5 h at 0.64 g/h (source)".
  std::vector<std::string> terms;
};

/// The embodied-emissions table.
class EmbodiedTable {
 public:
  /// data/embodied.csv as compiled in.
  [[nodiscard]] static const EmbodiedTable& builtin();
  /// Parses a table; errors name `origin`, the line and the field.
  [[nodiscard]] static Result<EmbodiedTable> parse(std::string_view csv,
                                                   std::string origin);

  [[nodiscard]] std::span<const EmbodiedFactor> rows() const { return rows_; }
  /// The device kinds a scenario may name ("vcpu", "gpu").
  [[nodiscard]] std::vector<std::string> kinds() const;
  /// The row for `kind`, the first whose match is in `model` (for GPUs),
  /// else the kind's default; an unknown kind is an error listing the
  /// known ones.
  [[nodiscard]] Result<const EmbodiedFactor*> find(
      std::string_view kind, std::string_view model = {}) const;

  /// `count` devices of `kind` (named `model`) held for `hours`.
  [[nodiscard]] Result<EmbodiedShare> share(std::string_view kind, double count,
                                            double hours,
                                            std::string_view model = {}) const;

 private:
  std::vector<EmbodiedFactor> rows_;
};

/// What a run occupied: `vcpus` logical CPUs and `gpus` (model names) for
/// `duration`. Never fails: the builtin table has a default row per kind.
[[nodiscard]] EmbodiedShare embodied_for_machine(
    int vcpus, const std::vector<std::string>& gpus, Seconds duration);

}  // namespace mlcarbon::carbon
