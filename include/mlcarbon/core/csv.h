// SPDX-License-Identifier: Apache-2.0
// One CSV record walker for the data tables, intensity series and the
// sensor model tables.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

namespace mlcarbon {

/// The header and name of a parsed CSV text, shared by its rows.
struct CsvMeta {
  std::string origin;
  std::vector<std::string> header;
  /// Index of `name` in the header, or -1.
  [[nodiscard]] int column(std::string_view name) const;
};

/// One data line of a CSV text, with fields looked up by header name.
class CsvRow {
 public:
  CsvRow(std::shared_ptr<const CsvMeta> meta, std::vector<std::string> fields,
         int line)
      : meta_(std::move(meta)), fields_(std::move(fields)), line_(line) {}
  [[nodiscard]] Result<std::string> get(std::string_view column) const;
  [[nodiscard]] Result<double> number(std::string_view column) const;
  /// A parse error naming "origin:line".
  [[nodiscard]] Error error(std::string message) const;
  [[nodiscard]] int line() const { return line_; }

 private:
  std::shared_ptr<const CsvMeta> meta_;
  std::vector<std::string> fields_;
  int line_;
};

/// Splits `text` into records: blank and '#' comment lines are skipped, a
/// trailing '\r' is dropped, fields follow RFC 4180 quoting (no embedded
/// newlines). `fn(line_number, fields)` sees each record in order; the
/// first error it returns stops the walk and is returned.
[[nodiscard]] Status for_each_csv_record(
    std::string_view text,
    const std::function<Status(int, std::vector<std::string>)>& fn);

/// Parses our data tables: '#' comment lines, one header line, RFC 4180
/// quoting, no embedded newlines.
[[nodiscard]] Result<std::vector<CsvRow>> parse_csv_table(std::string_view text,
                                                          std::string origin);

}  // namespace mlcarbon
