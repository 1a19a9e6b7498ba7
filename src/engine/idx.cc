// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/engine/idx.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <system_error>

#include <zlib.h>

#include "mlcarbon/core/fs.h"

namespace mlcarbon::engine {

namespace {

/// Far above Fashion-MNIST's 47 MB of images: a bound on what a corrupt or
/// hostile .gz may inflate to.
constexpr std::size_t kMaxInflated = std::size_t{1} << 31;

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> gunzip(std::string_view bytes, std::string_view origin) {
  z_stream stream{};
  // 16 + MAX_WBITS: a gzip header, not a raw zlib stream.
  if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
    return make_error(Errc::kBackend, "{}: cannot start zlib", origin);
  std::string out;
  std::string chunk(std::size_t{1} << 16, '\0');
  // zlib's API takes a mutable pointer but does not write through next_in.
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    rc = inflate(&stream, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = stream.msg != nullptr ? stream.msg : "";
      inflateEnd(&stream);
      if (rc == Z_BUF_ERROR || why.empty())
        why = "the compressed data ends early";
      return make_error(Errc::kParse, "{}: corrupt gzip data: {}", origin, why);
    }
    out.append(chunk.data(), chunk.size() - stream.avail_out);
    if (out.size() > kMaxInflated) {
      inflateEnd(&stream);
      return make_error(Errc::kParse,
                        "{}: inflates to more than {} bytes; not an IDX file",
                        origin, kMaxInflated);
    }
  }
  inflateEnd(&stream);
  return out;
}

std::string dims_text(const std::vector<std::int64_t>& dims) {
  return fmt::format("[{}]", fmt::join(dims, ", "));
}

}  // namespace

Result<IdxArray> parse_idx(std::string_view bytes, std::string_view origin) {
  if (is_gzip(bytes)) {
    MLCARBON_ASSIGN_OR_RETURN(std::string inflated, gunzip(bytes, origin));
    if (is_gzip(inflated))
      return make_error(Errc::kParse, "{}: gzip inside gzip; not an IDX file",
                        origin);
    return parse_idx(inflated, origin);
  }
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint8_t>(bytes[i]);
  };
  if (bytes.size() < 4)
    return make_error(Errc::kParse,
                      "{}: {} bytes, shorter than an IDX header (4 bytes of "
                      "magic number)",
                      origin, bytes.size());
  if (byte(0) != 0 || byte(1) != 0)
    return make_error(Errc::kParse,
                      "{}: bad magic number 0x{:02x}{:02x}{:02x}{:02x}: an "
                      "IDX file starts with two zero bytes",
                      origin, byte(0), byte(1), byte(2), byte(3));
  if (byte(2) != 0x08)
    return make_error(Errc::kParse,
                      "{}: IDX data type 0x{:02x} is not supported; only "
                      "0x08 (unsigned byte), which MNIST uses",
                      origin, byte(2));
  std::size_t rank = byte(3);
  if (rank == 0)
    return make_error(Errc::kParse, "{}: IDX file with no dimensions", origin);
  std::size_t header = 4 + 4 * rank;
  if (bytes.size() < header)
    return make_error(Errc::kParse,
                      "{}: truncated header: {} dimensions need {} bytes, "
                      "the file has {}",
                      origin, rank, header, bytes.size());
  IdxArray out;
  std::uint64_t count = 1;
  for (std::size_t d = 0; d < rank; ++d) {
    std::size_t at = 4 + 4 * d;
    std::uint32_t dim =
        (std::uint32_t{byte(at)} << 24) | (std::uint32_t{byte(at + 1)} << 16) |
        (std::uint32_t{byte(at + 2)} << 8) | std::uint32_t{byte(at + 3)};
    out.dims.push_back(dim);
    // Checked so that dims like 2^32-1 x 2^32-1 x ... cannot wrap around.
    if (dim != 0 && count > std::numeric_limits<std::uint64_t>::max() / dim)
      return make_error(Errc::kParse, "{}: dimensions {} overflow", origin,
                        dims_text(out.dims));
    count *= dim;
  }
  std::size_t have = bytes.size() - header;
  if (count != have)
    return make_error(Errc::kParse,
                      "{}: dimensions {} need {} bytes of data, the file has "
                      "{}{}",
                      origin, dims_text(out.dims), count, have,
                      count > have ? " (truncated?)" : "");
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header),
                  bytes.end());
  return out;
}

Result<IdxArray> read_idx(std::string_view path) {
  // read_file's errors name the path already.
  MLCARBON_ASSIGN_OR_RETURN(std::string bytes,
                            read_file(std::filesystem::path(path)));
  return parse_idx(bytes, path);
}

Result<MnistFiles> find_mnist_files(const std::string& dir) {
  auto find = [&](std::string_view stem) -> Result<std::string> {
    for (std::string_view suffix : {"", ".gz"}) {
      std::filesystem::path p =
          std::filesystem::path(dir) / fmt::format("{}{}", stem, suffix);
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec))
        return p.string();
    }
    return tl::unexpected(
        Error(Errc::kNotFound,
              fmt::format("{}: no {} (nor {}.gz): not an MNIST-format folder",
                          dir, stem, stem))
            .with_remedy(dir == kFashionMnistDir
                             ? "apt-get install dataset-fashion-mnist"
                             : "give a folder with the four MNIST files "
                               "(train-images-idx3-ubyte, "
                               "train-labels-idx1-ubyte, "
                               "t10k-images-idx3-ubyte, "
                               "t10k-labels-idx1-ubyte)"));
  };
  MnistFiles files;
  MLCARBON_ASSIGN_OR_RETURN(files.train_images,
                            find("train-images-idx3-ubyte"));
  MLCARBON_ASSIGN_OR_RETURN(files.train_labels,
                            find("train-labels-idx1-ubyte"));
  MLCARBON_ASSIGN_OR_RETURN(files.test_images, find("t10k-images-idx3-ubyte"));
  MLCARBON_ASSIGN_OR_RETURN(files.test_labels, find("t10k-labels-idx1-ubyte"));
  return files;
}

}  // namespace mlcarbon::engine
