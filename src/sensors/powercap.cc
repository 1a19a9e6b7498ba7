// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include <dirent.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/sensors/rapl.h"

#include "counter.h"

namespace mlcarbon::sensors {
namespace {

class RealSysfsReader final : public SysfsReader {
 public:
  Result<std::uint64_t> read_u64(
      const std::filesystem::path& path) const override {
    std::array<char, 64> buf{};
    MLCARBON_ASSIGN_OR_RETURN(std::string_view text,
                              read_file_prefix(path.c_str(), buf));
    // A counter has at most 20 digits: a file that fills the buffer was cut
    // short, and the number at its start is not the one it holds.
    if (text.size() == buf.size())
      return make_error(Errc::kParse, "{}: longer than a counter value",
                        path.string());
    auto v = parse_u64(text);
    if (!v)
      return make_error(Errc::kParse, "{}: not an integer", path.string());
    return v;
  }
};

// A zone directory name: intel-rapl:N or intel-rapl:N:M (or amd-rapl:...).
struct ZoneId {
  int top = 0;
  int sub = -1;  // -1 for a top-level zone
};

std::optional<ZoneId> parse_zone_dir(std::string_view name) {
  std::string_view rest;
  if (name.starts_with("intel-rapl:"))
    rest = name.substr(11);
  else if (name.starts_with("amd-rapl:"))
    rest = name.substr(9);
  else
    return std::nullopt;  // "intel-rapl" itself, intel-rapl-mmio:*, ...
  ZoneId id;
  const auto parts = split(rest, ':');
  if (parts.empty() || parts.size() > 2)
    return std::nullopt;
  const auto top = parse_integer<int>(parts[0]);
  if (!top)
    return std::nullopt;
  id.top = *top;
  if (parts.size() == 2) {
    const auto sub = parse_integer<int>(parts[1]);
    if (!sub)
      return std::nullopt;
    id.sub = *sub;
  }
  return id;
}

struct Zone {
  ZoneId id;
  std::filesystem::path energy_path;
  std::uint64_t max_range_uj = 0;
  std::uint64_t last_uj = 0;
  Joules total{0};
};

class PowercapSensor final : public EnergySensor {
 public:
  PowercapSensor(std::filesystem::path root, std::vector<Domain> domains,
                 std::vector<Zone> zones, const SysfsReader& reader,
                 const Clock& clock)
      : root_(std::move(root)),
        domains_(std::move(domains)),
        zones_(std::move(zones)),
        reader_(reader),
        clock_(clock) {}

  std::string_view name() const override { return "rapl-powercap"; }
  Method method() const override { return Method::kMeasured; }
  std::string description() const override {
    return fmt::format("powercap sysfs {}", root_.string());
  }
  const std::vector<Domain>& domains() const override { return domains_; }

  Result<EnergySample> sample() override {
    EnergySample out;
    out.energy.reserve(zones_.size());
    for (Zone& z : zones_) {
      MLCARBON_ASSIGN_OR_RETURN(const std::uint64_t now,
                                reader_.read_u64(z.energy_path));
      // The counter wraps at max_energy_range_uj; assume at most one wrap
      // between samples (about 60 s at full load on a big server).
      if (const auto step =
              detail::counter_step(z.last_uj, now, z.max_range_uj)) {
        z.total += Joules(static_cast<double>(*step) * 1e-6);
      } else {
        out.warnings.push_back(fmt::format(
            "{} went from {} to {} uJ, which no wrap at max_energy_range_uj "
            "{} explains; that step was dropped",
            z.energy_path.string(), z.last_uj, now,
            z.max_range_uj == 0 ? std::string("(unknown)")
                                : std::to_string(z.max_range_uj)));
      }
      z.last_uj = now;
      out.energy.push_back(z.total);
    }
    out.time = clock_.now();
    return out;
  }

