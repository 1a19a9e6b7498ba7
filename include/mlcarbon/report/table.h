// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The one console table of mlcarbon: aligned columns sized to their widest
/// cell, used by every text writer.
namespace mlcarbon::report {

enum class Align { kLeft, kRight };

/// One column: its alignment, the width it has at least, and the spaces
/// before it (ignored for the first column, which the indent precedes).
struct Column {
  Align align = Align::kLeft;
  std::size_t min_width = 0;
  std::size_t gap = 1;
};

/// One cell: its text and, when colour is on, an SGR code ("1", "32").
struct Cell {
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: implicit
  Cell(const char* t) : text(t) {}             // NOLINT: implicit
  Cell(std::string t, std::string_view s) : text(std::move(t)), style(s) {}
  std::string text;
  std::string_view style;
};

/// Rows of cells under columns. A row may have fewer cells than columns and
/// a free `note` after them that does not widen any column. Every cell and
/// note is printed through terminal_safe(), so text from users (commands,
/// tags, names) cannot send control sequences to the terminal; colour is
/// the table's own. Lines carry no trailing spaces.
class Table {
 public:
  explicit Table(std::vector<Column> columns, std::string indent = "");

  void add_row(std::vector<Cell> cells);
  /// `note` follows the cells after `gap` spaces, unaligned.
  void add_row(std::vector<Cell> cells, std::string note, std::size_t gap = 1);

  [[nodiscard]] std::string render(bool color) const;

 private:
  struct Row {
    std::vector<Cell> cells;
    std::string note;
    std::size_t note_gap = 1;
  };
  std::vector<Column> columns_;
  std::string indent_;
  std::vector<Row> rows_;
};

/// Width of `text` on a terminal, in code points.
[[nodiscard]] std::size_t display_width(std::string_view text);

/// `text` wrapped in the SGR code `style` when `color`, else as is.
[[nodiscard]] std::string paint(bool color, std::string_view style,
                                std::string_view text);

}  // namespace mlcarbon::report
