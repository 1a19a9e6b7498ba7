// SPDX-License-Identifier: Apache-2.0
// `mlcarbon measure [options] -- CMD [ARGS...]`: runs CMD as a child with its
// standard streams untouched, meters it, converts the energy to CO2e, prints
// a summary on stderr, exports and records the run, and exits with CMD's
// status.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/run_export.h"
#include "mlcarbon/report/run_text.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct MeasureArgs {
  std::vector<std::string> command;
  std::optional<std::string> region;
  std::optional<double> carbon_intensity;
  std::optional<std::string> intensity_series;
  std::optional<double> pue;
  std::string interval = "1s";
  double idle_baseline_s = 0.0;
  std::vector<std::string> tags;
  std::string project = "mlcarbon";
  std::optional<std::string> json;
  std::optional<std::string> csv;
  std::string db;
  bool no_history = false;
  bool quiet = false;
  std::string color = "auto";
  SensorFlags sensors;
};

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

class SignalForwarding {
 public:
  SignalForwarding() {
    struct sigaction sa {};
    sa.sa_sigaction = &forward_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      ::sigaction(sig, &sa, &old_[static_cast<std::size_t>(sig)]);
    }
  }
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;
  ~SignalForwarding() {
    for (const int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) {
      ::sigaction(sig, &old_[static_cast<std::size_t>(sig)], nullptr);
    }
  }

 private:
  struct sigaction old_[32]{};
};

// Checks before the run that an export path can be written, so that a long
// run never ends with nowhere to put its report.
Status check_writable(const std::optional<std::string>& path,
                      std::string_view flag) {
  if (!path || *path == "-")
    return {};
  const int fd = ::open(path->c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(Errc::kInvalidArgument, "{} {}: cannot write: {}", flag,
                      *path, std::strerror(errno));
  }
  ::close(fd);
  return {};
}

// The child, started stopped on a pipe so the meter is tracking it before
// it runs a single instruction of CMD.
struct Child {
  pid_t pid = -1;
  int go_fd = -1;      // write end: closing it lets the child exec
  int status_fd = -1;  // read end: carries errno if exec fails
};

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

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 1;
}

Result<int> run_measure(const MeasureArgs& args) {
  if (args.command.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "no command given: use mlcarbon measure [options] -- "
                      "CMD [ARGS...]");
  }
  MLCARBON_ASSIGN_OR_RETURN(const Seconds interval,
                            parse_duration(args.interval, "--interval"));
  const bool quiet = args.quiet;
  const bool live = !quiet && ::isatty(STDERR_FILENO) != 0;
  measure::PipelineOptions options{
      .project = args.project,
      .tags = args.tags,
      .carbon = {.region = args.region,
                 .carbon_intensity = args.carbon_intensity,
                 .intensity_series = args.intensity_series,
                 .pue = args.pue},
      .interval = interval,
      .idle_baseline = Seconds(args.idle_baseline_s),
      .sensors = args.sensors.options()};
  // The live line is drawn from the pipeline's segmenting thread.
  const measure::CarbonInfo* live_carbon = nullptr;
  if (live) {
    options.on_status = [&live_carbon](Seconds elapsed, Joules energy) {
      const std::string line =
          report::live_status_line(elapsed, energy, *live_carbon);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    };
  }
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<measure::Pipeline> pipeline,
                            measure::Pipeline::create(std::move(options)));
  live_carbon = &pipeline->carbon();
  MLCARBON_RETURN_IF_ERROR(check_writable(args.json, "--json"));
  MLCARBON_RETURN_IF_ERROR(check_writable(args.csv, "--csv"));
  std::optional<report::History> history;
  if (!args.no_history) {
    auto opened = report::History::open(args.db);
    if (!opened) {
      return tl::unexpected(std::move(opened).error().with_remedy(
          "pass --db FILE or --no-history"));
    }
    history.emplace(std::move(*opened));
  }

  if (args.idle_baseline_s > 0.0) {
    if (!quiet) {
      std::fprintf(stderr, "mlcarbon: measuring idle power for %g s...\n",
                   args.idle_baseline_s);
    }
    MLCARBON_RETURN_IF_ERROR(pipeline->measure_idle());
  }

  SignalForwarding forwarding;
  MLCARBON_ASSIGN_OR_RETURN(Child child, spawn_stopped(args.command));
  g_child.store(child.pid);
  MLCARBON_RETURN_IF_ERROR(pipeline->start(child.pid));
  ::close(child.go_fd);
  if (const auto err = exec_error(child.status_fd)) {
    int ignored = 0;
    ::waitpid(child.pid, &ignored, 0);
    g_child.store(0);
    pipeline->abort();
    if (live)
      std::fputs("\r\033[K", stderr);
    return tl::unexpected(
        Error(Errc::kNotFound,
              fmt::format("cannot run '{}': {}", args.command[0],
                          std::strerror(*err)))
            .with_remedy("check the command name and PATH"));
  }

  // Wait without reaping, so that the child's CPU time is still readable
  // from /proc when the run window closes.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(child.pid), &info,
                  WEXITED | WNOWAIT) != 0 &&
         errno == EINTR) {
  }
  auto measured = pipeline->stop();
  if (live)
    std::fputs("\r\033[K", stderr);
  int wait_status = 0;
  while (::waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  g_child.store(0);
  if (!measured)
    return tl::unexpected(measured.error());

  measure::Run run = std::move(*measured);
  run.command = args.command;
  run.exit_status = exit_code_of(wait_status);
  if (WIFSIGNALED(wait_status))
    run.signal = WTERMSIG(wait_status);
  run.interrupted = g_received.load() != 0;

  // Write every output even if one fails; report the first failure after.
  std::optional<Error> failure;
  auto keep = [&](Status s) {
    if (!s && !failure)
      failure = s.error();
  };
  if (args.json)
    keep(report::write_output(*args.json, report::run_to_json(run)));
  if (args.csv) {
    if (*args.csv == "-") {
      keep(report::write_output("-", report::run_csv_header() + "\n" +
                                         report::run_csv_row(run) + "\n"));
    } else {
      keep(report::append_run_csv(*args.csv, run));
    }
  }
  if (history)
    keep(history->record(report::to_history_entry(run)));
  if (!quiet) {
    const std::string text =
        report::run_summary_text(run, use_color(args.color, STDERR_FILENO));
    std::fputs(text.c_str(), stderr);
  }
  if (failure) {
    std::fprintf(stderr, "mlcarbon: error: %s\n",
                 terminal_safe(failure->to_string(), true).c_str());
    return static_cast<int>(ExitCode::kFailure);
  }
  return *run.exit_status;
}

}  // namespace

