// SPDX-License-Identifier: Apache-2.0
// Inputs of `mlcarbon report` turned into sections. The documents are read
// as JSON by their published fields (docs/measure.md, docs/estimate.md), so
// a report can be made from files written on another machine.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/format.h"
#include "mlcarbon/report/report.h"

namespace mlcarbon::report {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kExpected =
    "expected a run (mlcarbon measure --json), an estimate (mlcarbon "
    "estimate --json) or an experiment folder with a report.json";

Result<json> parse(std::string_view text, std::string_view source) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return make_error(Errc::kParse, "{}: not a JSON object; {}", source,
                      kExpected);
  }
  return doc;
}

// A field's value or a fallback when absent or of another type; the
// documents are read leniently beyond the fields that identify them.
template <typename T>
T get(const json& j, std::string_view key, T fallback) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

std::optional<double> number(const json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number())
    return std::nullopt;
  return it->get<double>();
}

const json& child(const json& j, std::string_view key) {
  static const json kEmpty = json::object();
  const auto it = j.find(key);
  return it != j.end() && (it->is_object() || it->is_array()) ? *it : kEmpty;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty())
      out += sep;
    out += p;
  }
  return out;
}

// Energy in the unit that keeps a chart's numbers readable.
struct EnergyUnit {
  double per_joule;
  std::string_view name;
};
EnergyUnit energy_unit(double largest_j) {
  if (largest_j >= 3.6e6)
    return {1.0 / 3.6e6, "kWh"};
  if (largest_j >= 3600.0)
    return {1.0 / 3600.0, "Wh"};
  return {1.0, "J"};
}

std::string method_of_all(const std::set<std::string>& methods) {
  if (methods.size() > 1)
    return "measured and estimated";
  return methods.empty() ? "estimated" : *methods.begin();
}

// "2026-11-20 09:00" (UTC): a table cell that does not wrap.
std::string minute_text(WallTime t) {
  std::string iso = format_time(t);
  if (iso.size() >= 16) {
    iso.resize(16);
    iso[10] = ' ';
  }
  return iso;
}

std::string duration_text(double s) {
  if (s >= 2 * 3600.0)
    return fmt::format("{} h", format_number(s / 3600.0));
  if (s >= 120.0)
    return fmt::format("{} min", format_number(s / 60.0));
  return fmt::format("{} s", format_number(s));
}

// A figure with its _low/_high siblings (estimated figures carry them;
// without them the range is the figure), times `scale`: kg to g for CO2e.
lifecycle::Range sibling_range(const json& j, const std::string& key,
                               double scale = 1.0) {
  const double central = get(j, key, 0.0);
  return {.low = get(j, key + "_low", central) * scale,
          .central = central * scale,
          .high = get(j, key + "_high", central) * scale};
}

void add_fact(ReportSection& s, std::string key, std::string value) {
  if (!value.empty())
    s.context.emplace_back(std::move(key), std::move(value));
}

