// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/core/log.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon {
namespace {

LogLevel initial_level() {
  const char* env = std::getenv("MLCARBON_LOG");
  if (env == nullptr)
    return LogLevel::kWarning;
  const std::string v = to_lower(env);
  if (v == "debug")
    return LogLevel::kDebug;
  if (v == "info")
    return LogLevel::kInfo;
  if (v == "error")
    return LogLevel::kError;
  if (v == "off")
    return LogLevel::kOff;
  return LogLevel::kWarning;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{initial_level()};
  return level;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      break;
  }
  return "";
}

}  // namespace

void set_log_level(LogLevel level) {
  level_ref().store(level);
}
LogLevel log_level() {
  return level_ref().load(std::memory_order_relaxed);
}

void log_message(LogLevel level, std::string_view message) {
  std::string line =
      fmt::format("mlcarbon: {}: {}\n", level_name(level), message);
  // One write so that concurrent lines stay whole; a short write to a
  // closed stderr is not worth reporting.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace mlcarbon
