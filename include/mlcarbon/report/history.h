// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlcarbon/core/clock.h"
#include "mlcarbon/core/error.h"

namespace mlcarbon::report {

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
  /// The Slurm job and task (rank) and the node's index in the job; empty
  /// outside Slurm.
  std::string job_id;
  std::optional<int> proc_id;
  std::optional<int> node_id;
  /// The node measured on: Slurm's node name, else the host name.
  std::string node;
};

/// What `mlcarbon history` selects: every field is optional and they AND.
struct HistoryFilter {
  std::optional<std::string> tag;
  /// Substring of the command line.
  std::optional<std::string> command;
  std::optional<std::string> project;
  std::optional<WallTime> since;
  std::optional<WallTime> until;
  /// Only the runs (tasks) of this Slurm job.
  std::optional<std::string> job_id;
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
};

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

/// The schema version this mlcarbon writes. Opening for writing upgrades
/// an older history in one transaction; a newer one is refused.
inline constexpr int kHistoryDatabaseVersion = 2;

/// Whether `location` names a PostgreSQL database (a postgresql:// or
/// postgres:// URI) rather than an SQLite file.
[[nodiscard]] bool is_postgresql_location(std::string_view location);

/// `location` with any password in it replaced by "***", for messages.
[[nodiscard]] std::string redact_location(std::string_view location);

/// The storage behind a History (SQLite or PostgreSQL), one schema.
class HistoryBackend;

/// The run history, in one of two databases behind the same schema and
/// migrations: an SQLite file (the embedded default) in WAL mode with a
/// busy timeout, or a PostgreSQL database shared by a team. Several
/// processes (on many nodes, for PostgreSQL) may record at once; each run
/// is one transaction. Not thread-safe: use one History per thread.
class History {
 public:
  /// Opens the history at `location`: a postgresql:// URI, else an SQLite
  /// file (created if needed, with its folder). Creates the schema in an
  /// empty database and upgrades an older one (unless read-only). A file
  /// that is not an SQLite database, a database whose tables are not an
  /// mlcarbon history, one of a newer schema version, or a server that
  /// cannot be reached is an error naming the location.
  [[nodiscard]] static Result<History> open(const std::string& location,
                                            HistoryOptions options = {});
  [[nodiscard]] static Result<History> open(const std::filesystem::path& path,
                                            HistoryOptions options = {});
  [[nodiscard]] static Result<History> open(const char* location,
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

  /// The schema version of the database as opened (older than
  /// kHistoryDatabaseVersion only when opened read-only).
  [[nodiscard]] int schema_version() const;

  /// The file, or the URI without its password.
  [[nodiscard]] const std::string& location() const { return location_; }

 private:
  History(std::string location, std::unique_ptr<HistoryBackend> backend);

  std::string location_;
  std::unique_ptr<HistoryBackend> backend_;
};

/// $XDG_DATA_HOME/mlcarbon/history.db, else ~/.local/share/mlcarbon/...
[[nodiscard]] std::filesystem::path default_history_path();

/// The history to use when none is named: MLCARBON_DB when set (a file or
/// a postgresql:// URI), else default_history_path().
[[nodiscard]] std::string default_history_location();

/// What a job's runs add up to (report::job_totals).
struct JobNodeTotals {
  std::string node;
  std::size_t runs = 0;
  /// The node's machine energy over the union of its runs' intervals.
  double energy_j = 0.0;
  double co2e_g = 0.0;
  /// The union's length.
  double busy_s = 0.0;
};

/// A Slurm job across its ranks and nodes: each rank's attributed energy
/// summed, and each node's machine energy counted once (see job_totals).
struct JobTotals {
  std::string job_id;
  std::size_t runs = 0;
  /// Sum over the runs (ranks) of their process trees' energy.
  double attributed_energy_j = 0.0;
  double attributed_co2e_g = 0.0;
  /// Sum over the nodes of JobNodeTotals::energy_j.
  double energy_j = 0.0;
  double co2e_g = 0.0;
  std::string method;  // "measured" when every run was, else "estimated"
  std::vector<JobNodeTotals> nodes;  // by node name
};

/// Totals the runs of one job. Attributed energy is summed over the runs:
/// each rank's process tree is its own. Machine energy is per node: the
/// runs on one node share its meters, so each instant of the union of
/// their intervals is counted once, at the mean power of the runs that
/// cover it (each run's power being its energy over its duration). Two
/// ranks over the same interval thus count the node once; disjoint runs add
/// up. A run without a node name is a node of its own.
[[nodiscard]] JobTotals job_totals(std::string job_id,
                                   std::span<const HistoryEntry> runs);

}  // namespace mlcarbon::report
