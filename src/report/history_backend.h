// SPDX-License-Identifier: Apache-2.0
// The storage behind report::History: one interface, two databases (SQLite,
// PostgreSQL), one schema. The SQL that both share, the schema migrations
// and the mapping between rows and HistoryEntry live in history.cc, so that
// a backend only talks to its database.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mlcarbon/core/error.h"
#include "mlcarbon/report/history.h"

namespace mlcarbon::report {

enum class Dialect { kSqlite, kPostgres };

/// One schema change: the SQL that takes a history from version-1 to
/// version, in each dialect. Applied in order, in one transaction.
struct Migration {
  int version;
  std::string_view sqlite;
  std::string_view postgres;
};

/// Every migration, oldest first; the last one's version is
/// kHistoryDatabaseVersion.
[[nodiscard]] std::span<const Migration> history_migrations();

/// The migrations a database at `current` (0 when empty) needs, in order; a
/// version newer than this mlcarbon's is an error naming `location`.
[[nodiscard]] Result<std::span<const Migration>> migrations_after(
    int current, std::string_view location);

/// `t` in nanoseconds since the Unix epoch, as the runs table stores it.
[[nodiscard]] std::int64_t to_unix_ns(WallTime t);

/// Runs one statement (or several): SQL, and what it does for messages.
using SqlExec = std::function<Status(const std::string&, std::string_view)>;

/// Takes a history to kHistoryDatabaseVersion in one transaction: `begin`
/// (which also keeps other processes from migrating at once), the version
/// read again under that lock by `inspect`, the migrations it lacks, each
/// version reached recorded in meta, then COMMIT; ROLLBACK on any error,
/// so that a failed upgrade changes nothing.
[[nodiscard]] Status migrate_history(
    std::string_view location, Dialect d, const std::string& begin,
    const std::function<Result<int>()>& inspect, const SqlExec& exec);

/// A bound value: NULL, text, integer or real.
using SqlValue =
    std::variant<std::monostate, std::string, std::int64_t, double>;

/// A statement with its values in placeholder order ("?" in SQLite, "$N"
/// in PostgreSQL).
struct SqlQuery {
  std::string sql;
  std::vector<SqlValue> values;
};

/// The INSERT of one run (without its tags) and of one tag.
[[nodiscard]] SqlQuery insert_run_sql(const HistoryEntry& entry, Dialect d);
[[nodiscard]] SqlQuery insert_tag_sql(const HistoryEntry& entry,
                                      const std::string& tag, Dialect d);

/// SELECT for query(): its columns are what entry_from_row reads.
/// `job_columns` is false for a version-1 history opened read-only.
[[nodiscard]] SqlQuery select_runs_sql(const HistoryFilter& filter, Dialect d,
                                       bool job_columns);
/// SELECT for totals(): one row, read by totals_from_row.
[[nodiscard]] SqlQuery sum_runs_sql(const HistoryFilter& filter, Dialect d,
                                    bool job_columns);

/// One result row, column by column (0-based).
class SqlRow {
 public:
  virtual ~SqlRow() = default;
  [[nodiscard]] virtual bool is_null(int column) const = 0;
  [[nodiscard]] virtual std::string text(int column) const = 0;
  [[nodiscard]] virtual std::int64_t integer(int column) const = 0;
  [[nodiscard]] virtual double real(int column) const = 0;
};

[[nodiscard]] HistoryEntry entry_from_row(const SqlRow& row);
[[nodiscard]] HistoryTotals totals_from_row(const SqlRow& row);

class HistoryBackend {
 public:
  virtual ~HistoryBackend() = default;
  [[nodiscard]] virtual Status record(const HistoryEntry& entry) = 0;
  [[nodiscard]] virtual Result<std::vector<HistoryEntry>> query(
      const HistoryFilter& filter) = 0;
  [[nodiscard]] virtual Result<HistoryTotals> totals(
      const HistoryFilter& filter) = 0;
  [[nodiscard]] virtual int schema_version() const = 0;
};

[[nodiscard]] Result<std::unique_ptr<HistoryBackend>> open_sqlite_history(
    const std::filesystem::path& path, HistoryOptions options);
/// Opens a PostgreSQL history through the plugin libmlcarbon_postgres.so
/// (history_postgres.cc), loaded on first use so that libpq and what it
/// pulls in (Kerberos, LDAP, TLS) load only in the processes that need it.
[[nodiscard]] Result<std::unique_ptr<HistoryBackend>> open_postgresql_history(
    const std::string& uri, const std::string& shown, HistoryOptions options);

/// Changes whenever the types that cross the plugin boundary change, so a
/// stale plugin is refused instead of misread.
inline constexpr std::size_t kPostgresPluginAbi =
    2000 + sizeof(HistoryEntry) + sizeof(HistoryFilter) +
    sizeof(HistoryTotals) + sizeof(HistoryOptions) + sizeof(Error) +
    kHistoryDatabaseVersion;

/// The plugin's one entry point, `mlcarbon_postgres_open`: fills `*out` and
/// returns true, or returns false when `abi` is not its kPostgresPluginAbi.
using PostgresOpenFn = bool (*)(std::size_t abi, const std::string& uri,
                                const std::string& shown,
                                const HistoryOptions& options,
                                Result<std::unique_ptr<HistoryBackend>>* out);

}  // namespace mlcarbon::report
