// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fd.h"

#include <unistd.h>

namespace mlcarbon {

void UniqueFd::reset(int fd) noexcept {
  const int old = std::exchange(fd_, fd);
  if (old >= 0 && old != fd)
    ::close(old);
}

bool UniqueFd::close() noexcept {
  const int old = std::exchange(fd_, -1);
  // Linux releases the descriptor even when close fails, so never retry.
  return old < 0 || ::close(old) == 0;
}

}  // namespace mlcarbon