Action setup_measure(CLI::App& sub) {
  auto args = std::make_shared<MeasureArgs>();
  sub.footer(
      "Example:\n  mlcarbon measure --region DE --json run.json -- python "
      "train.py\n\nThe exit status is the command's (128+N when signal N "
      "killed it).");
  sub.add_option("--region", args->region,
                 "Grid region: ISO code or name (DE, DEU, Germany), US-IA, "
                 "CA-QC, or provider:region (gcp:europe-west3). Default: "
                 "MLCARBON_REGION, else the time zone's country, else the "
                 "world average");
  sub.add_option("--carbon-intensity", args->carbon_intensity,
                 "Use this grid intensity in g CO2e/kWh instead of the "
                 "region's");
  sub.add_option("--intensity-series", args->intensity_series,
                 "Hourly intensity CSV (timestamp,g_per_kwh); emissions "
                 "integrate energy(t) x intensity(t)");
  sub.add_option("--pue", args->pue,
                 "Power usage effectiveness (default: 1.0 locally, the "
                 "provider's for a cloud region)");
  sub.add_option("--interval", args->interval,
                 "Sampling interval, e.g. 1s, 500ms (default 1s)");
  sub.add_option("--idle-baseline", args->idle_baseline_s,
                 "Measure idle power for SECONDS before the run and report "
                 "energy above idle too");
  sub.add_option("--tag", args->tags, "Tag the run (repeatable)");
  sub.add_option("--project", args->project,
                 "Project name in exports and history (default mlcarbon)");
  sub.add_option("--json", args->json,
                 "Write the run as JSON to FILE ('-' for stdout)");
  sub.add_option("--csv", args->csv,
                 "Append a CodeCarbon-compatible row to FILE ('-' for "
                 "stdout)");
  add_history_option(sub, args->db);
  sub.add_flag("--no-history", args->no_history,
               "Do not record the run in the history");
  sub.add_flag("-q,--quiet", args->quiet, "Print no summary or status line");
  add_color_option(sub, args->color);
  add_sensor_options(sub, args->sensors);
  sub.add_option("command", args->command, "The command to run, after --")
      ->required();
  sub.positionals_at_end();
  return [args]() { return run_measure(*args); };
}

}  // namespace mlcarbon::cli
