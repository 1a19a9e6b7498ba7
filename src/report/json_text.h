// SPDX-License-Identifier: Apache-2.0
// The one way report writers turn JSON into text.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace mlcarbon::report {

/// Indented JSON (or compact, for storage) and a newline. Bytes that are
/// not UTF-8 (a command argument, a tag, a file name) become U+FFFD instead
/// of making nlohmann-json throw.
template <typename Json>
std::string dump_json(const Json& doc, bool indented = true) {
  return doc.dump(indented ? 2 : -1, ' ', false,
                  Json::error_handler_t::replace) +
         "\n";
}

}  // namespace mlcarbon::report
