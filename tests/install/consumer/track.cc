// SPDX-License-Identifier: Apache-2.0
// Tracks a loop with the installed library's C API, from C++ with RAII.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include <mlcarbon/mlcarbon.h>

namespace {

void check(mlcarbon_status status) {
  if (status != MLCARBON_OK)
    throw std::runtime_error(mlcarbon_last_error());
}

struct TrackerFree {
  void operator()(mlcarbon_tracker* t) const { mlcarbon_tracker_free(t); }
};

}  // namespace

int main() {
  try {
    mlcarbon_tracker_options options;
    mlcarbon_tracker_options_init(&options);
    options.region = "FR";
    options.interval_s = 0.05;
    mlcarbon_tracker* raw = nullptr;
    check(mlcarbon_tracker_create(&options, &raw));
    std::unique_ptr<mlcarbon_tracker, TrackerFree> tracker(raw);
    check(mlcarbon_tracker_start(tracker.get()));
    check(mlcarbon_tracker_window_begin(tracker.get(), "loop"));
    volatile double x = 0.0;
    for (long i = 0; i < 20000000; ++i)
      x = x + static_cast<double>(i);
    mlcarbon_window loop{};
    check(mlcarbon_tracker_window_end(tracker.get(), "loop", &loop));
    char* json = nullptr;
    mlcarbon_run_summary run{};
    const mlcarbon_status status =
        mlcarbon_tracker_stop(tracker.get(), &json, &run);
    const std::string document = json != nullptr ? json : "";
    mlcarbon_string_free(json);
    check(status);
    std::printf("tracked a loop: %g J %s (window %g J), %zu bytes of JSON\n",
                run.energy_j, mlcarbon_method_name(run.method), loop.energy_j,
                document.size());
    return run.energy_j > 0.0 &&
                   document.find("\"windows\"") != std::string::npos
               ? 0
               : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
