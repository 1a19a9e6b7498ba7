// SPDX-License-Identifier: Apache-2.0
// The measured command as a child process: start, signal forwarding, exit
// status.
#include "child.h"

#include <atomic>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mlcarbon::cli {
namespace {

// Signals mlcarbon received; the handler only stores and forwards.
std::atomic<pid_t> g_child{0};
std::atomic<int> g_received{0};

void forward_signal(int sig, siginfo_t* info, void* /*context*/) {
  g_received.store(sig);
  // A terminal's Ctrl-C already reached the child through its process
  // group (si_code SI_KERNEL); forward only what was sent to us alone.
  const pid_t child = g_child.load();
  if (child > 0 && info != nullptr && info->si_code <= 0)
    ::kill(child, sig);
}

}  // namespace

void set_forwarding_target(pid_t child) {
  g_child.store(child);
}

int received_signal() {
  return g_received.load();
}

SignalForwarding::SignalForwarding() {
  struct sigaction sa {};
  sa.sa_sigaction = &forward_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    ::sigaction(sig, &sa, &old_[static_cast<std::size_t>(sig)]);
  }
}

SignalForwarding::~SignalForwarding() {
  for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
    ::sigaction(sig, &old_[static_cast<std::size_t>(sig)], nullptr);
  }
}

Result<Child> spawn_stopped(const std::vector<std::string>& argv) {
  int go[2];
  int status[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0) {
    return make_error(Errc::kIo, "cannot create a pipe: {}",
                      std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    return make_error(Errc::kIo, "cannot fork: {}", std::strerror(errno));
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(status[0]);
    char byte = 0;
    while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
    }
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    const int err = errno;
    [[maybe_unused]] auto n = ::write(status[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(go[0]);
  ::close(status[1]);
  return Child{pid, go[1], status[0]};
}

std::optional<int> exec_error(int status_fd) {
  int err = 0;
  ssize_t n = 0;
  do {
    n = ::read(status_fd, &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  ::close(status_fd);
  if (n == static_cast<ssize_t>(sizeof err))
    return err;
  return std::nullopt;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace mlcarbon::cli
