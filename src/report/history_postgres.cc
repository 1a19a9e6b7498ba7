// SPDX-License-Identifier: Apache-2.0
// libmlcarbon_postgres.so: the history in a PostgreSQL database (libpq),
// for a team or a cluster, many nodes record at once, each run in one
// transaction. The schema and its migrations are the SQLite history's
// (history_sql.cc). Loaded by open_postgresql_history (history.cc).
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "mlcarbon/core/text.h"

#include "history_backend.h"

namespace mlcarbon::report {
namespace {

// Any key that is the same in every mlcarbon serializes migrations.
constexpr std::int64_t kMigrationLock = 0x6d6c63617262;  // "mlcarb"

// SQLSTATEs this backend acts on.
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kLockNotAvailable = "55P03";

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

class Row final : public SqlRow {
 public:
  Row(const PGresult* r, int row) : r_(r), row_(row) {}
  [[nodiscard]] bool is_null(int i) const override {
    return PQgetisnull(r_, row_, i) != 0;
  }
  [[nodiscard]] std::string text(int i) const override {
    return PQgetvalue(r_, row_, i);
  }
  [[nodiscard]] std::int64_t integer(int i) const override {
    return std::strtoll(PQgetvalue(r_, row_, i), nullptr, 10);
  }
  [[nodiscard]] double real(int i) const override {
    return std::strtod(PQgetvalue(r_, row_, i), nullptr);
  }

 private:
  const PGresult* r_;
  int row_;
};

class PostgresHistory final : public HistoryBackend {
 public:
  PGconn* conn = nullptr;
  std::string uri;
  std::string shown;  // the URI without its password
  HistoryOptions options;
  int version = 0;

  PostgresHistory() = default;
  PostgresHistory(const PostgresHistory&) = delete;
  PostgresHistory& operator=(const PostgresHistory&) = delete;
  ~PostgresHistory() override { PQfinish(conn); }

  [[nodiscard]] std::string server_message() const {
    return std::string(trim(PQerrorMessage(conn)));
  }

  [[nodiscard]] Error unreachable() const {
    return Error(Errc::kUnavailable,
                 fmt::format("cannot connect to the history {}: {}", shown,
                             server_message()))
        .with_remedy(
            "check that the server runs and accepts this user, or pass "
            "another --db (or MLCARBON_DB)");
  }

  [[nodiscard]] Status connect() {
    // Seconds, as libpq wants them; at least 2 (libpq's minimum).
    const auto timeout = std::max<std::int64_t>(
        2,
        std::chrono::duration_cast<std::chrono::seconds>(options.lock_timeout)
            .count());
    const std::string timeout_text = std::to_string(timeout);
    // The URI comes last, so that its own settings win.
    const char* keys[] = {"connect_timeout", "application_name", "dbname",
                          nullptr};
    const char* values[] = {timeout_text.c_str(), "mlcarbon", uri.c_str(),
                            nullptr};
    conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn == nullptr) {
      return make_error(Errc::kBackend,
                        "cannot connect to the history {}: out of memory",
                        shown);
    }
    if (PQstatus(conn) != CONNECTION_OK)
      return tl::unexpected(unreachable());
    // Server notices ("relation exists, skipping") are not the user's.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        options.lock_timeout)
                        .count();
    return exec(
        fmt::format("SET lock_timeout = {}", std::max<std::int64_t>(ms, 1)),
        "cannot set the lock timeout");
  }

  // A dropped connection (a server restart during a long run) is opened
  // again before the next operation.
  [[nodiscard]] Status ensure_connected() {
    if (PQstatus(conn) == CONNECTION_OK)
      return {};
    PQreset(conn);
    if (PQstatus(conn) != CONNECTION_OK)
      return tl::unexpected(unreachable());
    return {};
  }

  [[nodiscard]] Error error(const PGresult* r, std::string_view what) const {
    if (PQstatus(conn) != CONNECTION_OK) {
      return Error(Errc::kUnavailable,
                   fmt::format("{}: lost the connection to the history {}: "
                               "{}",
                               what, shown, server_message()))
          .with_remedy("check the server, or pass another --db");
    }
    const char* state =
        r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string message =
        r == nullptr ? server_message()
                     : std::string(trim(PQresultErrorMessage(r)));
    if (state != nullptr && state == kLockNotAvailable) {
      return Error(
                 Errc::kUnavailable,
                 fmt::format("{}: the history {} stayed locked for {:.0f} "
                             "s: {}",
                             what, shown,
                             std::chrono::duration<double>(options.lock_timeout)
                                 .count(),
                             message))
          .with_remedy(
              "raise --db-timeout or MLCARBON_DB_TIMEOUT, or find the "
              "session holding it");
    }
    return Error(Errc::kBackend,
                 fmt::format("{}: {} (history {})", what, message, shown));
  }

