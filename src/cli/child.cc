// SPDX-License-Identifier: Apache-2.0
// The measured command as a child process: start, signal forwarding, exit
// status.
#include "child.h"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

namespace mlcarbon::cli {
namespace {

constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
                              SIGUSR1, SIGUSR2, SIGALRM};

// Shared with the signal handler, hence lock-free atomics only.
std::atomic<pid_t> g_child{0};
std::atomic<bool> g_own_group{false};
std::atomic<int> g_interrupt{0};
std::atomic<int> g_count{0};
std::atomic<int> g_last_signal{0};
std::atomic<pid_t> g_last_sender{0};
std::atomic<std::int64_t> g_last_ns{0};

// `timeout` signals its target and then its own group, which holds
// mlcarbon too: a repeat from the same sender this soon is the same event.
constexpr std::int64_t kBurstNs = 100'000'000;

std::int64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void forward_signal(int sig, siginfo_t* info, void* /*context*/) {
  const int saved_errno = errno;
  g_count.fetch_add(1);
  if (sig == SIGHUP || sig == SIGINT || sig == SIGQUIT || sig == SIGTERM)
    g_interrupt.store(sig);
  const pid_t child = g_child.load();
  const bool own_group = g_own_group.load();
  const bool from_user = info != nullptr && info->si_code <= 0;
  const pid_t sender = from_user ? info->si_pid : 0;
  // Sharing our group, the child got a terminal's signal (SI_KERNEL) the
  // same way we did; and it is never sent back to the child that sent it.
  const bool reached_child = !own_group && !from_user;
  const std::int64_t now = monotonic_ns();
  const bool repeat = g_last_signal.load() == sig &&
                      g_last_sender.load() == sender &&
                      now - g_last_ns.load() < kBurstNs;
  if (child > 0 && !reached_child && !repeat && sender != child) {
    g_last_signal.store(sig);
    g_last_sender.store(sender);
    g_last_ns.store(now);
    ::kill(own_group ? -child : child, sig);
  }
  errno = saved_errno;
}

// A child in mlcarbon's group keeps a terminal's job control intact (Ctrl-C,
// Ctrl-Z, fg); elsewhere a group of its own means a signal sent to
// mlcarbon's group reaches the child once, through mlcarbon.
bool in_terminal_foreground() {
  const int tty = ::open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (tty < 0)
    return false;
  const bool foreground = ::tcgetpgrp(tty) == ::getpgrp();
  ::close(tty);
  return foreground;
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, pid_t parent,
                             bool own_group, int go_fd, int status_fd) {
  auto fail = [&](int err) {
    [[maybe_unused]] auto n = ::write(status_fd, &err, sizeof err);
    ::_exit(127);
  };
  // Orphaned by a SIGKILL to mlcarbon, the child is told to stop; if
  // mlcarbon died before prctl took hold, getppid() shows it.
  if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent)
    fail(ESRCH);
  if (own_group)
    ::setpgid(0, 0);
  // mlcarbon ignores these to get errors instead; the command gets the
  // defaults, and no signal blocked.
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGXFSZ, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  char byte = 0;
  while (::read(go_fd, &byte, 1) < 0 && errno == EINTR) {
  }
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  fail(errno);
  ::_exit(127);
}

// Errno of a failed exec, or nothing once exec succeeded (EOF on the pipe).
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

StartFailure start_failure(const std::string& name, int err) {
  if (err == ENOENT) {
    return {127, Error(Errc::kNotFound,
                       fmt::format("cannot run '{}': command not found", name))
                     .with_remedy("check the command name and PATH")};
  }
  std::string remedy;
  struct stat st {};
  const bool is_path = name.find('/') != std::string::npos;
  if (err == EACCES && is_path && ::stat(name.c_str(), &st) == 0) {
    remedy = S_ISDIR(st.st_mode)
                 ? fmt::format("{} is a directory", name)
                 : fmt::format(
                       "{} is not executable: make it so (chmod +x "
                       "{}) or run it through its interpreter",
                       name, name);
  } else if (err == EACCES) {
    remedy =
        "a file of that name is not executable, or a folder on the way "
        "cannot be searched";
  }
  Error error(Errc::kPermissionDenied,
              fmt::format("cannot run '{}': {}", name, std::strerror(err)));
  if (!remedy.empty())
    error = std::move(error).with_remedy(std::move(remedy));
  return {126, std::move(error)};
}

}  // namespace

SignalForwarding::SignalForwarding() {
  struct sigaction sa {};
  sa.sa_sigaction = &forward_signal;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (const int sig : kForwarded) {
    ::sigaction(sig, &sa, &old_[static_cast<std::size_t>(sig)]);
  }
}

SignalForwarding::~SignalForwarding() {
  g_child.store(0);
  for (const int sig : kForwarded) {
    ::sigaction(sig, &old_[static_cast<std::size_t>(sig)], nullptr);
  }
}

void SignalForwarding::target(const Child& child) {
  g_own_group.store(child.own_group);
  g_child.store(child.pid > 0 ? child.pid : 0);
}

int SignalForwarding::interrupt() {
  return g_interrupt.load();
}

int SignalForwarding::count() {
  return g_count.load();
}

Result<Child> spawn_stopped(const std::vector<std::string>& argv) {
  int go[2];
  int status[2];
  if (::pipe2(go, O_CLOEXEC) != 0) {
    return make_error(Errc::kIo, "cannot create a pipe: {}",
                      std::strerror(errno));
  }
  if (::pipe2(status, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(go[0]);
    ::close(go[1]);
    return make_error(Errc::kIo, "cannot create a pipe: {}",
                      std::strerror(err));
  }
  const bool own_group = !in_terminal_foreground();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    for (const int fd : {go[0], go[1], status[0], status[1]})
      ::close(fd);
    return make_error(Errc::kIo, "cannot fork: {}", std::strerror(err));
  }
  if (pid == 0) {
    ::close(go[1]);
    ::close(status[0]);
    exec_child(argv, parent, own_group, go[0], status[1]);
  }
  // Both sides set the group, so it holds whichever runs first.
  if (own_group)
    ::setpgid(pid, pid);
  ::close(go[0]);
  ::close(status[1]);
  return Child{pid, go[1], status[0], own_group};
}

std::optional<StartFailure> release(Child& child, const std::string& name) {
  ::close(child.go_fd);
  child.go_fd = -1;
  const std::optional<int> err = exec_error(child.status_fd);
  child.status_fd = -1;
  if (!err)
    return std::nullopt;
  int ignored = 0;
  while (::waitpid(child.pid, &ignored, 0) < 0 && errno == EINTR) {
  }
  return start_failure(name, *err);
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace mlcarbon::cli
