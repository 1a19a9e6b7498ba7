// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/csv.h"

#include <fmt/format.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {

int CsvMeta::column(std::string_view name) const {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name)
      return static_cast<int>(i);
  }
  return -1;
}

Result<std::string> CsvRow::get(std::string_view column) const {
  int i = meta_->column(column);
  if (i < 0) {
    return tl::unexpected(error(fmt::format("no column '{}'", column)));
  }
  auto index = static_cast<std::size_t>(i);
  if (index >= fields_.size()) {
    return tl::unexpected(
        error(fmt::format("{} fields, but column '{}' is number {}",
                          fields_.size(), column, index + 1)));
  }
  return std::string(trim(fields_[index]));
}

Result<double> CsvRow::number(std::string_view column) const {
  MLCARBON_ASSIGN_OR_RETURN(std::string text, get(column));
  auto value = parse_double(text);
  if (!value) {
    return tl::unexpected(
        error(fmt::format("{}: '{}' is not a number", column, text)));
  }
  return *value;
}

Error CsvRow::error(std::string message) const {
  return Error(Errc::kParse,
               fmt::format("{}:{}: {}", meta_->origin, line_, message));
}

Status for_each_csv_record(
    std::string_view text,
    const std::function<Status(int, std::vector<std::string>)>& fn) {
  int line_no = 0;
  for (std::string_view line : split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (trim(line).empty() || trim(line).front() == '#')
      continue;
    MLCARBON_RETURN_IF_ERROR(fn(line_no, parse_csv_line(line)));
  }
  return {};
}

Result<std::vector<CsvRow>> parse_csv_table(std::string_view text,
                                            std::string origin) {
  auto meta = std::make_shared<CsvMeta>();
  meta->origin = std::move(origin);
  std::vector<CsvRow> rows;
  auto walked = for_each_csv_record(
      text, [&](int line_no, std::vector<std::string> fields) -> Status {
        if (meta->header.empty()) {
          for (auto& f : fields)
            meta->header.emplace_back(trim(f));
        } else {
          rows.emplace_back(meta, std::move(fields), line_no);
        }
        return {};
      });
  if (!walked)
    return tl::unexpected(walked.error());
  if (meta->header.empty()) {
    return make_error(Errc::kParse, "{}: no header line", meta->origin);
  }
  return rows;
}

}  // namespace mlcarbon
