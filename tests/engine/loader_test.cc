// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "mlcarbon/engine/engine.h"

#include "support/test_support.h"

namespace mlcarbon::engine {
namespace {

TEST(DeviceTest, ParsesAndPrintsDevices) {
  EXPECT_EQ(parse_device("cpu").value(), Device::kCpu);
  EXPECT_EQ(parse_device(" CUDA ").value(), Device::kCuda);
  EXPECT_EQ(to_string(Device::kCpu), "cpu");
  EXPECT_EQ(to_string(Device::kCuda), "cuda");

  auto bad = parse_device("tpu");

  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(bad.error().message(),
            "unknown device 'tpu': expected cpu or cuda");
}

TEST(LoaderTest, AMissingPluginIsUnavailableWithARemedy) {
  auto engine = load_engine({.path = "/nonexistent/libmlcarbon_engine.so"});

  ASSERT_FALSE(engine);
  EXPECT_EQ(engine.error().code(), Errc::kUnavailable);
  EXPECT_NE(engine.error().message().find(
                "/nonexistent/libmlcarbon_engine.so does not exist"),
            std::string::npos)
      << engine.error().message();
  EXPECT_EQ(engine.error().remedy(),
            "install libtorch-dev (scripts/install-deps.sh) and rebuild");
}

TEST(LoaderTest, AFileThatIsNotALibraryGivesDlopensReason) {
  testing::TempDir dir;
  auto path = dir.path() / "libmlcarbon_engine.so";
  std::ofstream(path) << "not an ELF file\n";

  auto engine = load_engine({.path = path.string()});

  ASSERT_FALSE(engine);
  EXPECT_EQ(engine.error().code(), Errc::kUnavailable);
  // dlerror's text: "...: invalid ELF header" or "file too short".
  EXPECT_NE(engine.error().message().find(path.string() + ": "),
            std::string::npos)
      << engine.error().message();
  EXPECT_TRUE(engine.error().message().find("ELF") != std::string::npos ||
              engine.error().message().find("too short") != std::string::npos)
      << engine.error().message();
}

TEST(LoaderTest, ALibraryWithoutTheEntryPointIsRefused) {
  // libz is loaded by this binary already; it has no mlcarbon_engine_create.
  const char* libz = "/lib/x86_64-linux-gnu/libz.so.1";
  if (!std::filesystem::exists(libz))
    GTEST_SKIP() << libz << " is absent";

  auto engine = load_engine({.path = libz});

  ASSERT_FALSE(engine);
  EXPECT_NE(engine.error().message().find("not an mlcarbon engine"),
            std::string::npos)
      << engine.error().message();
}

}  // namespace
}  // namespace mlcarbon::engine
