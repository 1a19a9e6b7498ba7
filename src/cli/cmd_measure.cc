// SPDX-License-Identifier: Apache-2.0
// `mlcarbon measure [options] -- CMD [ARGS...]`: runs CMD as a child with its
// standard streams untouched, meters it, converts the energy to CO2e, prints
// a summary on stderr, exports and records the run, and exits with CMD's
// status.
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/monitor.h"
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
  std::string db_timeout;
  bool no_history = false;
  bool quiet = false;
  std::string color = "auto";
  SensorFlags sensors;
};

// Energy segments for the live line and the time-varying intensity: every
// period the "segment" window is closed and reopened.
class Segmenter {
 public:
  Segmenter(measure::Monitor& monitor, Seconds period, bool live)
      : monitor_(monitor), period_(period), live_(live) {}
  Segmenter(const Segmenter&) = delete;
  Segmenter& operator=(const Segmenter&) = delete;
  ~Segmenter() { stop(); }

  Status start(WallTime t0) {
    points_.push_back({t0, Joules(0)});
    MLCARBON_RETURN_IF_ERROR(monitor_.begin_window(kName));
    thread_ = std::thread([this] { loop(); });
    return {};
  }
  // Closes the last segment and joins the thread.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_)
        return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
      thread_.join();
    cut();
    if (live_)
      std::fputs("\r\033[K", stderr);
  }
  [[nodiscard]] const std::vector<carbon::EnergyPoint>& points() const {
    return points_;
  }
  void set_status(std::function<std::string(Seconds, Joules)> status) {
    status_ = std::move(status);
  }

 private:
  static constexpr std::string_view kName = "mlcarbon.segment";

  void loop() {
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stopped_) {
      wake_.wait_for(lock, period_);
      if (stopped_)
        break;
      lock.unlock();
      cut();
      if (!monitor_.begin_window(kName))
        break;
      if (live_ && status_) {
        const Seconds elapsed = std::chrono::steady_clock::now() - t0;
        const std::string line = status_(elapsed, points_.back().cumulative);
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        std::fflush(stderr);
      }
      lock.lock();
    }
  }
  void cut() {
    auto m = monitor_.end_window(kName);
    if (!m)
      return;
    const Joules before = points_.back().cumulative;
    points_.push_back({m->end, before + m->total});
  }

  measure::Monitor& monitor_;
  Seconds period_;
  bool live_;
  std::function<std::string(Seconds, Joules)> status_;
  std::vector<carbon::EnergyPoint> points_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread thread_;
};

Result<int> run_measure(const MeasureArgs& args) {
  if (args.command.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "no command given: use mlcarbon measure [options] -- "
                      "CMD [ARGS...]");
  }
  MLCARBON_ASSIGN_OR_RETURN(const Seconds interval,
                            parse_duration(args.interval, "--interval"));
  if (args.idle_baseline_s < 0.0) {
    return make_error(Errc::kInvalidArgument,
                      "--idle-baseline must be a non-negative number of "
                      "seconds");
  }
  MLCARBON_ASSIGN_OR_RETURN(
      const measure::CarbonSetup carbon_setup,
      measure::resolve_carbon({.region = args.region,
                               .carbon_intensity = args.carbon_intensity,
                               .intensity_series = args.intensity_series,
                               .pue = args.pue}));
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
    if (!opened) {
      return tl::unexpected(std::move(opened).error().with_remedy(
          "pass --db FILE or --no-history"));
    }
    history.emplace(std::move(*opened));
  }

  sensors::Detection detection =
      sensors::detect_sensors(args.sensors.options());
  measure::Run run;
  run.run_id = measure::new_run_id();
  run.project = args.project;
  run.tags = args.tags;
  run.command = args.command;
  run.context = measure::collect_context(detection);
  run.carbon = carbon_setup.info;  // for the live line

  measure::Monitor monitor(std::move(detection.sensors),
                           {.interval = interval});
  const bool quiet = args.quiet;
  if (args.idle_baseline_s > 0.0) {
    if (!quiet) {
      std::fprintf(stderr, "mlcarbon: measuring idle power for %g s...\n",
                   args.idle_baseline_s);
    }
    MLCARBON_RETURN_IF_ERROR(
        monitor.measure_idle(Seconds(args.idle_baseline_s)));
  }
  MLCARBON_RETURN_IF_ERROR(monitor.start());

  SignalForwarding forwarding;
  MLCARBON_ASSIGN_OR_RETURN(Child child, spawn_stopped(args.command));
  SignalForwarding::target(child);
  monitor.track_process(child.pid);
  const WallTime wall_start = std::chrono::system_clock::now();
  MLCARBON_RETURN_IF_ERROR(monitor.begin_window("run"));
  const bool live = !quiet && ::isatty(STDERR_FILENO) != 0;
  const Seconds period = carbon_setup.series ? std::min(interval, Seconds(60.0))
                                             : std::max(interval, Seconds(1.0));
  Segmenter segments(monitor, period, live);
  if (live) {
    segments.set_status([&](Seconds elapsed, Joules energy) {
      return report::live_status_line(elapsed, energy, run.carbon);
    });
  }
  if (carbon_setup.series || live) {
    MLCARBON_RETURN_IF_ERROR(segments.start(wall_start));
  }
  if (auto failed = release(child, args.command[0])) {
    SignalForwarding::target({});
    monitor.stop();
    print_error(failed->error);
    return failed->exit_code;
  }

  // Wait without reaping, so that the child's CPU time is still readable
  // from /proc when the window closes.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(child.pid), &info,
                  WEXITED | WNOWAIT) != 0 &&
         errno == EINTR) {
  }
  segments.stop();
  auto measured = monitor.end_window("run");
  int wait_status = 0;
  while (::waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  SignalForwarding::target({});
  signals_before_record = SignalForwarding::count();
  monitor.stop();
  if (!measured)
    return tl::unexpected(measured.error());

  run.measurement = std::move(*measured);
  run.exit_status = exit_code_of(wait_status);
  if (WIFSIGNALED(wait_status))
    run.signal = WTERMSIG(wait_status);
  run.interrupted = SignalForwarding::interrupt() != 0;
  measure::apply_carbon(run, carbon_setup, segments.points());

  const bool written =
      write_run_outputs(run, outputs, history ? &*history : nullptr);
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
