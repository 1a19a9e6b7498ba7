// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "mlcarbon/core/error.h"

namespace mlcarbon::cli {

/// The measured command, started stopped on a pipe so that the meter is
/// tracking it before it runs a single instruction of the command.
struct Child {
  pid_t pid = -1;
  int go_fd = -1;      // write end: closing it lets the child exec
  int status_fd = -1;  // read end: carries errno if exec fails
  /// True when the child leads a process group of its own (mlcarbon is not
  /// in the foreground of a terminal), false when it shares mlcarbon's.
  bool own_group = false;
};

/// Forks the child; it waits for go_fd to close, then execs `argv`. The
/// child gets SIGTERM if mlcarbon dies first (PR_SET_PDEATHSIG).
[[nodiscard]] Result<Child> spawn_stopped(const std::vector<std::string>& argv);

/// Why the command could not start, as a shell reports it: exit status 127
/// when it was not found, 126 when it was found but cannot be run.
struct StartFailure {
  int exit_code;
  Error error;
};

/// Lets the child exec. Nothing once the command runs; its failure (the
/// child reaped) when exec failed.
[[nodiscard]] std::optional<StartFailure> release(Child& child,
                                                  const std::string& name);

/// The shell's exit status for a wait status: the code, or 128+N when
/// signal N killed the child.
[[nodiscard]] int exit_code_of(int wait_status);

/// Forwards signals to the child for its lifetime and restores the previous
/// handlers after (docs/measure.md, "Signals"): SIGHUP, SIGINT, SIGQUIT,
/// SIGTERM, SIGUSR1, SIGUSR2 and SIGALRM, each once per sender and burst,
/// and never one that already reached the child through its process group.
class SignalForwarding {
 public:
  SignalForwarding();
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;
  ~SignalForwarding();

  /// Starts forwarding to `child` (stop with a child whose pid is -1).
  static void target(const Child& child);
  /// The last SIGHUP, SIGINT, SIGQUIT or SIGTERM received (0: none).
  [[nodiscard]] static int interrupt();
  /// How many signals were received so far.
  [[nodiscard]] static int count();

 private:
  struct sigaction old_[NSIG] {};
};

}  // namespace mlcarbon::cli
