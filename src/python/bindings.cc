// SPDX-License-Identifier: Apache-2.0
// _mlcarbon: the C++ half of the Python module. It stays thin: Tracker,
// the footprint report, the region table, sensor detection, the history and
// model descriptions, each handed to Python as plain values (dicts, lists,
// JSON text) that the pure-Python package (mlcarbon/__init__.py) wraps.
// Argument checking with messages naming the argument happens there; errors
// from the library become mlcarbon.Error subclasses with the library's
// message and remedy.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/pybind11.h>

#include "mlcarbon/calibrate/scenario_inputs.h"
#include "mlcarbon/carbon/regions.h"
#include "mlcarbon/core/error.h"
#include "mlcarbon/measure/tracker.h"
#include "mlcarbon/models/model.h"
#include "mlcarbon/report/footprint.h"
#include "mlcarbon/report/history.h"
#include "mlcarbon/report/model_report.h"
#include "mlcarbon/report/run_export.h"
#include "mlcarbon/report/sensors_report.h"
#include "mlcarbon/sensors/power_config.h"
#include "mlcarbon/sensors/sensor.h"
#include "mlcarbon/version.h"

namespace py = pybind11;

namespace mlcarbon::python {
namespace {

// The name mlcarbon._errors maps to an exception class.
const char* error_kind(Errc code) {
  switch (code) {
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kPermissionDenied:
      return "permission_denied";
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kIo:
      return "io";
    case Errc::kParse:
      return "parse";
    case Errc::kBackend:
      return "backend";
    case Errc::kCancelled:
      return "cancelled";
  }
  return "internal";
}

// Raises the Python exception for `error` (needs the GIL).
[[noreturn]] void raise(const Error& error) {
  const py::object make = py::module_::import("mlcarbon._errors").attr("make");
  const py::object exc =
      make(error_kind(error.code()), error.to_string(), error.remedy());
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

template <typename T>
T value_or_raise(Result<T> result) {
  if (!result)
    raise(result.error());
  return std::move(*result);
}

void check(const Status& status) {
  if (!status)
    raise(status.error());
}

std::vector<std::string> strings(const py::object& items) {
  std::vector<std::string> out;
  if (items.is_none())
    return out;
  for (const py::handle item : items)
    out.push_back(item.cast<std::string>());
  return out;
}

template <typename T>
std::optional<T> optional(const py::object& value) {
  if (value.is_none())
    return std::nullopt;
  return value.cast<T>();
}

py::object or_none(const std::optional<double>& value) {
  return value ? py::object(py::float_(*value)) : py::object(py::none());
}

// A Measurement as Python sees it while running (Tracker.read) and in an
// ended window: the energy fields of the run JSON.
// `key`, and for an estimated figure `key`_low and `key`_high, as in the
// run JSON.
void put(py::dict& d, const std::string& key, double value, double low,
         double high, bool estimated) {
  d[py::str(key)] = value;
  if (estimated) {
    d[py::str(key + "_low")] = low;
    d[py::str(key + "_high")] = high;
  }
}

void put(py::dict& d, const std::string& key, Joules e, measure::EnergyBounds b,
         bool estimated, double unit = 1.0) {
  put(d, key, e.value() / unit, b.low.value() / unit, b.high.value() / unit,
      estimated);
}

py::dict measurement_dict(const measure::Measurement& m) {
  py::dict d;
  const bool estimated = m.method() == Method::kEstimated;
  d["duration_s"] = m.duration.count();
  put(d, "energy_j", m.total, m.total_bounds(), estimated);
  put(d, "energy_kwh", m.total, m.total_bounds(), estimated, kJoulesPerKwh);
  d["method"] = std::string(to_string(m.method()));
  put(d, "attributed_j", m.attributed, m.attributed_bounds(), estimated);
  d["attributed_share"] = or_none(m.attributed_share);
  d["attributed_memory_share"] = or_none(m.attributed_memory_share);
  put(d, "idle_j", m.counted_idle_energy(), m.idle_bounds(), estimated);
  put(d, "above_idle_j", m.above_idle, m.above_idle_bounds(), estimated);
  py::list domains;
  for (const auto& dom : m.domains) {
    py::dict e;
    e["domain"] = dom.domain;
    e["kind"] = std::string(sensors::to_string(dom.kind));
    e["method"] = std::string(to_string(dom.method));
    put(e, "energy_j", dom.energy, dom.bounds(dom.energy),
        dom.method == Method::kEstimated);
    domains.append(std::move(e));
  }
  d["domains"] = std::move(domains);
  py::list warnings;
  for (const auto& w : m.warnings)
    warnings.append(w);
  d["warnings"] = std::move(warnings);
  return d;
}

// A finished run; Python reads it as JSON (the CLI's run document) and may
// append it to a CodeCarbon-style CSV.
class RunCore {
 public:
  explicit RunCore(measure::Run run) : run_(std::move(run)) {}

  [[nodiscard]] std::string json() const { return report::run_to_json(run_); }

  void append_csv(const std::string& path, const std::string& experiment_id,
                  const std::string& python_version,
                  const std::string& codecarbon_version) const {
    const report::RunCsvFields fields{.experiment_id = experiment_id,
                                      .python_version = python_version,
                                      .codecarbon_version = codecarbon_version};
    Status status;
    {
      py::gil_scoped_release nogil;
      status = report::append_run_csv(path, run_, fields);
    }
    check(status);
  }

 private:
  measure::Run run_;
};

// The power figures of the arguments cpu_watts (a "MIN:MAX" str or a
// (min, max) pair, types checked in Python), tdp_watts and
// memory_watts_per_gb, checked as the CLI checks its flags; each names its
// argument as its origin.
sensors::PowerOverrides power_overrides(const py::object& cpu_watts,
                                        const py::object& tdp_watts,
                                        const py::object& memory_watts_per_gb) {
  sensors::PowerOverrides o;
  if (!cpu_watts.is_none()) {
    const std::string name = "argument cpu_watts";
    if (py::isinstance<py::str>(cpu_watts)) {
      o.cpu_watts = {value_or_raise(sensors::parse_cpu_watts(
                         cpu_watts.cast<std::string>(), name)),
                     name};
    } else {
      const auto pair = cpu_watts.cast<py::tuple>();
      o.cpu_watts = {value_or_raise(sensors::check_cpu_watts(
                         pair[0].cast<double>(), pair[1].cast<double>(), name)),
                     name};
    }
  }
  if (!tdp_watts.is_none()) {
    const std::string name = "argument tdp_watts";
    o.tdp = {value_or_raise(sensors::check_tdp(tdp_watts.cast<double>(), name)),
             name};
  }
  if (!memory_watts_per_gb.is_none()) {
    const std::string name = "argument memory_watts_per_gb";
    o.memory_watts_per_gb = {value_or_raise(sensors::check_memory_watts_per_gb(
                                 memory_watts_per_gb.cast<double>(), name)),
                             name};
  }
  check(sensors::check_one_cpu_model(o, Errc::kInvalidArgument, "", "cpu_watts",
                                     "tdp_watts"));
  return o;
}

Result<report::History> open_history(const std::string& db, bool read_only) {
  return report::History::open(
      db.empty() ? report::default_history_location() : db,
      {.read_only = read_only});
}

class TrackerCore {
 public:
  TrackerCore(const std::string& project, const py::object& region,
              double interval_s, const py::object& tags,
              const py::object& carbon_intensity, const py::object& pue,
              const py::object& sensor_names, double idle_baseline_s,
              const py::object& db, const sensors::PowerOverrides& power) {
    TrackerOptions options;
    options.sensors.overrides = power;
    options.project = project;
    options.tags = strings(tags);
    options.carbon.region = optional<std::string>(region);
    options.carbon.region_flag = "region";
    options.carbon.carbon_intensity = optional<double>(carbon_intensity);
    options.carbon.pue = optional<double>(pue);
    options.interval = Seconds(interval_s);
    options.idle_baseline = Seconds(idle_baseline_s);
    options.sensors.only = strings(sensor_names);
    const std::optional<std::string> db_path = optional<std::string>(db);
    Result<Tracker> created = make_error(Errc::kCancelled, "not created");
    std::optional<Result<report::History>> history;
    {
      py::gil_scoped_release nogil;
      if (db_path)
        history.emplace(open_history(*db_path, false));
      if (!history || *history)
        created = Tracker::create(std::move(options));
    }
    if (history && !*history) {
      Error e = std::move(*history).error();
      if (e.remedy().empty())
        e = std::move(e).with_remedy("pass another db=, or db=None for none");
      raise(e);
    }
    tracker_.emplace(value_or_raise(std::move(created)));
    if (history)
      history_.emplace(std::move(**history));
  }

  void start() {
    Status status;
    {
      py::gil_scoped_release nogil;
      const std::lock_guard lock(mutex_);
      status = tracker_->start();
    }
    check(status);
  }

  RunCore stop() {
    Result<measure::Run> run = make_error(Errc::kCancelled, "not stopped");
    Status recorded;
    {
      py::gil_scoped_release nogil;
      const std::lock_guard lock(mutex_);
      run = tracker_->stop();
      if (run && history_) {
        recorded = history_->record(report::to_history_entry(*run));
      }
    }
    if (!recorded) {
      raise(std::move(recorded).error().with_context(
          "the run was measured but not recorded in the history"));
    }
    return RunCore(value_or_raise(std::move(run)));
  }

  py::dict read() {
    Result<measure::Measurement> m = make_error(Errc::kCancelled, "not read");
    {
      py::gil_scoped_release nogil;
      const std::lock_guard lock(mutex_);
      m = tracker_->read();
    }
    return measurement_dict(value_or_raise(std::move(m)));
  }

  void begin_window(const std::string& name) {
    check(tracker_->begin_window(name));
  }

  py::dict end_window(const std::string& name) {
    const measure::WindowRecord w = value_or_raise(tracker_->end_window(name));
    py::dict d = measurement_dict(w.measurement);
    d["name"] = w.name;
    d["intensity_g_per_kwh"] = w.intensity.value();
    const bool estimated = w.measurement.method() == Method::kEstimated;
    const measure::Co2eBounds co2e = measure::co2e_bounds(w);
    const measure::Co2eBounds attributed = measure::attributed_co2e_bounds(w);
    put(d, "co2e_kg", w.co2e.value() / 1000.0, co2e.low.value() / 1000.0,
        co2e.high.value() / 1000.0, estimated);
    put(d, "attributed_co2e_kg", w.attributed_co2e.value() / 1000.0,
        attributed.low.value() / 1000.0, attributed.high.value() / 1000.0,
        estimated);
    return d;
  }

  [[nodiscard]] bool running() const { return tracker_->running(); }
  void add_tag(const std::string& tag) { tracker_->add_tag(tag); }

 private:
  std::optional<Tracker> tracker_;
  std::optional<report::History> history_;
  // start, stop and read come from one thread at a time; Python code may
  // call them from several.
  std::mutex mutex_;
};

// `folder` is where the scenario's model files, profiles and calibrations
// are read from, as its measured runs are.
std::string estimate_json(Result<lifecycle::Scenario> scenario,
                          const std::filesystem::path& folder) {
  if (!scenario)
    return value_or_raise(
        Result<std::string>(tl::unexpected(scenario.error())));
  Result<std::string> json = make_error(Errc::kCancelled, "not estimated");
  {
    py::gil_scoped_release nogil;
    auto resolved = lifecycle::resolve_model_inputs(
        *scenario, calibrate::model_resolver(folder));
    auto footprint =
        resolved
            ? report::footprint_report(*scenario)
            : Result<report::FootprintReport>(tl::unexpected(resolved.error()));
    json = footprint ? report::footprint_json(*footprint)
                     : Result<std::string>(tl::unexpected(footprint.error()));
  }
  return value_or_raise(std::move(json));
}

std::string estimate_text(const std::string& yaml, const std::string& origin,
                          const std::string& folder) {
  return estimate_json(report::load_scenario(yaml, origin, folder), folder);
}

std::string estimate_file(const std::string& path) {
  return estimate_json(report::load_scenario_file(path),
                       std::filesystem::path(path).parent_path());
}

py::list regions() {
  py::list out;
  for (const carbon::Region& r : carbon::RegionTable::builtin().regions()) {
    py::dict d;
    d["code"] = r.code;
    d["name"] = r.name;
    d["kind"] = std::string(carbon::to_string(r.kind));
    d["country"] = r.country;
    d["alpha3"] = r.alpha3;
    d["intensity_g_per_kwh"] = r.intensity.value();
    d["year"] = r.year;
    d["scope"] = std::string(carbon::to_string(r.scope));
    d["source"] = r.source;
    d["provider"] = r.provider;
    d["pue"] = or_none(r.pue);
    out.append(std::move(d));
  }
  return out;
}

// The sensors with the caller's power figures over the config file's, as
// `mlcarbon sensors` shows them with its flags.
std::string sensors_json(const py::object& cpu_watts,
                         const py::object& tdp_watts,
                         const py::object& memory_watts_per_gb) {
  sensors::SensorOptions options = sensors::with_environment({});
  options.overrides =
      power_overrides(cpu_watts, tdp_watts, memory_watts_per_gb);
  Result<std::string> json = make_error(Errc::kCancelled, "not detected");
  {
    py::gil_scoped_release nogil;
    auto detected = sensors::detect_requested_sensors(
        options, sensors::NamedUnavailable::kListed);
    json = detected ? Result<std::string>(report::sensors_json(*detected))
                    : Result<std::string>(tl::unexpected(detected.error()));
  }
  return value_or_raise(std::move(json));
}

std::optional<WallTime> wall_time(const py::object& unix_seconds) {
  if (unix_seconds.is_none())
    return std::nullopt;
  const std::chrono::duration<double> since_epoch(unix_seconds.cast<double>());
  return WallTime(std::chrono::duration_cast<WallTime::duration>(since_epoch));
}

// The run documents (the CLI's run JSON) of matching runs, newest first.
py::list history(const std::string& db, const py::object& project,
                 const py::object& tag, const py::object& command,
                 const py::object& since, const py::object& until,
                 std::size_t limit) {
  const report::HistoryFilter filter{
      .tag = optional<std::string>(tag),
      .command = optional<std::string>(command),
      .project = optional<std::string>(project),
      .since = wall_time(since),
      .until = wall_time(until),
      .limit = limit,
  };
  Result<std::vector<report::HistoryEntry>> entries =
      make_error(Errc::kCancelled, "not queried");
  {
    py::gil_scoped_release nogil;
    auto opened = open_history(db, true);
    entries = opened ? opened->query(filter)
                     : Result<std::vector<report::HistoryEntry>>(
                           tl::unexpected(opened.error()));
  }
  py::list out;
  for (const report::HistoryEntry& e : value_or_raise(std::move(entries)))
    out.append(e.document);
  return out;
}

// What `mlcarbon model describe --json` prints for a model file, an .onnx
// file (read by the ONNX plugin) or a shorthand.
std::string describe_model(const std::string& model, std::int64_t batch) {
  Result<std::string> json = make_error(Errc::kCancelled, "not described");
  {
    py::gil_scoped_release nogil;
    auto loaded = models::load_model(model);
    json = loaded ? Result<std::string>(report::model_json(*loaded, batch))
                  : Result<std::string>(tl::unexpected(loaded.error()));
  }
  return value_or_raise(std::move(json));
}

}  // namespace
}  // namespace mlcarbon::python

PYBIND11_MODULE(MLCARBON_PYTHON_MODULE, m) {
  using namespace mlcarbon::python;
  m.doc() = "C++ core of the mlcarbon package; use `import mlcarbon`.";
  m.attr("__version__") = MLCARBON_VERSION;

  py::class_<RunCore>(m, "RunCore")
      .def("json", &RunCore::json)
      .def("append_csv", &RunCore::append_csv, py::arg("path"),
           py::arg("experiment_id"), py::arg("python_version"),
           py::arg("codecarbon_version"));

  py::class_<TrackerCore>(m, "TrackerCore")
      .def(py::init([](const std::string& project, const py::object& region,
                       double interval, const py::object& tags,
                       const py::object& carbon_intensity,
                       const py::object& pue, const py::object& sensor_names,
                       double idle_baseline, const py::object& db,
                       const py::object& cpu_watts, const py::object& tdp_watts,
                       const py::object& memory_watts_per_gb) {
             return std::make_unique<TrackerCore>(
                 project, region, interval, tags, carbon_intensity, pue,
                 sensor_names, idle_baseline, db,
                 power_overrides(cpu_watts, tdp_watts, memory_watts_per_gb));
           }),
           py::arg("project"), py::arg("region"), py::arg("interval"),
           py::arg("tags"), py::arg("carbon_intensity"), py::arg("pue"),
           py::arg("sensors"), py::arg("idle_baseline"), py::arg("db"),
           py::arg("cpu_watts") = py::none(), py::arg("tdp_watts") = py::none(),
           py::arg("memory_watts_per_gb") = py::none())
      .def("start", &TrackerCore::start)
      .def("stop", &TrackerCore::stop)
      .def("read", &TrackerCore::read)
      .def("begin_window", &TrackerCore::begin_window, py::arg("name"))
      .def("end_window", &TrackerCore::end_window, py::arg("name"))
      .def("add_tag", &TrackerCore::add_tag, py::arg("tag"))
      .def_property_readonly("running", &TrackerCore::running);

  m.def("estimate_text", &estimate_text, py::arg("yaml"), py::arg("origin"),
        py::arg("folder"));
  m.def("estimate_file", &estimate_file, py::arg("path"));
  m.def("regions", &regions);
  m.def("sensors_json", &sensors_json, py::arg("cpu_watts") = py::none(),
        py::arg("tdp_watts") = py::none(),
        py::arg("memory_watts_per_gb") = py::none());
  m.def("history", &history, py::arg("db"), py::arg("project"), py::arg("tag"),
        py::arg("command"), py::arg("since"), py::arg("until"),
        py::arg("limit"));
  m.def("describe_model", &describe_model, py::arg("model"), py::arg("batch"));
  m.def("csv_columns", [] {
    py::list out;
    for (const std::string& c : mlcarbon::report::run_csv_columns())
      out.append(c);
    return out;
  });
}
