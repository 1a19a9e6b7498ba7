// SPDX-License-Identifier: Apache-2.0
// Fuzzes the intensity-series CSV (carbon::parse_series) and the ISO 8601
// timestamps in it; a parsed series is looked up around and inside its range
// and prices a run that spans it. ISO 8601 times (parse_time) must
// survive a round trip through format_time.
#include <chrono>
#include <cstdint>
#include <vector>

#include "mlcarbon/carbon/series.h"
#include "mlcarbon/core/time.h"

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  using namespace mlcarbon;
  const std::string_view text = fuzz::as_text(data, size);
  if (auto t = parse_time(text)) {
    // What format_time writes (to the millisecond), parse_time reads back.
    auto back = parse_time(format_time(*t));
    if (!back || *back - *t >= std::chrono::milliseconds(1) ||
        *t - *back >= std::chrono::milliseconds(1))
      __builtin_trap();
  }
  auto series = carbon::parse_series(text, "fuzz.csv");
  if (!series) {
    (void)series.error().to_string();
    return 0;
  }
  const auto points = series->points();
  const auto step = std::chrono::duration_cast<WallTime::duration>(
      std::chrono::duration<double>(series->step().count()));
  const WallTime first = points.front().start;
  const WallTime last = points.back().start;
  for (WallTime t : {first - std::chrono::hours(1), first, last, last + step,
                     last + step + std::chrono::hours(1)}) {
    (void)series->lookup(t);
  }
  // A run from one hour before the series to one hour after it, at 1 kW.
  std::vector<carbon::EnergyPoint> energy;
  const WallTime begin = first - std::chrono::hours(1);
  const WallTime end = last + step + std::chrono::hours(1);
  const double seconds = std::chrono::duration<double>(end - begin).count();
  energy.push_back({begin, Joules(0)});
  energy.push_back({begin + (end - begin) / 2, Joules(500.0 * seconds)});
  energy.push_back({end, Joules(1000.0 * seconds)});
  (void)carbon::emissions(*series, energy);
  (void)series->coverage_warning(begin, end);
  (void)series->coverage_warning(first, last);
  return 0;
}
