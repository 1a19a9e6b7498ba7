// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/power_config.h"

#include <limits>
#include <system_error>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/yaml.h"

namespace mlcarbon::sensors {
namespace {

constexpr YamlLimits kLimits{"config", 64 * 1024};

// `shown` is the value as the user gave it, quoted in the error.
Result<double> check_bounded(double value, std::string_view shown,
                             std::string_view where, std::string_view what,
                             double low, bool low_open, double high) {
  // Written so that NaN fails every comparison and is refused.
  if (!(value <= high && value >= low && (!low_open || value > low))) {
    return make_error(Errc::kInvalidArgument,
                      "{}: expected {} ({} {} and at most {}), got '{}'", where,
                      what, low_open ? "above" : "at least", low, high, shown);
  }
  return value;
}

Result<double> parse_bounded(std::string_view text, std::string_view where,
                             std::string_view what, double low, bool low_open,
                             double high) {
  auto v = parse_double(trim(text));
  return check_bounded(v ? *v : std::numeric_limits<double>::quiet_NaN(), text,
                       where, what, low, low_open, high);
}

Result<CpuWatts> check_min_max(double min, double max, std::string_view shown,
                               std::string_view where) {
  if (min > max) {
    return make_error(Errc::kInvalidArgument,
                      "{}: expected MIN <= MAX in MIN:MAX, got '{}'", where,
                      shown);
  }
  return CpuWatts{Watts(min), Watts(max)};
}

// The limits, one place for the text and the number forms.
constexpr double kMaxCpuWatts = 1000.0;
constexpr double kMaxTdp = 10000.0;
constexpr double kMaxMemoryWattsPerGb = 10.0;
constexpr std::string_view kMinWhat = "MIN watts of MIN:MAX";
constexpr std::string_view kMaxWhat = "MAX watts of MIN:MAX";
constexpr std::string_view kTdpWhat = "a TDP in watts";
constexpr std::string_view kMemoryWhat = "watts per GiB of memory";

}  // namespace

Result<CpuWatts> parse_cpu_watts(std::string_view text,
                                 std::string_view where) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::kInvalidArgument,
                      "{}: expected MIN:MAX in watts (e.g. 0.74:3.5), got '{}'",
                      where, text);
  }
  MLCARBON_ASSIGN_OR_RETURN(
      const double min, parse_bounded(text.substr(0, colon), where, kMinWhat,
                                      0.0, false, kMaxCpuWatts));
  MLCARBON_ASSIGN_OR_RETURN(
      const double max, parse_bounded(text.substr(colon + 1), where, kMaxWhat,
                                      0.0, true, kMaxCpuWatts));
  return check_min_max(min, max, text, where);
}

Result<Watts> parse_tdp(std::string_view text, std::string_view where) {
  MLCARBON_ASSIGN_OR_RETURN(
      const double w, parse_bounded(text, where, kTdpWhat, 0.0, true, kMaxTdp));
  return Watts(w);
}

Result<double> parse_memory_watts_per_gb(std::string_view text,
                                         std::string_view where) {
  return parse_bounded(text, where, kMemoryWhat, 0.0, true,
                       kMaxMemoryWattsPerGb);
}

Result<CpuWatts> check_cpu_watts(double min, double max,
                                 std::string_view where) {
  MLCARBON_ASSIGN_OR_RETURN(const double lo,
                            check_bounded(min, fmt::format("{}", min), where,
                                          kMinWhat, 0.0, false, kMaxCpuWatts));
  MLCARBON_ASSIGN_OR_RETURN(const double hi,
                            check_bounded(max, fmt::format("{}", max), where,
                                          kMaxWhat, 0.0, true, kMaxCpuWatts));
  return check_min_max(lo, hi, fmt::format("{}:{}", min, max), where);
}

Result<Watts> check_tdp(double watts, std::string_view where) {
  MLCARBON_ASSIGN_OR_RETURN(
      const double w, check_bounded(watts, fmt::format("{}", watts), where,
                                    kTdpWhat, 0.0, true, kMaxTdp));
  return Watts(w);
}

Result<double> check_memory_watts_per_gb(double watts_per_gb,
                                         std::string_view where) {
  return check_bounded(watts_per_gb, fmt::format("{}", watts_per_gb), where,
                       kMemoryWhat, 0.0, true, kMaxMemoryWattsPerGb);
}

