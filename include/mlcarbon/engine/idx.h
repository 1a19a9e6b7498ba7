// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

namespace mlcarbon::engine {

/// An IDX file (the MNIST format): big-endian dimensions, then unsigned
/// bytes. Only type 0x08 (ubyte) is read, which MNIST and Fashion-MNIST use.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

/// Parses an IDX file's bytes; a bad magic, type, or a size that does not
/// match the dimensions is Errc::kParse naming `origin`. Also reads the
/// gzip-compressed files Debian ships (.gz).
[[nodiscard]] Result<IdxArray> parse_idx(std::string_view bytes,
                                         std::string_view origin);
[[nodiscard]] Result<IdxArray> read_idx(std::string_view path);

/// Where Debian's dataset-fashion-mnist puts its files.
inline constexpr std::string_view kFashionMnistDir =
    "/usr/share/datasets/fashion-mnist";

/// The four files of an MNIST-format folder.
struct MnistFiles {
  std::string train_images;
  std::string train_labels;
  std::string test_images;
  std::string test_labels;
};

/// Finds train-images-idx3-ubyte, train-labels-idx1-ubyte,
/// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte in `dir`, each plain
/// or with .gz (MNIST, Fashion-MNIST, KMNIST use these names). A missing
/// one is Errc::kNotFound naming the folder and the file, with the remedy.
[[nodiscard]] Result<MnistFiles> find_mnist_files(const std::string& dir);

}  // namespace mlcarbon::engine