void add_timeline(ReportSection& s, const json& timeline) {
  const auto starts = get(timeline, "start_s", std::vector<double>{});
  const auto lengths = get(timeline, "duration_s", std::vector<double>{});
  if (starts.empty() || starts.size() != lengths.size())
    return;
  ReportFigure f;
  f.title = "Power over time per domain";
  svg::LineChart chart{.title = f.title, .y_label = "power (W)"};
  f.data = {.caption = "Power per domain over the run",
            .header = {"domain", "sensor", "method", "mean W", "lowest W",
                       "highest W", "energy J"}};
  std::vector<std::string> summary;
  std::set<std::string> methods;
  std::size_t nested = 0;
  for (const json& d : child(timeline, "domains")) {
    const auto mean = get(d, "mean_w", std::vector<double>{});
    const auto low = get(d, "min_w", std::vector<double>{});
    const auto high = get(d, "max_w", std::vector<double>{});
    if (mean.size() != starts.size())
      continue;
    const std::string name = get(d, "domain", std::string("?"));
    const std::string method = get(d, "method", std::string("estimated"));
    double energy = 0.0;
    double time = 0.0;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      energy += mean[i] * lengths[i];
      time += lengths[i];
    }
    const double lowest =
        low.empty() ? 0.0 : *std::min_element(low.begin(), low.end());
    const double highest =
        high.empty() ? 0.0 : *std::max_element(high.begin(), high.end());
    f.data.rows.push_back({name, get(d, "sensor", std::string()), method,
                           format_number(time > 0 ? energy / time : 0.0),
                           format_number(lowest), format_number(highest),
                           format_number(energy)});
    if (get(d, "nested", false)) {
      ++nested;
      continue;
    }
    methods.insert(method);
    svg::LineSeries series{.name = name};
    for (std::size_t i = 0; i < starts.size(); ++i)
      series.x.push_back(starts[i] + lengths[i] / 2);
    series.y = mean;
    if (low.size() == mean.size() && high.size() == mean.size()) {
      series.low = low;
      series.high = high;
    }
    summary.push_back(
        fmt::format("{} averages {} W (lowest {} W, highest {} W)", name,
                    format_number(time > 0 ? energy / time : 0.0),
                    format_number(lowest), format_number(highest)));
    chart.series.push_back(std::move(series));
  }
  if (chart.series.empty())
    return;
  f.title += " · " + method_of_all(methods);
  chart.title = f.title;
  f.description = fmt::format(
      "Mean power of each domain in {} time buckets, with a band from the "
      "lowest to the highest sampling interval in each: {}.{}",
      starts.size(), join(summary, "; "),
      nested > 0 ? fmt::format(" {} nested domain(s) (counted inside "
                               "another) are in the table only.",
                               nested)
                 : "");
  chart.description = f.description;
  f.line = std::move(chart);
  s.figures.push_back(std::move(f));
}

// Bars of energy, one per item, in one unit; `method` per bar.
struct EnergyItem {
  std::string label;
  double joules;
  std::string method;
};
ReportFigure energy_bars(std::string title, std::string what,
                         const std::vector<EnergyItem>& items);

}  // namespace

