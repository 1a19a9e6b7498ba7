// SPDX-License-Identifier: Apache-2.0
// The report's two writers. The HTML page carries everything inline and a
// Content-Security-Policy that forbids any request, so it opens the same
// offline, attached to a mail, or archived.
#include <string>

#include <fmt/format.h>

#include "mlcarbon/report/report.h"

namespace mlcarbon::report {
namespace {

using svg::escape;

// Okabe-Ito colours (distinguishable with the common colour-vision
// deficiencies); lighter ones on the dark background.
constexpr std::string_view kStyle = R"css(
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #57606a;
  --rule: #d0d7de; --grid: #eaeef2; --panel: #f6f8fa; --warn: #9a6700;
  --s0: #0072b2; --s1: #d55e00; --s2: #009e73; --s3: #cc79a7; --s4: #e69f00; --s5: #56b4e9; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --rule: #3d444d; --grid: #21262d;
    --panel: #161b22; --warn: #d29922;
    --s0: #56b4e9; --s1: #ff8c42; --s2: #3ccf9e; --s3: #e59acb; --s4: #f0c05a; --s5: #9fd3f5; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.5rem; border-bottom: 1px solid var(--rule); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .5rem; padding-top: .5rem; border-top: 1px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .25rem; }
.generated, .method { color: var(--muted); margin: 0 0 .75rem; }
.method strong { color: var(--fg); }
nav ol { margin: .25rem 0 1rem; padding-left: 1.25rem; }
a { color: var(--s0); }
dl.context { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem;
  background: var(--panel); border: 1px solid var(--rule); border-radius: 6px; padding: .75rem 1rem; margin: .5rem 0 1rem; }
dl.context dt { color: var(--muted); }
dl.context dd { margin: 0; overflow-wrap: anywhere; }
figure { margin: 1rem 0 1.5rem; break-inside: avoid; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .25rem; }
figcaption strong { color: var(--fg); }
svg.chart { width: 100%; height: auto; display: block; color: var(--fg);
  font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
svg.chart text { fill: currentColor; }
svg.chart .label { font-size: 12.5px; }
svg.chart .grid { stroke: var(--grid); }
svg.chart .tick, svg.chart .frame { stroke: var(--muted); }
svg.chart .line, svg.chart .key { fill: none; stroke-width: 2; stroke-linejoin: round; }
svg.chart .band { stroke: none; opacity: .18; }
svg.chart .mark { stroke-width: 1.5; }
svg.chart .bar { fill: var(--s0); }
svg.chart .bar.estimated { stroke: var(--s0); stroke-width: 1.5; }
svg.chart .hatch-bg { fill: var(--bg); }
svg.chart .hatch { stroke: var(--s0); stroke-width: 3; }
svg.chart .whisker { stroke: var(--fg); stroke-width: 1.5; fill: none; }
.s0 { stroke: var(--s0); fill: var(--s0); } .s1 { stroke: var(--s1); fill: var(--s1); }
.s2 { stroke: var(--s2); fill: var(--s2); } .s3 { stroke: var(--s3); fill: var(--s3); }
.s4 { stroke: var(--s4); fill: var(--s4); } .s5 { stroke: var(--s5); fill: var(--s5); }
svg.chart .line.s0, svg.chart .line.s1, svg.chart .line.s2, svg.chart .line.s3,
svg.chart .line.s4, svg.chart .line.s5 { fill: none; }
svg.chart .mark.hollow { fill: var(--bg); }
img.figure { max-width: 100%; height: auto; background: #fff; border-radius: 4px; }
details { margin-top: .35rem; }
summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { border-bottom: 1px solid var(--rule); padding: .2rem .6rem; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num { text-align: right; }
.table-wrap { overflow-x: auto; }
ul.warnings li { color: var(--warn); }
footer { max-width: 60rem; margin: 2rem auto; padding: 0 1.25rem; color: var(--muted); font-size: .85rem; }
@media print {
  :root { --bg: #fff; --fg: #000; --muted: #444; --rule: #bbb; --grid: #e5e5e5; --panel: #fff; }
  body { font-size: 10.5pt; }
  nav, summary { display: none; }
  details > table, details > .table-wrap { display: block; }
  h2 { break-before: page; border-top: none; }
  section:first-of-type h2 { break-before: avoid; }
  figure, table, dl.context { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
)css";

// Right-aligned: a number, alone or with a unit ("40.0 min", "12%"),
// but not a date or a range.
bool numeric(const std::string& text) {
  if (text.empty())
    return false;
  const char c = text.front();
  if (!((c >= '0' && c <= '9') || ((c == '-' || c == '.') && text.size() > 1)))
    return false;
  return text.find_first_of(":(", 1) == std::string::npos &&
         text.find('-', 1) == std::string::npos;
}

std::string html_table(const ReportTable& t) {
  std::string out = "<div class=\"table-wrap\"><table>";
  if (!t.caption.empty())
    out += fmt::format("<caption>{}</caption>", escape(t.caption));
  out += "<thead><tr>";
  for (const std::string& h : t.header)
    out += fmt::format("<th scope=\"col\">{}</th>", escape(h));
  out += "</tr></thead><tbody>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (const std::string& c : row) {
      out += fmt::format("<td{}>{}</td>", numeric(c) ? " class=\"num\"" : "",
                         escape(c));
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n =
        (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16U) |
        (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1]))
         << 8U) |
        static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += kAlphabet[(n >> 6U) & 63U];
    out += kAlphabet[n & 63U];
  }
  if (i < bytes.size()) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i]))
                 << 16U;
    if (i + 1 < bytes.size())
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1]))
           << 8U;
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6U) & 63U] : '=';
    out += '=';
  }
  return out;
}

