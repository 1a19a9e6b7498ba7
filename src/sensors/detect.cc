// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/sensors/models.h"
#include "mlcarbon/sensors/nvml.h"
#include "mlcarbon/sensors/power_config.h"
#include "mlcarbon/sensors/rapl.h"
#include "mlcarbon/sensors/sensor.h"

namespace mlcarbon::sensors {
namespace {

bool wanted(const SensorOptions& options, std::string_view name) {
  return options.only.empty() ||
         std::find(options.only.begin(), options.only.end(), name) !=
             options.only.end();
}

bool has_kind(const EnergySensor& s, DomainKind kind) {
  return std::any_of(s.domains().begin(), s.domains().end(),
                     [kind](const Domain& d) { return d.kind == kind; });
}

Unavailable covered_by(std::string_view sensor, std::string_view other) {
  return {
      std::string(sensor),
      Error(Errc::kUnavailable,
            fmt::format("not needed: {} reads the same RAPL counters", other)),
      /*redundant=*/true};
}

}  // namespace

std::string_view to_string(DomainKind kind) {
  switch (kind) {
    case DomainKind::kPackage:
      return "package";
    case DomainKind::kCore:
      return "core";
    case DomainKind::kUncore:
      return "uncore";
    case DomainKind::kDram:
      return "dram";
    case DomainKind::kPsys:
      return "psys";
    case DomainKind::kGpu:
      return "gpu";
    case DomainKind::kCpu:
      return "cpu";
    case DomainKind::kMemory:
      return "memory";
  }
  return "unknown";
}

std::span<const std::string> known_sensor_names() {
  static const std::vector<std::string> kNames = {
      "rapl-powercap", "rapl-perf", "rapl-msr",
      "nvml",          "cpu-model", "memory-model"};
  return kNames;
}

Status check_sensor_names(const std::vector<std::string>& only) {
  const std::span<const std::string> known = known_sensor_names();
  for (const std::string& name : only) {
    if (std::find(known.begin(), known.end(), name) != known.end())
      continue;
    std::string list;
    for (const std::string& k : known)
      list += (list.empty() ? "" : ", ") + k;
    const std::optional<std::string> guess = suggest(name, known);
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("unknown sensor '{}'{}; the sensors are {}", name,
                          guess ? fmt::format(" (did you mean '{}'?)", *guess)
                                : std::string(),
                          list))
            .with_remedy("pass --sensors auto, or a comma list of sensor "
                         "names"));
  }
  return {};
}

Result<Detection> detect_requested_sensors(const SensorOptions& options,
                                           NamedUnavailable named) {
  MLCARBON_RETURN_IF_ERROR(check_sensor_names(options.only));
  MLCARBON_ASSIGN_OR_RETURN(const SensorOptions configured,
                            with_config_file(options));
  Detection detection = detect_sensors(configured);
  for (const Unavailable& u : detection.unavailable) {
    // Every name in `only` was asked for explicitly.
    if (options.only.empty() || u.redundant ||
        named == NamedUnavailable::kListed)
      continue;
    return tl::unexpected(
        Error(u.reason.code(),
              fmt::format("sensor '{}' was requested but is unavailable: {}",
                          u.sensor, u.reason.message()))
            .with_remedy(u.reason.remedy().empty()
                             ? std::string("pass --sensors auto to use what "
                                           "this machine has")
                             : u.reason.remedy()));
  }
  return detection;
}

SensorOptions with_environment(SensorOptions options) {
  if (const char* v = std::getenv("MLCARBON_POWERCAP_ROOT"); v && *v)
    options.powercap_root = v;
  if (const char* v = std::getenv("MLCARBON_MSR_ROOT"); v && *v)
    options.msr_root = v;
  if (const char* v = std::getenv("MLCARBON_NVML_LIBRARY"); v && *v)
    options.nvml_library = v;
  if (const char* v = std::getenv("MLCARBON_DMI_ROOT"); v && *v)
    options.dmi_root = v;
  if (const char* v = std::getenv("MLCARBON_HYPERVISOR_ROOT"); v && *v)
    options.hypervisor_root = v;
  if (const char* v = std::getenv("MLCARBON_PROC_ROOT"); v && *v)
    options.proc_root = v;
  if (!options.config_file)
    options.config_file = std::make_shared<ConfigFile>(default_config_path());
  return options;
}

Detection detect_sensors(const SensorOptions& options) {
  Detection out;
  out.machine = detect_machine(
      {options.proc_root, options.dmi_root, options.hypervisor_root});
  auto add = [&](std::string_view name, auto result) {
    if (result) {
      out.sensors.push_back(std::move(*result));
      return true;
    }
    out.unavailable.push_back({std::string(name), std::move(result).error()});
    return false;
  };

  // The three RAPL paths read the same counters: the first that gives a
  // package counter wins. Some VMs expose only psys through perf; then MSR
  // is still tried for the packages.
  std::string rapl_in_use;
  auto covers_packages = [&](std::string_view name) {
    if (!add(name, [&]() -> Result<std::unique_ptr<EnergySensor>> {
          if (name == "rapl-powercap")
            return open_powercap_sensor(options);
          if (name == "rapl-perf")
            return open_perf_sensor(options);
          return open_msr_sensor(options);
        }()))
      return false;
    if (!has_kind(*out.sensors.back(), DomainKind::kPackage))
      return false;
    rapl_in_use = std::string(name);
    return true;
  };
  if (wanted(options, "rapl-powercap"))
    covers_packages("rapl-powercap");
  if (wanted(options, "rapl-perf")) {
    if (!rapl_in_use.empty())
      out.unavailable.push_back(covered_by("rapl-perf", rapl_in_use));
    else
      covers_packages("rapl-perf");
  }
  if (wanted(options, "rapl-msr")) {
    if (!rapl_in_use.empty())
      out.unavailable.push_back(covered_by("rapl-msr", rapl_in_use));
    else
      covers_packages("rapl-msr");
  }
  if (wanted(options, "nvml"))
    add("nvml", open_nvml_sensor(options));

  bool have_package = false;
  bool have_dram = false;
  for (const auto& s : out.sensors) {
    have_package = have_package || has_kind(*s, DomainKind::kPackage);
    have_dram = have_dram || has_kind(*s, DomainKind::kDram);
  }
  if (wanted(options, "cpu-model")) {
    if (have_package) {
      out.unavailable.push_back(
          {"cpu-model",
           Error(Errc::kUnavailable,
                 fmt::format("not needed: {} measures the CPU packages",
                             rapl_in_use)),
           /*redundant=*/true});
    } else {
      add("cpu-model", CpuModelSensor::create(options));
    }
  }
  if (wanted(options, "memory-model")) {
    if (have_dram) {
      out.unavailable.push_back(
          {"memory-model",
           Error(Errc::kUnavailable,
                 fmt::format("not needed: {} measures DRAM", rapl_in_use)),
           /*redundant=*/true});
    } else {
      add("memory-model", MemoryModelSensor::create(options));
    }
  }
  return out;
}

}  // namespace mlcarbon::sensors
