// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fs.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
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

TEST(FsTest, WriteIntoMissingDirectoryFails) {
  const auto r = write_file_atomic("/nonexistent/dir/x", "x");

  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
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