Status check_one_cpu_model(const PowerOverrides& overrides, Errc code,
                           std::string_view context, std::string_view cpu_watts,
                           std::string_view tdp) {
  if (overrides.cpu_watts && overrides.tdp) {
    return make_error(code, "{}{} and {} are two CPU models: give one", context,
                      cpu_watts, tdp);
  }
  return {};
}

std::filesystem::path default_config_path() {
  return xdg_base_dir("XDG_CONFIG_HOME", ".config") / "mlcarbon" /
         "config.yaml";
}

Result<PowerOverrides> load_power_config(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return PowerOverrides{};
  const std::string origin = path.string();
  MLCARBON_ASSIGN_OR_RETURN(const std::string text,
                            read_file(path, kLimits.max_bytes));
  MLCARBON_RETURN_IF_ERROR(check_yaml_size(text.size(), origin, kLimits));
  MLCARBON_ASSIGN_OR_RETURN(const YAML::Node doc,
                            load_yaml(text, origin, kLimits));
  PowerOverrides out;
  if (!doc || doc.IsNull())
    return out;
  try {
    if (!doc.IsMap()) {
      return make_error(Errc::kParse, "{}expected a mapping, got {}",
                        yaml_where(origin, doc.Mark()), yaml_kind(doc));
    }
    for (const auto& top : doc) {
      const std::string key = top.first.as<std::string>();
      if (key != "power") {
        return make_error(Errc::kParse,
                          "{}unknown key '{}'; the config file has 'power'",
                          yaml_where(origin, top.first.Mark()), key);
      }
      const YAML::Node power = top.second;
      if (power.IsNull())
        continue;
      if (!power.IsMap()) {
        return make_error(Errc::kParse, "{}power: expected a mapping, got {}",
                          yaml_where(origin, power.Mark()), yaml_kind(power));
      }
      for (const auto& item : power) {
        const std::string name = item.first.as<std::string>();
        const YAML::Node value = item.second;
        const std::string where =
            yaml_where(origin, value.Mark()) + "power." + name;
        // "config file PATH:LINE" tells `sensors` where a figure was pinned.
        const std::string pinned =
            fmt::format("config file {}:{}", origin, value.Mark().line + 1);
        if (!value.IsScalar()) {
          return make_error(Errc::kParse, "{}: expected a scalar, got {}",
                            where, yaml_kind(value));
        }
        const std::string scalar = value.Scalar();
        if (name == "cpu_watts") {
          MLCARBON_ASSIGN_OR_RETURN(auto w, parse_cpu_watts(scalar, where));
          out.cpu_watts = Pinned<CpuWatts>{w, pinned};
        } else if (name == "tdp_w") {
          MLCARBON_ASSIGN_OR_RETURN(auto w, parse_tdp(scalar, where));
          out.tdp = Pinned<Watts>{w, pinned};
        } else if (name == "memory_watts_per_gb") {
          MLCARBON_ASSIGN_OR_RETURN(auto x,
                                    parse_memory_watts_per_gb(scalar, where));
          out.memory_watts_per_gb = Pinned<double>{x, pinned};
        } else {
          return make_error(
              Errc::kParse,
              "{}unknown key 'power.{}'; expected cpu_watts, tdp_w or "
              "memory_watts_per_gb",
              yaml_where(origin, item.first.Mark()), name);
        }
      }
    }
  } catch (const std::exception& e) {
    return tl::unexpected(yaml_error(e, origin, kLimits));
  }
  MLCARBON_RETURN_IF_ERROR(check_one_cpu_model(
      out, Errc::kParse, origin + ": ", "power.cpu_watts", "power.tdp_w"));
  return out;
}

void merge_overrides(PowerOverrides& base, const PowerOverrides& over) {
  // The CPU figures are one choice: a --tdp flag replaces a cpu_watts of
  // the file, and the other way round.
  if (over.cpu_watts || over.tdp) {
    base.cpu_watts = over.cpu_watts;
    base.tdp = over.tdp;
  }
  if (over.memory_watts_per_gb)
    base.memory_watts_per_gb = over.memory_watts_per_gb;
}

Result<SensorOptions> with_config_file(SensorOptions options,
                                       const std::filesystem::path& path) {
  MLCARBON_ASSIGN_OR_RETURN(PowerOverrides merged, load_power_config(path));
  merge_overrides(merged, options.overrides);
  options.overrides = std::move(merged);
  return options;
}

}  // namespace mlcarbon::sensors
