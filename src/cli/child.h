// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "mlcarbon/core/error.h"

namespace mlcarbon::cli {

/// The child, started stopped on a pipe so the meter is tracking it before
/// it runs a single instruction of CMD.
struct Child {
  pid_t pid = -1;
  int go_fd = -1;      // write end: closing it lets the child exec
  int status_fd = -1;  // read end: carries errno if exec fails
};

/// Forks the child; it waits for go_fd to close, then execs `argv`.
[[nodiscard]] Result<Child> spawn_stopped(const std::vector<std::string>& argv);

/// Errno of a failed exec, or nothing once exec succeeded (EOF on the pipe).
[[nodiscard]] std::optional<int> exec_error(int status_fd);

/// The shell's exit status for a wait status: 128+N when signal N killed it.
[[nodiscard]] int exit_code_of(int wait_status);

/// The child that signals are forwarded to (0: none).
void set_forwarding_target(pid_t child);
/// The last signal received while forwarding (0: none).
[[nodiscard]] int received_signal();

/// Forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to the child for its
/// lifetime and restores the previous handlers after.
class SignalForwarding {
 public:
  SignalForwarding();
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;
  ~SignalForwarding();

 private:
  struct sigaction old_[32]{};
};

}  // namespace mlcarbon::cli
