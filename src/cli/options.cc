// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/sensors/power_config.h"

namespace mlcarbon::cli {

Result<sensors::SensorOptions> SensorFlags::options() const {
  sensors::SensorOptions o = sensors::with_environment({});
  sensors::PowerOverrides& flags = o.overrides;
  if (cpu_watts) {
    MLCARBON_ASSIGN_OR_RETURN(
        auto w, sensors::parse_cpu_watts(*cpu_watts, "flag --cpu-watts"));
    flags.cpu_watts = sensors::Pinned<sensors::CpuWatts>{w, "flag --cpu-watts"};
  }
  if (tdp) {
    MLCARBON_ASSIGN_OR_RETURN(auto w, sensors::parse_tdp(*tdp, "flag --tdp"));
    flags.tdp = sensors::Pinned<Watts>{w, "flag --tdp"};
  }
  if (memory_watts_per_gb) {
    MLCARBON_ASSIGN_OR_RETURN(
        auto x, sensors::parse_memory_watts_per_gb(
                    *memory_watts_per_gb, "flag --memory-watts-per-gb"));
    flags.memory_watts_per_gb =
        sensors::Pinned<double>{x, "flag --memory-watts-per-gb"};
  }
  MLCARBON_RETURN_IF_ERROR(sensors::check_one_cpu_model(
      flags, Errc::kInvalidArgument, "", "--cpu-watts", "--tdp"));

  if (powercap_root)
    o.powercap_root = *powercap_root;
  if (msr_root)
    o.msr_root = *msr_root;
  if (nvml_library)
    o.nvml_library = *nvml_library;
  if (sensors != "auto") {
    for (const auto name : split(sensors, ',')) {
      if (!trim(name).empty())
        o.only.emplace_back(trim(name));
    }
  }
  return sensors::with_config_file(std::move(o));
}

void add_sensor_options(CLI::App& sub, SensorFlags& flags) {
  sub.add_option("--sensors", flags.sensors,
                 "Sensors to use: auto, or a comma list of rapl-powercap, "
                 "rapl-perf, rapl-msr, nvml, cpu-model, memory-model "
                 "(default auto)");
  sub.add_option("--powercap-root", flags.powercap_root,
                 "Powercap sysfs root (default /sys/class/powercap; env "
                 "MLCARBON_POWERCAP_ROOT)");
  sub.add_option("--msr-root", flags.msr_root,
                 "MSR device root (default /dev/cpu; env MLCARBON_MSR_ROOT)");
  sub.add_option("--nvml-library", flags.nvml_library,
                 "NVML library to load (default libnvidia-ml.so.1; env "
                 "MLCARBON_NVML_LIBRARY)");
  sub.add_option("--cpu-watts", flags.cpu_watts,
                 "CPU model: MIN:MAX watts at idle and full load, per vCPU "
                 "on a VM, per CPU package otherwise (default: "
                 "data/cpu_vm_watts.csv on a VM, the TDP curve otherwise)");
  sub.add_option("--tdp", flags.tdp,
                 "CPU model: TDP in watts of each CPU package, for the load "
                 "curve (default: data/cpu_tdp.csv)");
  sub.add_option("--memory-watts-per-gb", flags.memory_watts_per_gb,
                 "Memory model: watts per GiB of installed memory (default "
                 "0.392)");
}

void add_history_option(CLI::App& sub, std::string& db) {
  db = report::default_history_location();
  sub.add_option("--db", db,
                 "History database: an SQLite file or a postgresql:// URI "
                 "(default MLCARBON_DB, else "
                 "$XDG_DATA_HOME/mlcarbon/history.db)");
}

void add_db_timeout_option(CLI::App& sub, std::string& timeout) {
  timeout = "10s";
  sub.add_option("--db-timeout", timeout,
                 "Wait at most this long for a history database that another "
                 "process has locked, e.g. 30s (default 10s; env "
                 "MLCARBON_DB_TIMEOUT)")
      ->envname("MLCARBON_DB_TIMEOUT");
}

measure::CarbonOptions CarbonFlags::options() const {
  measure::CarbonOptions out;
  out.region = region;
  out.carbon_intensity = carbon_intensity;
  if (intensity_series)
    out.intensity_series = *intensity_series;
  out.pue = pue;
  return out;
}

void add_carbon_options(CLI::App& sub, CarbonFlags& flags) {
  sub.add_option("--region", flags.region,
                 "Grid region: ISO code or name (DE, DEU, Germany), US-IA, "
                 "CA-QC, or provider:region (gcp:europe-west3). Default: "
                 "MLCARBON_REGION, else the time zone's country, else the "
                 "world average");
  sub.add_option("--carbon-intensity", flags.carbon_intensity,
                 "Use this grid intensity in g CO2e/kWh instead of the "
                 "region's");
  sub.add_option("--intensity-series", flags.intensity_series,
                 "Hourly intensity CSV (timestamp,g_per_kwh); emissions "
                 "integrate energy(t) x intensity(t)");
  sub.add_option("--pue", flags.pue,
                 "Power usage effectiveness (default: 1.0 locally, the "
                 "provider's for a cloud region)");
}

namespace {

// An age ("7d", "12h", "30m" ago: the duration grammar, with its unit), a
// date (2026-11-01) or an ISO-8601 time.
Result<WallTime> parse_since(std::string_view text, std::string_view flag) {
  if (auto age = parse_duration(text, flag,
                                {.allow_zero = true, .require_unit = true})) {
    return std::chrono::system_clock::now() -
           std::chrono::duration_cast<WallTime::duration>(*age);
  }
  auto parsed = parse_time(text);
  if (!parsed) {
    return make_error(Errc::kInvalidArgument,
                      "{} expects an age such as 7d or 12h, a date or an "
                      "ISO-8601 time; {}",
                      flag, parsed.error().message());
  }
  return *parsed;
}

}  // namespace

Result<report::HistoryFilter> HistorySelection::filter() const {
  if (limit && *limit <= 0) {
    return make_error(Errc::kInvalidArgument,
                      "--limit expects a positive number of runs, got {} "
                      "(leave it out to list every run)",
                      *limit);
  }
  report::HistoryFilter f{.tag = tag,
                          .command = command,
                          .project = project,
                          .job_id = job,
                          .limit = static_cast<std::size_t>(limit.value_or(0))};
  if (since) {
    MLCARBON_ASSIGN_OR_RETURN(f.since, parse_since(*since, "--since"));
  }
  if (until) {
    MLCARBON_ASSIGN_OR_RETURN(f.until, parse_since(*until, "--until"));
  }
  return f;
}

Result<report::HistoryOptions> HistorySelection::options(bool read_only) const {
  MLCARBON_ASSIGN_OR_RETURN(const Seconds timeout,
                            parse_duration(db_timeout, "--db-timeout"));
  report::HistoryOptions o;
  o.lock_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  o.read_only = read_only;
  o.on_wait = [](const std::string& line) {
    std::fprintf(stderr, "mlcarbon: %s\n", terminal_safe(line).c_str());
  };
  return o;
}

std::string HistorySelection::describe() const {
  std::vector<std::string> parts;
  auto add = [&](std::string_view what, const std::optional<std::string>& v) {
    if (v)
      parts.push_back(fmt::format("{} {}", what, *v));
  };
  add("tag", tag);
  add("command containing", command);
  add("project", project);
  add("since", since);
  add("until", until);
  add("job", job);
  if (limit)
    parts.push_back(fmt::format("the last {}", *limit));
  std::string out = parts.empty() ? std::string("every run") : parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i)
    out += ", " + parts[i];
  return fmt::format("{} in {}", out, report::redact_location(db));
}

