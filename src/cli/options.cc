// SPDX-License-Identifier: Apache-2.0
#include "options.h"

#include <cstdlib>

#include <unistd.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/report/history.h"

namespace mlcarbon::cli {

sensors::SensorOptions SensorFlags::options() const {
  sensors::SensorOptions o = sensors::with_environment({});
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
  return o;
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
}

void add_history_option(CLI::App& sub, std::string& db) {
  db = report::default_history_path().string();
  sub.add_option("--db", db,
                 "History database (default "
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