 private:
  std::filesystem::path root_;
  std::vector<Domain> domains_;
  std::vector<Zone> zones_;
  const SysfsReader& reader_;
  const Clock& clock_;
};

std::string permission_remedy(const std::filesystem::path& root) {
  return fmt::format(
      "energy_uj is readable by root only: run as root, or `sudo chmod a+r "
      "{}/intel-rapl:*/energy_uj` (see docs/sensors.md)",
      root.string());
}

}  // namespace

const SysfsReader& real_sysfs_reader() {
  static const RealSysfsReader kReader;
  return kReader;
}

Result<std::unique_ptr<EnergySensor>> open_powercap_sensor(
    const SensorOptions& options, const SysfsReader& reader) {
  const std::filesystem::path& root = options.powercap_root;
  std::vector<std::pair<ZoneId, std::string>> found;
  if (DIR* d = ::opendir(root.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (auto id = parse_zone_dir(e->d_name))
        found.emplace_back(*id, e->d_name);
    }
    ::closedir(d);
  }
  if (found.empty()) {
    return tl::unexpected(
        Error(Errc::kUnavailable,
              fmt::format("no RAPL zones under {} (not an Intel/AMD CPU, "
                          "intel_rapl not loaded, or a VM)",
                          root.string()))
            .with_remedy("on bare metal: `sudo modprobe intel_rapl_common` "
                         "(or intel_rapl / amd_energy on older kernels)"));
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.top, a.first.sub) <
           std::pair(b.first.top, b.first.sub);
  });

  // The socket of a top-level package zone comes from its name
  // ("package-1"), since psys can take a zone number before the packages.
  std::vector<std::pair<int, int>> socket_of_top;  // top id -> socket
  std::vector<Domain> domains;
  std::vector<Zone> zones;
  for (const auto& [id, dir_name] : found) {
    const auto dir = root / dir_name;
    auto name = read_small_file(dir / "name");
    if (!name)
      continue;  // not a zone (control files); skip quietly
    int socket = 0;
    const std::string zone_name = to_lower(*name);
    if (id.sub < 0 && zone_name.starts_with("package-")) {
      socket =
          parse_integer<int>(std::string_view(zone_name).substr(8)).value_or(0);
      socket_of_top.emplace_back(id.top, socket);
    } else {
      for (const auto& [top, s] : socket_of_top) {
        if (top == id.top)
          socket = s;
      }
    }
    Domain domain;
    domain.index = socket;
    if (zone_name.starts_with("package")) {
      domain.kind = DomainKind::kPackage;
      domain.name = fmt::format("package-{}", socket);
    } else if (zone_name == "core") {
      domain.kind = DomainKind::kCore;
      domain.name = fmt::format("core-{}", socket);
      domain.nested = true;
    } else if (zone_name == "uncore") {
      domain.kind = DomainKind::kUncore;
      domain.name = fmt::format("uncore-{}", socket);
      domain.nested = true;
    } else if (zone_name == "dram") {
      domain.kind = DomainKind::kDram;
      domain.name = fmt::format("dram-{}", socket);
    } else if (zone_name == "psys") {
      // psys covers the whole platform: report it, but keep it out of the
      // total, which is built from package + dram.
      domain.kind = DomainKind::kPsys;
      domain.name = "psys";
      domain.index = 0;
      domain.nested = true;
    } else {
      continue;  // unknown zone type
    }
    Zone zone;
    zone.id = id;
    zone.energy_path = dir / "energy_uj";
    auto first = reader.read_u64(zone.energy_path);
    if (!first) {
      Error error = std::move(first).error();
      if (error.code() == Errc::kPermissionDenied) {
        return tl::unexpected(Error(Errc::kPermissionDenied,
                                    fmt::format("{}: permission denied",
                                                zone.energy_path.string()))
                                  .with_remedy(permission_remedy(root)));
      }
      return tl::unexpected(std::move(error));
    }
    zone.last_uj = *first;
    auto range = reader.read_u64(dir / "max_energy_range_uj");
    // Without a range, or with one the counter already exceeds (0 on some
    // VMs), a wrap cannot be undone: such a step is dropped with a warning
    // rather than guessed.
    zone.max_range_uj = range && *range >= *first ? *range : 0;
    domains.push_back(std::move(domain));
    zones.push_back(std::move(zone));
  }
  if (zones.empty()) {
    return make_error(Errc::kUnavailable, "no readable RAPL zones under {}",
                      root.string());
  }
  return std::make_unique<PowercapSensor>(
      root, std::move(domains), std::move(zones), reader, *options.clock);
}

}  // namespace mlcarbon::sensors