Result<report::History> HistorySelection::open() const {
  if (!report::is_postgresql_location(db) && !std::filesystem::exists(db)) {
    return make_error(Errc::kNotFound, "no history at {}",
                      report::redact_location(db));
  }
  MLCARBON_ASSIGN_OR_RETURN(report::HistoryOptions o, options(true));
  return report::History::open(db, std::move(o));
}

Result<std::vector<report::HistoryEntry>> HistorySelection::query() const {
  MLCARBON_ASSIGN_OR_RETURN(const report::HistoryFilter f, filter());
  MLCARBON_ASSIGN_OR_RETURN(const report::History history, open());
  return history.query(f);
}

void add_history_selection(CLI::App& sub, HistorySelection& selection) {
  add_history_option(sub, selection.db);
  sub.add_option("--tag", selection.tag, "Only runs with this tag");
  sub.add_option("--command", selection.command,
                 "Only runs whose command line contains TEXT");
  sub.add_option("--project", selection.project, "Only runs of this project");
  sub.add_option("--since", selection.since,
                 "Only runs started at or after TIME (2026-11-01, an "
                 "ISO-8601 time, or an age: 7d, 12h)");
  sub.add_option("--until", selection.until, "Only runs started before TIME");
  sub.add_option("--job", selection.job,
                 "Only the runs of this Slurm job, and the job's totals: "
                 "its ranks' attributed energy summed, each node's machine "
                 "energy counted once");
  sub.add_option("--limit", selection.limit,
                 "At most N runs, most recent first (totals count all)");
  add_db_timeout_option(sub, selection.db_timeout);
}

void add_color_option(CLI::App& sub, std::string& color) {
  sub.add_option("--color", color,
                 "Colour the output: auto (a terminal and no NO_COLOR), "
                 "always or never (default auto)")
      ->check(CLI::IsMember({"auto", "always", "never"}));
}

bool use_color(std::string_view color, int fd) {
  if (color == "always")
    return true;
  if (color == "never")
    return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0')
    return false;
  return ::isatty(fd) != 0;
}

Result<WallTime> wall_now() {
  const char* fixed = std::getenv("MLCARBON_NOW");
  if (fixed == nullptr || *fixed == '\0')
    return SystemClock::instance().wall_now();
  auto t = parse_time(fixed);
  if (!t)
    return tl::unexpected(std::move(t).error().with_context("MLCARBON_NOW"));
  return *t;
}

}  // namespace mlcarbon::cli
