// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

namespace mlcarbon::engine {

/// An IDX file (the MNIST format): big-endian dimensions, then unsigned
/// bytes. Only type 0x08 (ubyte) is read, which MNIST and Fashion-MNIST use.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

/// Parses an IDX file's bytes; a bad magic, type, or a size that does not
/// match the dimensions is Errc::kParse naming `origin`. Also reads the
/// gzip-compressed files Debian ships (.gz).
[[nodiscard]] Result<IdxArray> parse_idx(std::string_view bytes,
                                         std::string_view origin);
[[nodiscard]] Result<IdxArray> read_idx(std::string_view path);

}  // namespace mlcarbon::engine
