// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fs.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "mlcarbon/core/fd.h"
#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

// Only the error path formats, so hot-path callers pass a C string.
tl::unexpected<Error> errno_error(int err, std::string_view what,
                                  std::string_view path) {
  return tl::unexpected<Error>(
      Error(errc_from_errno(err),
            fmt::format("{} {}: {}", what, path, std::strerror(err))));
}

}  // namespace

Errc errc_from_errno(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return Errc::kPermissionDenied;
    case ENOENT:
    case ENOTDIR:
    case ESRCH:
      return Errc::kNotFound;
    case ENODEV:
    case ENXIO:
    case EOPNOTSUPP:
      return Errc::kUnavailable;
    default:
      return Errc::kIo;
  }
}

Result<std::string> read_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd)
    return errno_error(errno, "cannot open", path.native());
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno_error(errno, "cannot read", path.native());
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<std::string_view> read_file_prefix(const char* path,
                                          std::span<char> buf) {
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd)
    return errno_error(errno, "cannot open", path);
  ssize_t n = 0;
  do {
    n = ::pread(fd.get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno_error(errno, "cannot read", path);
  return std::string_view(buf.data(), static_cast<std::size_t>(n));
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  char buf[4096];
  MLCARBON_ASSIGN_OR_RETURN(const std::string_view text,
                            read_file_prefix(path.c_str(), buf));
  return std::string(trim(text));
}

Status write_file_atomic(const std::filesystem::path& path,
                         std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  UniqueFd fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    return errno_error(errno, "cannot create", tmp.native());
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n =
        ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      const int err = errno;
      ::unlink(tmp.c_str());
      return errno_error(err, "cannot write", tmp.native());
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || !fd.close()) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(err, "cannot flush", tmp.native());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(err, "cannot replace", path.native());
  }
  return {};
}

}  // namespace mlcarbon
