// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

/// Inline SVG charts for the HTML report: no script, no external file.
/// Series are told apart by dash pattern, marker and a label at the line's
/// end as well as by colour (CSS classes .s0 ... .s5, set by the page), so a
/// chart reads in grey and in print.
namespace mlcarbon::report::svg {

/// Text safe inside HTML/SVG elements and attribute values.
[[nodiscard]] std::string escape(std::string_view text);

/// Ticks at 1, 2 or 5 x 10^k covering [low, high], about `count` of them.
[[nodiscard]] std::vector<double> nice_ticks(double low, double high,
                                             int count);

struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
  /// A band drawn under the line (min/max); empty for none.
  std::vector<double> low;
  std::vector<double> high;
  /// Draw a marker at each point (few points, e.g. a run history).
  bool markers = false;
  /// Hollow markers (an estimated figure) instead of filled (measured).
  std::vector<bool> hollow;
};

enum class XAxis { kElapsed, kCalendar };

struct LineChart {
  std::string id;  // unique in the page: names the title and description
  std::string title;
  std::string description;
  /// kElapsed: x in seconds, shown in s, min or h; kCalendar: x in Unix
  /// seconds, shown as dates.
  XAxis x_axis = XAxis::kElapsed;
  std::string y_label;  // "power (W)"
  std::vector<LineSeries> series;
};

struct Bar {
  std::string label;
  double value = 0.0;
  /// A range drawn as a whisker when low < high.
  double low = 0.0;
  double high = 0.0;
  /// Hatched when estimated, solid when measured; the label says which.
  bool estimated = false;
  std::string note;  // after the value: "measured", "estimated"
};

struct BarChart {
  std::string id;
  std::string title;
  std::string description;
  std::string unit;  // "kWh", "kg CO2e"
  std::vector<Bar> bars;
};

[[nodiscard]] std::string line_chart(const LineChart& chart);
[[nodiscard]] std::string bar_chart(const BarChart& chart);

/// A value with 3 significant digits for bar labels.
[[nodiscard]] std::string short_number(double v);
/// An axis tick: a round number without trailing zeros.
[[nodiscard]] std::string tick_label(double v);

}  // namespace mlcarbon::report::svg
