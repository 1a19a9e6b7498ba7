// SPDX-License-Identifier: Apache-2.0
// Fuzzes the powercap sysfs reader (RAPL): zone folder names, zone names,
// energy_uj and max_energy_range_uj, then a series of counter readings.
// Parts, split at "%%" lines: folder names (one a line, at most 6), then per
// folder its name, energy_uj and max_energy_range_uj (an empty part leaves
// the file out), and last the readings: lines "ZONE VALUE" that rewrite a
// folder's energy_uj, with a sample after each. Oracle: no domain's energy
// goes down, or up by more than the largest number the files ever held per
// reading since the last good sample (a counter step can be no larger, wrap
// or not).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/sensors/rapl.h"

#include "fuzz_util.h"

namespace {

constexpr std::size_t kMaxZones = 6;
constexpr std::size_t kMaxSamples = 64;

// A folder name the fake tree can hold: one path component.
bool usable_name(std::string_view name) {
  return !name.empty() && name.size() < 64 && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  const auto parts =
      fuzz::split_parts(fuzz::as_text(data, size), 2 + 3 * kMaxZones);
  const fuzz::TempTree& tree = fuzz::fresh_tree();
  std::vector<std::string> folders;
  // The largest value any counter file held, in uJ.
  std::uint64_t largest_uj = 0;
  const auto note = [&largest_uj](std::string_view text) {
    if (auto v = parse_u64(trim(text)))
      largest_uj = std::max(largest_uj, *v);
  };
  for (std::string_view name : split(parts[0], '\n')) {
    if (folders.size() == kMaxZones)
      break;
    if (!usable_name(name))
      continue;
    const std::size_t i = folders.size();
    const std::string folder(name);
    // An empty directory still exists, so the zone is seen without files.
    tree.write(folder + "/.keep", "");
    if (!parts[1 + 3 * i].empty())
      tree.write(folder + "/name", parts[1 + 3 * i]);
    if (!parts[2 + 3 * i].empty())
      tree.write(folder + "/energy_uj", parts[2 + 3 * i]);
    if (!parts[3 + 3 * i].empty())
      tree.write(folder + "/max_energy_range_uj", parts[3 + 3 * i]);
    note(parts[2 + 3 * i]);
    note(parts[3 + 3 * i]);
    folders.push_back(folder);
  }

  const ManualClock clock;
  sensors::SensorOptions options;
  options.powercap_root = tree.root();
  options.clock = &clock;
  auto sensor = sensors::open_powercap_sensor(options);
  if (!sensor) {
    (void)sensor.error().to_string();
    return 0;
  }
  (void)(*sensor)->domains();
  (void)(*sensor)->description();
  std::vector<double> last_j((*sensor)->domains().size(), 0.0);
  std::size_t samples = 0;
  // Readings since the last sample that succeeded: a failed sample (another
  // zone's garbage) still follows the good zones, one wrap per reading.
  std::size_t readings = 0;
  for (std::string_view line : split(parts[1 + 3 * kMaxZones], '\n')) {
    if (samples++ == kMaxSamples)
      break;
    const auto space = line.find(' ');
    std::size_t zone = 0;
    const auto [end, ec] =
        std::from_chars(line.data(), line.data() + line.size(), zone);
    if (space == std::string_view::npos || ec != std::errc() || folders.empty())
      continue;
    tree.write(folders[zone % folders.size()] + "/energy_uj",
               line.substr(space + 1));
    note(line.substr(space + 1));
    ++readings;
    auto sample = (*sensor)->sample();
    if (!sample) {
      (void)sample.error().to_string();
      continue;
    }
    if (sample->energy.size() != last_j.size())
      __builtin_trap();
    for (std::size_t d = 0; d < last_j.size(); ++d) {
      const double j = sample->energy[d].value();
      // 1e-6 J per uJ; a little slack for the rounding of the sum.
      if (j < last_j[d] ||
          j - last_j[d] > static_cast<double>(largest_uj) * 1e-6 *
                              static_cast<double>(readings) * 1.000001)
        __builtin_trap();
      last_j[d] = j;
    }
    readings = 0;
  }
  return 0;
}