Result<ReportSection> run_section(std::string_view text,
                                  std::string_view source) {
  MLCARBON_ASSIGN_OR_RETURN(const json doc, parse(text, source));
  if (get(doc, "kind", std::string()) != "run" ||
      get(doc, "tool", std::string()) != "mlcarbon") {
    return make_error(Errc::kInvalidArgument,
                      "{}: not an mlcarbon run document (\"kind\": \"run\"); "
                      "{}",
                      source, kExpected);
  }
  const json& energy = child(doc, "energy");
  const json& carbon = child(doc, "carbon");
  const json& ctx = child(doc, "context");
  if (!energy.contains("total_j")) {
    return make_error(Errc::kParse,
                      "{}: the run has no energy.total_j; expected a run "
                      "document of schema_version 1",
                      source);
  }
  ReportSection s;
  s.kind = "run";
  const auto command = get(doc, "command", std::vector<std::string>{});
  s.title = command.empty()
                ? fmt::format("Run of {}",
                              get(doc, "project_name", std::string("mlcarbon")))
                : fmt::format("Run: {}", join(command, " "));
  s.method = get(energy, "method", std::string("estimated"));
  add_fact(s, "Run", get(doc, "run_id", std::string()));
  add_fact(s, "Project", get(doc, "project_name", std::string()));
  add_fact(s, "Tags", join(get(doc, "tags", std::vector<std::string>{}), ", "));
  add_fact(s, "Started", get(doc, "start", std::string()));
  add_fact(s, "Duration", duration_text(get(doc, "duration_s", 0.0)));
  if (const auto exit = number(doc, "exit_status"))
    add_fact(s, "Exit status", fmt::format("{}", *exit));
  add_fact(s, "Host", get(ctx, "host", std::string()));
  add_fact(s, "OS", get(ctx, "os", std::string()));
  add_fact(s, "CPU",
           fmt::format("{} ({} logical CPUs, {} GB RAM)",
                       get(ctx, "cpu_model", std::string("unknown")),
                       get(ctx, "cpu_count", 0),
                       format_number(get(ctx, "ram_total_gb", 0.0))));
  add_fact(s, "GPUs", join(get(ctx, "gpus", std::vector<std::string>{}), ", "));
  std::vector<std::string> sensors;
  for (const json& sensor : child(ctx, "sensors")) {
    sensors.push_back(fmt::format("{} ({})",
                                  get(sensor, "name", std::string("?")),
                                  get(sensor, "method", std::string("?"))));
  }
  add_fact(s, "Sensors", sensors.empty() ? "none" : join(sensors, ", "));
  add_fact(s, "Not available",
           join(get(ctx, "unavailable", std::vector<std::string>{}), "; "));
  add_fact(s, "Region",
           fmt::format("{} ({}; {})", get(carbon, "region", std::string("?")),
                       get(carbon, "region_name", std::string("?")),
                       get(carbon, "region_reason", std::string("?"))));
  add_fact(s, "Grid intensity",
           fmt::format("{} g CO2e/kWh ({}{})",
                       format_number(get(carbon, "intensity_g_per_kwh", 0.0)),
                       get(carbon, "intensity_source", std::string("?")),
                       get(carbon, "time_varying", false)
                           ? "; energy-weighted mean of an hourly series"
                           : ""));
  add_fact(s, "PUE",
           fmt::format("{} ({})", format_number(get(carbon, "pue", 1.0)),
                       get(carbon, "pue_reason", std::string("?"))));
  add_fact(
      s, "Energy",
      fmt::format("{} ({})", human_energy(sibling_range(energy, "total_j")),
                  s.method));
  if (const auto share = number(energy, "attributed_share")) {
    add_fact(s, "Attributed to the command",
             fmt::format("{} ({}% of CPU time; estimated)",
                         human_energy(sibling_range(energy, "attributed_j")),
                         format_number(*share * 100.0)));
  }
  add_fact(s, "CO2e",
           fmt::format("{} ({} energy x PUE x intensity)",
                       human_co2e(sibling_range(carbon, "co2e_kg", 1e3)),
                       get(carbon, "method", s.method)));
  add_fact(s, "mlcarbon", get(ctx, "mlcarbon_version", std::string()));

  if (const auto it = doc.find("timeline"); it != doc.end() && it->is_object())
    add_timeline(s, *it);
  std::vector<EnergyItem> domains;
  for (const json& d : child(energy, "domains")) {
    std::string label = get(d, "domain", std::string("?"));
    if (get(d, "nested", false))
      label += " (nested)";
    domains.push_back({label, get(d, "energy_j", 0.0),
                       get(d, "method", std::string("estimated"))});
  }
  if (!domains.empty())
    s.figures.push_back(energy_bars("Energy per domain", "domain", domains));
  std::vector<EnergyItem> windows;
  ReportTable window_table{
      .caption = "Windows (phases) of the run",
      .header = {"window", "start", "duration", "energy", "method", "CO2e"}};
  for (const json& w : child(doc, "windows")) {
    const std::string name = get(w, "name", std::string("?"));
    const std::string method = get(w, "method", std::string("estimated"));
    windows.push_back({name, get(w, "energy_j", 0.0), method});
    window_table.rows.push_back({name, get(w, "start", std::string()),
                                 duration_text(get(w, "duration_s", 0.0)),
                                 human_energy(Joules(get(w, "energy_j", 0.0))),
                                 method,
                                 human_co2e(sibling_range(w, "co2e_kg", 1e3))});
  }
  if (!windows.empty()) {
    s.figures.push_back(
        energy_bars("Energy per phase (window)", "phase", windows));
    s.tables.push_back(std::move(window_table));
  }
  s.warnings = get(doc, "warnings", std::vector<std::string>{});
  return s;
}

