// SPDX-License-Identifier: Apache-2.0
// `mlcarbon sensors`: what can be measured here, what cannot, and why.
#include <string>

#include <unistd.h>

#include "mlcarbon/report/output.h"
#include "mlcarbon/report/sensors_report.h"
#include "mlcarbon/sensors/sensor.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct SensorsArgs {
  bool json = false;
  std::string color = "auto";
  SensorFlags sensors;
};

}  // namespace

Action setup_sensors(CLI::App& sub) {
  auto args = std::make_shared<SensorsArgs>();
  sub.add_flag("--json", args->json,
               "Write the detection as JSON (schema_version 1) to stdout");
  add_color_option(sub, args->color);
  add_sensor_options(sub, args->sensors);
  return [args]() -> Result<int> {
    MLCARBON_ASSIGN_OR_RETURN(const sensors::SensorOptions options,
                              args->sensors.options());
    // A named sensor that is unavailable is shown with its reason here; only
    // a name that is no sensor at all is an error.
    MLCARBON_ASSIGN_OR_RETURN(const sensors::Detection detection,
                              sensors::detect_requested_sensors(
                                  options, sensors::NamedUnavailable::kListed));
    MLCARBON_RETURN_IF_ERROR(report::write_output(
        "-", args->json
                 ? report::sensors_json(detection)
                 : report::sensors_text(
                       detection, use_color(args->color, STDOUT_FILENO))));
    return detection.sensors.empty() ? static_cast<int>(ExitCode::kNoSensor)
                                     : static_cast<int>(ExitCode::kSuccess);
  };
}

}  // namespace mlcarbon::cli
