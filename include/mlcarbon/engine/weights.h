// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/error.h"

/// A model's weights as plain C++ values, so that they cross the plugin
/// boundary and can be changed (pruned) without LibTorch.
namespace mlcarbon::engine {

/// One parameter or buffer of a built model. `name` is torch's: the layer's
/// index in the model, a dot, the tensor's name ("0.weight", "2.bias",
/// "1.running_mean", "3.layer.self_attn.in_proj_weight"). Values are
/// float32 in row-major order; integer buffers (batchnorm's
/// num_batches_tracked) are stored as floats.
struct Tensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;

  /// The product of the shape; 1 for a scalar.
  [[nodiscard]] std::int64_t elements() const;
};

/// Every parameter and buffer of a model, in the module's order.
struct Weights {
  std::string model;        ///< the model's name, for messages
  std::string fingerprint;  ///< models::fingerprint of the model
  std::vector<Tensor> tensors;

  /// The tensor called `name`; null when there is none.
  [[nodiscard]] const Tensor* find(std::string_view name) const;
  [[nodiscard]] Tensor* find(std::string_view name);
};

/// The index of the layer a tensor belongs to: the number before the first
/// dot of its name; -1 when the name does not start with one.
[[nodiscard]] std::int64_t layer_of(std::string_view tensor_name);

/// The weights in the file format of docs/engine.md ("Weights files"):
/// little-endian, a magic line, the model's name and fingerprint, then each
/// tensor's name, shape and float32 values.
[[nodiscard]] std::string serialize_weights(const Weights& weights);
/// Parses serialize_weights()'s output; a bad magic, a truncated tensor or
/// values that do not match the shape are Errc::kParse naming `origin` and
/// the tensor.
[[nodiscard]] Result<Weights> parse_weights(std::string_view bytes,
                                            std::string_view origin);
/// Writes the weights to `path` atomically.
[[nodiscard]] Status save_weights(const Weights& weights,
                                  const std::filesystem::path& path);
/// Reads a weights file written by save_weights().
[[nodiscard]] Result<Weights> read_weights(const std::filesystem::path& path);

}  // namespace mlcarbon::engine
