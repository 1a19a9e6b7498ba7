// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/history.h"

#include <array>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <thread>
#include <utility>
#include <variant>

#include <sqlite3.h>

#include "mlcarbon/core/text.h"

namespace mlcarbon::report {
namespace {

// Text columns hold valid UTF-8 only: a stray byte in a command line or tag
// becomes U+FFFD, so that every reader (JSON, Python) can load the row.
void bind_text(sqlite3_stmt* s, int index, std::string_view text) {
  const std::string valid = to_valid_utf8(text);
  sqlite3_bind_text(s, index, valid.data(), static_cast<int>(valid.size()),
                    SQLITE_TRANSIENT);
}

constexpr char kTagSeparator = '\x1f';

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY,
  start_unix_ns INTEGER NOT NULL,
  duration_s REAL NOT NULL,
  project TEXT NOT NULL,
  command TEXT NOT NULL,
  exit_status INTEGER,
  energy_j REAL NOT NULL,
  attributed_energy_j REAL NOT NULL,
  co2e_g REAL NOT NULL,
  attributed_co2e_g REAL NOT NULL,
  method TEXT NOT NULL,
  region TEXT NOT NULL,
  document TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs(start_unix_ns);
CREATE TABLE IF NOT EXISTS run_tags(
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY(run_id, tag));
CREATE INDEX IF NOT EXISTS run_tags_by_tag ON run_tags(tag);
)sql";

std::int64_t to_unix_ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}
WallTime from_unix_ns(std::int64_t ns) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::nanoseconds(ns)));
}

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

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Whether the database is empty or an mlcarbon history.
enum class Shape { kEmpty, kOurs };

constexpr const char* kSchemaVersion = "1";

}  // namespace

