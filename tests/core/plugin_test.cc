// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/plugin.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlcarbon {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(Plugin, BuildTreePluginFirstWhenTheProgramRunsFromTheBuildTree) {
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const std::string build = exe.parent_path().string();
  auto paths = plugin_candidates("libx.so", build, "/build/lib/libx.so");
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[0], fs::path("/build/lib/libx.so"));
  EXPECT_EQ(paths[1],
            (exe.parent_path().parent_path() / "lib" / "mlcarbon" / "libx.so")
                .lexically_normal());
}

TEST(Plugin, OnlyTheInstallPathForAProgramOutsideTheBuildTree) {
  auto paths =
      plugin_candidates("libx.so", "/no/such/build", "/no/such/build/libx.so");
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].filename(), "libx.so");
  EXPECT_EQ(paths[0].parent_path().filename(), "mlcarbon");
}

TEST(Plugin, MissingPluginNamesWhatAndWhere) {
  auto handle = open_plugin("the widget", {"/no/a.so", "/no/b.so"});
  ASSERT_FALSE(handle.has_value());
  EXPECT_EQ(handle.error().code(), Errc::kUnavailable);
  EXPECT_EQ(handle.error().message(),
            "the widget not found (looked for /no/a.so, /no/b.so)");
}

TEST(Plugin, AFileThatIsNoLibraryIsAnError) {
  const fs::path path = fs::temp_directory_path() / "mlcarbon_not_a_lib.so";
  std::ofstream(path) << "not an ELF file\n";
  auto handle = open_plugin("the widget", {path});
  fs::remove(path);
  ASSERT_FALSE(handle.has_value());
  EXPECT_EQ(handle.error().code(), Errc::kUnavailable);
  EXPECT_THAT(handle.error().message(),
              HasSubstr("cannot load the widget " + path.string()));
}

TEST(Plugin, LoadsALibrary) {
  const fs::path libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!fs::exists(libc))
    GTEST_SKIP() << "no " << libc << " here";
  auto handle = open_plugin("libc", {"/no/a.so", libc});
  ASSERT_TRUE(handle.has_value()) << handle.error().to_string();
  EXPECT_NE(*handle, nullptr);
}

TEST(Plugin, EntryPointIsLookedUpInThePlugin) {
  const fs::path libc = "/lib/x86_64-linux-gnu/libc.so.6";
  if (!fs::exists(libc))
    GTEST_SKIP() << "no " << libc << " here";

  auto found = open_plugin_entry("libc", {libc}, "getpid");
  auto missing = open_plugin_entry("libc", {libc}, "mlcarbon_no_such_entry");

  ASSERT_TRUE(found.has_value()) << found.error().to_string();
  EXPECT_NE(*found, nullptr);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), Errc::kUnavailable);
  EXPECT_EQ(missing.error().message(), "libc has no mlcarbon_no_such_entry");
}

}  // namespace
}  // namespace mlcarbon
