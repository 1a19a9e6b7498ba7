// SPDX-License-Identifier: Apache-2.0
// Layer types, shape inference and the per-layer counts of docs/model-files.md.
#include "mlcarbon/models/model.h"

#include <array>
#include <cstdio>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mlcarbon::models {
namespace {

constexpr std::array<std::pair<LayerType, std::string_view>, 19> kTypeNames = {{
    {LayerType::kDense, "dense"},
    {LayerType::kConv1d, "conv1d"},
    {LayerType::kConv2d, "conv2d"},
    {LayerType::kMaxPool1d, "maxpool1d"},
    {LayerType::kMaxPool2d, "maxpool2d"},
    {LayerType::kAvgPool1d, "avgpool1d"},
    {LayerType::kAvgPool2d, "avgpool2d"},
    {LayerType::kFlatten, "flatten"},
    {LayerType::kRelu, "relu"},
    {LayerType::kTanh, "tanh"},
    {LayerType::kSigmoid, "sigmoid"},
    {LayerType::kGelu, "gelu"},
    {LayerType::kSoftmax, "softmax"},
    {LayerType::kDropout, "dropout"},
    {LayerType::kBatchNorm, "batchnorm"},
    {LayerType::kLayerNorm, "layernorm"},
    {LayerType::kEmbedding, "embedding"},
    {LayerType::kTransformerEncoder, "transformer_encoder"},
    {LayerType::kOther, "other"},
}};

constexpr double kFloatBytes = 4.0;

// A count that remembers whether it ever left [0, kMaxCount], so a formula
// is written once and checked once.
struct Count {
  std::int64_t v = 0;
  bool ok = true;

  Count(std::int64_t value) : v(value), ok(value >= 0 && value <= kMaxCount) {}
  Count(std::int64_t value, bool fine) : v(value), ok(fine) {}

  friend Count operator*(Count a, Count b) {
    std::int64_t r = 0;
    const bool overflow = __builtin_mul_overflow(a.v, b.v, &r);
    return {r, a.ok && b.ok && !overflow && r <= kMaxCount};
  }
  friend Count operator+(Count a, Count b) {
    std::int64_t r = 0;
    const bool overflow = __builtin_add_overflow(a.v, b.v, &r);
    return {r, a.ok && b.ok && !overflow && r <= kMaxCount};
  }
  [[nodiscard]] double d() const { return static_cast<double>(v); }
};

Count elements(const Shape& shape) {
  Count n = 1;
  for (auto d : shape)
    n = n * d;
  return n;
}

// The building blocks of the formulas (docs/model-files.md, "FLOPs"): a
// multiply-add is two FLOPs, an elementwise operation one per element.
Count linear_params(Count in, Count out, bool bias) {
  return in * out + (bias ? out : Count(0));
}
Count linear_flops(Count rows, Count in, Count out, bool bias) {
  return rows * (Count(2) * in * out + (bias ? out : Count(0)));
}
Count layernorm_flops(Count n) {
  return Count(5) * n;
}
Count softmax_flops(Count n) {
  return Count(3) * n;
}

class Inference {
 public:
  Inference(const Model& model, const Layer& layer, const Shape& in)
      : model_(model), layer_(layer), in_(in) {}

  Result<LayerStats> run();

 private:
  using Fail = tl::unexpected<Error>;

  // "origin:line:col: layer 'name' (type): what".
  [[nodiscard]] Fail fail(std::string_view what) const {
    const std::string where =
        layer_.pos.line > 0 ? fmt::format("{}:{}:{}", model_.origin,
                                          layer_.pos.line, layer_.pos.column)
                            : model_.origin;
    return Fail(Error(Errc::kInvalidArgument,
                      fmt::format("{}: layer '{}' ({}): {}", where, layer_.name,
                                  to_string(layer_.type), what)));
  }
  // The input does not have the shape `expected` describes.
  [[nodiscard]] Fail wrong_input(std::string_view expected,
                                 std::string_view hint = "") const {
    return fail(fmt::format("takes {}, got input {}{}", expected,
                            to_string(in_), hint));
  }

  Status check_positive(std::int64_t value, std::string_view field) const;
  Status check_sizes(const std::vector<std::int64_t>& values,
                     std::string_view field, std::size_t dims,
                     std::int64_t min) const;
  Result<LayerStats> dense();
  Result<LayerStats> conv(std::size_t dims);
  Result<LayerStats> pool(std::size_t dims);
  Result<Shape> window(std::size_t dims, std::int64_t channels);
  Result<LayerStats> transformer();
  Result<LayerStats> finish(Shape out, Count params, Count flops) const;