struct History::Db {
  sqlite3* handle = nullptr;
  std::filesystem::path path;
  HistoryOptions options;
  // The current operation's lock wait: its start and whether it was told.
  std::chrono::steady_clock::time_point since;
  bool told = false;
  bool gave_up_cancelled = false;

  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { sqlite3_close_v2(handle); }

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
    return static_cast<Db*>(self)->wait_more() ? 1 : 0;
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
  [[nodiscard]] Status exec(const char* sql, std::string_view what) {
    while (true) {
      const int rc = sqlite3_exec(handle, sql, nullptr, nullptr, nullptr);
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

  // Whether the database is empty or ours; an error if foreign.
  [[nodiscard]] Result<Shape> inspect() {
    const auto tables = scalar(
        "SELECT group_concat(name, ', ') FROM sqlite_master WHERE "
        "type = 'table'",
        "cannot read the history");
    if (!tables)
      return tl::unexpected(tables.error());
    if (tables->empty())
      return Shape::kEmpty;
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
    const auto version =
        scalar("SELECT value FROM meta WHERE key = 'schema_version'",
               "cannot read the history");
    if (!version)
      return tl::unexpected(version.error());
    if (*version != kSchemaVersion) {
      return make_error(Errc::kInvalidArgument,
                        "{} is a history of schema version {}; this mlcarbon "
                        "reads version {}",
                        path.string(), version->empty() ? "(none)" : *version,
                        kSchemaVersion);
    }
    return Shape::kOurs;
  }
};

History::History(std::filesystem::path path, std::unique_ptr<Db> db)
    : path_(std::move(path)), db_(std::move(db)) {}
History::History(History&&) noexcept = default;
History& History::operator=(History&&) noexcept = default;
History::~History() = default;

Result<History> History::open(const std::filesystem::path& path,
                              HistoryOptions options) {
  std::error_code ec;
  if (!options.read_only && path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return make_error(Errc::kIo, "cannot create {}: {}",
                        path.parent_path().string(), ec.message());
    }
  }
  auto db = std::make_unique<Db>();
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
  sqlite3_busy_handler(db->handle, &Db::on_busy, db.get());
  db->arm();
  auto context = [&](Error e) {
    return std::move(e).with_context(path.string());
  };
  MLCARBON_ASSIGN_OR_RETURN(const Shape shape, db->inspect());
  if (db->options.read_only) {
    if (shape == Shape::kEmpty) {
      return make_error(Errc::kNotFound, "{} holds no mlcarbon history",
                        path.string());
    }
    return History(path, std::move(db));
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
  if (shape == Shape::kEmpty) {
    const std::string schema =
        std::string("BEGIN IMMEDIATE;") + kSchema + "COMMIT;";
    if (auto s = db->exec(schema.c_str(), "cannot create the history schema");
        !s) {
      (void)db->exec("ROLLBACK;", "rollback");
      return tl::unexpected(context(s.error()));
    }
  }
  return History(path, std::move(db));
}

Status History::record(const HistoryEntry& e) {
  db_->arm();
  if (auto s = db_->exec("BEGIN IMMEDIATE;", "cannot begin"); !s) {
    return tl::unexpected(std::move(s).error().with_context(
        fmt::format("recording run {} in {}", e.run_id, path_.string())));
  }
  auto fail = [&](std::string_view what) -> Status {
    auto err = db_->error(what);
    (void)db_->exec("ROLLBACK;", "rollback");
    return tl::unexpected(std::move(err).with_context(
        fmt::format("recording run {} in {}", e.run_id, path_.string())));
  };
  {
    Statement insert(db_->handle,
                     "INSERT INTO runs(run_id, start_unix_ns, duration_s, "
                     "project, command, exit_status, energy_j, "
                     "attributed_energy_j, co2e_g, attributed_co2e_g, method, "
                     "region, document) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!insert.ok())
      return fail("cannot prepare insert");
    sqlite3_stmt* s = insert.get();
    bind_text(s, 1, e.run_id);
    sqlite3_bind_int64(s, 2, to_unix_ns(e.start));
    sqlite3_bind_double(s, 3, e.duration_s);
    bind_text(s, 4, e.project);
    bind_text(s, 5, e.command);
    if (e.exit_status) {
      sqlite3_bind_int(s, 6, *e.exit_status);
    } else {
      sqlite3_bind_null(s, 6);
    }
    sqlite3_bind_double(s, 7, e.energy_j);
    sqlite3_bind_double(s, 8, e.attributed_energy_j);
    sqlite3_bind_double(s, 9, e.co2e_g);
    sqlite3_bind_double(s, 10, e.attributed_co2e_g);
    bind_text(s, 11, e.method);
    bind_text(s, 12, e.region);
    bind_text(s, 13, e.document);
    if (sqlite3_step(s) != SQLITE_DONE) {
      if (sqlite3_extended_errcode(db_->handle) ==
          SQLITE_CONSTRAINT_PRIMARYKEY) {
        (void)db_->exec("ROLLBACK;", "rollback");
        return make_error(Errc::kInvalidArgument,
                          "run {} is already in the history {}", e.run_id,
                          path_.string());
      }
      return fail("cannot insert run");
    }
  }
  for (const auto& tag : e.tags) {
    Statement insert(db_->handle,
                     "INSERT OR IGNORE INTO run_tags(run_id, tag) VALUES(?,?)");
    if (!insert.ok())
      return fail("cannot prepare tag insert");
    bind_text(insert.get(), 1, e.run_id);
    bind_text(insert.get(), 2, tag);
    if (sqlite3_step(insert.get()) != SQLITE_DONE) {
      return fail("cannot insert tag");
    }
  }
  if (auto s = db_->exec("COMMIT;", "cannot commit"); !s) {
    (void)db_->exec("ROLLBACK;", "rollback");
    return tl::unexpected(std::move(s).error().with_context(
        fmt::format("recording run {} in {}", e.run_id, path_.string())));
  }
  return {};
}

namespace {

// The bounds of each figure, in FigureBounds' order, read from the stored
// run document; a measured figure has no siblings there, so the figure
// stands for both ends (as it does for documents older than the bands).
struct BoundsColumn {
  const char* path;      // in the run document
  const char* scale;     // to the column's unit
  const char* fallback;  // the figure itself
};
constexpr std::array<BoundsColumn, 8> kBoundsColumns = {{
    {"$.energy.total_j_low", "1.0", "energy_j"},
    {"$.energy.total_j_high", "1.0", "energy_j"},
    {"$.energy.attributed_j_low", "1.0", "attributed_energy_j"},
    {"$.energy.attributed_j_high", "1.0", "attributed_energy_j"},
    {"$.carbon.co2e_kg_low", "1000.0", "co2e_g"},
    {"$.carbon.co2e_kg_high", "1000.0", "co2e_g"},
    {"$.carbon.attributed_co2e_kg_low", "1000.0", "attributed_co2e_g"},
    {"$.carbon.attributed_co2e_kg_high", "1000.0", "attributed_co2e_g"},
}};

// The columns as a select list, each wrapped in `wrap` ("total" for sums,
// "" for rows). A document that is not JSON falls back too, rather than
// failing the whole listing.
std::string bounds_select(std::string_view wrap) {
  std::string out;
  for (const BoundsColumn& c : kBoundsColumns) {
    const std::string e = fmt::format(
        "coalesce(CASE WHEN json_valid(document) THEN json_extract(document, "
        "'{}') * {} END, {})",
        c.path, c.scale, c.fallback);
    out += wrap.empty() ? ", " + e : fmt::format(", {}({})", wrap, e);
  }
  return out;
}

// Reads the bounds columns starting at `first`.
FigureBounds read_bounds(sqlite3_stmt* s, int first) {
  FigureBounds b;
  double* fields[] = {&b.energy_j_low,
                      &b.energy_j_high,
                      &b.attributed_energy_j_low,
                      &b.attributed_energy_j_high,
                      &b.co2e_g_low,
                      &b.co2e_g_high,
                      &b.attributed_co2e_g_low,
                      &b.attributed_co2e_g_high};
  for (double* f : fields)
    *f = sqlite3_column_double(s, first++);
  return b;
}

// WHERE clause and its bound values for a filter, in bind order.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> values;
};

Where where_for(const HistoryFilter& f) {
  Where w;
  std::vector<std::string> terms;
  if (f.tag) {
    terms.emplace_back("run_id IN (SELECT run_id FROM run_tags WHERE tag = ?)");
    w.values.emplace_back(*f.tag);
  }
  if (f.command) {
    terms.emplace_back("instr(command, ?) > 0");
    w.values.emplace_back(*f.command);
  }
  if (f.project) {
    terms.emplace_back("project = ?");
    w.values.emplace_back(*f.project);
  }
  if (f.since) {
    terms.emplace_back("start_unix_ns >= ?");
    w.values.emplace_back(to_unix_ns(*f.since));
  }
  if (f.until) {
    terms.emplace_back("start_unix_ns < ?");
    w.values.emplace_back(to_unix_ns(*f.until));
  }
  for (std::size_t i = 0; i < terms.size(); ++i) {
    w.sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
  }
  return w;
}

void bind_where(sqlite3_stmt* s, const Where& w) {
  int index = 1;
  for (const auto& value : w.values) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      bind_text(s, index++, *text);
    } else {
      sqlite3_bind_int64(s, index++, std::get<std::int64_t>(value));
    }
  }
}

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p == nullptr ? std::string() : reinterpret_cast<const char*>(p);
}

}  // namespace

