// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace mlcarbon::testing {

/// An IDX file's bytes: magic (0, 0, type, rank), big-endian dims, data.
inline std::string idx_bytes(std::uint8_t type,
                             const std::vector<std::uint32_t>& dims,
                             const std::vector<std::uint8_t>& data) {
  std::string out{'\0', '\0', static_cast<char>(type),
                  static_cast<char>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<char>((d >> shift) & 0xff));
  out.append(data.begin(), data.end());
  return out;
}

inline void write_bytes(const std::filesystem::path& path,
                        const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

/// Writes an unsigned-byte IDX file, as MNIST's.
inline void write_idx(const std::filesystem::path& path,
                      const std::vector<std::uint32_t>& dims,
                      const std::vector<std::uint8_t>& data) {
  write_bytes(path, idx_bytes(0x08, dims, data));
}

}  // namespace mlcarbon::testing
