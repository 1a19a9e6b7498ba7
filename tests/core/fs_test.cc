// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fs.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace mlcarbon {
namespace {

TEST(FsTest, AtomicWriteThenRead) {
  testing::TempDir dir;
  const auto path = dir.path() / "out.json";

  ASSERT_TRUE(write_file_atomic(path, "first").has_value());
  ASSERT_TRUE(write_file_atomic(path, "second\n").has_value());

  EXPECT_EQ(read_file(path).value(), "second\n");
  EXPECT_EQ(read_small_file(path).value(), "second");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(FsTest, PrefixReadFillsTheCallersBuffer) {
  testing::TempDir dir;
  const auto path = dir.path() / "energy_uj";
  ASSERT_TRUE(write_file_atomic(path, "262143328850\n").has_value());
  char buf[6];

  const auto text = read_file_prefix(path.c_str(), buf);

  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "262143");
  EXPECT_EQ(text->data(), buf);
  EXPECT_EQ(read_file_prefix("/nonexistent/x", buf).error().code(),
            Errc::kNotFound);
}

TEST(FsTest, MissingFileIsNotFound) {
  const auto r = read_file("/nonexistent/mlcarbon");

  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
  EXPECT_NE(r.error().message().find("/nonexistent/mlcarbon"),
            std::string::npos);
}

TEST(FsTest, ReadStopsOneByteAfterTheLimit) {
  // /dev/zero never ends; a caller with a limit still gets an answer.
  const auto r = read_file("/dev/zero", 10);

  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(r->size(), 11u);
}

TEST(FsTest, ReadWithinTheLimitIsWhole) {
  testing::TempDir dir;
  const auto path = dir.path() / "f";
  ASSERT_TRUE(write_file_atomic(path, "hello"));

  EXPECT_EQ(read_file(path, 5).value(), "hello");
  EXPECT_EQ(read_file(path, 4).value(), "hello");
  EXPECT_EQ(read_file(path, 3).value(), "hell");
}

TEST(FsTest, WriteIntoMissingDirectoryFails) {
  const auto r = write_file_atomic("/nonexistent/dir/x", "x");

  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
}

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(
      std::distance(std::filesystem::directory_iterator(dir),
                    std::filesystem::directory_iterator()));
}

TEST(FsTest, ReplacingAFileKeepsItsMode) {
  testing::TempDir dir;
  const auto path = dir.path() / "run.json";
  ASSERT_TRUE(write_file_atomic(path, "old").has_value());
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);

  ASSERT_TRUE(write_file_atomic(path, "new").has_value());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(read_file(path).value(), "new");
}

TEST(FsTest, ReplacingAnotherUsersFileKeepsItsOwner) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "giving a file to another user takes root";
  testing::TempDir dir;
  const auto path = dir.path() / "run.json";
  ASSERT_TRUE(write_file_atomic(path, "old").has_value());
  ASSERT_EQ(::chown(path.c_str(), 12345, 23456), 0);

  ASSERT_TRUE(write_file_atomic(path, "new").has_value());

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 12345u);
  EXPECT_EQ(st.st_gid, 23456u);
  EXPECT_EQ(read_file(path).value(), "new");
}

TEST(FsTest, FifoReceivesTheDataAndStaysAFifo) {
  testing::TempDir dir;
  const auto path = dir.path() / "pipe";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // A reader first, so that opening the write end does not block.
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);

  const auto written = write_file_atomic(path, "report\n");

  char buf[32] = {};
  const ssize_t n = ::read(reader, buf, sizeof buf);
  ::close(reader);
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0),
            "report\n");
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(FsTest, CharacterDeviceIsWrittenThroughNotReplaced) {
  testing::TempDir dir;
  const auto path = dir.path() / "null";
  // A private node of the null device: writing to it is harmless.
  if (::mknod(path.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
    GTEST_SKIP() << "cannot create a device node here";

  ASSERT_TRUE(write_file_atomic(path, "discarded").has_value());

  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(FsTest, SymlinkIsFollowedAndKept) {
  testing::TempDir dir;
  const auto target = dir.path() / "target.json";
  const auto link = dir.path() / "link.json";
  ASSERT_TRUE(write_file_atomic(target, "old").has_value());
  std::filesystem::create_symlink("target.json", link);

  ASSERT_TRUE(write_file_atomic(link, "new").has_value());

  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(read_file(target).value(), "new");
  EXPECT_EQ(entries(dir.path()), 2u);
}

TEST(FsTest, DanglingSymlinkAndDirectoryAreRefused) {
  testing::TempDir dir;
  const auto link = dir.path() / "link.json";
  std::filesystem::create_symlink("missing/target.json", link);

  const auto dangling = write_file_atomic(link, "x");
  const auto directory = write_file_atomic(dir.path(), "x");

  ASSERT_FALSE(dangling.has_value());
  EXPECT_NE(dangling.error().message().find("symbolic link"),
            std::string::npos);
  ASSERT_FALSE(directory.has_value());
  EXPECT_NE(directory.error().message().find("is a directory"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::is_symlink(link));
}

TEST(FsTest, CheckLeavesNothingBehind) {
  testing::TempDir dir;
  const auto path = dir.path() / "new.json";

  ASSERT_TRUE(check_output_file(path).has_value());

  EXPECT_EQ(entries(dir.path()), 0u);
}

TEST(FsTest, CheckRefusesAFileWhoseFolderTakesNoTemporaryFile) {
  // A writable file in a folder where no file can be created: the atomic
  // write's temporary file would fail after the run.
  const std::filesystem::path path = "/proc/self/comm";

  const auto checked = check_output_file(path);

  ASSERT_FALSE(checked.has_value());
  EXPECT_NE(checked.error().message().find("temporary file"),
            std::string::npos);
}

TEST(FsTest, ErrnoMapsToOneErrcEach) {
  struct Case {
    int err;
    Errc code;
  };
  for (const Case& c : {
           Case{EACCES, Errc::kPermissionDenied},
           Case{EPERM, Errc::kPermissionDenied},
           Case{ENOENT, Errc::kNotFound},
           Case{ENOTDIR, Errc::kNotFound},
           Case{ESRCH, Errc::kNotFound},
           Case{ENODEV, Errc::kUnavailable},
           Case{ENXIO, Errc::kUnavailable},
           Case{EOPNOTSUPP, Errc::kUnavailable},
           Case{EIO, Errc::kIo},
           Case{ENOSPC, Errc::kIo},
           Case{EBADF, Errc::kIo},
           Case{0, Errc::kIo},
       }) {
    EXPECT_EQ(errc_from_errno(c.err), c.code)
        << "errno " << c.err << " (" << std::strerror(c.err) << ")";
  }
}

TEST(FsTest, ReadingADirectoryIsAnIoErrorNamingThePath) {
  // open(2) succeeds on a directory and pread(2) fails with EISDIR.
  testing::TempDir dir;
  char buf[16];

  const auto r = read_file_prefix(dir.path().c_str(), buf);

  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kIo);
  EXPECT_NE(r.error().message().find(dir.path().string()), std::string::npos)
      << r.error().message();
}

}  // namespace
}  // namespace mlcarbon