  const Model& model_;
  const Layer& layer_;
  const Shape& in_;
};

Status Inference::check_positive(std::int64_t value,
                                 std::string_view field) const {
  if (value < 1 || value > kMaxCount)
    return fail(
        fmt::format("{} must be a whole number from 1 to 2^53, "
                    "got {}",
                    field, value));
  return {};
}

Status Inference::check_sizes(const std::vector<std::int64_t>& values,
                              std::string_view field, std::size_t dims,
                              std::int64_t min) const {
  if (values.size() != dims)
    return fail(fmt::format("{} needs {} value{}, got {}", field, dims,
                            dims == 1 ? "" : "s", values.size()));
  for (auto v : values) {
    if (v < min || v > kMaxCount)
      return fail(fmt::format("{} must be {} whole numbers, got {}", field,
                              min == 0 ? "non-negative" : "positive",
                              to_string(values)));
  }
  return {};
}

Result<LayerStats> Inference::finish(Shape out, Count params,
                                     Count flops) const {
  const Count n = elements(out);
  if (!params.ok || !flops.ok || !n.ok)
    return fail(
        fmt::format("input {} gives output {}: more than 2^53 "
                    "parameters, elements or FLOPs",
                    to_string(in_), to_string(out)));
  LayerStats s;
  s.input = in_;
  s.output = std::move(out);
  s.params = params.v;
  s.forward_flops = flops.d();
  s.weight_bytes = params.d() * kFloatBytes;
  s.activation_bytes = n.d() * kFloatBytes;
  return s;
}

Result<LayerStats> Inference::dense() {
  MLCARBON_RETURN_IF_ERROR(check_positive(layer_.units, "units"));
  // As torch.nn.Linear: over the last dimension, each row alike.
  if (in_.size() > 2)
    return wrong_input("[features] or [rows, features]",
                       "; add a flatten before it");
  Shape out = in_;
  out.back() = layer_.units;
  const Count rows = in_.size() == 2 ? in_[0] : 1;
  return finish(std::move(out),
                linear_params(in_.back(), layer_.units, layer_.bias),
                linear_flops(rows, in_.back(), layer_.units, layer_.bias));
}

// The output of a sliding window over in_'s spatial dimensions (as torch's
// conv and pooling: floor((size + 2 padding - kernel) / stride) + 1).
Result<Shape> Inference::window(std::size_t dims, std::int64_t channels) {
  MLCARBON_RETURN_IF_ERROR(check_sizes(layer_.kernel, "kernel", dims, 1));
  MLCARBON_RETURN_IF_ERROR(check_sizes(layer_.stride, "stride", dims, 1));
  MLCARBON_RETURN_IF_ERROR(check_sizes(layer_.padding, "padding", dims, 0));
  const std::string_view expected =
      dims == 1 ? "[channels, length]" : "[channels, height, width]";
  if (in_.size() != dims + 1)
    return wrong_input(expected);
  Shape out{channels};
  for (std::size_t i = 0; i < dims; ++i) {
    const Count padded = Count(in_[i + 1]) + Count(2) * layer_.padding[i];
    if (!padded.ok)
      return fail(fmt::format("input {} with padding {} is larger than 2^53",
                              to_string(in_), to_string(layer_.padding)));
    if (padded.v < layer_.kernel[i]) {
      return fail(fmt::format(
          "kernel {} is larger than input {} with padding {}; the output "
          "would be empty",
          to_string(layer_.kernel), to_string(in_), to_string(layer_.padding)));
    }
    out.push_back((padded.v - layer_.kernel[i]) / layer_.stride[i] + 1);
  }
  return out;
}

Result<LayerStats> Inference::conv(std::size_t dims) {
  MLCARBON_RETURN_IF_ERROR(check_positive(layer_.units, "filters"));
  MLCARBON_RETURN_IF_ERROR(check_positive(layer_.groups, "groups"));
  MLCARBON_ASSIGN_OR_RETURN(Shape out, window(dims, layer_.units));
  if (in_[0] % layer_.groups != 0 || layer_.units % layer_.groups != 0)
    return fail(fmt::format(
        "groups {} must divide both the input channels ({}) and the "
        "filters ({})",
        layer_.groups, in_[0], layer_.units));
  // Each filter sees its group's channels only.
  const Count taps = Count(in_[0] / layer_.groups) * elements(layer_.kernel);
  const Count n = elements(out);
  return finish(std::move(out), linear_params(taps, layer_.units, layer_.bias),
                linear_flops(n, taps, 1, layer_.bias));
}

Result<LayerStats> Inference::pool(std::size_t dims) {
  MLCARBON_ASSIGN_OR_RETURN(Shape out, window(dims, in_[0]));
  for (std::size_t i = 0; i < dims; ++i) {
    // torch refuses more padding than that.
    if (layer_.padding[i] > layer_.kernel[i] / 2)
      return fail(fmt::format("padding {} is more than half of kernel {}",
                              to_string(layer_.padding),
                              to_string(layer_.kernel)));
  }
  // A comparison (max) or an addition (average) per tap.
  const Count flops = elements(out) * elements(layer_.kernel);
  return finish(std::move(out), 0, flops);
}

Result<LayerStats> Inference::transformer() {
  MLCARBON_RETURN_IF_ERROR(check_positive(layer_.heads, "heads"));
  MLCARBON_RETURN_IF_ERROR(check_positive(layer_.mlp_dim, "mlp_dim"));
  if (in_.size() != 2)
    return wrong_input("[sequence, dim]");
  const std::int64_t dim = in_[1];
  if (dim % layer_.heads != 0)
    return fail(fmt::format("{} heads do not divide dim {} of input {}",
                            layer_.heads, dim, to_string(in_)));
  const Count s = in_[0];
  const Count d = dim;
  const Count m = layer_.mlp_dim;
  const Count sd = s * d;
  const Count params = linear_params(d, Count(3) * d, true) +
                       linear_params(d, d, true) + linear_params(d, m, true) +
                       linear_params(m, d, true) + Count(4) * d;
  const Count attention = linear_flops(s, d, Count(3) * d, true)  // q, k, v
                          + sd                                    // q scaled
                          + Count(2) * s * s * d                  // q k^T
                          + softmax_flops(Count(layer_.heads) * s * s) +
                          Count(2) * s * s * d  // weights times v
                          + linear_flops(s, d, d, true);
  const Count mlp = linear_flops(s, d, m, true) + s * m  // relu
                    + linear_flops(s, m, d, true);
  const Count norms = Count(2) * (sd + layernorm_flops(sd));  // add & norm
  return finish(in_, params, attention + mlp + norms);
}

Result<LayerStats> Inference::run() {
  const Count n = elements(in_);
  switch (layer_.type) {
    case LayerType::kDense:
      return dense();
    case LayerType::kConv1d:
      return conv(1);
    case LayerType::kConv2d:
      return conv(2);
    case LayerType::kMaxPool1d:
      return pool(1);
    case LayerType::kMaxPool2d:
      return pool(2);
    case LayerType::kAvgPool1d:
      return pool(1);
    case LayerType::kAvgPool2d:
      return pool(2);
    case LayerType::kFlatten:
      return finish(Shape{n.v}, 0, 0);
    case LayerType::kRelu:
    case LayerType::kTanh:
    case LayerType::kSigmoid:
    case LayerType::kGelu:
      return finish(in_, 0, n);
    case LayerType::kSoftmax:
      return finish(in_, 0, softmax_flops(n));
    case LayerType::kDropout:
      if (!(layer_.rate >= 0.0 && layer_.rate <= 1.0))
        return fail(
            fmt::format("rate must be from 0 to 1, got {}", layer_.rate));
      return finish(in_, 0, 0);  // the identity at inference
    case LayerType::kBatchNorm:
      // BatchNorm1d over [C] or [C, L], BatchNorm2d over [C, H, W]; the
      // running statistics fold into one scale and shift per element.
      if (in_.size() > 3)
        return wrong_input(
            "[channels], [channels, length] or "
            "[channels, height, width]");
      return finish(in_, Count(2) * in_[0], Count(2) * n);
    case LayerType::kLayerNorm:
      return finish(in_, Count(2) * in_.back(), layernorm_flops(n));
    case LayerType::kEmbedding: {
      MLCARBON_RETURN_IF_ERROR(check_positive(layer_.vocab, "vocab"));
      MLCARBON_RETURN_IF_ERROR(check_positive(layer_.units, "dim"));
      if (in_.size() != 1)
        return wrong_input("[sequence] of token ids");
      return finish(Shape{in_[0], layer_.units},
                    Count(layer_.vocab) * layer_.units, 0);
    }
    case LayerType::kTransformerEncoder:
      return transformer();
    case LayerType::kOther:
      break;
  }
  return fail(
      fmt::format("operator '{}' has no shape rule; only an ONNX "
                  "import gives its shapes",
                  layer_.op));
}

}  // namespace

