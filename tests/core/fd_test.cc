// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/fd.h"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(UniqueFdTest, ClosesOnScopeExit) {
  int raw = -1;
  {
    UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    raw = fd.get();
    EXPECT_TRUE(is_open(raw));
  }
  EXPECT_FALSE(is_open(raw));
}

TEST(UniqueFdTest, MoveTransfersOwnershipOnce) {
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = a.get();

  UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): tested
  EXPECT_EQ(b.get(), raw);

  UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_TRUE(is_open(raw));
  c.reset();
  EXPECT_FALSE(is_open(raw));
  EXPECT_FALSE(c.valid());
}

TEST(UniqueFdTest, ResetClosesTheOldDescriptor) {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = fd.get();
  const int second = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  fd.reset(second);

  EXPECT_FALSE(is_open(first));
  EXPECT_EQ(fd.get(), second);
}

TEST(UniqueFdTest, ReleaseKeepsItOpenAndCloseReportsErrors) {
  UniqueFd fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = fd.release();
  EXPECT_FALSE(fd.valid());
  EXPECT_TRUE(is_open(raw));

  UniqueFd again(raw);
  EXPECT_TRUE(again.close());
  EXPECT_FALSE(is_open(raw));
  EXPECT_TRUE(again.close()) << "nothing held is not an error";

  UniqueFd stale(raw);  // already closed: close(2) says EBADF
  errno = 0;
  EXPECT_FALSE(stale.close());
  EXPECT_EQ(errno, EBADF);
}

}  // namespace
}  // namespace mlcarbon
