// SPDX-License-Identifier: Apache-2.0
// `mlcarbon report`: runs, history selections, estimates and experiment
// folders as one self-contained HTML page or Markdown.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/time.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/report.h"
#include "mlcarbon/version.h"

#include "command.h"
#include "options.h"

namespace mlcarbon::cli {
namespace {

struct ReportArgs {
  std::vector<std::string> inputs;
  bool history = false;
  HistorySelection selection;
  std::string html;
  std::string md;
  std::string title = "mlcarbon report";
};

// Now, or SOURCE_DATE_EPOCH (seconds) so that a report can be made again
// byte for byte (reproducible-builds.org).
WallTime generation_time() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (end != epoch && *end == '\0' && seconds >= 0)
      return WallTime(std::chrono::seconds(seconds));
  }
  return std::chrono::system_clock::now();
}

Result<int> run_report(const ReportArgs& args) {
  if (args.inputs.empty() && !args.history) {
    return make_error(Errc::kInvalidArgument,
                      "nothing to report: give run, estimate or experiment "
                      "files, or --history with a selection");
  }
  if (args.html.empty() && args.md.empty()) {
    return make_error(Errc::kInvalidArgument,
                      "say where the report goes: --html OUT.html and/or "
                      "--md OUT.md ('-' for standard output)");
  }
  if (args.html == "-" && args.md == "-") {
    return make_error(Errc::kInvalidArgument,
                      "--html and --md cannot both write to standard output");
  }
  for (const std::string& out : {args.html, args.md}) {
    if (!out.empty() && out != "-")
      MLCARBON_RETURN_IF_ERROR(check_output_file(out));
  }
  report::ReportDocument doc;
  doc.title = args.title;
  doc.generated = fmt::format("Made by mlcarbon {} at {}.", MLCARBON_VERSION,
                              format_time(generation_time()));
  for (const std::string& input : args.inputs) {
    MLCARBON_ASSIGN_OR_RETURN(std::vector<report::ReportSection> sections,
                              report::sections_from_path(input));
    for (report::ReportSection& s : sections)
      doc.sections.push_back(std::move(s));
  }
  if (args.history) {
    MLCARBON_ASSIGN_OR_RETURN(const std::vector<report::HistoryEntry> runs,
                              args.selection.query());
    if (runs.empty()) {
      return make_error(Errc::kNotFound, "no recorded run matches {}",
                        args.selection.describe());
    }
    doc.sections.push_back(
        report::history_section(runs, args.selection.describe()));
  }
  if (!args.html.empty())
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(args.html, report::report_html(doc)));
  if (!args.md.empty())
    MLCARBON_RETURN_IF_ERROR(
        report::write_output(args.md, report::report_markdown(doc)));
  return 0;
}

}  // namespace

Action setup_report(CLI::App& sub) {
  auto args = std::make_shared<ReportArgs>();
  sub.add_option("files", args->inputs,
                 "Run JSON (measure --json), estimate JSON (estimate --json) "
                 "or experiment folders");
  sub.add_option("--html", args->html,
                 "Write one self-contained HTML page to FILE ('-' for "
                 "standard output)");
  sub.add_option("--md", args->md,
                 "Write the report as Markdown to FILE ('-' for standard "
                 "output)");
  sub.add_option("--title", args->title,
                 "The report's title (default 'mlcarbon report')");
  sub.add_flag("--history", args->history,
               "Add the recorded runs the selection flags choose, with their "
               "trend over time");
  add_history_selection(sub, args->selection);
  return [args]() { return run_report(*args); };
}

}  // namespace mlcarbon::cli