std::string html_figure(const ReportFigure& f, const std::string& id) {
  std::string out = "<figure>\n";
  if (f.line) {
    svg::LineChart chart = *f.line;
    chart.id = id;
    out += svg::line_chart(chart);
  } else if (f.bar) {
    svg::BarChart chart = *f.bar;
    chart.id = id;
    out += svg::bar_chart(chart);
  } else {
    // An image, not inline markup: a file from elsewhere cannot run
    // script or restyle the page.
    out += fmt::format(
        "<img class=\"figure\" id=\"{}\" alt=\"{}\" "
        "src=\"data:image/svg+xml;base64,{}\">\n",
        id, escape(f.title + ". " + f.description), base64(f.image_svg));
  }
  out += fmt::format("<figcaption><strong>{}.</strong> {}</figcaption>\n",
                     escape(f.title), escape(f.description));
  if (!f.data.rows.empty()) {
    out += "<details><summary>Data table</summary>\n" + html_table(f.data) +
           "</details>\n";
  }
  out += "</figure>\n";
  return out;
}

std::string md_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|' || c == '\\' || c == '*' || c == '_' || c == '`' || c == '<' ||
        c == '[')
      out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string md_table(const ReportTable& t) {
  std::string out;
  if (!t.caption.empty())
    out += fmt::format("**{}**\n\n", md_escape(t.caption));
  out += "|";
  for (const std::string& h : t.header)
    out += fmt::format(" {} |", md_escape(h));
  out += "\n|";
  for (const std::string& h : t.header)
    out += numeric(h) ? "---:|" : "---|";
  out += "\n";
  for (const auto& row : t.rows) {
    out += "|";
    for (const std::string& c : row)
      out += fmt::format(" {} |", md_escape(c));
    out += "\n";
  }
  return out + "\n";
}

}  // namespace

std::string report_html(const ReportDocument& doc) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
      "'none'; style-src 'unsafe-inline'; img-src data:\">\n"
      "<title>{0}</title>\n<style>{1}</style>\n</head>\n<body>\n"
      "<header>\n<h1>{0}</h1>\n<p class=\"generated\">{2}</p>\n",
      escape(doc.title), kStyle, escape(doc.generated));
  if (doc.sections.size() > 1) {
    out += "<nav aria-label=\"Contents\"><ol>\n";
    for (std::size_t i = 0; i < doc.sections.size(); ++i) {
      out += fmt::format("<li><a href=\"#section-{}\">{}</a></li>\n", i + 1,
                         escape(doc.sections[i].title));
    }
    out += "</ol></nav>\n";
  }
  out += "</header>\n<main>\n";
  std::size_t figure = 0;
  for (std::size_t i = 0; i < doc.sections.size(); ++i) {
    const ReportSection& s = doc.sections[i];
    out += fmt::format(
        "<section id=\"section-{0}\" class=\"{1}\" "
        "aria-labelledby=\"section-{0}-title\">\n"
        "<h2 id=\"section-{0}-title\">{2}</h2>\n"
        "<p class=\"method\">{3} · figures <strong>{4}</strong></p>\n",
        i + 1, escape(s.kind), escape(s.title), escape(s.kind),
        escape(s.method));
    if (!s.context.empty()) {
      out += "<dl class=\"context\">\n";
      for (const auto& [key, value] : s.context) {
        out +=
            fmt::format("<dt>{}</dt><dd>{}</dd>\n", escape(key), escape(value));
      }
      out += "</dl>\n";
    }
    for (const std::string& p : s.paragraphs)
      out += fmt::format("<p>{}</p>\n", escape(p));
    for (const ReportFigure& f : s.figures)
      out += html_figure(f, fmt::format("figure-{}", ++figure));
    for (const ReportTable& t : s.tables)
      out += html_table(t);
    if (!s.warnings.empty()) {
      out += "<h3>Warnings</h3>\n<ul class=\"warnings\">\n";
      for (const std::string& w : s.warnings)
        out += fmt::format("<li>{}</li>\n", escape(w));
      out += "</ul>\n";
    }
    out += "</section>\n";
  }
  out +=
      "</main>\n<footer>Made by mlcarbon report. Measured figures come "
      "from hardware counters; estimated ones from models, as each "
      "figure says.</footer>\n</body>\n</html>\n";
  return out;
}

std::string report_markdown(const ReportDocument& doc) {
  std::string out = fmt::format("# {}\n\n", md_escape(doc.title));
  if (!doc.generated.empty())
    out += fmt::format("{}\n\n", md_escape(doc.generated));
  out +=
      "Charts are in the HTML report (`mlcarbon report --html`); here "
      "each chart is given by its numbers.\n\n";
  for (const ReportSection& s : doc.sections) {
    out += fmt::format("## {}\n\n{} · figures **{}**\n\n", md_escape(s.title),
                       md_escape(s.kind), md_escape(s.method));
    if (!s.context.empty()) {
      out += "| | |\n|---|---|\n";
      for (const auto& [key, value] : s.context)
        out += fmt::format("| {} | {} |\n", md_escape(key), md_escape(value));
      out += "\n";
    }
    for (const std::string& p : s.paragraphs)
      out += md_escape(p) + "\n\n";
    for (const ReportFigure& f : s.figures) {
      out += fmt::format("### {}\n\n{}\n\n", md_escape(f.title),
                         md_escape(f.description));
      if (!f.image_name.empty())
        out += fmt::format("![{}]({})\n\n", md_escape(f.title), f.image_name);
      if (!f.data.rows.empty() && f.image_name.empty())
        out += md_table(f.data);
    }
    for (const ReportTable& t : s.tables)
      out += md_table(t);
    if (!s.warnings.empty()) {
      out += "**Warnings**\n\n";
      for (const std::string& w : s.warnings)
        out += fmt::format("- {}\n", md_escape(w));
      out += "\n";
    }
  }
  return out;
}

}  // namespace mlcarbon::report