namespace {

// "energy_kwh" with its optional "_low"/"_high".
struct Ranged {
  double central = 0.0;
  double low = 0.0;
  double high = 0.0;
  [[nodiscard]] bool ranged() const { return high > low; }
  [[nodiscard]] std::string text(std::string_view unit) const {
    if (!ranged())
      return fmt::format("{} {}", format_number(central), unit);
    return fmt::format("{} {} ({}–{})", format_number(central), unit,
                       format_number(low), format_number(high));
  }
};
Ranged ranged(const json& j, const std::string& key) {
  const lifecycle::Range r = sibling_range(j, key);
  return {.central = r.central, .low = r.low, .high = r.high};
}

// One bar per item with its range as a whisker; without any range the
// table and the description leave ranges out.
ReportFigure ranged_bars(std::string title, std::string what, std::string unit,
                         const std::vector<std::pair<std::string, Ranged>>& v,
                         const std::vector<std::string>& methods) {
  ReportFigure f;
  f.title = std::move(title);
  svg::BarChart chart{.title = f.title, .unit = unit};
  const bool any_range = std::any_of(
      v.begin(), v.end(), [](const auto& p) { return p.second.ranged(); });
  f.data = {.caption = f.title,
            .header = {what, fmt::format("central ({})", unit), "low", "high",
                       "method"}};
  if (!any_range)
    f.data.header = {what, unit, "method"};
  std::vector<std::string> words;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto& [label, r] = v[i];
    const std::string& method = methods[i];
    chart.bars.push_back({.label = label,
                          .value = r.central,
                          .low = r.low,
                          .high = r.high,
                          .estimated = method != "measured",
                          .note = method});
    if (any_range) {
      f.data.rows.push_back({label, format_number(r.central),
                             format_number(r.low), format_number(r.high),
                             method});
    } else {
      f.data.rows.push_back({label, format_number(r.central), method});
    }
    words.push_back(fmt::format("{} {} ({})", label, r.text(unit), method));
  }
  f.description = fmt::format(
      "{}{}: {}.", f.title, any_range ? ", with its range where uncertain" : "",
      join(words, "; "));
  chart.description = f.description;
  f.bar = std::move(chart);
  return f;
}

ReportFigure energy_bars(std::string title, std::string what,
                         const std::vector<EnergyItem>& items) {
  double largest = 0.0;
  for (const EnergyItem& i : items)
    largest = std::max(largest, i.joules);
  const EnergyUnit unit = energy_unit(largest);
  std::vector<std::pair<std::string, Ranged>> values;
  std::vector<std::string> methods;
  for (const EnergyItem& i : items) {
    const double v = i.joules * unit.per_joule;
    values.emplace_back(i.label, Ranged{.central = v, .low = v, .high = v});
    methods.push_back(i.method);
  }
  return ranged_bars(std::move(title), std::move(what), std::string(unit.name),
                     values, methods);
}

}  // namespace