  // Runs `sql` with `values` bound as text; the result when it succeeded.
  [[nodiscard]] std::pair<PgResult, bool> run(const std::string& sql,
                                              const std::vector<SqlValue>& v) {
    std::vector<std::string> texts(v.size());
    std::vector<const char*> params(v.size(), nullptr);
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (const auto* s = std::get_if<std::string>(&v[i])) {
        texts[i] = *s;
      } else if (const auto* n = std::get_if<std::int64_t>(&v[i])) {
        texts[i] = std::to_string(*n);
      } else if (const auto* d = std::get_if<double>(&v[i])) {
        texts[i] = fmt::format("{}", *d);  // shortest text that round-trips
      } else {
        continue;  // NULL
      }
      params[i] = texts[i].c_str();
    }
    PgResult r(PQexecParams(conn, sql.c_str(), static_cast<int>(v.size()),
                            nullptr, params.data(), nullptr, nullptr, 0));
    const auto status = PQresultStatus(r.get());
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    return {std::move(r), ok};
  }

  // Several statements without parameters.
  [[nodiscard]] Status exec(const std::string& sql, std::string_view what) {
    PgResult r(PQexec(conn, sql.c_str()));
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return tl::unexpected(error(r.get(), what));
    return {};
  }

  void rollback() { PgResult r(PQexec(conn, "ROLLBACK")); }

  // The schema version: 0 for no history tables; an error if foreign.
  [[nodiscard]] Result<int> inspect() {
    // A query of pg_tables, not to_regclass(): its snapshot sees the
    // tables that another writer committed while this one waited for the
    // migration lock.
    auto [r, ok] =
        run("SELECT bool_or(tablename = 'meta'), bool_or(tablename = 'runs'), "
            "bool_or(tablename = 'run_tags') FROM pg_tables WHERE schemaname = "
            "current_schema()",
            {});
    if (!ok)
      return tl::unexpected(error(r.get(), "cannot read the history"));
    const bool meta = *PQgetvalue(r.get(), 0, 0) == 't';
    const bool runs = *PQgetvalue(r.get(), 0, 1) == 't';
    const bool tags = *PQgetvalue(r.get(), 0, 2) == 't';
    if (!meta && !runs && !tags)
      return 0;
    if (!(meta && runs && tags)) {
      return make_error(Errc::kInvalidArgument,
                        "{} has tables named like an mlcarbon history's "
                        "(meta, runs, run_tags) but not all of them",
                        shown);
    }
    auto [v, read] =
        run("SELECT value FROM meta WHERE key = 'schema_version'", {});
    if (!read)
      return tl::unexpected(error(v.get(), "cannot read the history"));
    const std::string text =
        PQntuples(v.get()) == 1 ? PQgetvalue(v.get(), 0, 0) : "";
    char* end = nullptr;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n <= 0 || n > 1'000'000) {
      return make_error(Errc::kParse,
                        "{}: the history's schema_version is '{}', not a "
                        "positive number",
                        shown, text);
    }
    return static_cast<int>(n);
  }

  // Upgrades in one transaction; the advisory lock makes many nodes that
  // open a new database at once create it once.
  [[nodiscard]] Status migrate() {
    MLCARBON_RETURN_IF_ERROR(migrate_history(
        shown, Dialect::kPostgres,
        fmt::format("BEGIN; SELECT pg_advisory_xact_lock({})", kMigrationLock),
        [this] { return inspect(); },
        [this](const std::string& sql, std::string_view what) {
          return exec(sql, what);
        }));
    version = kHistoryDatabaseVersion;
    return {};
  }

  [[nodiscard]] int schema_version() const override { return version; }

  // One attempt: the run and its tags in one transaction.
  [[nodiscard]] Status record_once(const HistoryEntry& e) {
    MLCARBON_RETURN_IF_ERROR(exec("BEGIN", "cannot begin"));
    const SqlQuery insert = insert_run_sql(e, Dialect::kPostgres);
    auto [r, ok] = run(insert.sql, insert.values);
    if (!ok) {
      const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      Error err = state != nullptr && state == kUniqueViolation
                      ? Error(Errc::kInvalidArgument,
                              fmt::format("run {} is already in the history "
                                          "{}",
                                          e.run_id, shown))
                      : error(r.get(), "cannot insert run");
      rollback();
      return tl::unexpected(std::move(err));
    }
    for (const auto& tag : e.tags) {
      const SqlQuery q = insert_tag_sql(e, tag, Dialect::kPostgres);
      auto [t, tag_ok] = run(q.sql, q.values);
      if (!tag_ok) {
        Error err = error(t.get(), "cannot insert tag");
        rollback();
        return tl::unexpected(std::move(err));
      }
    }
    return exec("COMMIT", "cannot commit");
  }

  Status record(const HistoryEntry& e) override {
    const auto context = fmt::format("recording run {} in {}", e.run_id, shown);
    MLCARBON_RETURN_IF_ERROR(ensure_connected().map_error(
        [&](Error err) { return std::move(err).with_context(context); }));
    auto first = record_once(e);
    if (first || PQstatus(conn) == CONNECTION_OK) {
      return first.map_error(
          [&](Error err) { return std::move(err).with_context(context); });
    }
    // The connection dropped: once more on a new one. Had the COMMIT gone
    // through before the drop, the run is there already.
    if (auto s = ensure_connected(); !s)
      return tl::unexpected(std::move(s).error().with_context(context));
    auto again = record_once(e);
    if (!again && again.error().code() == Errc::kInvalidArgument)
      return {};
    return again.map_error(
        [&](Error err) { return std::move(err).with_context(context); });
  }

  Result<std::vector<HistoryEntry>> query(
      const HistoryFilter& filter) override {
    MLCARBON_RETURN_IF_ERROR(ensure_connected());
    const SqlQuery q =
        select_runs_sql(filter, Dialect::kPostgres, version >= 2);
    auto [r, ok] = run(q.sql, q.values);
    if (!ok)
      return tl::unexpected(error(r.get(), "cannot query history"));
    std::vector<HistoryEntry> out;
    const int rows = PQntuples(r.get());
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i)
      out.push_back(entry_from_row(Row(r.get(), i)));
    return out;
  }

  Result<HistoryTotals> totals(const HistoryFilter& filter) override {
    MLCARBON_RETURN_IF_ERROR(ensure_connected());
    const SqlQuery q = sum_runs_sql(filter, Dialect::kPostgres, version >= 2);
    auto [r, ok] = run(q.sql, q.values);
    if (!ok || PQntuples(r.get()) != 1)
      return tl::unexpected(error(r.get(), "cannot sum history"));
    return totals_from_row(Row(r.get(), 0));
  }
};

