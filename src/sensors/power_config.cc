// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/sensors/power_config.h"

#include <system_error>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/core/yaml.h"

namespace mlcarbon::sensors {
namespace {

constexpr YamlLimits kLimits{"config", 64 * 1024};

Result<double> parse_bounded(std::string_view text, std::string_view where,
                             std::string_view what, double low, bool low_open,
                             double high) {
  auto v = parse_double(trim(text));
  if (!v || *v > high || *v < low || (low_open && *v == low)) {
    return make_error(Errc::kInvalidArgument,
                      "{}: expected {} ({} {} and at most {}), got '{}'", where,
                      what, low_open ? "above" : "at least", low, high, text);
  }
  return *v;
}

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
      const double min,
      parse_bounded(text.substr(0, colon), where, "MIN watts of MIN:MAX", 0.0,
                    false, 1000.0));
  MLCARBON_ASSIGN_OR_RETURN(
      const double max,
      parse_bounded(text.substr(colon + 1), where, "MAX watts of MIN:MAX", 0.0,
                    true, 1000.0));
  if (min > max) {
    return make_error(Errc::kInvalidArgument,
                      "{}: expected MIN <= MAX in MIN:MAX, got '{}'", where,
                      text);
  }
  return CpuWatts{Watts(min), Watts(max)};
}

Result<Watts> parse_tdp(std::string_view text, std::string_view where) {
  MLCARBON_ASSIGN_OR_RETURN(
      const double w,
      parse_bounded(text, where, "a TDP in watts", 0.0, true, 10000.0));
  return Watts(w);
}

Result<double> parse_memory_watts_per_gb(std::string_view text,
                                         std::string_view where) {
  return parse_bounded(text, where, "watts per GiB of memory", 0.0, true, 10.0);
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
  if (out.cpu_watts && out.tdp) {
    return make_error(Errc::kParse,
                      "{}: power.cpu_watts and power.tdp_w are two CPU models: "
                      "give one",
                      origin);
  }
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

Result<PowerOverrides> ConfigFile::overrides() const {
  std::call_once(once_, [this] { read_ = load_power_config(path_); });
  return *read_;
}

Result<SensorOptions> with_config_file(SensorOptions options) {
  if (!options.config_file)
    return options;
  MLCARBON_ASSIGN_OR_RETURN(PowerOverrides merged,
                            options.config_file->overrides());
  merge_overrides(merged, options.overrides);
  options.overrides = std::move(merged);
  options.config_file.reset();
  return options;
}

}  // namespace mlcarbon::sensors
