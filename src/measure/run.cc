// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/run.h"

#include <array>
#include <cstdint>
#include <cstdio>

#include <sys/utsname.h>
#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/carbon/choose.h"
#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/fs.h"
#include "mlcarbon/sensors/nvml.h"
#include "mlcarbon/sensors/procfs.h"
#include "mlcarbon/version.h"

namespace mlcarbon::measure {

RunContext collect_context(const sensors::Detection& detection,
                           const std::filesystem::path& proc_root) {
  RunContext ctx;
  ctx.mlcarbon_version = MLCARBON_VERSION;
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0)
    ctx.host = host.data();
  utsname u{};
  if (::uname(&u) == 0) {
    ctx.os = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
  }
  if (auto cpu = sensors::procfs::read_cpuinfo(proc_root)) {
    ctx.cpu_model = cpu->model_name;
    ctx.cpu_count = cpu->logical_cpus;
  }
  if (auto mem = sensors::procfs::read_meminfo(proc_root)) {
    ctx.ram_total_gb = static_cast<double>(mem->total_bytes) / 1e9;
  }
  for (const auto& s : detection.sensors) {
    ctx.sensors.push_back(
        {std::string(s->name()), s->method(), s->description()});
    // GPUs by model name, as the driver reports it.
    if (const auto* nvml = dynamic_cast<const sensors::NvmlSensor*>(s.get())) {
      for (const auto& g : nvml->gpus())
        ctx.gpus.push_back(g.name);
      continue;
    }
    for (const auto& d : s->domains()) {
      if (d.kind == sensors::DomainKind::kGpu)
        ctx.gpus.push_back(d.name);
    }
  }
  for (const auto& u2 : detection.unavailable) {
    ctx.unavailable.push_back(
        fmt::format("{}: {}", u2.sensor, u2.reason.to_string()));
  }
  return ctx;
}

std::string new_run_id() {
  std::array<std::uint8_t, 16> b{};
  if (std::FILE* f = std::fopen("/dev/urandom", "rb")) {
    const std::size_t n = std::fread(b.data(), 1, b.size(), f);
    std::fclose(f);
    (void)n;
  }
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0F) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3F) | 0x80);  // RFC 4122
  return fmt::format(
      "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
      "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
      b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
      b[12], b[13], b[14], b[15]);
}

Result<CarbonSetup> resolve_carbon(const CarbonOptions& options) {
  CarbonSetup setup;
  const carbon::RegionTable& table = carbon::RegionTable::builtin();
  MLCARBON_ASSIGN_OR_RETURN(
      const carbon::RegionChoice choice,
      carbon::choose_region(table, options.region, carbon::process_env()));
  const carbon::Region& r = *choice.region;
  CarbonInfo& c = setup.info;
  c.region = r.code;
  c.region_name = r.name;
  c.region_reason = choice.reason;
  if (r.kind == carbon::RegionKind::kCloud) {
    c.cloud_provider = r.provider;
    const auto colon = r.code.find(':');
    c.cloud_region =
        colon == std::string::npos ? r.code : r.code.substr(colon + 1);
  }
  if (!r.country.empty()) {
    if (auto country = table.find(r.country)) {
      c.country_name = (*country)->name;
      c.country_iso_code = (*country)->alpha3;
    }
  }
  c.intensity = r.intensity;
  c.intensity_source =
      fmt::format("{}, {}, {}", r.source, r.year, carbon::to_string(r.scope));
  if (options.carbon_intensity) {
    if (!(*options.carbon_intensity >= 0.0) ||
        *options.carbon_intensity > 1e5) {
      return make_error(Errc::kInvalidArgument,
                        "carbon intensity must be a non-negative number of "
                        "g CO2e/kWh, got {}",
                        *options.carbon_intensity);
    }
    c.intensity = GramsCo2ePerKwh(*options.carbon_intensity);
    c.intensity_source = "given by the user";
  }
  if (options.intensity_series) {
    const std::string origin = options.intensity_series->string();
    MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                              read_file(*options.intensity_series));
    MLCARBON_ASSIGN_OR_RETURN(setup.series, carbon::parse_series(text, origin));
    c.time_varying = true;
    c.intensity_source = fmt::format("hourly series {}", origin);
  }
  if (options.pue && !(*options.pue >= 1.0 && *options.pue < 10.0)) {
    return make_error(Errc::kInvalidArgument,
                      "PUE must be between 1.0 and 10, got {}", *options.pue);
  }
  const carbon::PueChoice pue = carbon::pue_for(r, options.pue);
  c.pue = pue.pue;
  c.pue_reason = pue.reason;
  return setup;
}

void apply_carbon(Run& run, const CarbonSetup& setup,
                  std::span<const carbon::EnergyPoint> energy) {
  run.carbon = setup.info;
  const Measurement& m = run.measurement;
  const double pue = run.carbon.pue;
  if (setup.series && energy.size() >= 2) {
    // The segments cover the run up to the edges of the run's window:
    // their energy-weighted mean intensity prices the whole run.
    const Joules segmented =
        energy.back().cumulative - energy.front().cumulative;
    if (segmented.value() > 0.0) {
      const GramsCo2e g = carbon::emissions(*setup.series, energy);
      run.carbon.intensity =
          GramsCo2ePerKwh(g.value() / to_kwh(segmented).value());
    } else {
      run.carbon.intensity = setup.series->at(m.start);
    }
  } else if (setup.series) {
    run.carbon.intensity = setup.series->at(m.start);
  }
  run.co2e = carbon::emissions(run.carbon.intensity, m.total, pue);
  run.attributed_co2e =
      carbon::emissions(run.carbon.intensity, m.attributed, pue);
}

std::string quote_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty())
      out += ' ';
    const bool plain =
        !arg.empty() &&
        arg.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
            "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      out += arg;
      continue;
    }
    out += '\'';
    for (const char c : arg) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    out += '\'';
  }
  return out;
}

}  // namespace mlcarbon::measure