Result<ReportSection> estimate_section(std::string_view text,
                                       std::string_view source) {
  MLCARBON_ASSIGN_OR_RETURN(const json doc, parse(text, source));
  if (get(doc, "kind", std::string()) != "estimate" ||
      !doc.contains("phases")) {
    return make_error(Errc::kInvalidArgument,
                      "{}: not an mlcarbon estimate (\"kind\": \"estimate\" "
                      "with \"phases\"); {}",
                      source, kExpected);
  }
  ReportSection s;
  s.kind = "estimate";
  s.title =
      fmt::format("Estimate: {}", get(doc, "name", std::string("scenario")));
  const json& grid = child(doc, "carbon_intensity");
  const json& total = child(doc, "total");
  add_fact(s, "Region", get(grid, "region", std::string()));
  add_fact(s, "Grid intensity",
           fmt::format("{} ({})", ranged(grid, "g_per_kwh").text("g CO2e/kWh"),
                       get(grid, "source", std::string("?"))));
  add_fact(s, "PUE", ranged(doc, "pue").text(""));
  add_fact(s, "Life-cycle energy", ranged(total, "energy_kwh").text("kWh"));
  add_fact(s, "Life-cycle CO2e", ranged(total, "co2e_kg").text("kg CO2e"));
  if (doc.contains("break_even_calls"))
    add_fact(s, "Break-even inference calls",
             ranged(doc, "break_even_calls").text("calls"));
  add_fact(s, "Equivalent",
           fmt::format(
               "{} km by car",
               format_number(get(child(doc, "equivalents"), "car_km", 0.0))));
  std::vector<std::pair<std::string, Ranged>> energy;
  std::vector<std::pair<std::string, Ranged>> co2e;
  std::vector<std::string> methods;
  std::set<std::string> all_methods;
  ReportTable phases{.caption = "Phases",
                     .header = {"phase", "energy", "CO2e", "share", "method"}};
  for (const auto& [phase, p] : child(doc, "phases").items()) {
    const std::string method = get(p, "method", std::string("estimated"));
    energy.emplace_back(phase, ranged(p, "energy_kwh"));
    co2e.emplace_back(phase, ranged(p, "co2e_kg"));
    methods.push_back(method);
    all_methods.insert(method == "measured" ? "measured" : "estimated");
    phases.rows.push_back(
        {phase, energy.back().second.text("kWh"), co2e.back().second.text("kg"),
         fmt::format("{}%", format_number(get(p, "share", 0.0) * 100)),
         method});
  }
  s.method = method_of_all(all_methods);
  if (!energy.empty()) {
    s.figures.push_back(
        ranged_bars("Energy per phase", "phase", "kWh", energy, methods));
    s.figures.push_back(
        ranged_bars("CO2e per phase", "phase", "kg CO2e", co2e, methods));
    s.tables.push_back(std::move(phases));
  }
  if (const json& whatifs = child(doc, "what_ifs"); !whatifs.empty()) {
    std::vector<std::pair<std::string, Ranged>> v{
        {"as given", ranged(total, "co2e_kg")}};
    for (const json& w : whatifs)
      v.emplace_back(get(w, "what_if", std::string("?")),
                     ranged(child(w, "total"), "co2e_kg"));
    s.figures.push_back(
        ranged_bars("CO2e of each what-if", "what-if", "kg CO2e", v,
                    std::vector<std::string>(v.size(), "estimated")));
  }
  ReportTable inputs{.caption = "Model inputs",
                     .header = {"input", "value", "method", "source"}};
  for (const json& in : child(doc, "model_inputs")) {
    inputs.rows.push_back(
        {get(in, "field", std::string("?")),
         ranged(in, "value").text(get(in, "unit", std::string())),
         get(in, "method", std::string("estimated")),
         get(in, "source", std::string())});
  }
  if (!inputs.rows.empty())
    s.tables.push_back(std::move(inputs));
  ReportTable recs{.caption = "Recommendations",
                   .header = {"topic", "advice", "source"}};
  for (const json& r : child(doc, "recommendations")) {
    recs.rows.push_back({get(r, "topic", std::string()),
                         get(r, "summary", std::string()),
                         get(r, "source", std::string())});
  }
  if (!recs.rows.empty())
    s.tables.push_back(std::move(recs));
  return s;
}

