// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/measure/run.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include <sys/random.h>
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
  ctx.machine = detection.machine;
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
  ctx.slurm = slurm_task_from_environment(
      [](const char* name) { return std::getenv(name); }, ctx.host);
  return ctx;
}

namespace {

std::optional<int> small_int(const char* text) {
  if (text == nullptr || *text == '\0')
    return std::nullopt;
  int value = 0;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end || value < 0)
    return std::nullopt;
  return value;
}

}  // namespace

std::optional<SlurmTask> slurm_task_from_environment(
    const std::function<const char*(const char*)>& getenv,
    std::string_view host) {
  const char* job = getenv("SLURM_JOB_ID");
  if (job == nullptr || *job == '\0')
    job = getenv("SLURM_JOBID");  // older Slurm releases
  if (job == nullptr || *job == '\0')
    return std::nullopt;
  SlurmTask task;
  task.job_id = job;
  task.proc_id = small_int(getenv("SLURM_PROCID"));
  task.node_id = small_int(getenv("SLURM_NODEID"));
  const char* node = getenv("SLURMD_NODENAME");
  task.node =
      node != nullptr && *node != '\0' ? std::string(node) : std::string(host);
  return task;
}

Status system_random(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(Errc::kIo, "getrandom: {}", std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<std::string> new_run_id(RandomSource random) {
  std::array<std::uint8_t, 16> b{};
  if (Status got = random(b); !got) {
    return tl::unexpected(
        Error(got.error().code(),
              fmt::format("cannot make a run id: no random bytes ({})",
                          got.error().message())));
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
      carbon::choose_region(table, options.region, carbon::process_env(), {},
                            options.region_flag));
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
    MLCARBON_ASSIGN_OR_RETURN(setup.series,
                              carbon::read_series(*options.intensity_series));
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

namespace {

// The cumulative energy at `t`, linear between the points, clamped to the
// first and last.
Joules energy_at(std::span<const carbon::EnergyPoint> energy, WallTime t) {
  if (t <= energy.front().time)
    return energy.front().cumulative;
  for (std::size_t i = 1; i < energy.size(); ++i) {
    const carbon::EnergyPoint& a = energy[i - 1];
    const carbon::EnergyPoint& b = energy[i];
    if (t <= b.time) {
      const Seconds span = b.time - a.time;
      const double f = span > Seconds(0) ? Seconds(t - a.time) / span : 1.0;
      return a.cumulative + (b.cumulative - a.cumulative) * f;
    }
  }
  return energy.back().cumulative;
}

// The points inside [start, end], with interpolated points at both edges.
std::vector<carbon::EnergyPoint> cut_points(
    std::span<const carbon::EnergyPoint> energy, WallTime start, WallTime end) {
  std::vector<carbon::EnergyPoint> out;
  out.push_back({start, energy_at(energy, start)});
  for (const carbon::EnergyPoint& p : energy) {
    if (p.time > start && p.time < end)
      out.push_back(p);
  }
  out.push_back({end, energy_at(energy, end)});
  return out;
}

}  // namespace

GramsCo2ePerKwh mean_intensity(const CarbonSetup& setup, WallTime start,
                               WallTime end,
                               std::span<const carbon::EnergyPoint> energy) {
  if (!setup.series)
    return setup.info.intensity;
  if (energy.size() < 2 || end <= start)
    return setup.series->at(start);
  const std::vector<carbon::EnergyPoint> cut = cut_points(energy, start, end);
  const Joules segmented = cut.back().cumulative - cut.front().cumulative;
  if (!(segmented.value() > 0.0))
    return setup.series->at(start);
  const GramsCo2e g = carbon::emissions(*setup.series, cut);
  return GramsCo2ePerKwh(g.value() / to_kwh(segmented).value());
}

void apply_carbon(Run& run, const CarbonSetup& setup,
                  std::span<const carbon::EnergyPoint> energy) {
  run.carbon = setup.info;
  Measurement& m = run.measurement;
  const double pue = run.carbon.pue;
  // The segments cover the run up to the edges of the run's window: their
  // energy-weighted mean intensity prices the whole run.
  const WallTime start = energy.size() >= 2 ? energy.front().time : m.start;
  const WallTime end = energy.size() >= 2 ? energy.back().time : m.end;
  run.carbon.intensity = mean_intensity(setup, start, end, energy);
  if (setup.series) {
    if (auto warning = setup.series->coverage_warning(m.start, m.end))
      m.warnings.push_back(std::move(*warning));
  }
  run.co2e = carbon::emissions(run.carbon.intensity, m.total, pue);
  run.attributed_co2e =
      carbon::emissions(run.carbon.intensity, m.attributed, pue);
  run.embodied = carbon::embodied_for_machine(run.context.cpu_count,
                                              run.context.gpus, m.duration);
}

Co2eBounds priced_bounds(GramsCo2e co2e, Joules energy, EnergyBounds bounds) {
  if (!(energy.value() > 0.0))
    return {co2e, co2e};
  // Ratios of energies, and the central figure kept inside: a band of
  // width zero must not come out a rounding step off its figure.
  const double low = co2e.value() * (bounds.low.value() / energy.value());
  const double high = co2e.value() * (bounds.high.value() / energy.value());
  return {GramsCo2e(std::min(low, co2e.value())),
          GramsCo2e(std::max(high, co2e.value()))};
}

WindowRecord price_window(Measurement measurement, const CarbonSetup& setup,
                          std::span<const carbon::EnergyPoint> energy) {
  WindowRecord w;
  w.name = measurement.name;
  w.intensity =
      mean_intensity(setup, measurement.start, measurement.end, energy);
  const double pue = setup.info.pue;
  w.co2e = carbon::emissions(w.intensity, measurement.total, pue);
  w.attributed_co2e =
      carbon::emissions(w.intensity, measurement.attributed, pue);
  w.measurement = std::move(measurement);
  return w;
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