std::string_view to_string(LayerType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type)
      return name;
  }
  return "other";
}

std::optional<LayerType> parse_layer_type(std::string_view name) {
  for (const auto& [t, n] : kTypeNames) {
    if (n == name)
      return t;
  }
  return std::nullopt;
}

const std::vector<std::string_view>& layer_type_names() {
  // "other" is what an import makes of an unknown operator, not a type to
  // write in a file.
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    for (const auto& [t, n] : kTypeNames) {
      if (t != LayerType::kOther)
        names.push_back(n);
    }
    return names;
  }();
  return kNames;
}

std::string to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

std::int64_t Model::parameters() const {
  std::int64_t total = 0;
  for (const auto& s : stats)
    total += s.params;
  return total;
}

double Model::forward_flops() const {
  double total = 0.0;
  for (const auto& s : stats)
    total += s.forward_flops;
  return total;
}

double Model::training_flops() const {
  return 3.0 * forward_flops();
}

double Model::activation_bytes(std::int64_t batch) const {
  double per_sample = elements(input).d() * kFloatBytes;
  for (const auto& s : stats)
    per_sample += s.activation_bytes;
  return per_sample * static_cast<double>(batch);
}

const Shape& Model::output() const {
  return stats.empty() ? input : stats.back().output;
}

