// SPDX-License-Identifier: Apache-2.0
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/sensors/rapl.h"

#include "counter.h"
#include "read_util.h"

namespace mlcarbon::sensors {
namespace {

class RealPerfEventApi final : public PerfEventApi {
 public:
  Result<int> open(std::uint32_t type, std::uint64_t config, int cpu) override {
    perf_event_attr attr{};
    attr.type = type;
    attr.size = sizeof attr;
    attr.config = config;
    const long fd = ::syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
                              PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      return tl::unexpected(Error(errc_from_errno(err), std::strerror(err)));
    }
    return static_cast<int>(fd);
  }
  Result<std::uint64_t> read(int fd) override {
    std::uint64_t count = 0;
    if (::read(fd, &count, sizeof count) != static_cast<ssize_t>(sizeof count))
      return make_error(Errc::kIo, "reading perf counter: {}",
                        std::strerror(errno));
    return count;
  }
  void close(int fd) override { ::close(fd); }
};

struct Counter {
  int fd = -1;
  double scale_j = 0;
  /// The last count read (the first at open).
  std::uint64_t last = 0;
  Joules total{0};
};

class PerfSensor final : public EnergySensor {
 public:
  PerfSensor(std::unique_ptr<PerfEventApi> api, std::vector<Domain> domains,
             std::vector<Counter> counters, const Clock& clock)
      : api_(std::move(api)),
        domains_(std::move(domains)),
        counters_(std::move(counters)),
        clock_(clock) {}
  PerfSensor(const PerfSensor&) = delete;
  PerfSensor& operator=(const PerfSensor&) = delete;
  ~PerfSensor() override {
    for (const Counter& c : counters_)
      api_->close(c.fd);
  }

  std::string_view name() const override { return "rapl-perf"; }
  Method method() const override { return Method::kMeasured; }
  std::string description() const override { return "perf_event power PMU"; }
  const std::vector<Domain>& domains() const override { return domains_; }

  Result<EnergySample> sample() override {
    EnergySample out;
    out.energy.reserve(counters_.size());
    for (Counter& c : counters_) {
      MLCARBON_ASSIGN_OR_RETURN(const std::uint64_t count, api_->read(c.fd));
      // perf extends the 32-bit MSR to 64 bits, so no wrap here: a count
      // below the last one is impossible and its step is dropped.
      if (const auto step = detail::counter_step(c.last, count, 0)) {
        c.total += Joules(static_cast<double>(*step) * c.scale_j);
      } else {
        out.warnings.push_back(
            fmt::format("perf counter for {} went down from {} to {}; that "
                        "step was dropped",
                        domains_[out.energy.size()].name, c.last, count));
      }
      c.last = count;
      out.energy.push_back(c.total);
    }
    out.time = clock_.now();
    return out;
  }

 private:
  std::unique_ptr<PerfEventApi> api_;
  std::vector<Domain> domains_;
  std::vector<Counter> counters_;
  const Clock& clock_;
};

// "event=0x02" or "event=0x02,umask=0x1": only event= matters for power.
Result<std::uint64_t> parse_event_config(std::string_view text) {
  for (std::string_view term : split(trim(text), ',')) {
    if (starts_with(term, "event=")) {
      term.remove_prefix(6);
      std::uint64_t v = 0;
      const int base = starts_with(term, "0x") ? 16 : 10;
      if (base == 16)
        term.remove_prefix(2);
      const auto [p, ec] =
          std::from_chars(term.data(), term.data() + term.size(), v, base);
      if (ec == std::errc() && p == term.data() + term.size())
        return v;
    }
  }
  return make_error(Errc::kParse, "no event= in '{}'", text);
}

std::string paranoid_level(const std::filesystem::path& proc_root) {
  auto level = read_small_file(proc_root / "sys/kernel/perf_event_paranoid");
  return level ? *level : std::string("unknown");
}

}  // namespace

std::unique_ptr<PerfEventApi> real_perf_event_api() {
  return std::make_unique<RealPerfEventApi>();
}

