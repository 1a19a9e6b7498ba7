// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/context_json.h"

namespace mlcarbon::measure {

nlohmann::ordered_json context_to_json(const RunContext& context) {
  nlohmann::ordered_json ctx;
  ctx["host"] = context.host;
  ctx["os"] = context.os;
  ctx["cpu_model"] = context.cpu_model;
  ctx["cpu_count"] = context.cpu_count;
  ctx["ram_total_gb"] = context.ram_total_gb;
  ctx["gpus"] = context.gpus;
  nlohmann::ordered_json sensors = nlohmann::ordered_json::array();
  for (const auto& s : context.sensors) {
    sensors.push_back({{"name", s.name},
                       {"method", to_string(s.method)},
                       {"description", s.description}});
  }
  ctx["sensors"] = std::move(sensors);
  ctx["unavailable"] = context.unavailable;
  ctx["mlcarbon_version"] = context.mlcarbon_version;
  if (context.slurm) {
    const SlurmTask& t = *context.slurm;
    nlohmann::ordered_json slurm;
    slurm["job_id"] = t.job_id;
    slurm["proc_id"] = t.proc_id ? nlohmann::ordered_json(*t.proc_id)
                                 : nlohmann::ordered_json(nullptr);
    slurm["node_id"] = t.node_id ? nlohmann::ordered_json(*t.node_id)
                                 : nlohmann::ordered_json(nullptr);
    slurm["node"] = t.node;
    ctx["slurm"] = std::move(slurm);
  }
  return ctx;
}

}  // namespace mlcarbon::measure
