// SPDX-License-Identifier: Apache-2.0
#include "outputs.h"

#include <array>
#include <cstdio>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/text.h"
#include "mlcarbon/report/output.h"
#include "mlcarbon/report/run_export.h"

namespace mlcarbon::cli {
namespace {

// The file `path` will name once written: links followed even when their
// target does not exist yet.
std::filesystem::path final_target(std::filesystem::path path) {
  std::error_code ec;
  for (int hops = 0; hops < 40 && std::filesystem::is_symlink(path, ec);
       ++hops) {
    const auto target = std::filesystem::read_symlink(path, ec);
    if (ec)
      break;
    path = target.is_absolute() ? target : path.parent_path() / target;
  }
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical;
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec) && !ec;
  return final_target(a) == final_target(b);
}

// A bad output is a usage error, found before the command runs.
tl::unexpected<Error> output_error(std::string_view flag, const Error& e) {
  Error usage(Errc::kInvalidArgument,
              fmt::format("{}: {}", flag, e.to_string()));
  if (!e.remedy().empty())
    usage = std::move(usage).with_remedy(e.remedy());
  return tl::unexpected(std::move(usage));
}

bool is_file(const std::optional<std::string>& path) {
  return path && *path != "-";
}

// Messages quote the user's paths: no raw control characters.
void say(std::string_view line) {
  std::fprintf(stderr, "mlcarbon: %s\n", terminal_safe(line, true).c_str());
}

}  // namespace

Status check_run_outputs(const RunOutputs& outputs) {
  const std::array<
      std::pair<std::string_view, const std::optional<std::string>*>, 3>
      named = {{{"--json", &outputs.json},
                {"--csv", &outputs.csv},
                {"--db", &outputs.db}}};
  for (std::size_t i = 0; i < named.size(); ++i) {
    for (std::size_t j = i + 1; j < named.size(); ++j) {
      const auto& a = *named[i].second;
      const auto& b = *named[j].second;
      if (is_file(a) && is_file(b) && same_file(*a, *b)) {
        return make_error(Errc::kInvalidArgument,
                          "{} and {} name the same file {}: one would "
                          "overwrite the other",
                          named[i].first, named[j].first, *a);
      }
    }
  }
  if (is_file(outputs.json)) {
    if (auto s = check_output_file(*outputs.json); !s)
      return output_error("--json", s.error());
  }
  if (is_file(outputs.csv)) {
    if (auto s = report::check_run_csv(*outputs.csv); !s)
      return output_error("--csv", s.error());
  }
  return {};
}

bool write_run_outputs(const measure::Run& run, const RunOutputs& outputs,
                       report::History* history,
                       const std::optional<Error>& history_error) {
  bool ok = true;
  const std::string json = report::run_to_json(run);
  bool json_file = false;
  bool json_shown = false;
  auto show_json = [&] {
    if (json_shown)
      return;
    json_shown = true;
    say("the run as JSON:");
    std::fwrite(json.data(), 1, json.size(), stderr);
  };
  if (outputs.json) {
    if (auto s = report::write_output(*outputs.json, json); !s) {
      ok = false;
      say(fmt::format("error: --json: {}", s.error().to_string()));
      show_json();
    } else {
      json_file = *outputs.json != "-";
    }
  }
  if (outputs.csv) {
    const std::string rows =
        report::run_csv_header() + "\n" + report::run_csv_row(run) + "\n";
    const Status s = *outputs.csv == "-"
                         ? report::write_output("-", rows)
                         : report::append_run_csv(*outputs.csv, run);
    if (!s) {
      ok = false;
      say(fmt::format("error: --csv: {}", s.error().to_string()));
      say("the CSV row, after its header:");
      std::fputs(terminal_safe(rows, true).c_str(), stderr);
    }
  }
  if (outputs.db) {
    std::optional<Error> failed;
    if (history == nullptr) {
      failed = history_error.value_or(
          Error(Errc::kUnavailable, "the history was not opened"));
    } else if (auto s = history->record(report::to_history_entry(run)); !s) {
      failed = s.error();
    }
    if (failed) {
      ok = false;
      say(fmt::format("error: the run was not recorded in the history: {}",
                      failed->to_string()));
      const std::string db = measure::quote_command(
          {history != nullptr ? history->location()
                              : report::redact_location(*outputs.db)});
      std::optional<std::string> saved;
      if (json_file) {
        saved = *outputs.json;
      } else {
        // Kept where the user will find it, so that nothing is lost.
        const auto pending = report::default_history_path().parent_path() /
                             "pending" / (run.run_id + ".json");
        std::error_code ec;
        std::filesystem::create_directories(pending.parent_path(), ec);
        if (!ec && write_file_atomic(pending, json)) {
          saved = pending.string();
          say(fmt::format("the run was saved as {}", pending.string()));
        }
      }
      if (saved) {
        say(fmt::format(
            "hint: add it later with: mlcarbon history --db {} import {}", db,
            measure::quote_command({*saved})));
      } else {
        show_json();
        say(fmt::format(
            "hint: save the JSON above to a file and add it later with: "
            "mlcarbon history --db {} import FILE",
            db));
      }
    }
  }
  return ok;
}

}  // namespace mlcarbon::cli
