// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The Prometheus text exposition format (version 0.0.4), written by hand:
/// a few families per scrape need no client library.
namespace mlcarbon::serve {

/// A label: name and raw value (escaped when written).
using Label = std::pair<std::string_view, std::string_view>;

/// Escapes a label value: backslash, double quote and line feed.
[[nodiscard]] std::string escape_label_value(std::string_view value);

/// Builds one exposition text. Families are written whole: family() then
/// its samples, so HELP and TYPE come once, before the family's samples.
class Exposition {
 public:
  /// Starts a family; `type` is "counter", "gauge" or "info"-like "gauge".
  void family(std::string_view name, std::string_view help,
              std::string_view type);
  /// One sample of the current family; labels with an empty value are left
  /// out (Prometheus treats them as absent).
  void sample(std::string_view name, const std::vector<Label>& labels,
              double value);
  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace mlcarbon::serve