ReportSection history_section(const std::vector<HistoryEntry>& runs,
                              std::string_view selection) {
  ReportSection s;
  s.kind = "history";
  s.title = fmt::format("History: {} run{}", runs.size(),
                        runs.size() == 1 ? "" : "s");
  HistoryEntry sum;
  std::set<std::string> methods;
  std::size_t measured = 0;
  for (const HistoryEntry& e : runs) {
    sum.energy_j += e.energy_j;
    sum.co2e_g += e.co2e_g;
    sum.duration_s += e.duration_s;
    methods.insert(e.method);
    if (e.method == "measured")
      ++measured;
  }
  s.method = method_of_all(methods);
  add_fact(s, "Selection", std::string(selection));
  add_fact(s, "Runs",
           fmt::format("{} ({} measured, {} estimated)", runs.size(), measured,
                       runs.size() - measured));
  if (!runs.empty()) {
    add_fact(s, "From", format_time(runs.back().start));
    add_fact(s, "To", format_time(runs.front().start));
  }
  add_fact(s, "Total duration", duration_text(sum.duration_s));
  add_fact(s, "Total energy", human_energy(Joules(sum.energy_j)));
  add_fact(s, "Total CO2e", human_co2e(GramsCo2e(sum.co2e_g)));

  // Oldest first on the time axis.
  std::vector<const HistoryEntry*> order;
  for (const HistoryEntry& e : runs)
    order.push_back(&e);
  std::sort(order.begin(), order.end(),
            [](const auto* a, const auto* b) { return a->start < b->start; });
  double largest = 0.0;
  for (const HistoryEntry* e : order)
    largest = std::max(largest, e->energy_j);
  const EnergyUnit unit = energy_unit(largest);
  ReportTable table{
      .caption = "Runs, oldest first (times in UTC)",
      .header = {"started", "command", "tags", "duration",
                 fmt::format("energy ({})", unit.name), "CO2e (g)", "method"}};
  svg::LineSeries energy{.name = "energy", .markers = true};
  svg::LineSeries co2e{.name = "CO2e", .markers = true};
  for (const HistoryEntry* e : order) {
    const double t =
        std::chrono::duration<double>(e->start.time_since_epoch()).count();
    const bool estimated = e->method != "measured";
    energy.x.push_back(t);
    energy.y.push_back(e->energy_j * unit.per_joule);
    energy.hollow.push_back(estimated);
    co2e.x.push_back(t);
    co2e.y.push_back(e->co2e_g);
    co2e.hollow.push_back(estimated);
    table.rows.push_back({minute_text(e->start), e->command,
                          join(e->tags, ", "), duration_text(e->duration_s),
                          format_number(e->energy_j * unit.per_joule),
                          format_number(e->co2e_g), e->method});
  }
  if (!order.empty()) {
    const std::string marks =
        "Filled markers are measured runs, hollow ones estimated.";
    ReportFigure fe;
    fe.title = "Energy per run over time";
    fe.description = fmt::format(
        "Energy of each of the {} runs at its start time, from {} to {} {} "
        "per run. {}",
        order.size(),
        format_number(*std::min_element(energy.y.begin(), energy.y.end())),
        format_number(*std::max_element(energy.y.begin(), energy.y.end())),
        unit.name, marks);
    fe.line = svg::LineChart{.title = fe.title,
                             .description = fe.description,
                             .x_axis = svg::XAxis::kCalendar,
                             .y_label = fmt::format("energy ({})", unit.name),
                             .series = {energy}};
    fe.data = table;
    s.figures.push_back(std::move(fe));
    ReportFigure fc;
    fc.title = "CO2e per run over time";
    fc.description = fmt::format(
        "CO2e of each run at its start time, from {} to {} g per run, {} g "
        "in all. {}",
        format_number(*std::min_element(co2e.y.begin(), co2e.y.end())),
        format_number(*std::max_element(co2e.y.begin(), co2e.y.end())),
        format_number(sum.co2e_g), marks);
    fc.line = svg::LineChart{.title = fc.title,
                             .description = fc.description,
                             .x_axis = svg::XAxis::kCalendar,
                             .y_label = "CO2e (g)",
                             .series = {co2e}};
    fc.data = {.caption = "CO2e per run",
               .header = {"started", "CO2e (g)", "method"}};
    for (const HistoryEntry* e : order)
      fc.data.rows.push_back(
          {minute_text(e->start), format_number(e->co2e_g), e->method});
    s.figures.push_back(std::move(fc));
  }
  s.tables.push_back(std::move(table));
  return s;
}

