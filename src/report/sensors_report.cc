// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/sensors_report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlcarbon/measure/context_json.h"
#include "mlcarbon/report/table.h"
#include "mlcarbon/sensors/models.h"
#include "mlcarbon/sensors/nvml.h"

#include "json_text.h"

namespace mlcarbon::report {
namespace {

using nlohmann::ordered_json;

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

std::string model_name(const sensors::CpuPowerModel& m) {
  return m.model_name.empty() ? "unknown" : m.model_name;
}

std::string band_text(const sensors::Band& b) {
  return fmt::format("x{:.2f} to x{:.2f} ({})", b.low, b.high, b.source);
}

ordered_json band_json(const sensors::Band& b) {
  return {{"low", b.low}, {"high", b.high}, {"source", b.source}};
}

std::string machine_text(const sensors::Machine& m) {
  std::string out = std::string(sensors::to_string(m.kind));
  if (!m.hypervisor.empty())
    out += " (" + m.hypervisor + ")";
  if (!m.cloud.empty())
    out += ", cloud " + m.cloud;
  return out;
}

}  // namespace

std::string sensors_text(const sensors::Detection& d, bool color) {
  std::string out = paint(color, "1", "Machine") + "\n";
  out += "  " + machine_text(d.machine) + "\n";
  for (const auto& e : d.machine.evidence)
    out += "    " + e + "\n";
  out += "\n" + paint(color, "1", "In use") + "\n";
  bool cpu_counter = false;
  bool mem_counter = false;
  // name, method, description
  Table used({{Align::kLeft, 14}, {Align::kLeft, 9}, {Align::kLeft, 0, 2}},
             "  ");
  for (const auto& s : d.sensors) {
    used.add_row({std::string(s->name()), std::string(to_string(s->method())),
                  s->description()});
    used.add_row({""}, "domains: " + domain_list(*s));
    if (const auto* cpu =
            dynamic_cast<const sensors::CpuModelSensor*>(s.get())) {
      const auto& m = cpu->model();
      used.add_row({""}, fmt::format("CPU: {} ({} logical CPUs)", model_name(m),
                                     m.logical_cpus));
      if (m.kind == sensors::CpuModelKind::kTdpCurve) {
        used.add_row({""}, fmt::format("TDP used: {:.1f} W from {}",
                                       m.tdp_used.value(), m.how));
      } else {
        used.add_row({""}, "watts: " + m.how);
      }
      used.add_row({""}, "figures from: " + m.origin);
    }
    if (const auto* mem =
            dynamic_cast<const sensors::MemoryModelSensor*>(s.get())) {
      used.add_row({""}, "figures from: " + mem->model().origin);
    }
    if (s->method() == Method::kEstimated)
      used.add_row({""}, "band: " + band_text(s->band()));
    if (const auto* gpu = dynamic_cast<const sensors::NvmlSensor*>(s.get())) {
      for (const auto& g : gpu->gpus())
        used.add_row({""}, fmt::format("gpu-{}: {}", g.index, g.name));
    }
    for (const auto& dom : s->domains()) {
      if (s->method() == Method::kMeasured) {
        cpu_counter = cpu_counter || dom.kind == sensors::DomainKind::kPackage;
        mem_counter = mem_counter || dom.kind == sensors::DomainKind::kDram;
      }
    }
  }
  out += used.render(color);
  if (d.sensors.empty())
    out += "  (none)\n";
  out += "\n" + paint(color, "1", "Not used") + "\n";
  Table unused({{Align::kLeft, 14}}, "  ");
  for (const auto& u : d.unavailable) {
    unused.add_row({u.sensor}, u.reason.to_string());
    if (!u.reason.remedy().empty())
      unused.add_row({""}, "fix: " + u.reason.remedy());
  }
  out += unused.render(color);
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

std::string sensors_json(const sensors::Detection& d) {
  ordered_json j;
  j["schema_version"] = kSensorsSchemaVersion;
  j["machine"] = measure::machine_to_json(d.machine);
  j["sensors"] = ordered_json::array();
  for (const auto& s : d.sensors) {
    ordered_json domains = ordered_json::array();
    for (const auto& dom : s->domains()) {
      domains.push_back({{"name", dom.name},
                         {"kind", std::string(sensors::to_string(dom.kind))},
                         {"nested", dom.nested}});
    }
    ordered_json entry = {{"name", std::string(s->name())},
                          {"method", std::string(to_string(s->method()))},
                          {"description", s->description()},
                          {"domains", std::move(domains)},
                          {"band", band_json(s->band())}};
    if (const auto* cpu =
            dynamic_cast<const sensors::CpuModelSensor*>(s.get())) {
      const auto& m = cpu->model();
      const bool curve = m.kind == sensors::CpuModelKind::kTdpCurve;
      entry["cpu"] = {{"model", model_name(m)},
                      {"logical_cpus", m.logical_cpus},
                      {"family", m.family},
                      {"power_model", curve ? "tdp-curve" : "linear"}};
      if (curve) {
        entry["cpu"]["tdp_used_w"] = m.tdp_used.value();
        entry["cpu"]["tdp_source"] = m.how;
      } else {
        entry["cpu"]["min_w_per_unit"] = m.per_unit.min.value();
        entry["cpu"]["max_w_per_unit"] = m.per_unit.max.value();
        entry["cpu"]["units"] = m.units;
        entry["cpu"]["watts_source"] = m.how;
      }
      entry["cpu"]["origin"] = m.origin;
    }
    if (const auto* mem =
            dynamic_cast<const sensors::MemoryModelSensor*>(s.get())) {
      const auto& m = mem->model();
      entry["memory"] = {{"installed_bytes", m.installed_bytes},
                         {"watts_per_gb", m.watts_per_gb},
                         {"power_w", m.power.value()},
                         {"origin", m.origin}};
    }
    if (const auto* gpu = dynamic_cast<const sensors::NvmlSensor*>(s.get())) {
      ordered_json gpus = ordered_json::array();
      for (const auto& g : gpu->gpus()) {
        gpus.push_back({{"domain", fmt::format("gpu-{}", g.index)},
                        {"name", g.name},
                        {"uuid", g.uuid},
                        {"energy_counter", g.energy_counter}});
      }
      entry["gpus"] = std::move(gpus);
      const std::string_view call = gpu->process_list_call();
      entry["process_list"] =
          call.empty() ? ordered_json(nullptr) : ordered_json(call);
    }
    j["sensors"].push_back(std::move(entry));
  }
  j["unavailable"] = ordered_json::array();
  for (const auto& u : d.unavailable) {
    j["unavailable"].push_back(
        {{"sensor", u.sensor},
         {"code", std::string(to_string(u.reason.code()))},
         {"reason", u.reason.to_string()},
         {"remedy", u.reason.remedy()}});
  }
  return dump_json(j);
}

}  // namespace mlcarbon::report
