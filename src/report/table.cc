// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/table.h"

#include <algorithm>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon::report {

std::size_t display_width(std::string_view text) {
  // Every byte that does not continue a UTF-8 sequence starts a character.
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(),
      [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string paint(bool color, std::string_view style, std::string_view text) {
  if (!color || style.empty())
    return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", style, text);
}

Table::Table(std::vector<Column> columns, std::string indent)
    : columns_(std::move(columns)), indent_(std::move(indent)) {}

void Table::add_row(std::vector<Cell> cells) {
  add_row(std::move(cells), "", 1);
}

void Table::add_row(std::vector<Cell> cells, std::string note,
                    std::size_t gap) {
  cells.resize(std::min(cells.size(), columns_.size()), Cell(""));
  for (Cell& c : cells)
    c.text = terminal_safe(c.text);
  rows_.push_back({std::move(cells), terminal_safe(note), gap});
}

std::string Table::render(bool color) const {
  std::vector<std::size_t> width(columns_.size());
  for (std::size_t c = 0; c < columns_.size(); ++c)
    width[c] = columns_[c].min_width;
  for (const Row& row : rows_) {
    for (std::size_t c = 0; c < row.cells.size(); ++c)
      width[c] = std::max(width[c], display_width(row.cells[c].text));
  }
  std::string out;
  for (const Row& row : rows_) {
    std::string line = indent_;
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      if (c > 0)
        line.append(columns_[c].gap, ' ');
      const Cell& cell = row.cells[c];
      const std::size_t pad = width[c] - display_width(cell.text);
      if (columns_[c].align == Align::kRight)
        line.append(pad, ' ');
      line += paint(color, cell.style, cell.text);
      if (columns_[c].align == Align::kLeft)
        line.append(pad, ' ');
    }
    if (!row.note.empty()) {
      line.append(row.note_gap, ' ');
      line += row.note;
    }
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace mlcarbon::report
