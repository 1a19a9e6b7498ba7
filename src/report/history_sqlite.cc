// SPDX-License-Identifier: Apache-2.0
// The history in an SQLite file: WAL mode, a busy handler that waits for
// other processes' locks within a budget, one transaction per run.
#include <charconv>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include <sqlite3.h>

#include <fmt/format.h>

#include "history_backend.h"

namespace mlcarbon::report {
namespace {

// Finalizes a prepared statement on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }
  [[nodiscard]] bool ok() const { return rc_ == SQLITE_OK; }
  [[nodiscard]] sqlite3_stmt* get() const { return stmt_; }

  void bind(const std::vector<SqlValue>& values) {
    int index = 1;
    for (const SqlValue& v : values) {
      if (const auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(stmt_, index, s->data(), static_cast<int>(s->size()),
                          SQLITE_TRANSIENT);
      } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
        sqlite3_bind_int64(stmt_, index, *i);
      } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt_, index, *d);
      } else {
        sqlite3_bind_null(stmt_, index);
      }
      ++index;
    }
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

class Row final : public SqlRow {
 public:
  explicit Row(sqlite3_stmt* s) : s_(s) {}
  [[nodiscard]] bool is_null(int i) const override {
    return sqlite3_column_type(s_, i) == SQLITE_NULL;
  }
  [[nodiscard]] std::string text(int i) const override {
    const unsigned char* p = sqlite3_column_text(s_, i);
    return p == nullptr ? std::string() : reinterpret_cast<const char*>(p);
  }
  [[nodiscard]] std::int64_t integer(int i) const override {
    return sqlite3_column_int64(s_, i);
  }
  [[nodiscard]] double real(int i) const override {
    return sqlite3_column_double(s_, i);
  }

 private:
  sqlite3_stmt* s_;
};

class SqliteHistory final : public HistoryBackend {
 public:
  sqlite3* handle = nullptr;
  std::filesystem::path path;
  HistoryOptions options;
  int version = 0;
  // The current operation's lock wait: its start and whether it was told.
  std::chrono::steady_clock::time_point since;
  bool told = false;
  bool gave_up_cancelled = false;

  SqliteHistory() = default;
  SqliteHistory(const SqliteHistory&) = delete;
  SqliteHistory& operator=(const SqliteHistory&) = delete;
  ~SqliteHistory() override { sqlite3_close_v2(handle); }

  // Starts the lock-wait budget of one operation.
  void arm() {
    since = std::chrono::steady_clock::now();
    told = false;
    gave_up_cancelled = false;
  }

  // One more wait for a lock, or false when the budget is spent or a
  // signal asks to stop.
  bool wait_more() {
    if (options.cancelled && options.cancelled()) {
      gave_up_cancelled = true;
      return false;
    }
    const auto waited = std::chrono::steady_clock::now() - since;
    if (waited >= options.lock_timeout)
      return false;
    if (!told && waited >= std::chrono::seconds(1) && options.on_wait) {
      told = true;
      options.on_wait(fmt::format(
          "waiting for the history {}, locked by another process (up to "
          "{:.0f} s)",
          path.string(),
          std::chrono::duration<double>(options.lock_timeout).count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return true;
  }

  static int on_busy(void* self, int /*count*/) {
    return static_cast<SqliteHistory*>(self)->wait_more() ? 1 : 0;
  }

  [[nodiscard]] Error error(std::string_view what) const {
    const int rc = sqlite3_extended_errcode(handle);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      if (gave_up_cancelled) {
        return Error(Errc::kCancelled,
                     fmt::format("{}: interrupted while waiting for the "
                                 "history {}, locked by another process",
                                 what, path.string()));
      }
      return Error(
                 Errc::kUnavailable,
                 fmt::format("{}: the history {} stayed locked by another "
                             "process for {:.0f} s",
                             what, path.string(),
                             std::chrono::duration<double>(options.lock_timeout)
                                 .count()))
          .with_remedy(
              "raise --db-timeout or MLCARBON_DB_TIMEOUT, or find "
              "the process holding it");
    }
    if ((rc & 0xff) == SQLITE_NOTADB) {
      return Error(Errc::kParse,
                   fmt::format("{} is not an SQLite database, so not an "
                               "mlcarbon history: {}",
                               path.string(), sqlite3_errmsg(handle)))
          .with_remedy("move it away, or pass --db FILE or --no-history");
    }
    return Error(Errc::kBackend,
                 fmt::format("{}: {}", what, sqlite3_errmsg(handle)));
  }

  // sqlite3_exec, retried while another process holds a lock the busy
  // handler is not asked about (a journal-mode change, say), within the
  // same budget.
  [[nodiscard]] Status exec(const std::string& sql, std::string_view what) {
    while (true) {
      const int rc =
          sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK)
        return {};
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || !wait_more()) {
        return tl::unexpected(error(what));
      }
    }
  }

