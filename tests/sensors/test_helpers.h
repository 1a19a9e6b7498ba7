// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the sensor tests: writing small files into TempDirs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "mlcarbon/core/fd.h"

namespace mlcarbon::sensors::testing {

inline void write_text(const std::filesystem::path& path,
                       const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644));
  ASSERT_TRUE(fd) << path;
  ASSERT_EQ(::write(fd.get(), text.data(), text.size()),
            static_cast<ssize_t>(text.size()));
}

/// Writes 8 bytes at offset `reg`, like one register of /dev/cpu/N/msr.
inline void write_msr(const std::filesystem::path& path, std::uint32_t reg,
                      std::uint64_t value) {
  std::filesystem::create_directories(path.parent_path());
  const UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT, 0644));
  ASSERT_TRUE(fd) << path;
  ASSERT_EQ(::pwrite(fd.get(), &value, sizeof value, static_cast<off_t>(reg)),
            static_cast<ssize_t>(sizeof value));
}

}  // namespace mlcarbon::sensors::testing
