// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/error.h"

#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

Result<int> fails() {
  return make_error(Errc::kNotFound, "no such {}", "zone");
}
Result<int> passes() {
  return 7;
}

Result<int> add_one(bool fail) {
  MLCARBON_ASSIGN_OR_RETURN(const int v, fail ? fails() : passes());
  return v + 1;
}

TEST(ErrorTest, ContextChainReadsOutermostFirst) {
  const Error e = Error(Errc::kPermissionDenied, "permission denied")
                      .with_context("reading energy_uj")
                      .with_context("sampling rapl");

  EXPECT_EQ(e.to_string(),
            "sampling rapl: reading energy_uj: permission denied");
  EXPECT_EQ(e.code(), Errc::kPermissionDenied);
}

TEST(ErrorTest, RemedyIsKeptApart) {
  const Error e = Error(Errc::kUnavailable, "no GPU").with_remedy("install it");

  EXPECT_EQ(e.remedy(), "install it");
  EXPECT_EQ(e.to_string(), "no GPU");
}

TEST(ErrorTest, AssignOrReturnPropagates) {
  EXPECT_EQ(add_one(false).value(), 8);
  ASSERT_FALSE(add_one(true).has_value());
  EXPECT_EQ(add_one(true).error().message(), "no such zone");
}

TEST(ErrorTest, CheckAbortsWithLocation) {
  EXPECT_DEATH(MLCARBON_CHECK(1 == 2, "broken {}", 42),
               "check '1 == 2' failed: broken 42");
}

}  // namespace
}  // namespace mlcarbon