Status infer_shapes(Model& model) {
  if (model.input.empty() || model.input.size() > kMaxRank) {
    return make_error(Errc::kInvalidArgument,
                      "{}: the input shape {} needs 1 to {} dimensions",
                      model.origin, to_string(model.input), kMaxRank);
  }
  for (auto d : model.input) {
    if (d < 1 || d > kMaxCount)
      return make_error(Errc::kInvalidArgument,
                        "{}: the input shape {} needs whole numbers from 1 "
                        "to 2^53",
                        model.origin, to_string(model.input));
  }
  if (!elements(model.input).ok) {
    return make_error(Errc::kInvalidArgument,
                      "{}: the input shape {} has more than 2^53 elements",
                      model.origin, to_string(model.input));
  }
  std::vector<LayerStats> stats;
  stats.reserve(model.layers.size());
  const Shape* in = &model.input;
  for (const auto& layer : model.layers) {
    MLCARBON_ASSIGN_OR_RETURN(LayerStats s, Inference(model, layer, *in).run());
    stats.push_back(std::move(s));
    in = &stats.back().output;
  }
  model.stats = std::move(stats);
  return {};
}

std::string fingerprint(const Model& model) {
  // A canonical text of what costs energy, then FNV-1a 64. Changing this
  // text orphans every saved calibration: keep it stable.
  std::string text =
      fmt::format("mlcarbon-model-v1 input={}", to_string(model.input));
  for (const auto& l : model.layers) {
    text += fmt::format(";{}", to_string(l.type));
    switch (l.type) {
      case LayerType::kDense:
        text += fmt::format(" units={} bias={}", l.units, l.bias);
        break;
      case LayerType::kConv1d:
      case LayerType::kConv2d:
        text += fmt::format(" filters={} bias={}", l.units, l.bias);
        // Only when grouped: ungrouped fingerprints stay as they were.
        if (l.groups != 1)
          text += fmt::format(" groups={}", l.groups);
        [[fallthrough]];
      case LayerType::kMaxPool1d:
      case LayerType::kMaxPool2d:
      case LayerType::kAvgPool1d:
      case LayerType::kAvgPool2d:
        text +=
            fmt::format(" kernel={} stride={} padding={}", to_string(l.kernel),
                        to_string(l.stride), to_string(l.padding));
        break;
      case LayerType::kEmbedding:
        text += fmt::format(" vocab={} dim={}", l.vocab, l.units);
        break;
      case LayerType::kTransformerEncoder:
        text += fmt::format(" heads={} mlp_dim={}", l.heads, l.mlp_dim);
        break;
      case LayerType::kOther:
        text += fmt::format(" op={}", l.op);
        break;
      default:
        break;
    }
  }
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace mlcarbon::models
