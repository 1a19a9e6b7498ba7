// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/chart.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <numeric>

#include <fmt/format.h>

#include "mlcarbon/report/format.h"

namespace mlcarbon::report::svg {
namespace {

constexpr double kWidth = 720.0;
constexpr double kLineHeight = 300.0;
constexpr double kLeft = 64.0;
constexpr double kRight = 130.0;  // room for the labels at the lines' ends
constexpr double kTop = 14.0;
constexpr double kBottom = 46.0;
constexpr std::size_t kStyles = 6;

// Dash patterns and markers tell series apart without colour.
constexpr std::array<std::string_view, kStyles> kDashes = {
    "", "7 4", "2 3", "10 3 2 3", "4 4", "1 2"};

std::string num(double v) {
  return fmt::format("{:.1f}", v);
}

std::string marker(std::size_t style, double x, double y, bool hollow,
                   std::string_view cls) {
  const std::string_view hollow_class = hollow ? " hollow" : "";
  switch (style % 4) {
    case 0:
      return fmt::format(
          "<circle class=\"mark {}{}\" cx=\"{}\" cy=\"{}\" r=\"4\"/>", cls,
          hollow_class, num(x), num(y));
    case 1:
      return fmt::format(
          "<rect class=\"mark {}{}\" x=\"{}\" y=\"{}\" width=\"7\" "
          "height=\"7\"/>",
          cls, hollow_class, num(x - 3.5), num(y - 3.5));
    case 2:
      return fmt::format("<path class=\"mark {}{}\" d=\"M{} {}l4.5 8h-9z\"/>",
                         cls, hollow_class, num(x), num(y - 5));
    default:
      return fmt::format(
          "<path class=\"mark {}{}\" d=\"M{} {}l5 5-5 5-5-5z\"/>", cls,
          hollow_class, num(x), num(y - 5));
  }
}

std::string open_svg(std::string_view id, double height, std::string_view title,
                     std::string_view description) {
  return fmt::format(
      "<svg class=\"chart\" id=\"{0}\" viewBox=\"0 0 {1} {2}\" "
      "role=\"img\" aria-labelledby=\"{0}-title {0}-desc\" "
      "xmlns=\"http://www.w3.org/2000/svg\">\n"
      "<title id=\"{0}-title\">{3}</title>\n"
      "<desc id=\"{0}-desc\">{4}</desc>\n",
      escape(id), num(kWidth), num(height), escape(title), escape(description));
}

struct TimeScale {
  double divisor = 1.0;
  std::string_view unit = "s";
};

TimeScale elapsed_scale(double span_s) {
  if (span_s >= 2.0 * 3600.0)
    return {3600.0, "h"};
  if (span_s >= 120.0)
    return {60.0, "min"};
  return {1.0, "s"};
}

std::string calendar_label(double unix_s, bool with_time) {
  const auto t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 32> buf{};
  std::strftime(buf.data(), buf.size(), with_time ? "%m-%d %H:%M" : "%Y-%m-%d",
                &tm);
  return buf.data();
}

// Ticks for calendar time: whole hours or days, about `count` of them.
std::vector<double> calendar_ticks(double low, double high, int count) {
  constexpr std::array<double, 11> kSteps = {
      60.0,      300.0,   900.0,     3600.0,      3.0 * 3600.0, 6 * 3600,
      12 * 3600, 86400.0, 2 * 86400, 7 * 86400.0, 30 * 86400.0};
  const double span = std::max(high - low, 1.0);
  double step = kSteps.back();
  for (double s : kSteps) {
    if (span / s <= count) {
      step = s;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + 1e-9; t += step)
    ticks.push_back(t);
  return ticks;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string short_number(double v) {
  if (v == 0.0)
    return "0";
  return format_number(v);
}

std::string tick_label(double v) {
  // Ticks are round numbers: no trailing zeros ("0.05", "20", "1e+06").
  return fmt::format("{:.4g}", v);
}

std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low)) {
    high = low + 1.0;
  }
  const double rough = (high - low) / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * magnitude;
    if (step >= rough)
      break;
  }
  std::vector<double> ticks;
  const double first = std::floor(low / step) * step;
  for (double t = first; t < high + step * 0.999; t += step) {
    // Snap away the drift of repeated addition (0.30000000000000004).
    ticks.push_back(std::round(t / step) * step);
  }
  return ticks;
}

