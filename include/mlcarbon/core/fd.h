// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <utility>

namespace mlcarbon {

/// Owns a POSIX file descriptor and closes it exactly once: on destruction,
/// reset() or close(). Movable, not copyable. -1 means none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other)
      reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }

  /// Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }
  /// Closes the descriptor held (if any) and takes `fd`; close errors are
  /// ignored, as nothing can be done about them here.
  void reset(int fd = -1) noexcept;
  /// Closes now and reports the outcome: false with errno set when close
  /// fails, which matters for a written file (NFS, quotas). Holds nothing
  /// afterwards either way.
  [[nodiscard]] bool close() noexcept;

 private:
  int fd_ = -1;
};

}  // namespace mlcarbon
