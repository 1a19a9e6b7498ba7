// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"

namespace mlcarbon::report {

/// Low and high ends of a run's (or a sum's) energy and CO2e figures.
struct FigureBounds {
  double energy_j_low = 0.0;
  double energy_j_high = 0.0;
  double attributed_energy_j_low = 0.0;
  double attributed_energy_j_high = 0.0;
  double co2e_g_low = 0.0;
  double co2e_g_high = 0.0;
  double attributed_co2e_g_low = 0.0;
  double attributed_co2e_g_high = 0.0;
};

/// One recorded run as the history stores it: the fields it filters and
/// sums on, plus the whole run document (JSON) so nothing is lost.
struct HistoryEntry {
  std::string run_id;
  WallTime start;
  double duration_s = 0.0;
  std::string project;
  std::string command;  // the command line, shell-quoted
  std::vector<std::string> tags;
  std::optional<int> exit_status;
  double energy_j = 0.0;             // machine energy at the wall, PUE excluded
  double attributed_energy_j = 0.0;  // the command's process tree
  double co2e_g = 0.0;               // machine energy x PUE x intensity
  double attributed_co2e_g = 0.0;
  std::string method;    // "measured" or "estimated"
  std::string region;    // region code used for the intensity
  std::string document;  // the run as JSON (report/run_json.h)
  /// The figures' error bands (docs/history.md): read back from the
  /// document's `_low`/`_high` siblings, which a measured run lacks (its
  /// figures are both ends). Not stored in columns of their own. Absent
  /// means the same: use bounds_of().
  std::optional<FigureBounds> bounds;
};

/// What `mlcarbon history` selects: every field is optional and they AND.
struct HistoryFilter {
  std::optional<std::string> tag;
  /// Substring of the command line.
  std::optional<std::string> command;
  std::optional<std::string> project;
  std::optional<WallTime> since;
  std::optional<WallTime> until;
  /// Most recent first; 0 means no limit.
  std::size_t limit = 0;
};

struct HistoryTotals {
  std::size_t runs = 0;
  double duration_s = 0.0;
  double energy_j = 0.0;
  double attributed_energy_j = 0.0;
  double co2e_g = 0.0;
  double attributed_co2e_g = 0.0;
  /// Sums of the runs' bounds (summing bounds is the conservative choice);
  /// absent: the sums are both ends. Use bounds_of().
  std::optional<FigureBounds> bounds;
};

/// The bounds of a HistoryEntry's or HistoryTotals' figures: its own, or
/// the figures themselves as both ends.
template <typename Figures>
[[nodiscard]] FigureBounds bounds_of(const Figures& f) {
  if (f.bounds)
    return *f.bounds;
  return {f.energy_j, f.energy_j, f.attributed_energy_j, f.attributed_energy_j,
          f.co2e_g,   f.co2e_g,   f.attributed_co2e_g,   f.attributed_co2e_g};
}

/// How a History waits for a database that another process has locked.
struct HistoryOptions {
  /// The longest one operation (open, record, query) waits for a lock.
  std::chrono::milliseconds lock_timeout{10'000};
  /// Open for reading only: no journal-mode switch and no schema creation,
  /// so a read-only file can be listed.
  bool read_only = false;
  /// Called once per operation when a lock wait passes one second, with a
  /// line saying what it waits for.
  std::function<void(const std::string&)> on_wait;
  /// Polled while waiting; true stops the wait (a signal arrived).
  std::function<bool()> cancelled;
};

/// The run history: an SQLite database in WAL mode with a busy timeout, so
/// that several processes may record at once; each run is one transaction.
/// Not thread-safe: use one History per thread.
class History {
 public:
  /// Opens (creating if needed, with its folder) the database at `path`.
  /// A file that is not an SQLite database, or one whose tables are not an
  /// mlcarbon history (or of another schema version), is an error naming
  /// the file.
  [[nodiscard]] static Result<History> open(const std::filesystem::path& path,
                                            HistoryOptions options = {});

  History(History&&) noexcept;
  History& operator=(History&&) noexcept;
  History(const History&) = delete;
  History& operator=(const History&) = delete;
  ~History();

  /// Records one run atomically (the run and its tags, or nothing). A run
  /// already recorded is an error naming its id.
  [[nodiscard]] Status record(const HistoryEntry& entry);
  /// Runs matching `filter`, most recent first.
  [[nodiscard]] Result<std::vector<HistoryEntry>> query(
      const HistoryFilter& filter) const;
  /// Sums over the runs matching `filter` (its limit is ignored).
  [[nodiscard]] Result<HistoryTotals> totals(const HistoryFilter& filter) const;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  struct Db;
  History(std::filesystem::path path, std::unique_ptr<Db> db);

  std::filesystem::path path_;
  std::unique_ptr<Db> db_;
};

/// $XDG_DATA_HOME/mlcarbon/history.db, else ~/.local/share/mlcarbon/...
[[nodiscard]] std::filesystem::path default_history_path();

}  // namespace mlcarbon::report
