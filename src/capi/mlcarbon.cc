// SPDX-License-Identifier: Apache-2.0
// The C API (include/mlcarbon/mlcarbon.h) over Tracker, the report writers
// and the history. Every entry point catches everything: no C++ exception
// crosses into C.
#include "mlcarbon/mlcarbon.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/calibrate/scenario_inputs.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/tracker.h"
#include "mlcarbon/report/footprint.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/run_export.h"
#include "mlcarbon/sensors/power_config.h"
#include "mlcarbon/version.h"

struct mlcarbon_tracker {
  mlcarbon::Tracker tracker;
  std::optional<mlcarbon::report::History> history;
  // What the tracker was made from: a power setter remakes it with them.
  mlcarbon::TrackerOptions options;
};

namespace {

using mlcarbon::Errc;
using mlcarbon::Error;
using mlcarbon::Status;

// The calling thread's last error; "" after a successful call.
struct LastError {
  std::string full;
  std::string message;
  std::string remedy;
};

LastError& last_error() {
  thread_local LastError error;
  return error;
}

void clear_error() noexcept {
  LastError& e = last_error();
  e.full.clear();
  e.message.clear();
  e.remedy.clear();
}

mlcarbon_status status_of(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
      return MLCARBON_ERROR_UNAVAILABLE;
    case Errc::kPermissionDenied:
      return MLCARBON_ERROR_PERMISSION_DENIED;
    case Errc::kInvalidArgument:
      return MLCARBON_ERROR_INVALID_ARGUMENT;
    case Errc::kNotFound:
      return MLCARBON_ERROR_NOT_FOUND;
    case Errc::kIo:
      return MLCARBON_ERROR_IO;
    case Errc::kParse:
      return MLCARBON_ERROR_PARSE;
    case Errc::kBackend:
      return MLCARBON_ERROR_BACKEND;
    case Errc::kCancelled:
      return MLCARBON_ERROR_CANCELLED;
  }
  return MLCARBON_ERROR_INTERNAL;
}

// Records `message` and `remedy` as the thread's error. Runs in catch
// blocks too, so it must not throw: without memory, the message is lost
// but the status still says what happened.
mlcarbon_status fail(mlcarbon_status status, std::string_view message,
                     std::string_view remedy = {}) noexcept {
  try {
    LastError& e = last_error();
    e.message.assign(message);
    e.remedy.assign(remedy);
    e.full = e.message;
    if (!e.remedy.empty()) {
      e.full += "\nhint: ";
      e.full += e.remedy;
    }
  } catch (...) {
    clear_error();
  }
  return status;
}

mlcarbon_status fail(const Error& error) noexcept {
  try {
    return fail(status_of(error.code()), error.to_string(), error.remedy());
  } catch (...) {
    return fail(status_of(error.code()), "");
  }
}

// Runs `body`, turning any exception into a status and a message.
template <typename Body>
mlcarbon_status guarded(Body&& body) noexcept {
  clear_error();
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(MLCARBON_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(MLCARBON_ERROR_INTERNAL,
                fmt::format("unexpected exception: {}", e.what()),
                "please report this as a bug in mlcarbon");
  } catch (...) {
    return fail(MLCARBON_ERROR_INTERNAL, "unexpected exception",
                "please report this as a bug in mlcarbon");
  }
}

mlcarbon_status null_argument(std::string_view function,
                              std::string_view argument) {
  return fail(MLCARBON_ERROR_INVALID_ARGUMENT,
              fmt::format("{}: {} is NULL", function, argument),
              fmt::format("pass a valid {}", argument));
}

// A malloc'ed copy the caller frees with mlcarbon_string_free.
char* c_string(std::string_view s) {
  auto* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr)
    throw std::bad_alloc();
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

mlcarbon_method method_of(mlcarbon::Method m) {
  return m == mlcarbon::Method::kMeasured ? MLCARBON_METHOD_MEASURED
                                          : MLCARBON_METHOD_ESTIMATED;
}

