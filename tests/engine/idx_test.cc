// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/engine/idx.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <zlib.h>

#include <gtest/gtest.h>

#include "idx_files.h"
#include "support/test_support.h"

namespace mlcarbon::engine {
namespace {

using mlcarbon::testing::idx_bytes;
using mlcarbon::testing::write_bytes;

std::string gzip(const std::string& bytes) {
  z_stream s{};
  EXPECT_EQ(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS,
                         8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&s, bytes.size()) + 32, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::vector<std::uint8_t> iota_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i)
    v[i] = static_cast<std::uint8_t>(i * 7);
  return v;
}

TEST(IdxTest, ReadsImagesWrittenByTheTest) {
  testing::TempDir dir;
  auto data = iota_bytes(2 * 3 * 4);
  write_bytes(dir.path() / "images.idx", idx_bytes(0x08, {2, 3, 4}, data));

  auto idx = read_idx((dir.path() / "images.idx").string());

  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_EQ(idx->dims, (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(idx->data, data);
}

TEST(IdxTest, ReadsGzipCompressedFiles) {
  testing::TempDir dir;
  auto data = iota_bytes(10);
  write_bytes(dir.path() / "labels.gz", gzip(idx_bytes(0x08, {10}, data)));

  auto idx = read_idx((dir.path() / "labels.gz").string());

  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_EQ(idx->dims, (std::vector<std::int64_t>{10}));
  EXPECT_EQ(idx->data, data);
}

TEST(IdxTest, RejectsBadMagicNamingTheFile) {
  auto idx = parse_idx(std::string("\x01\x00\x08\x01\x00\x00\x00\x00", 8),
                       "weird.idx");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code(), Errc::kParse);
  EXPECT_NE(idx.error().message().find("weird.idx: bad magic number"),
            std::string::npos)
      << idx.error().message();
}

TEST(IdxTest, RejectsTypesOtherThanUnsignedByte) {
  // 0x0D is float32, which MNIST-style sets do not use.
  auto idx = parse_idx(idx_bytes(0x0D, {1}, {0, 0, 0, 0}), "floats.idx");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code(), Errc::kParse);
  EXPECT_NE(idx.error().message().find("type 0x0d is not supported"),
            std::string::npos)
      << idx.error().message();
}

TEST(IdxTest, RejectsATruncatedHeader) {
  std::string bytes = idx_bytes(0x08, {2, 2}, {1, 2, 3, 4}).substr(0, 9);

  auto idx = parse_idx(bytes, "short.idx");

  ASSERT_FALSE(idx);
  EXPECT_NE(idx.error().message().find("truncated header"), std::string::npos)
      << idx.error().message();
}

TEST(IdxTest, RejectsTruncatedData) {
  std::string bytes = idx_bytes(0x08, {2, 2}, {1, 2, 3, 4});
  bytes.pop_back();

  auto idx = parse_idx(bytes, "cut.idx");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().message(),
            "cut.idx: dimensions [2, 2] need 4 bytes of data, the file has 3 "
            "(truncated?)");
}

TEST(IdxTest, RejectsDataLongerThanItsDimensions) {
  auto idx = parse_idx(idx_bytes(0x08, {3}, {1, 2, 3, 4, 5}), "long.idx");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().message(),
            "long.idx: dimensions [3] need 3 bytes of data, the file has 5");
}

TEST(IdxTest, RejectsDimensionsWhoseProductOverflows) {
  auto idx = parse_idx(
      idx_bytes(0x08, {0xffffffffU, 0xffffffffU, 0xffffffffU}, {}), "huge.idx");

  ASSERT_FALSE(idx);
  EXPECT_NE(idx.error().message().find("overflow"), std::string::npos)
      << idx.error().message();
}

TEST(IdxTest, RejectsCorruptGzip) {
  std::string bytes = gzip(idx_bytes(0x08, {64}, iota_bytes(64)));
  bytes.resize(bytes.size() / 2);

  auto idx = parse_idx(bytes, "cut.gz");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code(), Errc::kParse);
  EXPECT_NE(idx.error().message().find("cut.gz: corrupt gzip data"),
            std::string::npos)
      << idx.error().message();
}

TEST(IdxTest, AMissingFileIsNotFoundNamingIt) {
  auto idx = read_idx("/nonexistent/train-images-idx3-ubyte.gz");

  ASSERT_FALSE(idx);
  EXPECT_EQ(idx.error().code(), Errc::kNotFound);
  EXPECT_NE(idx.error().message().find("train-images-idx3-ubyte.gz"),
            std::string::npos);
}

TEST(IdxTest, ReadsDebiansFashionMnistLabels) {
  const char* path =
      "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " is absent (package dataset-fashion-mnist)";

  auto idx = read_idx(path);

  ASSERT_TRUE(idx) << idx.error().to_string();
  EXPECT_EQ(idx->dims, (std::vector<std::int64_t>{10000}));
  for (auto label : idx->data)
    ASSERT_LT(label, 10);
}

}  // namespace
}  // namespace mlcarbon::engine