  // The first column of the first row of `sql`; "" for NULL or no row.
  [[nodiscard]] Result<std::string> scalar(const char* sql,
                                           std::string_view what) {
    while (true) {
      sqlite3_stmt* stmt = nullptr;
      int rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nullptr);
      std::string value;
      if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
          const unsigned char* p = sqlite3_column_text(stmt, 0);
          if (p != nullptr)
            value = reinterpret_cast<const char*>(p);
          rc = SQLITE_DONE;
        }
      }
      sqlite3_finalize(stmt);
      if (rc == SQLITE_DONE)
        return value;
      if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || !wait_more())
        return tl::unexpected(error(what));
    }
  }

  // The schema version: 0 for an empty database; an error if foreign.
  [[nodiscard]] Result<int> inspect() {
    const auto tables = scalar(
        "SELECT group_concat(name, ', ') FROM sqlite_master WHERE "
        "type = 'table'",
        "cannot read the history");
    if (!tables)
      return tl::unexpected(tables.error());
    if (tables->empty())
      return 0;
    const auto ours = scalar(
        "SELECT count(*) = 3 FROM sqlite_master WHERE type = 'table' "
        "AND name IN ('meta', 'runs', 'run_tags')",
        "cannot read the history");
    if (!ours)
      return tl::unexpected(ours.error());
    if (*ours != "1") {
      return make_error(Errc::kInvalidArgument,
                        "{} is an SQLite database but not an mlcarbon "
                        "history (its tables: {})",
                        path.string(), *tables);
    }
    const auto stored =
        scalar("SELECT value FROM meta WHERE key = 'schema_version'",
               "cannot read the history");
    if (!stored)
      return tl::unexpected(stored.error());
    int v = 0;
    const auto [ptr, ec] =
        std::from_chars(stored->data(), stored->data() + stored->size(), v);
    if (stored->empty() || ec != std::errc() ||
        ptr != stored->data() + stored->size() || v <= 0) {
      return make_error(Errc::kParse,
                        "{}: the history's schema_version is '{}', not a "
                        "positive number",
                        path.string(), *stored);
    }
    return v;
  }

  // Brings the schema to this mlcarbon's version in one transaction, which
  // also keeps a second process from migrating at the same time.
  [[nodiscard]] Status migrate() {
    MLCARBON_RETURN_IF_ERROR(migrate_history(
        path.string(), Dialect::kSqlite, "BEGIN IMMEDIATE",
        [this] { return inspect(); },
        [this](const std::string& sql, std::string_view what) {
          return exec(sql, what);
        }));
    version = kHistoryDatabaseVersion;
    return {};
  }

  [[nodiscard]] int schema_version() const override { return version; }

  Status record(const HistoryEntry& e) override {
    arm();
    const auto context = [&] {
      return fmt::format("recording run {} in {}", e.run_id, path.string());
    };
    if (auto s = exec("BEGIN IMMEDIATE;", "cannot begin"); !s)
      return tl::unexpected(std::move(s).error().with_context(context()));
    auto fail = [&](std::string_view what) -> Status {
      auto err = error(what);
      (void)exec("ROLLBACK;", "rollback");
      return tl::unexpected(std::move(err).with_context(context()));
    };
    {
      const SqlQuery q = insert_run_sql(e, Dialect::kSqlite);
      Statement insert(handle, q.sql);
      if (!insert.ok())
        return fail("cannot prepare insert");
      insert.bind(q.values);
      if (sqlite3_step(insert.get()) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(handle) == SQLITE_CONSTRAINT_PRIMARYKEY) {
          (void)exec("ROLLBACK;", "rollback");
          return make_error(Errc::kInvalidArgument,
                            "run {} is already in the history {}", e.run_id,
                            path.string());
        }
        return fail("cannot insert run");
      }
    }
    for (const auto& tag : e.tags) {
      const SqlQuery q = insert_tag_sql(e, tag, Dialect::kSqlite);
      Statement insert(handle, q.sql);
      if (!insert.ok())
        return fail("cannot prepare tag insert");
      insert.bind(q.values);
      if (sqlite3_step(insert.get()) != SQLITE_DONE)
        return fail("cannot insert tag");
    }
    if (auto s = exec("COMMIT;", "cannot commit"); !s) {
      (void)exec("ROLLBACK;", "rollback");
      return tl::unexpected(std::move(s).error().with_context(context()));
    }
    return {};
  }

  Result<std::vector<HistoryEntry>> query(
      const HistoryFilter& filter) override {
    arm();
    const SqlQuery sql =
        select_runs_sql(filter, Dialect::kSqlite, version >= 2);
    Statement q(handle, sql.sql);
    if (!q.ok())
      return tl::unexpected(error("cannot query history"));
    q.bind(sql.values);
    std::vector<HistoryEntry> out;
    int rc = 0;
    const Row row(q.get());
    while ((rc = sqlite3_step(q.get())) == SQLITE_ROW)
      out.push_back(entry_from_row(row));
    if (rc != SQLITE_DONE)
      return tl::unexpected(error("cannot read history"));
    return out;
  }

  Result<HistoryTotals> totals(const HistoryFilter& filter) override {
    arm();
    const SqlQuery sql = sum_runs_sql(filter, Dialect::kSqlite, version >= 2);
    Statement q(handle, sql.sql);
    if (!q.ok())
      return tl::unexpected(error("cannot sum history"));
    q.bind(sql.values);
    if (sqlite3_step(q.get()) != SQLITE_ROW)
      return tl::unexpected(error("cannot sum history"));
    return totals_from_row(Row(q.get()));
  }
};

}  // namespace

