// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/carbon/embodied.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlcarbon/core/csv.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::embedded {
std::string_view embodied_csv();
}  // namespace mlcarbon::embedded

namespace mlcarbon::carbon {
namespace {

constexpr double kHoursPerYear = 365.25 * 24.0;

double per_hour(double kg, double years) {
  return kg * 1000.0 / (years * kHoursPerYear);
}

}  // namespace

double EmbodiedFactor::g_per_hour_low() const {
  return per_hour(kg_low, lifetime_years);
}
double EmbodiedFactor::g_per_hour() const {
  return per_hour(kg, lifetime_years);
}
double EmbodiedFactor::g_per_hour_high() const {
  return per_hour(kg_high, lifetime_years);
}

std::string EmbodiedFactor::describe(double count, double hours) const {
  return fmt::format(
      "{:g} {}{} x {:.4g} h at {:.3g} g CO2e/h ({:g} kg over {:g} years; {}, "
      "{})",
      count, kind, match.empty() ? "" : " (" + match + ")", hours, g_per_hour(),
      kg, lifetime_years, source, licence);
}

Result<EmbodiedTable> EmbodiedTable::parse(std::string_view csv,
                                           std::string origin) {
  MLCARBON_ASSIGN_OR_RETURN(const std::vector<CsvRow> rows,
                            parse_csv_table(csv, std::move(origin)));
  EmbodiedTable table;
  for (const CsvRow& row : rows) {
    EmbodiedFactor f;
    MLCARBON_ASSIGN_OR_RETURN(f.kind, row.get("kind"));
    MLCARBON_ASSIGN_OR_RETURN(f.match, row.get("match"));
    MLCARBON_ASSIGN_OR_RETURN(f.kg_low, row.number("kg_co2e_low"));
    MLCARBON_ASSIGN_OR_RETURN(f.kg, row.number("kg_co2e"));
    MLCARBON_ASSIGN_OR_RETURN(f.kg_high, row.number("kg_co2e_high"));
    MLCARBON_ASSIGN_OR_RETURN(f.lifetime_years, row.number("lifetime_years"));
    MLCARBON_ASSIGN_OR_RETURN(f.source, row.get("source"));
    MLCARBON_ASSIGN_OR_RETURN(const double year, row.number("year"));
    MLCARBON_ASSIGN_OR_RETURN(f.licence, row.get("licence"));
    f.year = static_cast<int>(year);
    if (f.kind.empty())
      return tl::unexpected(row.error("kind is empty"));
    if (!(f.kg_low >= 0.0 && f.kg_low <= f.kg && f.kg <= f.kg_high &&
          std::isfinite(f.kg_high))) {
      return tl::unexpected(
          row.error("expected 0 <= kg_co2e_low <= kg_co2e <= kg_co2e_high"));
    }
    if (!(f.lifetime_years > 0.0 && std::isfinite(f.lifetime_years)))
      return tl::unexpected(row.error("lifetime_years must be positive"));
    if (f.source.empty() || f.licence.empty())
      return tl::unexpected(row.error("every row needs a source and licence"));
    table.rows_.push_back(std::move(f));
  }
  for (const std::string& kind : table.kinds()) {
    const bool has_default = std::any_of(
        table.rows_.begin(), table.rows_.end(),
        [&](const auto& f) { return f.kind == kind && f.match.empty(); });
    if (!has_default) {
      return make_error(Errc::kParse,
                        "embodied table: kind '{}' has no default row (empty "
                        "match)",
                        kind);
    }
  }
  return table;
}

const EmbodiedTable& EmbodiedTable::builtin() {
  static const EmbodiedTable kTable = [] {
    auto table = parse(embedded::embodied_csv(), "embodied.csv");
    MLCARBON_CHECK(table.has_value(), "the built-in embodied.csv is invalid");
    return std::move(*table);
  }();
  return kTable;
}

std::vector<std::string> EmbodiedTable::kinds() const {
  std::vector<std::string> out;
  for (const auto& f : rows_) {
    if (std::find(out.begin(), out.end(), f.kind) == out.end())
      out.push_back(f.kind);
  }
  return out;
}

Result<const EmbodiedFactor*> EmbodiedTable::find(
    std::string_view kind, std::string_view model) const {
  const EmbodiedFactor* fallback = nullptr;
  const std::string folded = to_lower(model);
  for (const auto& f : rows_) {
    if (f.kind != kind)
      continue;
    if (f.match.empty()) {
      if (fallback == nullptr)
        fallback = &f;
    } else if (!folded.empty() &&
               folded.find(to_lower(f.match)) != std::string::npos) {
      return &f;
    }
  }
  if (fallback == nullptr) {
    return make_error(Errc::kInvalidArgument,
                      "unknown device kind '{}' for embodied emissions; "
                      "expected one of: {}",
                      kind, fmt::join(kinds(), ", "));
  }
  return fallback;
}

Result<EmbodiedShare> EmbodiedTable::share(std::string_view kind, double count,
                                           double hours,
                                           std::string_view model) const {
  MLCARBON_ASSIGN_OR_RETURN(const EmbodiedFactor* f, find(kind, model));
  const double device_hours = count * hours;
  EmbodiedShare out;
  out.low = GramsCo2e(device_hours * f->g_per_hour_low());
  out.central = GramsCo2e(device_hours * f->g_per_hour());
  out.high = GramsCo2e(device_hours * f->g_per_hour_high());
  out.terms.push_back(f->describe(count, hours));
  return out;
}

EmbodiedShare embodied_for_machine(int vcpus,
                                   const std::vector<std::string>& gpus,
                                   Seconds duration) {
  const EmbodiedTable& table = EmbodiedTable::builtin();
  const double hours = std::max(duration.count(), 0.0) / 3600.0;
  EmbodiedShare total;
  auto add = [&](Result<EmbodiedShare> part) {
    MLCARBON_CHECK(part.has_value(),
                   "the built-in embodied table lacks a kind");
    total.low += part->low;
    total.central += part->central;
    total.high += part->high;
    for (auto& t : part->terms)
      total.terms.push_back(std::move(t));
  };
  if (vcpus > 0)
    add(table.share("vcpu", vcpus, hours));
  // One term per GPU model: "8 gpu x ..." rather than eight lines.
  std::map<std::string, int> models;
  for (const std::string& gpu : gpus)
    ++models[gpu];
  for (const auto& [model, n] : models)
    add(table.share("gpu", n, hours, model));
  return total;
}

}  // namespace mlcarbon::carbon
