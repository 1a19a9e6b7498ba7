// SPDX-License-Identifier: Apache-2.0
#include <cerrno>
#include <cmath>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/sensors/procfs.h"
#include "mlcarbon/sensors/rapl.h"

namespace mlcarbon::sensors {
namespace {

Result<std::uint64_t> read_msr(int fd, std::uint32_t reg,
                               const std::filesystem::path& path) {
  std::uint64_t value = 0;
  const ssize_t n = ::pread(fd, &value, sizeof value, static_cast<off_t>(reg));
  if (n != static_cast<ssize_t>(sizeof value)) {
    const int err = n < 0 ? errno : EIO;
    return make_error(errc_from_errno(err), "reading MSR {:#x} of {}: {}", reg,
                      path.string(), std::strerror(err));
  }
  return value;
}

// Energy status unit: bits 12:8 of the power-unit MSR give 1/2^ESU J, on
// Intel and AMD alike.
double energy_unit_j(std::uint64_t power_unit) {
  return std::ldexp(1.0, -static_cast<int>((power_unit >> 8) & 0x1F));
}

struct MsrCounter {
  int fd = -1;  // owned by the sensor's fds_
  std::uint32_t reg = 0;
  double unit_j = 0;
  std::uint32_t last = 0;
  Joules total{0};
};

class MsrSensor final : public EnergySensor {
 public:
  MsrSensor(std::filesystem::path root, std::vector<UniqueFd> fds,
            std::vector<Domain> domains, std::vector<MsrCounter> counters,
            const Clock& clock)
      : root_(std::move(root)),
        fds_(std::move(fds)),
        domains_(std::move(domains)),
        counters_(std::move(counters)),
        clock_(clock) {}

  std::string_view name() const override { return "rapl-msr"; }
  Method method() const override { return Method::kMeasured; }
  std::string description() const override {
    return fmt::format("RAPL MSRs via {}/<cpu>/msr", root_.string());
  }
  const std::vector<Domain>& domains() const override { return domains_; }

  Result<EnergySample> sample() override {
    EnergySample out;
    out.energy.reserve(counters_.size());
    for (MsrCounter& c : counters_) {
      MLCARBON_ASSIGN_OR_RETURN(const std::uint64_t raw,
                                read_msr(c.fd, c.reg, root_));
      // 32-bit counter: unsigned subtraction undoes one wrap at 2^32.
      const auto now = static_cast<std::uint32_t>(raw);
      const std::uint32_t delta = now - c.last;
      c.last = now;
      c.total += Joules(static_cast<double>(delta) * c.unit_j);
      out.energy.push_back(c.total);
    }
    out.time = clock_.now();
    return out;
  }

 private:
  std::filesystem::path root_;
  // One per package; several counters share each.
  std::vector<UniqueFd> fds_;
  std::vector<Domain> domains_;
  std::vector<MsrCounter> counters_;
  const Clock& clock_;
};

}  // namespace

const MsrOpener& real_msr_opener() {
  static const MsrOpener kOpen =
      [](const std::filesystem::path& path) -> Result<UniqueFd> {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      const int err = errno;
      return make_error(errc_from_errno(err), "cannot open {}: {}",
                        path.string(), std::strerror(err));
    }
    return fd;
  };
  return kOpen;
}

Result<std::unique_ptr<EnergySensor>> open_msr_sensor(
    const SensorOptions& options, CpuVendor vendor, const MsrOpener& open) {
  std::vector<int> cpus{0};
  if (auto info = procfs::read_cpuinfo(options.proc_root)) {
    cpus = info->package_first_cpu;
    if (vendor == CpuVendor::kUnknown) {
      if (info->vendor_id == "GenuineIntel")
        vendor = CpuVendor::kIntel;
      else if (info->vendor_id == "AuthenticAMD" ||
               info->vendor_id == "HygonGenuine")
        vendor = CpuVendor::kAmd;
    }
  }
  if (vendor == CpuVendor::kUnknown)
    return make_error(Errc::kUnavailable,
                      "RAPL MSRs are known for Intel and AMD CPUs only");
  const bool intel = vendor == CpuVendor::kIntel;
  const std::uint32_t unit_reg =
      intel ? kMsrRaplPowerUnit : kMsrAmdRaplPowerUnit;

  std::vector<UniqueFd> fds;
  std::vector<Domain> domains;
  std::vector<MsrCounter> counters;
  for (std::size_t socket = 0; socket < cpus.size(); ++socket) {
    const int s = static_cast<int>(socket);
    const auto path = options.msr_root / std::to_string(cpus[socket]) / "msr";
    Result<UniqueFd> opened = open(path);
    if (!opened) {
      const Errc code = opened.error().code();
      Error e(code == Errc::kNotFound ? Errc::kUnavailable : code,
              opened.error().message());
      return tl::unexpected(std::move(e).with_remedy(
          "`sudo modprobe msr` and run as root (or grant CAP_SYS_RAWIO and "
          "read access to /dev/cpu/*/msr)"));
    }
    const int fd = opened->get();
    fds.push_back(std::move(*opened));
    auto unit = read_msr(fd, unit_reg, path);
    auto first_pkg =
        unit
            ? read_msr(fd, intel ? kMsrPkgEnergyStatus : kMsrAmdPkgEnergyStatus,
                       path)
            : Result<std::uint64_t>(tl::unexpected(unit.error()));
    if (!first_pkg)
      return tl::unexpected(std::move(first_pkg).error());
    const double unit_j = energy_unit_j(*unit);
    domains.push_back(
        {fmt::format("package-{}", s), DomainKind::kPackage, s, false});
    counters.push_back(
        MsrCounter{fd, intel ? kMsrPkgEnergyStatus : kMsrAmdPkgEnergyStatus,
                   unit_j, static_cast<std::uint32_t>(*first_pkg), Joules(0)});
    if (intel) {
      // DRAM uses the 0x606 unit here; some Xeons use a fixed 15.3 uJ
      // instead (see docs/sensors.md). A zero or failing read means the
      // part has no DRAM domain.
      auto dram = read_msr(fd, kMsrDramEnergyStatus, path);
      if (dram && *dram != 0) {
        domains.push_back(
            {fmt::format("dram-{}", s), DomainKind::kDram, s, false});
        counters.push_back(MsrCounter{fd, kMsrDramEnergyStatus, unit_j,
                                      static_cast<std::uint32_t>(*dram),
                                      Joules(0)});
      }
    }
  }
  return std::make_unique<MsrSensor>(options.msr_root, std::move(fds),
                                     std::move(domains), std::move(counters),
                                     *options.clock);
}

}  // namespace mlcarbon::sensors