namespace {

std::string cell(const json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number_float())
    return format_number(v.get<double>());
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Result<std::vector<ReportSection>> experiment_sections(
    std::string_view text, std::string_view source,
    const std::filesystem::path& folder) {
  MLCARBON_ASSIGN_OR_RETURN(const json doc, parse(text, source));
  if (get(doc, "kind", std::string()) != "experiment-report" ||
      !doc.contains("experiments") || !doc["experiments"].is_array()) {
    return make_error(Errc::kInvalidArgument,
                      "{}: not an mlcarbon experiment report (\"kind\": "
                      "\"experiment-report\" with \"experiments\"); {}",
                      source, kExpected);
  }
  std::vector<std::pair<std::string, std::string>> context;
  for (const auto& [key, value] : child(doc, "context").items())
    context.emplace_back(key, cell(value));
  std::vector<ReportSection> out;
  for (const json& e : doc["experiments"]) {
    ReportSection s;
    s.kind = "experiment";
    const std::string name = get(e, "name", std::string("experiment"));
    s.title = fmt::format("Experiment: {}", name);
    s.context = context;
    std::set<std::string> methods;
    for (const json& p : child(e, "points")) {
      if (const std::string m = get(p, "method", std::string()); !m.empty())
        methods.insert(m == "measured" ? m : "estimated");
    }
    // An experiment measures unless its points say otherwise.
    s.method = methods.empty() ? "measured" : method_of_all(methods);
    if (const std::string claim = get(e, "claim", std::string());
        !claim.empty())
      s.paragraphs.push_back("Claim: " + claim);
    if (const std::string finding = get(e, "finding", std::string());
        !finding.empty())
      s.paragraphs.push_back("Finding: " + finding);
    ReportTable points{.caption = "Measured points"};
    for (const json& p : child(e, "points")) {
      for (const auto& [key, value] : p.items()) {
        if (std::find(points.header.begin(), points.header.end(), key) ==
            points.header.end())
          points.header.push_back(key);
      }
    }
    for (const json& p : child(e, "points")) {
      std::vector<std::string> row;
      for (const std::string& key : points.header)
        row.push_back(p.contains(key) ? cell(p[key]) : "");
      points.rows.push_back(std::move(row));
    }
    ReportTable fits{.caption = "Fits", .header = {"fit", "value"}};
    for (const auto& [key, value] : child(e, "fits").items())
      fits.rows.push_back({key, cell(value)});
    for (const std::string& file :
         get(e, "figures", std::vector<std::string>{})) {
      const std::filesystem::path path = folder / file;
      if (std::filesystem::path(file).is_absolute() ||
          file.find("..") != std::string::npos) {
        return make_error(Errc::kInvalidArgument,
                          "{}: figure '{}' of experiment '{}' is not a file "
                          "name inside the folder",
                          source, file, name);
      }
      MLCARBON_ASSIGN_OR_RETURN(std::string svg_text, read_file(path));
      ReportFigure f;
      f.title = fmt::format("{}: {}", name, file);
      f.description = fmt::format(
          "Figure {} of experiment {}; its numbers are in the tables below.",
          file, name);
      f.image_svg = std::move(svg_text);
      f.image_name = path.string();
      s.figures.push_back(std::move(f));
    }
    if (!points.rows.empty())
      s.tables.push_back(std::move(points));
    if (!fits.rows.empty())
      s.tables.push_back(std::move(fits));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<ReportSection>> sections_from_path(
    const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path file = path;
  if (std::filesystem::is_directory(path, ec)) {
    file = path / "report.json";
    if (!std::filesystem::exists(file, ec)) {
      return make_error(Errc::kNotFound, "{}: a folder without report.json; {}",
                        path.string(), kExpected);
    }
  }
  MLCARBON_ASSIGN_OR_RETURN(const std::string text, read_file(file));
  const std::string source = file.string();
  MLCARBON_ASSIGN_OR_RETURN(const json doc, parse(text, source));
  const std::string kind = get(doc, "kind", std::string());
  if (kind == "run") {
    MLCARBON_ASSIGN_OR_RETURN(ReportSection s, run_section(text, source));
    return std::vector<ReportSection>{std::move(s)};
  }
  if (kind == "estimate") {
    MLCARBON_ASSIGN_OR_RETURN(ReportSection s, estimate_section(text, source));
    return std::vector<ReportSection>{std::move(s)};
  }
  if (kind == "experiment-report")
    return experiment_sections(text, source, file.parent_path());
  return make_error(
      Errc::kInvalidArgument, "{}: {} document; {}", source,
      kind.empty()
          ? std::string("a JSON object without \"kind\", not an mlcarbon")
          : fmt::format("a \"{}\"", kind),
      kExpected);
}

}  // namespace mlcarbon::report
