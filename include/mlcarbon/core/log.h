// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace mlcarbon {

enum class LogLevel { kDebug, kInfo, kWarning, kError, kOff };

/// Messages below this level are dropped. Defaults to kWarning, or to the
/// level named by MLCARBON_LOG (debug|info|warning|error|off) at start-up.
void set_log_level(LogLevel level);
[[nodiscard]] LogLevel log_level();

/// Writes "mlcarbon: <level>: <message>" to stderr in one write(2), so that
/// lines from several threads never interleave.
void log_message(LogLevel level, std::string_view message);

template <typename... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::kDebug)
    log_message(LogLevel::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::kInfo)
    log_message(LogLevel::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_warning(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::kWarning)
    log_message(LogLevel::kWarning,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  if (log_level() <= LogLevel::kError)
    log_message(LogLevel::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace mlcarbon
