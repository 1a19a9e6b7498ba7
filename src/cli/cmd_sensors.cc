// SPDX-License-Identifier: Apache-2.0
// `mlcarbon sensors`: what can be measured here, what cannot, and why.
#include <cstdio>
#include <string>

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/sensors/models.h"
#include "mlcarbon/sensors/sensor.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct SensorsArgs {
  bool json = false;
  std::string color = "auto";
  SensorFlags sensors;
};

std::string domain_list(const sensors::EnergySensor& s) {
  std::string out;
  for (const auto& d : s.domains()) {
    if (!out.empty())
      out += ", ";
    out += d.name;
    if (d.nested)
      out += " (nested)";
  }
  return out;
}

std::string to_json(const sensors::Detection& d) {
  nlohmann::ordered_json j;
  j["schema_version"] = 1;
  j["sensors"] = nlohmann::ordered_json::array();
  for (const auto& s : d.sensors) {
    nlohmann::ordered_json domains = nlohmann::ordered_json::array();
    for (const auto& dom : s->domains()) {
      domains.push_back({{"name", dom.name},
                         {"kind", std::string(sensors::to_string(dom.kind))},
                         {"nested", dom.nested}});
    }
    j["sensors"].push_back({{"name", std::string(s->name())},
                            {"method", std::string(to_string(s->method()))},
                            {"description", s->description()},
                            {"domains", std::move(domains)}});
  }
  j["unavailable"] = nlohmann::ordered_json::array();
  for (const auto& u : d.unavailable) {
    j["unavailable"].push_back(
        {{"sensor", u.sensor},
         {"code", std::string(to_string(u.reason.code()))},
         {"reason", u.reason.to_string()},
         {"remedy", u.reason.remedy()}});
  }
  return j.dump(2) + "\n";
}

std::string to_text(const sensors::Detection& d, bool colour) {
  auto bold = [colour](std::string_view s) {
    return colour ? fmt::format("\033[1m{}\033[0m", s) : std::string(s);
  };
  std::string out = bold("In use") + "\n";
  bool cpu_counter = false;
  bool mem_counter = false;
  for (const auto& s : d.sensors) {
    out += fmt::format("  {:<14} {:<9}  {}\n", s->name(),
                       to_string(s->method()), s->description());
    out += fmt::format("  {:<14} domains: {}\n", "", domain_list(*s));
    if (const auto* cpu =
            dynamic_cast<const sensors::CpuModelSensor*>(s.get())) {
      const auto& m = cpu->model();
      out += fmt::format("  {:<14} CPU: {} ({} logical CPUs)\n", "",
                         m.model_name.empty() ? "unknown" : m.model_name,
                         m.logical_cpus);
      out += fmt::format("  {:<14} TDP used: {:.1f} W from {}\n", "",
                         m.tdp_used.value(), m.how);
    }
    for (const auto& dom : s->domains()) {
      if (s->method() == Method::kMeasured) {
        cpu_counter = cpu_counter || dom.kind == sensors::DomainKind::kPackage;
        mem_counter = mem_counter || dom.kind == sensors::DomainKind::kDram;
      }
    }
  }
  if (d.sensors.empty())
    out += "  (none)\n";
  out += "\n" + bold("Not used") + "\n";
  for (const auto& u : d.unavailable) {
    out += fmt::format("  {:<14} {}\n", u.sensor, u.reason.to_string());
    if (!u.reason.remedy().empty())
      out += fmt::format("  {:<14} fix: {}\n", "", u.reason.remedy());
  }
  out += "\n";
  if (!cpu_counter && !mem_counter)
    out += "No RAPL counters: CPU and memory energy will be estimated.\n";
  else if (!cpu_counter)
    out += "CPU energy will be estimated.\n";
  else if (!mem_counter)
    out += "Memory energy will be estimated.\n";
  else
    out += "CPU and memory energy will be measured.\n";
  return out;
}

}  // namespace

Action setup_sensors(CLI::App& sub) {
  auto args = std::make_shared<SensorsArgs>();
  sub.add_flag("--json", args->json,
               "Write the detection as JSON (schema_version 1) to stdout");
  add_color_option(sub, args->color);
  add_sensor_options(sub, args->sensors);
  return [args]() -> Result<int> {
    const sensors::SensorOptions options = args->sensors.options();
    const sensors::Detection detection = sensors::detect_sensors(options);
    const std::string text =
        args->json ? to_json(detection)
                   : to_text(detection, use_color(args->color, STDOUT_FILENO));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return detection.sensors.empty() ? static_cast<int>(ExitCode::kNoSensor)
                                     : static_cast<int>(ExitCode::kSuccess);
  };
}

}  // namespace mlcarbon::cli
