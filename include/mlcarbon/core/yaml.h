// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "mlcarbon/core/error.h"

/// Bounded YAML reading shared by every file format of mlcarbon (scenarios,
/// model files): a size limit, UTF-8 only, one document, a nesting limit,
/// and yaml-cpp's exceptions turned into "origin:line:col: ..." errors.
namespace mlcarbon {

/// What a YAML file may hold. yaml-cpp keeps about 70 bytes of nodes per
/// byte of text, so `max_bytes` bounds memory too.
struct YamlLimits {
  std::string_view noun;  ///< "scenario", "model": what one file holds
  std::size_t max_bytes = 0;
  int max_nesting = 32;  ///< the deepest nesting of mappings and lists
};

/// Errc::kParse when a file of `bytes` is larger than limits.max_bytes:
/// callers check a file's size before reading it.
[[nodiscard]] Status check_yaml_size(std::uint64_t bytes,
                                     std::string_view origin,
                                     const YamlLimits& limits);

/// Parses one YAML document within `limits`. A leading UTF-8 byte-order
/// mark is skipped (UTF-16 and UTF-32 with a mark are decoded); other text
/// that is not UTF-8, a second document, nesting beyond the limit and
/// malformed YAML are Errc::kParse reading "origin:line:col: what"
/// (1-based). Never throws.
[[nodiscard]] Result<YAML::Node> load_yaml(std::string_view text,
                                           std::string_view origin,
                                           const YamlLimits& limits);

/// The error for an exception thrown while reading a document of `origin`
/// with yaml-cpp (a node read as the wrong type, a bad escape): callers
/// catch std::exception around their reading and return this.
[[nodiscard]] Error yaml_error(const std::exception& e, std::string_view origin,
                               const YamlLimits& limits);

/// "a mapping", "a list", "nothing" or "a scalar", for "expected X, got Y".
[[nodiscard]] std::string_view yaml_kind(const YAML::Node& node);

/// "origin:line:col: " for a node's mark, 1-based; "origin:1:1: " when
/// yaml-cpp knows no position.
[[nodiscard]] std::string yaml_where(std::string_view origin,
                                     const YAML::Mark& mark);

}  // namespace mlcarbon