std::string line_chart(const LineChart& chart) {
  const double plot_w = kWidth - kLeft - kRight;
  const double plot_h = kLineHeight - kTop - kBottom;
  double x_min = INFINITY;
  double x_max = -INFINITY;
  double y_max = 0.0;
  for (const LineSeries& s : chart.series) {
    for (double x : s.x) {
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
    }
    for (const auto* ys : {&s.y, &s.high})
      for (double y : *ys)
        y_max = std::max(y_max, y);
  }
  if (!std::isfinite(x_min)) {
    x_min = 0.0;
    x_max = 1.0;
  }
  if (x_max <= x_min)
    x_max = x_min + 1.0;
  if (chart.x_axis == XAxis::kCalendar) {
    // Markers at the ends stay clear of the axes.
    const double pad = (x_max - x_min) * 0.04;
    x_min -= pad;
    x_max += pad;
  }
  const std::vector<double> y_ticks = nice_ticks(0.0, y_max, 5);
  const double y_top = y_ticks.back();
  auto px = [&](double x) {
    return kLeft + (x - x_min) / (x_max - x_min) * plot_w;
  };
  auto py = [&](double y) { return kTop + plot_h - y / y_top * plot_h; };

  std::string out =
      open_svg(chart.id, kLineHeight, chart.title, chart.description);
  // Grid and y axis.
  out += "<g class=\"axis\">\n";
  for (double t : y_ticks) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
        "<text x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
        num(kLeft), num(kLeft + plot_w), num(py(t)), num(kLeft - 6),
        num(py(t) + 4), tick_label(t));
  }
  // x axis.
  std::string x_label;
  std::vector<double> x_ticks;
  std::vector<std::string> x_names;
  if (chart.x_axis == XAxis::kElapsed) {
    const TimeScale scale = elapsed_scale(x_max - x_min);
    for (double t :
         nice_ticks(x_min / scale.divisor, x_max / scale.divisor, 6)) {
      if (t * scale.divisor < x_min - 1e-9 || t * scale.divisor > x_max + 1e-9)
        continue;
      x_ticks.push_back(t * scale.divisor);
      x_names.push_back(tick_label(t));
    }
    x_label = fmt::format("time since start ({})", scale.unit);
  } else {
    const bool with_time = x_max - x_min < 3.0 * 86400.0;
    x_ticks = calendar_ticks(x_min, x_max, 6);
    for (double t : x_ticks)
      x_names.push_back(calendar_label(t, with_time));
    x_label = with_time ? "time (UTC, month-day hour:minute)" : "date (UTC)";
  }
  for (std::size_t i = 0; i < x_ticks.size(); ++i) {
    const double x = px(x_ticks[i]);
    out += fmt::format(
        "<line class=\"tick\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
        "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        num(x), num(kTop + plot_h), num(kTop + plot_h + 5),
        num(kTop + plot_h + 18), escape(x_names[i]));
  }
  out += fmt::format(
      "<line class=\"frame\" x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\"/>"
      "<line class=\"frame\" x1=\"{0}\" x2=\"{0}\" y1=\"{3}\" y2=\"{2}\"/>\n",
      num(kLeft), num(kLeft + plot_w), num(kTop + plot_h), num(kTop));
  out += fmt::format(
      "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}"
      "</text>\n",
      num(kLeft + plot_w / 2), num(kLineHeight - 8), escape(x_label));
  out += fmt::format(
      "<text class=\"label\" transform=\"translate(14 {}) rotate(-90)\" "
      "text-anchor=\"middle\">{}</text>\n</g>\n",
      num(kTop + plot_h / 2), escape(chart.y_label));

  // Bands first, so that no line hides under another series' band.
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const LineSeries& s = chart.series[i];
    if (s.low.size() != s.x.size() || s.high.size() != s.x.size() ||
        s.x.empty())
      continue;
    std::string points;
    for (std::size_t k = 0; k < s.x.size(); ++k)
      points += fmt::format("{},{} ", num(px(s.x[k])), num(py(s.high[k])));
    for (std::size_t k = s.x.size(); k-- > 0;)
      points += fmt::format("{},{} ", num(px(s.x[k])), num(py(s.low[k])));
    out += fmt::format(
        "<polygon class=\"band s{}\" points=\"{}\"><title>{} min-max"
        "</title></polygon>\n",
        i % kStyles, points, escape(s.name));
  }
  struct EndLabel {
    double y;
    std::string text;
    std::size_t style;
  };
  std::vector<EndLabel> labels;
  for (std::size_t i = 0; i < chart.series.size(); ++i) {
    const LineSeries& s = chart.series[i];
    if (s.x.empty())
      continue;
    const std::size_t style = i % kStyles;
    std::string points;
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k)
      points += fmt::format("{},{} ", num(px(s.x[k])), num(py(s.y[k])));
    out += fmt::format(
        "<polyline class=\"line s{}\" points=\"{}\"{}><title>{}</title>"
        "</polyline>\n",
        style, points,
        kDashes[style].empty()
            ? std::string()
            : fmt::format(" stroke-dasharray=\"{}\"", kDashes[style]),
        escape(s.name));
    if (s.markers) {
      for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
        const bool hollow = k < s.hollow.size() && s.hollow[k];
        out += marker(style, px(s.x[k]), py(s.y[k]), hollow,
                      fmt::format("s{}", style));
      }
    }
    labels.push_back({py(s.y.back()), s.name, style});
  }
  // Labels at the lines' ends, pushed apart so that none overlaps.
  std::sort(labels.begin(), labels.end(),
            [](const EndLabel& a, const EndLabel& b) { return a.y < b.y; });
  constexpr double kGap = 14.0;
  for (std::size_t i = 1; i < labels.size(); ++i)
    labels[i].y = std::max(labels[i].y, labels[i - 1].y + kGap);
  const double bottom = kTop + plot_h + 4;
  if (!labels.empty() && labels.back().y > bottom) {
    labels.back().y = bottom;
    for (std::size_t i = labels.size() - 1; i-- > 0;)
      labels[i].y = std::min(labels[i].y, labels[i + 1].y - kGap);
  }
  for (const EndLabel& l : labels) {
    const double x = kLeft + plot_w + 6;
    out += fmt::format(
        "<line class=\"key s{0}\" x1=\"{1}\" x2=\"{2}\" y1=\"{3}\" "
        "y2=\"{3}\"{4}/><text class=\"series-name\" x=\"{5}\" y=\"{6}\">{7}"
        "</text>\n",
        l.style, num(x), num(x + 18), num(l.y),
        kDashes[l.style].empty()
            ? std::string()
            : fmt::format(" stroke-dasharray=\"{}\"", kDashes[l.style]),
        num(x + 22), num(l.y + 4), escape(l.text));
  }
  out += "</svg>\n";
  return out;
}

