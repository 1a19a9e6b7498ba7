// SPDX-License-Identifier: Apache-2.0
#include "read_util.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon::sensors::detail {

Result<std::string_view> read_prefix(const std::filesystem::path& path,
                                     std::span<char> buf) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(errc_from_errno(err), "cannot open {}: {}", path.string(),
                      std::strerror(err));
  }
  ssize_t n = 0;
  do {
    n = ::pread(fd, buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  const int err = errno;
  ::close(fd);
  if (n < 0) {
    return make_error(errc_from_errno(err), "cannot read {}: {}", path.string(),
                      std::strerror(err));
  }
  return std::string_view(buf.data(), static_cast<std::size_t>(n));
}

std::optional<std::uint64_t> take_u64(std::string_view& s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
    ++i;
  const std::size_t start = i;
  std::uint64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
    ++i;
  }
  if (i == start)
    return std::nullopt;
  s.remove_prefix(i);
  return v;
}

Result<std::uint64_t> parse_u64_trimmed(std::string_view s) {
  return parse_u64(trim(s));
}

}  // namespace mlcarbon::sensors::detail
