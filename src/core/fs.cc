// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fs.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
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

Result<std::string> read_file(const std::filesystem::path& path,
                              std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return errno_error(errno, "cannot open", path.native());
  std::string out;
  char buf[65536];
  while (out.size() <= max_bytes) {
    const std::size_t want = std::min(sizeof buf, max_bytes + 1 - out.size());
    const ssize_t n = ::read(fd.get(), buf, want);
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
  if (fd.get() < 0)
    return errno_error(errno, "cannot open", path);
  ssize_t n = 0;
  do {
    n = ::pread(fd.get(), buf.data(), buf.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno_error(errno, "cannot read", path);
  return std::string_view(buf.data(), static_cast<std::size_t>(n));
}

std::filesystem::path xdg_base_dir(const char* variable,
                                   const std::filesystem::path& home_relative) {
  const char* xdg = std::getenv(variable);
  if (xdg != nullptr && *xdg == '/')
    return xdg;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "/tmp") / home_relative;
}

Result<std::string> read_small_file(const std::filesystem::path& path) {
  char buf[4096];
  MLCARBON_ASSIGN_OR_RETURN(const std::string_view text,
                            read_file_prefix(path.c_str(), buf));
  return std::string(trim(text));
}

namespace {

Status write_all(int fd, std::string_view content,
                 const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return errno_error(errno, "cannot write", path.native());
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

// What an output path names once symbolic links are followed.
struct OutputTarget {
  std::filesystem::path path;  // the link's target, or the path itself
  bool exists = false;
  struct stat st {};
};

Result<OutputTarget> resolve_output(const std::filesystem::path& path) {
  OutputTarget t{path};
  struct stat lst {};
  if (::lstat(path.c_str(), &lst) != 0) {
    if (errno == ENOENT)
      return t;
    return errno_error(errno, "cannot inspect", path.native());
  }
  if (S_ISLNK(lst.st_mode)) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return make_error(errc_from_errno(errno),
                        "{} is a symbolic link whose target cannot be "
                        "reached: {}",
                        path.string(), std::strerror(errno));
    }
    // Follow the link: a regular target is replaced and the link stays. A
    // device or pipe behind it (/dev/stdout) is opened through the link.
    if (S_ISREG(st.st_mode)) {
      std::error_code ec;
      t.path = std::filesystem::canonical(path, ec);
      if (ec) {
        return make_error(errc_from_errno(ec.value()),
                          "{} is a symbolic link whose target cannot be "
                          "resolved: {}",
                          path.string(), ec.message());
      }
    }
  }
  if (::stat(t.path.c_str(), &t.st) != 0)
    return errno_error(errno, "cannot inspect", t.path.native());
  t.exists = true;
  if (S_ISDIR(t.st.st_mode)) {
    return make_error(Errc::kInvalidArgument, "{} is a directory",
                      path.string());
  }
  if (!S_ISREG(t.st.st_mode) && !S_ISCHR(t.st.st_mode) &&
      !S_ISFIFO(t.st.st_mode)) {
    return make_error(Errc::kInvalidArgument,
                      "{} is neither a regular file, a character device nor "
                      "a FIFO; refusing to write onto it",
                      path.string());
  }
  return t;
}

// Character devices (/dev/null, a terminal) and FIFOs are opened and
// written, never replaced.
bool written_through(const OutputTarget& t) {
  return t.exists && !S_ISREG(t.st.st_mode);
}

// Keeping another user's ownership takes root; without it the file is
// rewritten in place rather than handed to us.
bool owner_kept_by_rename(const OutputTarget& t) {
  return !t.exists || ::geteuid() == 0 ||
         (t.st.st_uid == ::geteuid() && t.st.st_gid == ::getegid());
}

std::filesystem::path temp_path_for(const std::filesystem::path& target) {
  std::filesystem::path tmp = target;
  tmp += fmt::format(".tmp.{}", ::getpid());
  return tmp;
}

Status write_in_place(const std::filesystem::path& path,
                      std::string_view content, int flags) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC | flags));
  if (fd.get() < 0)
    return errno_error(errno, "cannot open", path.native());
  MLCARBON_RETURN_IF_ERROR(write_all(fd.get(), content, path));
  if (!fd.close())
    return errno_error(errno, "cannot write", path.native());
  return {};
}

Result<UniqueFd> create_temp(const std::filesystem::path& tmp, mode_t mode) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    // O_EXCL: never follow a link planted at the temporary name.
    UniqueFd fd(
        ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() >= 0)
      return fd;
    if (errno != EEXIST || attempt > 0)
      break;
    ::unlink(tmp.c_str());  // left by a crashed process with our pid
  }
  return make_error(errc_from_errno(errno),
                    "cannot create the temporary file {} (the report is "
                    "written there and renamed over {}): {}",
                    tmp.string(), tmp.parent_path().string(),
                    std::strerror(errno));
}

}  // namespace

Status write_file_atomic(const std::filesystem::path& path,
                         std::string_view content) {
  MLCARBON_ASSIGN_OR_RETURN(const OutputTarget target, resolve_output(path));
  if (written_through(target))
    return write_in_place(target.path, content, 0);
  if (!owner_kept_by_rename(target))
    return write_in_place(target.path, content, O_TRUNC);
  const std::filesystem::path tmp = temp_path_for(target.path);
  MLCARBON_ASSIGN_OR_RETURN(
      UniqueFd fd,
      create_temp(tmp, target.exists ? target.st.st_mode & 07777 : 0666));
  auto fail = [&](Error e) -> Status {
    ::unlink(tmp.c_str());
    return tl::unexpected(std::move(e));
  };
  if (target.exists) {
    // The umask must not narrow the mode of the file being replaced.
    if (::fchmod(fd.get(), target.st.st_mode & 07777) != 0 ||
        (::geteuid() == 0 &&
         ::fchown(fd.get(), target.st.st_uid, target.st.st_gid) != 0)) {
      return fail(
          errno_error(errno, "cannot copy mode and owner to", tmp.native())
              .value());
    }
  }
  if (auto s = write_all(fd.get(), content, tmp); !s)
    return fail(s.error());
  if (::fsync(fd.get()) != 0 || !fd.close())
    return fail(errno_error(errno, "cannot flush", tmp.native()).value());
  if (::rename(tmp.c_str(), target.path.c_str()) != 0)
    return fail(errno_error(errno, "cannot replace", path.native()).value());
  return {};
}

Status check_output_file(const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(const OutputTarget target, resolve_output(path));
  if (target.exists && ::access(target.path.c_str(), W_OK) != 0)
    return errno_error(errno, "cannot write", path.native());
  if (written_through(target) || !owner_kept_by_rename(target))
    return {};
  // The temporary file of the atomic write must be creatable too.
  const std::filesystem::path tmp = temp_path_for(target.path);
  MLCARBON_ASSIGN_OR_RETURN(UniqueFd fd, create_temp(tmp, 0600));
  ::unlink(tmp.c_str());
  return {};
}

}  // namespace mlcarbon
