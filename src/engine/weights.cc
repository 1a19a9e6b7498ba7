// SPDX-License-Identifier: Apache-2.0
// Weights as plain values and their file format (docs/engine.md, "Weights
// files"). No LibTorch: the plugin converts to and from its tensors.
#include "mlcarbon/engine/weights.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlcarbon/core/fs.h"

namespace mlcarbon::engine {

namespace {

constexpr std::string_view kMagic = "mlcarbon-weights-v1\n";
// Bounds on what a file may claim, so that a corrupt count cannot make the
// reader allocate without limit.
constexpr std::uint64_t kMaxName = 4096;
constexpr std::uint64_t kMaxRank = 8;

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_text(std::string& out, std::string_view text) {
  put_u64(out, text.size());
  out.append(text);
}

/// Reads the format's fields in order, bounds-checked; errors say where.
class Reader {
 public:
  Reader(std::string_view bytes, std::string_view origin)
      : bytes_(bytes), origin_(origin) {}

  Result<std::uint64_t> u64(std::string_view what) {
    MLCARBON_RETURN_IF_ERROR(need(8, what));
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(
               bytes_[at_ + static_cast<std::size_t>(i)])}
           << (8 * i);
    at_ += 8;
    return v;
  }

  Result<std::string> text(std::string_view what) {
    MLCARBON_ASSIGN_OR_RETURN(std::uint64_t n, u64(what));
    if (n > kMaxName)
      return make_error(Errc::kParse, "{}: {} of {} bytes is over the limit {}",
                        origin_, what, n, kMaxName);
    MLCARBON_RETURN_IF_ERROR(need(n, what));
    std::string out(bytes_.substr(at_, n));
    at_ += n;
    return out;
  }

  Status floats(std::vector<float>& out, std::uint64_t n,
                std::string_view what) {
    if (n > (bytes_.size() - at_) / 4)
      return make_error(Errc::kParse,
                        "{}: {} needs {} float32 values, the file has {} bytes "
                        "left (truncated?)",
                        origin_, what, n, bytes_.size() - at_);
    out.resize(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint32_t bits = 0;
      for (int b = 0; b < 4; ++b)
        bits |= std::uint32_t{static_cast<unsigned char>(
                    bytes_[at_ + 4 * i + static_cast<std::size_t>(b)])}
                << (8 * b);
      out[i] = std::bit_cast<float>(bits);
    }
    at_ += 4 * n;
    return {};
  }

  Status magic() {
    if (bytes_.substr(0, kMagic.size()) != kMagic)
      return make_error(Errc::kParse,
                        "{}: not an mlcarbon weights file (it does not start "
                        "with '{}')",
                        origin_, kMagic.substr(0, kMagic.size() - 1));
    at_ = kMagic.size();
    return {};
  }

  [[nodiscard]] std::size_t left() const { return bytes_.size() - at_; }

 private:
  Status need(std::uint64_t n, std::string_view what) {
    if (n > bytes_.size() - at_)
      return make_error(Errc::kParse,
                        "{}: {} needs {} bytes at offset {}, the file has {} "
                        "(truncated?)",
                        origin_, what, n, at_, bytes_.size());
    return {};
  }

  std::string_view bytes_;
  std::string_view origin_;
  std::size_t at_ = 0;
};

}  // namespace

std::int64_t Tensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

const Tensor* Weights::find(std::string_view name) const {
  for (const Tensor& t : tensors)
    if (t.name == name)
      return &t;
  return nullptr;
}

Tensor* Weights::find(std::string_view name) {
  return const_cast<Tensor*>(std::as_const(*this).find(name));
}

std::int64_t layer_of(std::string_view tensor_name) {
  const std::size_t dot = tensor_name.find('.');
  if (dot == 0 || dot == std::string_view::npos)
    return -1;
  std::int64_t index = -1;
  const char* end = tensor_name.data() + dot;
  auto [ptr, ec] = std::from_chars(tensor_name.data(), end, index);
  if (ec != std::errc() || ptr != end)
    return -1;
  return index;
}

std::string serialize_weights(const Weights& weights) {
  std::string out(kMagic);
  put_text(out, weights.model);
  put_text(out, weights.fingerprint);
  put_u64(out, weights.tensors.size());
  for (const Tensor& t : weights.tensors) {
    put_text(out, t.name);
    put_u64(out, t.shape.size());
    for (auto d : t.shape)
      put_u64(out, static_cast<std::uint64_t>(d));
    put_u64(out, t.values.size());
    for (float v : t.values) {
      const auto bits = std::bit_cast<std::uint32_t>(v);
      for (int b = 0; b < 4; ++b)
        out.push_back(static_cast<char>((bits >> (8 * b)) & 0xff));
    }
  }
  return out;
}

Result<Weights> parse_weights(std::string_view bytes, std::string_view origin) {
  Reader in(bytes, origin);
  MLCARBON_RETURN_IF_ERROR(in.magic());
  Weights w;
  MLCARBON_ASSIGN_OR_RETURN(w.model, in.text("the model's name"));
  MLCARBON_ASSIGN_OR_RETURN(w.fingerprint, in.text("the model's fingerprint"));
  MLCARBON_ASSIGN_OR_RETURN(std::uint64_t count, in.u64("the tensor count"));
  // Each tensor takes at least its three counts.
  if (count > in.left() / 24)
    return make_error(Errc::kParse,
                      "{}: {} tensors cannot fit in the {} bytes left", origin,
                      count, in.left());
  for (std::uint64_t i = 0; i < count; ++i) {
    Tensor t;
    MLCARBON_ASSIGN_OR_RETURN(t.name,
                              in.text(fmt::format("tensor {}'s name", i)));
    const std::string what = fmt::format("tensor '{}'", t.name);
    MLCARBON_ASSIGN_OR_RETURN(std::uint64_t rank, in.u64(what + "'s rank"));
    if (rank > kMaxRank)
      return make_error(Errc::kParse, "{}: {} has rank {}, over the limit {}",
                        origin, what, rank, kMaxRank);
    std::uint64_t expected = 1;
    for (std::uint64_t d = 0; d < rank; ++d) {
      MLCARBON_ASSIGN_OR_RETURN(std::uint64_t dim, in.u64(what + "'s shape"));
      if (dim > static_cast<std::uint64_t>(
                    std::numeric_limits<std::int64_t>::max()) ||
          (dim != 0 && expected > (std::uint64_t{1} << 53) / dim))
        return make_error(Errc::kParse, "{}: {} has a dimension {} too large",
                          origin, what, dim);
      t.shape.push_back(static_cast<std::int64_t>(dim));
      expected *= dim;
    }
    MLCARBON_ASSIGN_OR_RETURN(std::uint64_t n, in.u64(what + "'s size"));
    if (n != expected)
      return make_error(Errc::kParse,
                        "{}: {} has shape [{}] ({} values) but {} values",
                        origin, what, fmt::join(t.shape, ", "), expected, n);
    MLCARBON_RETURN_IF_ERROR(in.floats(t.values, n, what));
    w.tensors.push_back(std::move(t));
  }
  if (in.left() != 0)
    return make_error(Errc::kParse, "{}: {} bytes after the last tensor",
                      origin, in.left());
  return w;
}

Status save_weights(const Weights& weights, const std::filesystem::path& path) {
  return write_file_atomic(path, serialize_weights(weights));
}

Result<Weights> read_weights(const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_weights(bytes, path.string());
}

}  // namespace mlcarbon::engine