Result<std::vector<HistoryEntry>> History::query(
    const HistoryFilter& filter) const {
  db_->arm();
  const Where w = where_for(filter);
  std::string sql =
      "SELECT run_id, start_unix_ns, duration_s, project, command, "
      "exit_status, energy_j, attributed_energy_j, co2e_g, attributed_co2e_g, "
      "method, region, document, (SELECT group_concat(tag, char(31)) FROM "
      "run_tags t WHERE t.run_id = runs.run_id)" +
      bounds_select("") + " FROM runs" + w.sql +
      " ORDER BY start_unix_ns DESC, run_id";
  if (filter.limit > 0)
    sql += fmt::format(" LIMIT {}", filter.limit);
  Statement q(db_->handle, sql);
  if (!q.ok())
    return tl::unexpected(db_->error("cannot query history"));
  bind_where(q.get(), w);
  std::vector<HistoryEntry> out;
  int rc = 0;
  while ((rc = sqlite3_step(q.get())) == SQLITE_ROW) {
    sqlite3_stmt* s = q.get();
    HistoryEntry e;
    e.run_id = column_text(s, 0);
    e.start = from_unix_ns(sqlite3_column_int64(s, 1));
    e.duration_s = sqlite3_column_double(s, 2);
    e.project = column_text(s, 3);
    e.command = column_text(s, 4);
    if (sqlite3_column_type(s, 5) != SQLITE_NULL) {
      e.exit_status = sqlite3_column_int(s, 5);
    }
    e.energy_j = sqlite3_column_double(s, 6);
    e.attributed_energy_j = sqlite3_column_double(s, 7);
    e.co2e_g = sqlite3_column_double(s, 8);
    e.attributed_co2e_g = sqlite3_column_double(s, 9);
    e.method = column_text(s, 10);
    e.region = column_text(s, 11);
    e.document = column_text(s, 12);
    e.bounds = read_bounds(s, 14);
    const std::string tags = column_text(s, 13);
    if (!tags.empty()) {
      for (const auto tag : split(tags, kTagSeparator)) {
        e.tags.emplace_back(tag);
      }
    }
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE)
    return tl::unexpected(db_->error("cannot read history"));
  return out;
}

Result<HistoryTotals> History::totals(const HistoryFilter& filter) const {
  db_->arm();
  const Where w = where_for(filter);
  Statement q(db_->handle,
              "SELECT count(*), total(duration_s), total(energy_j), "
              "total(attributed_energy_j), total(co2e_g), "
              "total(attributed_co2e_g)" +
                  bounds_select("total") + " FROM runs" + w.sql);
  if (!q.ok())
    return tl::unexpected(db_->error("cannot sum history"));
  bind_where(q.get(), w);
  if (sqlite3_step(q.get()) != SQLITE_ROW) {
    return tl::unexpected(db_->error("cannot sum history"));
  }
  sqlite3_stmt* s = q.get();
  HistoryTotals t;
  t.runs = static_cast<std::size_t>(sqlite3_column_int64(s, 0));
  t.duration_s = sqlite3_column_double(s, 1);
  t.energy_j = sqlite3_column_double(s, 2);
  t.attributed_energy_j = sqlite3_column_double(s, 3);
  t.co2e_g = sqlite3_column_double(s, 4);
  t.attributed_co2e_g = sqlite3_column_double(s, 5);
  t.bounds = read_bounds(s, 6);
  return t;
}

std::filesystem::path default_history_path() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::filesystem::path base;
  if (xdg != nullptr && *xdg == '/') {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::filesystem::path(home != nullptr ? home : "/tmp") / ".local" /
           "share";
  }
  return base / "mlcarbon" / "history.db";
}

}  // namespace mlcarbon::report