std::string bar_chart(const BarChart& chart) {
  constexpr double kBar = 22.0;
  constexpr double kStep = 34.0;
  constexpr double kValueRoom = 250.0;
  std::size_t longest = 4;
  double top = 0.0;
  for (const Bar& b : chart.bars) {
    longest = std::max(longest, b.label.size());
    top = std::max({top, b.value, b.high});
  }
  const double left =
      std::clamp(14.0 + 7.0 * static_cast<double>(longest), 80.0, 230.0);
  const double plot_w = kWidth - left - kValueRoom;
  const double height =
      kTop + kStep * static_cast<double>(chart.bars.size()) + kBottom;
  const std::vector<double> ticks = nice_ticks(0.0, top, 4);
  const double x_top = ticks.back();
  auto px = [&](double v) { return left + v / x_top * plot_w; };
  const double axis_y = kTop + kStep * static_cast<double>(chart.bars.size());

  std::string out = open_svg(chart.id, height, chart.title, chart.description);
  out += fmt::format(
      "<defs><pattern id=\"{}-hatch\" patternUnits=\"userSpaceOnUse\" "
      "width=\"6\" height=\"6\" patternTransform=\"rotate(45)\">"
      "<rect class=\"hatch-bg\" width=\"6\" height=\"6\"/>"
      "<line class=\"hatch\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/>"
      "</pattern></defs>\n<g class=\"axis\">\n",
      escape(chart.id));
  for (double t : ticks) {
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
        "<text x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
        num(px(t)), num(kTop), num(axis_y), num(axis_y + 16), tick_label(t));
  }
  out += fmt::format(
      "<line class=\"frame\" x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\"/>"
      "<text class=\"label\" x=\"{3}\" y=\"{4}\" text-anchor=\"middle\">{5}"
      "</text>\n</g>\n",
      num(left), num(kTop), num(axis_y), num(left + plot_w / 2),
      num(height - 8), escape(chart.unit));
  for (std::size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& b = chart.bars[i];
    const double y = kTop + kStep * static_cast<double>(i) + (kStep - kBar) / 2;
    const double w = std::max(px(b.value) - left, b.value > 0 ? 1.0 : 0.0);
    out +=
        fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                    num(left - 8), num(y + kBar / 2 + 4), escape(b.label));
    out += fmt::format(
        "<rect class=\"bar{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\""
        "{}><title>{}: {} {}</title></rect>\n",
        b.estimated ? " estimated" : "", num(left), num(y), num(w), num(kBar),
        b.estimated
            ? fmt::format(" style=\"fill:url(#{}-hatch)\"", escape(chart.id))
            : std::string(),
        escape(b.label), short_number(b.value), escape(chart.unit));
    double end = px(b.value);
    std::string range;
    if (b.high > b.low) {
      const double cy = y + kBar / 2;
      out += fmt::format(
          "<path class=\"whisker\" d=\"M{0} {1}H{2}M{0} {3}V{4}M{2} {3}V{4}\"/>"
          "\n",
          num(px(b.low)), num(cy), num(px(b.high)), num(cy - 6), num(cy + 6));
      end = std::max(end, px(b.high));
      range =
          fmt::format(" ({}–{})", short_number(b.low), short_number(b.high));
    }
    out += fmt::format(
        "<text class=\"value\" x=\"{}\" y=\"{}\">{} {}{}{}</text>\n",
        num(end + 6), num(y + kBar / 2 + 4), short_number(b.value),
        escape(chart.unit), range,
        b.note.empty() ? std::string() : " · " + escape(b.note));
  }
  out += "</svg>\n";
  return out;
}

}  // namespace mlcarbon::report::svg