Result<PerfPowerPmu> read_perf_power_pmu(const std::filesystem::path& pmu_dir) {
  auto type_text = read_small_file(pmu_dir / "type");
  if (!type_text) {
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("no power PMU at {} (kernel without RAPL perf "
                          "support, or a VM)",
                          pmu_dir.string()))
            .with_remedy("use a bare-metal Linux >= 3.14 on a RAPL-capable "
                         "Intel or AMD (>= 5.8) CPU"));
  }
  auto type = parse_u64(*type_text);
  if (!type)
    return make_error(Errc::kParse, "{}/type: '{}'", pmu_dir.string(),
                      *type_text);
  PerfPowerPmu pmu;
  pmu.type = static_cast<std::uint32_t>(*type);
  for (const char* event : {"energy-pkg", "energy-cores", "energy-gpu",
                            "energy-ram", "energy-psys"}) {
    const auto events = pmu_dir / "events";
    auto config_text = read_small_file(events / event);
    if (!config_text)
      continue;  // this CPU lacks the domain
    MLCARBON_ASSIGN_OR_RETURN(const std::uint64_t config,
                              parse_event_config(*config_text));
    auto scale_text = read_small_file(events / (std::string(event) + ".scale"));
    auto unit_text = read_small_file(events / (std::string(event) + ".unit"));
    if (!scale_text || !unit_text || *unit_text != "Joules")
      continue;  // a scale we cannot interpret is worse than no domain
    MLCARBON_ASSIGN_OR_RETURN(const double scale, parse_double(*scale_text));
    pmu.events.push_back(PerfRaplEvent{event, config, scale});
  }
  if (pmu.events.empty())
    return make_error(Errc::kUnavailable, "{}: no energy-* events",
                      pmu_dir.string());
  if (auto mask = read_small_file(pmu_dir / "cpumask")) {
    // "0,24" or "0-0": the first CPU of each range is enough.
    for (std::string_view part : split(*mask, ',')) {
      const std::string_view first = part.substr(0, part.find('-'));
      if (auto cpu = parse_u64(first))
        pmu.cpus.push_back(static_cast<int>(*cpu));
    }
  }
  if (pmu.cpus.empty())
    pmu.cpus.push_back(0);
  return pmu;
}

Result<std::unique_ptr<EnergySensor>> open_perf_sensor(
    const SensorOptions& options, std::unique_ptr<PerfEventApi> api) {
  MLCARBON_ASSIGN_OR_RETURN(PerfPowerPmu pmu,
                            read_perf_power_pmu(options.perf_power_pmu));
  std::vector<Domain> domains;
  std::vector<Counter> counters;
  auto close_all = [&] {
    for (const Counter& c : counters)
      api->close(c.fd);
  };
  for (std::size_t socket = 0; socket < pmu.cpus.size(); ++socket) {
    const int s = static_cast<int>(socket);
    for (const PerfRaplEvent& e : pmu.events) {
      Domain d;
      d.index = s;
      if (e.event == "energy-pkg") {
        d = {fmt::format("package-{}", s), DomainKind::kPackage, s, false};
      } else if (e.event == "energy-cores") {
        d = {fmt::format("core-{}", s), DomainKind::kCore, s, true};
      } else if (e.event == "energy-gpu") {
        d = {fmt::format("uncore-{}", s), DomainKind::kUncore, s, true};
      } else if (e.event == "energy-ram") {
        d = {fmt::format("dram-{}", s), DomainKind::kDram, s, false};
      } else {
        if (socket > 0)
          continue;  // psys is one platform-wide counter
        d = {"psys", DomainKind::kPsys, 0, true};
      }
      auto fd = api->open(pmu.type, e.config, pmu.cpus[socket]);
      if (!fd) {
        close_all();
        const Error& err = fd.error();
        if (err.code() == Errc::kPermissionDenied) {
          return tl::unexpected(
              Error(Errc::kPermissionDenied,
                    fmt::format("perf_event_open(power/{}/) on cpu {}: {} "
                                "(kernel.perf_event_paranoid = {}); "
                                "system-wide events need paranoid <= 0 or "
                                "CAP_PERFMON/CAP_SYS_ADMIN",
                                e.event, pmu.cpus[socket], err.message(),
                                paranoid_level(options.proc_root)))
                  .with_remedy("`sudo sysctl kernel.perf_event_paranoid=0`, "
                               "or run as root / grant CAP_PERFMON"));
        }
        if (err.code() == Errc::kNotFound || err.code() == Errc::kUnavailable) {
          return make_error(Errc::kUnavailable,
                            "perf_event_open(power/{}/): {} (no power PMU: "
                            "kernel without RAPL perf support, or a VM)",
                            e.event, err.message());
        }
        return make_error(Errc::kBackend, "perf_event_open(power/{}/): {}",
                          e.event, err.message());
      }
      auto start = api->read(*fd);
      if (!start) {
        api->close(*fd);
        close_all();
        return tl::unexpected(std::move(start).error());
      }
      counters.push_back(Counter{*fd, e.scale_j, *start, Joules(0)});
      domains.push_back(std::move(d));
    }
  }
  return std::make_unique<PerfSensor>(std::move(api), std::move(domains),
                                      std::move(counters), *options.clock);
}

}  // namespace mlcarbon::sensors
