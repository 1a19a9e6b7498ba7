// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

namespace mlcarbon {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}
char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// One step of UTF-8 decoding: the length of the well-formed sequence at the
// start of `s`, or of its maximal ill-formed subpart (Unicode 15, 3.9).
struct Utf8Step {
  std::size_t length;
  bool valid;
};

Utf8Step next_utf8(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80)
    return {1, true};
  // Table 3-7: the lead byte fixes the length and the second byte's range.
  std::size_t trail = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    trail = 1;
  } else if (b0 == 0xE0) {
    trail = 2;
    lo = 0xA0;  // no overlong forms
  } else if (b0 == 0xED) {
    trail = 2;
    hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xE1 && b0 <= 0xEF) {
    trail = 2;
  } else if (b0 == 0xF0) {
    trail = 3;
    lo = 0x90;  // no overlong forms
  } else if (b0 >= 0xF1 && b0 <= 0xF3) {
    trail = 3;
  } else if (b0 == 0xF4) {
    trail = 3;
    hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {1, false};
  }
  for (std::size_t k = 1; k <= trail; ++k) {
    if (k >= s.size())
      return {k, false};
    const auto b = static_cast<unsigned char>(s[k]);
    if (b < lo || b > hi)
      return {k, false};
    lo = 0x80;
    hi = 0xBF;
  }
  return {trail + 1, true};
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t at = 0;
  while (at < s.size()) {
    const Utf8Step step = next_utf8(s.substr(at));
    if (!step.valid)
      return at;
    at += step.length;
  }
  return std::string_view::npos;
}

bool is_valid_utf8(std::string_view s) {
  return first_invalid_utf8(s) == std::string_view::npos;
}

std::string to_valid_utf8(std::string_view s) {
  if (is_valid_utf8(s))
    return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  while (!s.empty()) {
    const Utf8Step step = next_utf8(s);
    if (step.valid) {
      out.append(s.substr(0, step.length));
    } else {
      out.append(kReplacement);
    }
    s.remove_prefix(step.length);
  }
  return out;
}

std::string terminal_safe(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const Utf8Step step = next_utf8(s);
    const auto b0 = static_cast<unsigned char>(s[0]);
    if (!step.valid) {
      out.append(kReplacement);
    } else if (b0 < 0x20 || b0 == 0x7F) {
      if (b0 == '\n' && keep_newlines) {
        out += '\n';
      } else {
        out += fmt::format("\\x{:02x}", b0);
      }
    } else if (b0 == 0xC2 && static_cast<unsigned char>(s[1]) < 0xA0) {
      // C1 controls: some terminals act on U+009B (CSI) as on ESC [.
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(s[1]));
    } else {
      out.append(s.substr(0, step.length));
    }
    s.remove_prefix(step.length);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Result<double> parse_double(std::string_view s) {
  const std::string_view t = trim(s);
  double value = 0.0;
  const char* first = t.data();
  if (!t.empty() && t.front() == '+')
    ++first;
  const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    return make_error(Errc::kParse, "'{}' is not a number", s);
  }
  if (!std::isfinite(value)) {
    return make_error(Errc::kInvalidArgument, "'{}' is not a finite number", s);
  }
  return value;
}

Result<std::uint64_t> parse_u64(std::string_view s) {
  const std::string_view t = trim(s);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) {
    return make_error(Errc::kParse, "'{}' is not an unsigned integer", s);
  }
  return value;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> suggest(std::string_view word,
                                   std::span<const std::string> candidates) {
  const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::vector<std::string> parse_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c != '\r') {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return fields;
}

std::string csv_escape(std::string_view raw) {
  // CSV readers expect UTF-8; a stray byte must not make the file unreadable.
  const std::string field = to_valid_utf8(raw);
  if (field.find_first_of(",\"\n\r") == std::string::npos) {
    return field;
  }
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"')
      out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace mlcarbon
