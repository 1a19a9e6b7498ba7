// SPDX-License-Identifier: Apache-2.0
// What model files and shorthands share: layer defaults, number parsing,
// "did you mean" and name checks, so both read alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mlcarbon/core/error.h"
#include "mlcarbon/models/model.h"

namespace mlcarbon::models {

/// 1 for conv1d and the 1d pools, 2 for conv2d and the 2d pools.
[[nodiscard]] std::size_t spatial_dims(LayerType type);

/// A layer of `type` at `index` (0-based) of its list, with its defaults:
/// the name "<type>_<index + 1>", dropout's rate 0.5 and the transformer
/// block's 0.1 (torch's defaults).
[[nodiscard]] Layer new_layer(LayerType type, std::size_t index);

/// Fills what defaults to other fields once a layer's keys are read: stride
/// 1 (conv) or the kernel (pooling), padding 0.
void complete_layer(Layer& layer);

/// Errc::kInvalidArgument at the second layer that has a name already used.
[[nodiscard]] Status check_names(const Model& model);

/// A whole number written for `key`; the error reads "key: expected a whole
/// number, got 'text'".
[[nodiscard]] Result<std::int64_t> parse_whole(std::string_view text,
                                               std::string_view key);

/// "; did you mean 'x'? (label: a, b, c)" for an unknown `word`, or
/// " (label: a, b, c)" when nothing is close.
[[nodiscard]] std::string unknown_word_hint(
    std::string_view word, std::span<const std::string_view> candidates,
    std::string_view label);

/// Errc::kParse when a model file of `bytes` is larger than kMaxModelBytes.
[[nodiscard]] Status check_model_size(std::uint64_t bytes,
                                      std::string_view origin);

}  // namespace mlcarbon::models
