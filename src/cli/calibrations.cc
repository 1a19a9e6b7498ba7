// SPDX-License-Identifier: Apache-2.0
#include "calibrations.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include <unistd.h>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"
#include "mlcarbon/measure/pipeline.h"
#include "mlcarbon/measure/run.h"
#include "mlcarbon/report/format.h"

namespace mlcarbon::cli {

bool ProgressLine::wanted(bool quiet) {
  return !quiet && ::isatty(STDERR_FILENO) != 0;
}

void ProgressLine::show(std::string_view text) {
  if (!enabled_)
    return;
  std::fprintf(stderr, "\r\033[K%s", terminal_safe(text).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_)
    return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

std::string si(double value, std::string_view unit) {
  static constexpr std::array<std::pair<double, const char*>, 6> kPrefixes{{
      {1e3, "k"},
      {1.0, ""},
      {1e-3, "m"},
      {1e-6, "\xc2\xb5"},
      {1e-9, "n"},
      {1e-12, "p"},
  }};
  if (value == 0.0 || !std::isfinite(value))
    return fmt::format("{} {}", report::format_number(value), unit);
  for (const auto& [scale, prefix] : kPrefixes) {
    if (std::fabs(value) >= scale || scale == 1e-12)
      return fmt::format("{} {}{}", report::format_number(value / scale),
                         prefix, unit);
  }
  return {};
}

namespace {

std::string spread_text(const calibrate::Spread& s, std::string_view unit) {
  const double rel = s.mean > 0.0 ? 100.0 * s.stddev / s.mean : 0.0;
  return fmt::format("{} \xc2\xb1 {:.1f}% (range {} to {}, {} repeats)",
                     si(s.mean, unit), rel, si(s.min, unit), si(s.max, unit),
                     s.count);
}

}  // namespace

std::string calibration_text(const calibrate::Calibration& c) {
  std::string out;
  auto line = [&out](std::string text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("Calibration of {} ({})", c.model.name, c.model.origin));
  line(fmt::format(
      "  model        {} parameters, {} FLOP/sample forward, {} layers, "
      "fingerprint {}",
      c.model.parameters, report::format_number(c.model.forward_flops),
      c.model.layers, c.model.fingerprint));
  line(fmt::format("  settings     batch {}, {}, {} thread{}; {}", c.batch,
                   c.device, c.threads, c.threads == 1 ? "" : "s", c.engine));
  std::string sensors;
  for (const auto& s : c.context.sensors) {
    if (!sensors.empty())
      sensors += ", ";
    sensors += fmt::format("{} ({})", s.name, to_string(s.method));
  }
  line(fmt::format("  machine      {}, {} ({} CPUs)", c.context.host,
                   c.context.cpu_model, c.context.cpu_count));
  line(fmt::format("  sensors      {}", sensors.empty() ? "none" : sensors));
  line(fmt::format("  I            {} per inference sample [{}]",
                   spread_text(c.inference.energy_per_sample_j, "J"),
                   to_string(c.inference.method)));
  line(fmt::format("  training     {} per sample [{}]",
                   spread_text(c.training.energy_per_sample_j, "J"),
                   to_string(c.training.method)));
  line(fmt::format("  theta        {} (per repeat {} to {})",
                   report::format_number(c.theta),
                   report::format_number(c.theta_spread.min),
                   report::format_number(c.theta_spread.max)));
  line(
      fmt::format("  time         {} per inference sample, {} per training "
                  "sample",
                  si(c.inference.seconds_per_sample.mean, "s"),
                  si(c.training.seconds_per_sample.mean, "s")));
  line(fmt::format(
      "  warm-up      {} inference + {} training batches, {:.2f} "
      "s, excluded",
      c.warmup.inference_batches, c.warmup.training_batches, c.warmup.seconds));
  line(fmt::format("  took         {:.1f} s (budget {:.1f} s); energy {}",
                   c.duration_s, c.budget_s, to_string(c.method())));
  for (const std::string& w : c.warnings)
    line(fmt::format("  warning: {}", w));
  return out;
}

}  // namespace mlcarbon::cli