Result<std::unique_ptr<HistoryBackend>> open_history(const std::string& uri,
                                                     const std::string& shown,
                                                     HistoryOptions options) {
  auto db = std::make_unique<PostgresHistory>();
  db->uri = uri;
  db->shown = shown;
  db->options = std::move(options);
  MLCARBON_RETURN_IF_ERROR(db->connect());
  MLCARBON_ASSIGN_OR_RETURN(const int version, db->inspect());
  if (db->options.read_only) {
    if (version == 0) {
      return make_error(Errc::kNotFound, "{} holds no mlcarbon history", shown);
    }
    MLCARBON_RETURN_IF_ERROR(migrations_after(version, shown));
    db->version = version;
    return std::unique_ptr<HistoryBackend>(std::move(db));
  }
  if (version == kHistoryDatabaseVersion) {
    db->version = version;
  } else {
    MLCARBON_RETURN_IF_ERROR(db->migrate());
  }
  return std::unique_ptr<HistoryBackend>(std::move(db));
}

}  // namespace
}  // namespace mlcarbon::report

extern "C" __attribute__((visibility("default"))) bool mlcarbon_postgres_open(
    std::size_t abi, const std::string& uri, const std::string& shown,
    const mlcarbon::report::HistoryOptions& options,
    mlcarbon::Result<std::unique_ptr<mlcarbon::report::HistoryBackend>>* out) {
  if (abi != mlcarbon::report::kPostgresPluginAbi || out == nullptr)
    return false;
  try {
    *out = mlcarbon::report::open_history(uri, shown, options);
  } catch (const std::exception& e) {
    // libpq reports its errors as values; this is for bad_alloc.
    *out =
        mlcarbon::make_error(mlcarbon::Errc::kBackend,
                             "cannot open the history {}: {}", shown, e.what());
  }
  return true;
}