mlcarbon::Result<mlcarbon::TrackerOptions> tracker_options(
    const mlcarbon_tracker_options& o) {
  mlcarbon::TrackerOptions t;
  if (o.project != nullptr)
    t.project = o.project;
  if (o.region != nullptr)
    t.carbon.region = std::string(o.region);
  t.carbon.region_flag = "options.region";
  t.interval = mlcarbon::Seconds(o.interval_s);
  if (o.tag_count > 0 && o.tags == nullptr) {
    return mlcarbon::make_error(Errc::kInvalidArgument,
                                "options.tags is NULL but options.tag_count "
                                "is {}",
                                o.tag_count);
  }
  for (std::size_t i = 0; i < o.tag_count; ++i) {
    if (o.tags[i] == nullptr) {
      return mlcarbon::make_error(Errc::kInvalidArgument,
                                  "options.tags[{}] is NULL", i);
    }
    t.tags.emplace_back(o.tags[i]);
  }
  if (o.sensors != nullptr && std::string_view(o.sensors) != "auto") {
    for (const auto name : mlcarbon::split(o.sensors, ',')) {
      if (!mlcarbon::trim(name).empty())
        t.sensors.only.emplace_back(mlcarbon::trim(name));
    }
  }
  // Negative means "the region's"; NaN goes on to be refused.
  if (!(o.carbon_intensity < 0.0))
    t.carbon.carbon_intensity = o.carbon_intensity;
  if (!(o.pue < 0.0))
    t.carbon.pue = o.pue;
  return t;
}

// `folder`: where the scenario's model files, profiles and calibrations
// are read from, as its measured runs are.
mlcarbon_status estimate_into(
    mlcarbon::Result<mlcarbon::lifecycle::Scenario> scenario,
    const std::filesystem::path& folder, char** footprint_json) {
  if (!scenario)
    return fail(scenario.error());
  auto resolved = mlcarbon::lifecycle::resolve_model_inputs(
      *scenario, mlcarbon::calibrate::model_resolver(folder));
  if (!resolved)
    return fail(resolved.error());
  auto report = mlcarbon::report::footprint_report(*scenario);
  if (!report)
    return fail(report.error());
  auto json = mlcarbon::report::footprint_json(*report);
  if (!json)
    return fail(json.error());
  *footprint_json = c_string(*json);
  return MLCARBON_OK;
}

// The energy ends of `m`, CO2e and embodied left at 0.
mlcarbon_bounds energy_bounds(const mlcarbon::measure::Measurement& m) {
  const mlcarbon::measure::EnergyBounds total = m.total_bounds();
  const mlcarbon::measure::EnergyBounds attributed = m.attributed_bounds();
  mlcarbon_bounds b{};
  b.energy_j_low = total.low.value();
  b.energy_j_high = total.high.value();
  b.attributed_energy_j_low = attributed.low.value();
  b.attributed_energy_j_high = attributed.high.value();
  return b;
}

void set_co2e(mlcarbon_bounds& b, mlcarbon::measure::Co2eBounds co2e,
              mlcarbon::measure::Co2eBounds attributed) {
  b.co2e_kg_low = co2e.low.value() / 1000.0;
  b.co2e_kg_high = co2e.high.value() / 1000.0;
  b.attributed_co2e_kg_low = attributed.low.value() / 1000.0;
  b.attributed_co2e_kg_high = attributed.high.value() / 1000.0;
}

