// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <cstdlib>

#include <unistd.h>

#include "mlcarbon/core/text.h"
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
  if (flags.cpu_watts && flags.tdp) {
    return make_error(Errc::kInvalidArgument,
                      "--cpu-watts and --tdp are two CPU models: give one");
  }

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

}  // namespace mlcarbon::cli
