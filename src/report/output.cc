// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"

namespace mlcarbon::report {

Status write_output(std::string_view path_or_dash, std::string_view text) {
  if (path_or_dash == "-") {
    const std::size_t n = std::fwrite(text.data(), 1, text.size(), stdout);
    // Flush now: a closed pipe must fail here, not silently at exit.
    if (std::fflush(stdout) != 0 || n != text.size()) {
      return make_error(errc_from_errno(errno),
                        "cannot write to standard output: {}",
                        std::strerror(errno));
    }
    return {};
  }
  auto written = write_file_atomic(std::filesystem::path(path_or_dash), text);
  if (!written) {
    return tl::unexpected(std::move(written).error().with_context(
        fmt::format("writing {}", path_or_dash)));
  }
  return {};
}

}  // namespace mlcarbon::report