// Pins a power figure on a tracker that is not running: the tracker is
// made anew from its options (sensors are built at create), so the figure
// reaches the one pipeline as a flag does. `pin` sets the figure on the
// overrides or fails; on any failure the tracker stays as it was.
template <typename Pin>
mlcarbon_status set_power(mlcarbon_tracker* tracker, std::string_view function,
                          Pin&& pin) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument(function, "tracker");
    if (tracker->tracker.running()) {
      return fail(MLCARBON_ERROR_INVALID_ARGUMENT,
                  fmt::format("{}: the tracker is running", function),
                  "set the power figures before mlcarbon_tracker_start");
    }
    mlcarbon::TrackerOptions options = tracker->options;
    mlcarbon::sensors::PowerOverrides& o = options.sensors.overrides;
    if (auto s = pin(o); !s)
      return fail(s.error());
    if (auto s = mlcarbon::sensors::check_one_cpu_model(
            o, Errc::kInvalidArgument, "", "mlcarbon_tracker_set_cpu_watts",
            "mlcarbon_tracker_set_tdp");
        !s) {
      return fail(s.error());
    }
    auto created = mlcarbon::Tracker::create(options);
    if (!created)
      return fail(created.error());
    tracker->tracker = std::move(*created);
    tracker->options = std::move(options);
    return MLCARBON_OK;
  });
}

}  // namespace

