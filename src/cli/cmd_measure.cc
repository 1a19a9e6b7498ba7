// SPDX-License-Identifier: Apache-2.0
// `mlcarbon measure [options] -- CMD [ARGS...]`: runs CMD as a child with its
// standard streams untouched, meters it, converts the energy to CO2e, prints
// a summary on stderr, exports and records the run, and exits with CMD's
// status.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/run_text.h"

#include "child.h"
#include "command.h"
#include "options.h"
#include "outputs.h"

namespace mlcarbon::cli {
namespace {

struct MeasureArgs {
  std::vector<std::string> command;
  CarbonFlags carbon;
  std::string interval = "1s";
  std::string idle_baseline = "0";
  std::vector<std::string> tags;
  std::string project = "mlcarbon";
  std::optional<std::string> json;
  std::optional<std::string> csv;
  std::string db;
  std::string db_timeout;
  bool no_history = false;
  bool quiet = false;
  std::string color = "auto";
  SensorFlags sensors;
};

Result<int> run_measure(const MeasureArgs& args) {
  if (args.command.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "no command given: use mlcarbon measure [options] -- "
                      "CMD [ARGS...]");
  }
  MLCARBON_ASSIGN_OR_RETURN(const Seconds interval,
                            parse_duration(args.interval, "--interval"));
  MLCARBON_ASSIGN_OR_RETURN(
      const Seconds idle_baseline,
      parse_duration(args.idle_baseline, "--idle-baseline",
                     {.allow_zero = true}));
  MLCARBON_ASSIGN_OR_RETURN(sensors::SensorOptions sensor_options,
                            args.sensors.options());
  const bool quiet = args.quiet;
  const bool live = !quiet && ::isatty(STDERR_FILENO) != 0;
  measure::PipelineOptions options{.project = args.project,
                                   .tags = args.tags,
                                   .carbon = args.carbon.options(),
                                   .interval = interval,
                                   .idle_baseline = idle_baseline,
                                   .sensors = std::move(sensor_options)};
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
  const RunOutputs outputs{
      .json = args.json,
      .csv = args.csv,
      .db = args.no_history ? std::nullopt : std::optional(args.db)};
  MLCARBON_RETURN_IF_ERROR(check_run_outputs(outputs));
  MLCARBON_ASSIGN_OR_RETURN(const Seconds db_timeout,
                            parse_duration(args.db_timeout, "--db-timeout"));
  // A signal after the command ended stops a wait for a locked history.
  int signals_before_record = std::numeric_limits<int>::max();
  std::optional<report::History> history;
  std::optional<Error> history_error;
  if (!args.no_history) {
    auto opened = report::History::open(
        args.db,
        {.lock_timeout =
             std::chrono::duration_cast<std::chrono::milliseconds>(db_timeout),
         .on_wait =
             [](const std::string& line) {
               std::fprintf(stderr, "mlcarbon: %s\n",
                            terminal_safe(line).c_str());
             },
         .cancelled =
             [&signals_before_record] {
               return SignalForwarding::count() > signals_before_record;
             }});
    if (opened) {
      history.emplace(std::move(*opened));
    } else if (report::is_postgresql_location(args.db) &&
               opened.error().code() == Errc::kUnavailable) {
      // A server out of reach loses nothing: the run is measured and
      // saved as JSON for `history import`.
      std::fprintf(stderr,
                   "mlcarbon: error: %s\nmlcarbon: measuring anyway; the run "
                   "will be saved as JSON to import later\n",
                   terminal_safe(opened.error().to_string()).c_str());
      history_error = opened.error();
    } else {
      return tl::unexpected(std::move(opened).error().with_remedy(
          "pass --db FILE or --no-history"));
    }
  }

  if (idle_baseline.count() > 0.0) {
    if (!quiet) {
      std::fprintf(stderr, "mlcarbon: measuring idle power for %g s...\n",
                   idle_baseline.count());
    }
    MLCARBON_RETURN_IF_ERROR(pipeline->measure_idle());
  }

  SignalForwarding forwarding;
  MLCARBON_ASSIGN_OR_RETURN(Child child, spawn_stopped(args.command));
  SignalForwarding::target(child);
  MLCARBON_RETURN_IF_ERROR(pipeline->start(child.pid));
  if (auto failed = release(child, args.command[0])) {
    SignalForwarding::target({});
    pipeline->abort();
    if (live)
      std::fputs("\r\033[K", stderr);
    print_error(failed->error);
    return failed->exit_code;
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
  SignalForwarding::target({});
  signals_before_record = SignalForwarding::count();
  if (!measured)
    return tl::unexpected(measured.error());

  measure::Run run = std::move(*measured);
  run.command = args.command;
  run.exit_status = exit_code_of(wait_status);
  if (WIFSIGNALED(wait_status))
    run.signal = WTERMSIG(wait_status);
  run.interrupted = SignalForwarding::interrupt() != 0;

  const bool written = write_run_outputs(
      run, outputs, history ? &*history : nullptr, history_error);
  if (!quiet) {
    const std::string text =
        report::run_summary_text(run, use_color(args.color, STDERR_FILENO));
    std::fputs(text.c_str(), stderr);
  }
  if (!written) {
    std::fprintf(stderr,
                 "mlcarbon: exiting with the command's status %d although "
                 "not every output was written\n",
                 *run.exit_status);
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
  add_carbon_options(sub, args->carbon);
  sub.add_option("--interval", args->interval,
                 "Sampling interval, e.g. 1s, 500ms (default 1s)");
  sub.add_option("--idle-baseline", args->idle_baseline,
                 "Measure idle power for this long before the run (e.g. 30, "
                 "10s, 1m; a bare number is seconds) and report energy "
                 "above idle too");
  // One value per --tag, so that `--tag a CMD` never takes CMD as a tag.
  sub.add_option("--tag", args->tags, "Tag the run (repeatable)")
      ->allow_extra_args(false);
  sub.add_option("--project", args->project,
                 "Project name in exports and history (default mlcarbon)");
  sub.add_option("--json", args->json,
                 "Write the run as JSON to FILE ('-' for stdout)");
  sub.add_option("--csv", args->csv,
                 "Append a CodeCarbon-compatible row to FILE ('-' for "
                 "stdout)");
  add_history_option(sub, args->db);
  add_db_timeout_option(sub, args->db_timeout);
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