Result<std::unique_ptr<HistoryBackend>> open_sqlite_history(
    const std::filesystem::path& path, HistoryOptions options) {
  std::error_code ec;
  if (!options.read_only && path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return make_error(Errc::kIo, "cannot create {}: {}",
                        path.parent_path().string(), ec.message());
    }
  }
  auto db = std::make_unique<SqliteHistory>();
  db->path = path;
  db->options = std::move(options);
  const int flags =
      (db->options.read_only ? SQLITE_OPEN_READONLY
                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db->handle, flags, nullptr) != SQLITE_OK) {
    return tl::unexpected(
        db->error("cannot open history").with_context(path.string()));
  }
  sqlite3_busy_handler(db->handle, &SqliteHistory::on_busy, db.get());
  db->arm();
  auto context = [&](Error e) {
    return std::move(e).with_context(path.string());
  };
  MLCARBON_ASSIGN_OR_RETURN(const int version, db->inspect());
  // A newer history is refused before anything in the file changes.
  MLCARBON_RETURN_IF_ERROR(migrations_after(version, path.string()));
  if (db->options.read_only) {
    if (version == 0) {
      return make_error(Errc::kNotFound, "{} holds no mlcarbon history",
                        path.string());
    }
    // An older history is read as it is.
    db->version = version;
    return std::unique_ptr<HistoryBackend>(std::move(db));
  }
  // WAL lets readers and one writer work at once; switching takes an
  // exclusive lock, so only when the file is not in WAL yet.
  MLCARBON_ASSIGN_OR_RETURN(
      const auto mode,
      db->scalar("PRAGMA journal_mode;", "cannot read the journal mode"));
  if (mode != "wal") {
    MLCARBON_ASSIGN_OR_RETURN(
        const auto wal,
        db->scalar("PRAGMA journal_mode=WAL;", "cannot enable WAL"));
    (void)wal;
  }
  if (auto s = db->exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                        "cannot set pragmas");
      !s) {
    return tl::unexpected(context(s.error()));
  }
  if (version == kHistoryDatabaseVersion) {
    db->version = version;
  } else if (auto s = db->migrate(); !s) {
    return tl::unexpected(context(s.error()));
  }
  return std::unique_ptr<HistoryBackend>(std::move(db));
}

}  // namespace mlcarbon::report
