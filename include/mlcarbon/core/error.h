// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace mlcarbon {

/// The kind of an expected failure. Programming errors use MLCARBON_CHECK.
enum class Errc {
  kUnavailable,       // the thing is absent here (no RAPL, no GPU)
  kPermissionDenied,  // present, but this user may not read it
  kInvalidArgument,   // the caller's input is wrong
  kNotFound,          // a named file, region or entry does not exist
  kIo,                // reading or writing failed
  kParse,             // the input is malformed
  kBackend,           // a foreign library (NVML, SQLite) failed
  kCancelled,         // stopped by a signal or the user
};

std::string_view to_string(Errc code);

/// An error value: a code, a message, an optional remedy and a chain of
/// context ("reading /sys/...: permission denied"), like anyhow's context.
class Error {
 public:
  Error(Errc code, std::string message)
      : code_(code), message_(std::move(message)) {}

  /// Adds what was being done when the error happened (outermost last).
  [[nodiscard]] Error with_context(std::string what) && {
    context_.push_back(std::move(what));
    return std::move(*this);
  }
  [[nodiscard]] Error with_context(std::string what) const& {
    Error copy = *this;
    return std::move(copy).with_context(std::move(what));
  }
  /// Sets how the user can fix it ("run as root or ...").
  [[nodiscard]] Error with_remedy(std::string remedy) && {
    remedy_ = std::move(remedy);
    return std::move(*this);
  }

  [[nodiscard]] Errc code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::string& remedy() const { return remedy_; }
  [[nodiscard]] const std::vector<std::string>& context() const {
    return context_;
  }
  /// "outer: inner: message" without the remedy.
  [[nodiscard]] std::string to_string() const;

 private:
  Errc code_;
  std::string message_;
  std::string remedy_;
  std::vector<std::string> context_;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

/// Makes an unexpected Error with a fmt-formatted message.
template <typename... Args>
[[nodiscard]] tl::unexpected<Error> make_error(
    Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return tl::unexpected<Error>(
      Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

[[noreturn]] void check_failed(const char* file, int line, const char* cond,
                               std::string_view message);

}  // namespace mlcarbon

#define MLCARBON_CONCAT_INNER(a, b) a##b
#define MLCARBON_CONCAT(a, b) MLCARBON_CONCAT_INNER(a, b)

/// Evaluates a Result; returns its error from the enclosing function or
/// assigns its value to `lhs`.
#define MLCARBON_ASSIGN_OR_RETURN(lhs, expr)                                  \
  MLCARBON_ASSIGN_OR_RETURN_IMPL(MLCARBON_CONCAT(mlc_result_, __LINE__), lhs, \
                                 expr)
#define MLCARBON_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp)                                            \
    return tl::unexpected(std::move(tmp).error());     \
  lhs = std::move(*tmp)

/// Evaluates a Status-like Result and returns its error if it failed.
#define MLCARBON_RETURN_IF_ERROR(expr)                      \
  do {                                                      \
    auto mlc_status = (expr);                               \
    if (!mlc_status)                                        \
      return tl::unexpected(std::move(mlc_status).error()); \
  } while (false)

/// Aborts with file and line when an invariant is broken (a bug, not input).
#define MLCARBON_CHECK(cond, ...)                              \
  do {                                                         \
    if (!(cond))                                               \
      ::mlcarbon::check_failed(__FILE__, __LINE__, #cond,      \
                               ::fmt::format("" __VA_ARGS__)); \
  } while (false)