extern "C" {

const char* mlcarbon_version(void) {
  return MLCARBON_VERSION;
}

const char* mlcarbon_status_name(mlcarbon_status status) {
  switch (status) {
    case MLCARBON_OK:
      return "ok";
    case MLCARBON_ERROR_INVALID_ARGUMENT:
      return "invalid argument";
    case MLCARBON_ERROR_NOT_FOUND:
      return "not found";
    case MLCARBON_ERROR_PERMISSION_DENIED:
      return "permission denied";
    case MLCARBON_ERROR_UNAVAILABLE:
      return "unavailable";
    case MLCARBON_ERROR_PARSE:
      return "parse error";
    case MLCARBON_ERROR_IO:
      return "I/O error";
    case MLCARBON_ERROR_BACKEND:
      return "backend error";
    case MLCARBON_ERROR_CANCELLED:
      return "cancelled";
    case MLCARBON_ERROR_OUT_OF_MEMORY:
      return "out of memory";
    case MLCARBON_ERROR_INTERNAL:
      return "internal error";
  }
  return "unknown status";
}

const char* mlcarbon_method_name(mlcarbon_method method) {
  return method == MLCARBON_METHOD_MEASURED ? "measured" : "estimated";
}

const char* mlcarbon_last_error(void) {
  return last_error().full.c_str();
}

const char* mlcarbon_last_error_message(void) {
  return last_error().message.c_str();
}

const char* mlcarbon_last_error_remedy(void) {
  return last_error().remedy.c_str();
}

void mlcarbon_string_free(char* s) {
  std::free(s);
}

void mlcarbon_tracker_options_init(mlcarbon_tracker_options* options) {
  if (options == nullptr)
    return;
  *options = mlcarbon_tracker_options{};
  options->interval_s = 1.0;
  options->carbon_intensity = -1.0;
  options->pue = -1.0;
}

mlcarbon_status mlcarbon_tracker_create(const mlcarbon_tracker_options* options,
                                        mlcarbon_tracker** tracker) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_create", "tracker");
    *tracker = nullptr;
    mlcarbon_tracker_options defaults;
    mlcarbon_tracker_options_init(&defaults);
    const mlcarbon_tracker_options& o =
        options != nullptr ? *options : defaults;
    auto t = tracker_options(o);
    if (!t)
      return fail(t.error());
    std::optional<mlcarbon::report::History> history;
    if (o.history_db != nullptr) {
      auto opened = mlcarbon::report::History::open(
          *o.history_db == '\0' ? mlcarbon::report::default_history_location()
                                : std::string(o.history_db));
      if (!opened) {
        Error e = std::move(opened).error();
        if (e.remedy().empty()) {
          e = std::move(e).with_remedy(
              "pass another options.history_db, or NULL for no history");
        }
        return fail(e);
      }
      history.emplace(std::move(*opened));
    }
    auto created = mlcarbon::Tracker::create(*t);
    if (!created)
      return fail(created.error());
    *tracker = new mlcarbon_tracker{std::move(*created), std::move(history),
                                    std::move(*t)};
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_start(mlcarbon_tracker* tracker) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_start", "tracker");
    if (auto s = tracker->tracker.start(); !s)
      return fail(s.error());
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_read(mlcarbon_tracker* tracker,
                                      mlcarbon_reading* reading) {
  return mlcarbon_tracker_read_bounds(tracker, reading, nullptr);
}

mlcarbon_status mlcarbon_tracker_read_bounds(mlcarbon_tracker* tracker,
                                             mlcarbon_reading* reading,
                                             mlcarbon_bounds* bounds) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_read", "tracker");
    if (reading == nullptr)
      return null_argument("mlcarbon_tracker_read", "reading");
    auto m = tracker->tracker.read();
    if (!m)
      return fail(m.error());
    *reading = mlcarbon_reading{
        .duration_s = m->duration.count(),
        .energy_j = m->total.value(),
        .attributed_energy_j = m->attributed.value(),
        .method = method_of(m->method()),
    };
    if (bounds != nullptr)
      *bounds = energy_bounds(*m);
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_window_begin(mlcarbon_tracker* tracker,
                                              const char* name) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_window_begin", "tracker");
    if (name == nullptr)
      return null_argument("mlcarbon_tracker_window_begin", "name");
    if (auto s = tracker->tracker.begin_window(name); !s)
      return fail(s.error());
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_window_end(mlcarbon_tracker* tracker,
                                            const char* name,
                                            mlcarbon_window* window) {
  return mlcarbon_tracker_window_end_bounds(tracker, name, window, nullptr);
}

mlcarbon_status mlcarbon_tracker_window_end_bounds(mlcarbon_tracker* tracker,
                                                   const char* name,
                                                   mlcarbon_window* window,
                                                   mlcarbon_bounds* bounds) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_window_end", "tracker");
    if (name == nullptr)
      return null_argument("mlcarbon_tracker_window_end", "name");
    auto w = tracker->tracker.end_window(name);
    if (!w)
      return fail(w.error());
    if (window != nullptr) {
      const mlcarbon::measure::Measurement& m = w->measurement;
      *window = mlcarbon_window{
          .duration_s = m.duration.count(),
          .energy_j = m.total.value(),
          .attributed_energy_j = m.attributed.value(),
          .method = method_of(m.method()),
          .co2e_kg = w->co2e.value() / 1000.0,
          .attributed_co2e_kg = w->attributed_co2e.value() / 1000.0,
          .intensity_g_per_kwh = w->intensity.value(),
      };
    }
    if (bounds != nullptr) {
      *bounds = energy_bounds(w->measurement);
      set_co2e(*bounds, mlcarbon::measure::co2e_bounds(*w),
               mlcarbon::measure::attributed_co2e_bounds(*w));
    }
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_stop(mlcarbon_tracker* tracker,
                                      char** run_json,
                                      mlcarbon_run_summary* summary) {
  return mlcarbon_tracker_stop_bounds(tracker, run_json, summary, nullptr);
}

mlcarbon_status mlcarbon_tracker_stop_bounds(mlcarbon_tracker* tracker,
                                             char** run_json,
                                             mlcarbon_run_summary* summary,
                                             mlcarbon_bounds* bounds) {
  return guarded([&] {
    if (tracker == nullptr)
      return null_argument("mlcarbon_tracker_stop", "tracker");
    if (run_json != nullptr)
      *run_json = nullptr;
    auto run = tracker->tracker.stop();
    if (!run)
      return fail(run.error());
    const mlcarbon::measure::Measurement& m = run->measurement;
    if (summary != nullptr) {
      *summary = mlcarbon_run_summary{};
      const std::size_t n =
          std::min(run->run_id.size(), sizeof(summary->run_id) - 1);
      std::memcpy(summary->run_id, run->run_id.data(), n);
      summary->duration_s = m.duration.count();
      summary->energy_j = m.total.value();
      summary->energy_kwh = mlcarbon::to_kwh(m.total).value();
      summary->method = method_of(m.method());
      summary->attributed_energy_j = m.attributed.value();
      summary->co2e_kg = run->co2e.value() / 1000.0;
      summary->attributed_co2e_kg = run->attributed_co2e.value() / 1000.0;
      summary->intensity_g_per_kwh = run->carbon.intensity.value();
      summary->pue = run->carbon.pue;
    }
    if (bounds != nullptr) {
      *bounds = energy_bounds(m);
      set_co2e(*bounds, run->co2e_bounds(), run->attributed_co2e_bounds());
      bounds->embodied_co2e_kg = run->embodied.central.value() / 1000.0;
      bounds->embodied_co2e_kg_low = run->embodied.low.value() / 1000.0;
      bounds->embodied_co2e_kg_high = run->embodied.high.value() / 1000.0;
    }
    if (run_json != nullptr)
      *run_json = c_string(mlcarbon::report::run_to_json(*run));
    if (tracker->history) {
      auto recorded =
          tracker->history->record(mlcarbon::report::to_history_entry(*run));
      if (!recorded) {
        return fail(std::move(recorded).error().with_context(
            "the run was measured but not recorded in the history"));
      }
    }
    return MLCARBON_OK;
  });
}

mlcarbon_status mlcarbon_tracker_set_cpu_watts(mlcarbon_tracker* tracker,
                                               double min_w, double max_w) {
  constexpr std::string_view kName = "C API mlcarbon_tracker_set_cpu_watts";
  return set_power(
      tracker, kName, [&](mlcarbon::sensors::PowerOverrides& o) -> Status {
        MLCARBON_ASSIGN_OR_RETURN(
            auto w, mlcarbon::sensors::check_cpu_watts(min_w, max_w, kName));
        o.cpu_watts = {w, std::string(kName)};
        return {};
      });
}

mlcarbon_status mlcarbon_tracker_set_tdp(mlcarbon_tracker* tracker,
                                         double watts) {
  constexpr std::string_view kName = "C API mlcarbon_tracker_set_tdp";
  return set_power(tracker, kName,
                   [&](mlcarbon::sensors::PowerOverrides& o) -> Status {
                     MLCARBON_ASSIGN_OR_RETURN(
                         auto w, mlcarbon::sensors::check_tdp(watts, kName));
                     o.tdp = {w, std::string(kName)};
                     return {};
                   });
}

mlcarbon_status mlcarbon_tracker_set_memory_watts_per_gb(
    mlcarbon_tracker* tracker, double watts_per_gb) {
  constexpr std::string_view kName =
      "C API mlcarbon_tracker_set_memory_watts_per_gb";
  return set_power(
      tracker, kName, [&](mlcarbon::sensors::PowerOverrides& o) -> Status {
        MLCARBON_ASSIGN_OR_RETURN(
            auto x,
            mlcarbon::sensors::check_memory_watts_per_gb(watts_per_gb, kName));
        o.memory_watts_per_gb = {x, std::string(kName)};
        return {};
      });
}

void mlcarbon_tracker_free(mlcarbon_tracker* tracker) {
  // The destructor stops a running tracker and discards its run; it
  // reports through Result, never by throwing.
  delete tracker;
}

mlcarbon_status mlcarbon_estimate(const char* scenario_yaml,
                                  char** footprint_json) {
  return guarded([&] {
    if (scenario_yaml == nullptr)
      return null_argument("mlcarbon_estimate", "scenario_yaml");
    if (footprint_json == nullptr)
      return null_argument("mlcarbon_estimate", "footprint_json");
    *footprint_json = nullptr;
    return estimate_into(
        // An empty folder: measured_run paths stay relative to the cwd.
        mlcarbon::report::load_scenario(scenario_yaml, "scenario",
                                        std::filesystem::path()),
        std::filesystem::path(), footprint_json);
  });
}

mlcarbon_status mlcarbon_estimate_file(const char* path,
                                       char** footprint_json) {
  return guarded([&] {
    if (path == nullptr)
      return null_argument("mlcarbon_estimate_file", "path");
    if (footprint_json == nullptr)
      return null_argument("mlcarbon_estimate_file", "footprint_json");
    *footprint_json = nullptr;
    return estimate_into(mlcarbon::report::load_scenario_file(path),
                         std::filesystem::path(path).parent_path(),
                         footprint_json);
  });
}

}  // extern "C"
