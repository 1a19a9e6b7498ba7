// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/error.h"

#include <cstdio>
#include <cstdlib>

namespace mlcarbon {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kPermissionDenied:
      return "permission denied";
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kNotFound:
      return "not found";
    case Errc::kIo:
      return "I/O error";
    case Errc::kParse:
      return "parse error";
    case Errc::kBackend:
      return "backend error";
    case Errc::kCancelled:
      return "cancelled";
  }
  return "unknown error";
}

std::string Error::to_string() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  return out;
}

void check_failed(const char* file, int line, const char* cond,
                  std::string_view message) {
  std::fprintf(stderr,
               "mlcarbon: internal error at %s:%d: check '%s' failed%s%.*s\n",
               file, line, cond, message.empty() ? "" : ": ",
               static_cast<int>(message.size()), message.data());
  std::abort();
}

}  // namespace mlcarbon
