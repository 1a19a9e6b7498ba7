// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fs.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <unistd.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

tl::unexpected<Error> errno_error(int err, std::string_view what,
                                  const std::filesystem::path& path) {
  return tl::unexpected<Error>(
      Error(errc_from_errno(err),
            fmt::format("{} {}: {}", what, path.string(), std::strerror(err))));
}

}  // namespace

Errc errc_from_errno(int err) {
  switch (err) {
    case EACCES:
    case EPERM:
      return Errc::kPermissionDenied;
    case ENOENT:
    case ENOTDIR:
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
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return errno_error(errno, "cannot open", path);
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno_error(errno, "cannot read", path);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return errno_error(errno, "cannot open", path);
  char buf[4096];
  ssize_t n = 0;
  do {
    n = ::pread(fd.get(), buf, sizeof buf, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno_error(errno, "cannot read", path);
  return std::string(trim(std::string_view(buf, static_cast<std::size_t>(n))));
}

Status write_file_atomic(const std::filesystem::path& path,
                         std::string_view content) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0)
    return errno_error(errno, "cannot create", tmp);
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n =
        ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      const int err = errno;
      ::unlink(tmp.c_str());
      return errno_error(err, "cannot write", tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(err, "cannot flush", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(err, "cannot replace", path);
  }
  return {};
}

}  // namespace mlcarbon
