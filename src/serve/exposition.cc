// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/serve/exposition.h"

#include <cmath>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon::serve {

std::string escape_label_value(std::string_view value) {
  // The format is UTF-8; a cgroup name need not be.
  const std::string valid = to_valid_utf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// HELP text escapes only backslash and line feed.
std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void append_value(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else {
    fmt::format_to(std::back_inserter(out), "{}", value);
  }
}

}  // namespace

void Exposition::family(std::string_view name, std::string_view help,
                        std::string_view type) {
  fmt::format_to(std::back_inserter(text_), "# HELP {} {}\n# TYPE {} {}\n",
                 name, escape_help(help), name, type);
}

void Exposition::sample(std::string_view name, const std::vector<Label>& labels,
                        double value) {
  text_ += name;
  bool first = true;
  for (const auto& [key, val] : labels) {
    if (val.empty())
      continue;
    text_ += first ? '{' : ',';
    first = false;
    fmt::format_to(std::back_inserter(text_), "{}=\"{}\"", key,
                   escape_label_value(val));
  }
  if (!first)
    text_ += '}';
  text_ += ' ';
  append_value(text_, value);
  text_ += '\n';
}

}  // namespace mlcarbon::serve
