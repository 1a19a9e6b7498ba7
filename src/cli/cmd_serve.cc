// SPDX-License-Identifier: Apache-2.0
// `mlcarbon serve`: the node's energy, power and CO2e, per domain and per
// cgroup workload, for Prometheus (docs/cluster.md).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <pthread.h>
#include <signal.h>

#include <fmt/format.h>

#include "mlcarbon/core/time.h"
#include "mlcarbon/serve/exporter.h"
#include "mlcarbon/serve/http.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct ServeArgs {
  std::string listen = "127.0.0.1:9464";
  std::string interval = "1s";
  CarbonFlags carbon;
  std::size_t threads = 4;
  std::size_t max_cgroups = 100;
  bool no_cgroups = false;
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  SensorFlags sensors;
};

// Blocks SIGINT and SIGTERM in this thread and every thread made after it;
// one thread takes them with sigwait, so no handler runs in a worker.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

Result<int> run_serve(const ServeArgs& args) {
  MLCARBON_ASSIGN_OR_RETURN(const Seconds interval,
                            parse_duration(args.interval, "--interval"));
  MLCARBON_ASSIGN_OR_RETURN(const serve::ListenAddress listen,
                            serve::parse_listen(args.listen, "--listen"));
  if (args.threads == 0 || args.threads > 256) {
    return make_error(Errc::kInvalidArgument, "--threads {}: expected 1 to 256",
                      args.threads);
  }
  MLCARBON_ASSIGN_OR_RETURN(sensors::SensorOptions sensor_options,
                            args.sensors.options());
  serve::ExporterOptions options{
      .interval = interval,
      .carbon = args.carbon.options(),
      .sensors = std::move(sensor_options),
      .attribution = {.max_series = args.max_cgroups}};
  if (args.no_cgroups) {
    options.cgroups.reset();
  } else {
    options.cgroups = measure::CgroupOptions{.cgroup_root = args.cgroup_root,
                                             .proc_root = args.proc_root};
    // A host without cgroups says so once, before serving.
    if (Result<measure::CgroupLayout> layout =
            measure::detect_cgroup_layout(*options.cgroups);
        !layout) {
      return tl::unexpected(std::move(layout).error().with_remedy(
          "pass --cgroup-root DIR, or --no-cgroups to export node figures "
          "only"));
    }
  }
  const sigset_t signals = block_stop_signals();
  MLCARBON_ASSIGN_OR_RETURN(std::unique_ptr<serve::Exporter> exporter,
                            serve::Exporter::create(std::move(options)));
  MLCARBON_ASSIGN_OR_RETURN(
      std::unique_ptr<serve::HttpServer> server,
      serve::HttpServer::bind(*exporter,
                              {.listen = listen, .threads = args.threads}));
  MLCARBON_RETURN_IF_ERROR(exporter->start());
  std::fprintf(stderr,
               "mlcarbon serve: listening on http://%s:%d/metrics (%zu "
               "domains, region %s)\n",
               listen.host.find(':') != std::string::npos
                   ? fmt::format("[{}]", listen.host).c_str()
                   : listen.host.c_str(),
               server->port(), exporter->domains().size(),
               exporter->carbon().region.c_str());
  std::fflush(stderr);

  std::atomic<int> got_signal{0};
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread waiter([&] {
    int sig = 0;
    // sigwait returns for a signal, or for the SIGUSR1-free wake below.
    if (sigwait(&signals, &sig) == 0)
      got_signal = sig;
    // stop() before the server runs is lost: repeat until run() returned.
    do {
      server->stop();
    } while (finished.wait_for(std::chrono::milliseconds(50)) !=
             std::future_status::ready);
  });
  Status served = server->run();
  done.set_value();
  if (got_signal == 0) {
    // The server ended on its own: wake the waiter with a signal it takes.
    pthread_kill(waiter.native_handle(), SIGTERM);
  }
  waiter.join();
  exporter->stop();
  MLCARBON_RETURN_IF_ERROR(served);
  std::fprintf(stderr, "mlcarbon serve: stopped (signal %d)\n",
               got_signal.load());
  return static_cast<int>(ExitCode::kSuccess);
}

}  // namespace

Action setup_serve(CLI::App& sub) {
  auto args = std::make_shared<ServeArgs>();
  sub.footer(
      "Example:\n  mlcarbon serve --listen 127.0.0.1:9464 --region DE\n\n"
      "Serves GET /metrics (Prometheus text format) and /healthz. Stops "
      "cleanly on SIGTERM or SIGINT.");
  sub.add_option("--listen", args->listen,
                 "HOST:PORT to serve on (default 127.0.0.1:9464: loopback "
                 "only; port 0 picks a free one)");
  sub.add_option("--interval", args->interval,
                 "How often the node is read, e.g. 1s, 200ms (default 1s)");
  add_carbon_options(sub, args->carbon);
  sub.add_option("--threads", args->threads,
                 "Connections served at once (default 4)");
  sub.add_option("--max-cgroups", args->max_cgroups,
                 "At most this many cgroup series; the rest are summed in "
                 "cgroup=\"(other)\" (default 100)");
  sub.add_flag("--no-cgroups", args->no_cgroups,
               "Export node figures only, without per-cgroup attribution");
  sub.add_option("--cgroup-root", args->cgroup_root,
                 "Where cgroupfs is mounted (default /sys/fs/cgroup)");
  sub.add_option("--proc-root", args->proc_root,
                 "Where procfs is mounted (default /proc)");
  add_sensor_options(sub, args->sensors);
  return [args]() { return run_serve(*args); };
}

}  // namespace mlcarbon::cli
