// SPDX-License-Identifier: Apache-2.0
// The history's schema, migrations and SQL, the same for both databases,
// and the mapping between rows and HistoryEntry: what a backend needs
// beyond talking to its database (the PostgreSQL plugin links it too).
#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/text.h"

#include "history_backend.h"

namespace mlcarbon::report {

namespace {

constexpr char kTagSeparator = '\x1f';

// Version 1: the runs, their tags and the schema version. The type names
// are PostgreSQL's; SQLite gives them the same (integer, real) affinity.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs(
  run_id TEXT PRIMARY KEY,
  start_unix_ns BIGINT NOT NULL,
  duration_s DOUBLE PRECISION NOT NULL,
  project TEXT NOT NULL,
  command TEXT NOT NULL,
  exit_status INTEGER,
  energy_j DOUBLE PRECISION NOT NULL,
  attributed_energy_j DOUBLE PRECISION NOT NULL,
  co2e_g DOUBLE PRECISION NOT NULL,
  attributed_co2e_g DOUBLE PRECISION NOT NULL,
  method TEXT NOT NULL,
  region TEXT NOT NULL,
  document TEXT NOT NULL);
CREATE INDEX runs_by_start ON runs(start_unix_ns);
CREATE TABLE run_tags(
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY(run_id, tag));
CREATE INDEX run_tags_by_tag ON run_tags(tag);
)sql";

// Version 2: the Slurm job, rank and node of each run; the node of older
// runs is their host, from the stored document.
constexpr std::string_view kV2Sqlite = R"sql(
ALTER TABLE runs ADD COLUMN job_id TEXT;
ALTER TABLE runs ADD COLUMN proc_id INTEGER;
ALTER TABLE runs ADD COLUMN node_id INTEGER;
ALTER TABLE runs ADD COLUMN node TEXT;
UPDATE runs SET node = json_extract(document, '$.context.host')
  WHERE json_valid(document);
CREATE INDEX runs_by_job ON runs(job_id);
)sql";

constexpr std::string_view kV2Postgres = R"sql(
ALTER TABLE runs ADD COLUMN job_id TEXT;
ALTER TABLE runs ADD COLUMN proc_id INTEGER;
ALTER TABLE runs ADD COLUMN node_id INTEGER;
ALTER TABLE runs ADD COLUMN node TEXT;
UPDATE runs SET node = document::jsonb #>> '{context,host}';
CREATE INDEX runs_by_job ON runs(job_id);
)sql";

constexpr std::array kMigrations{
    Migration{1, kV1, kV1},
    Migration{2, kV2Sqlite, kV2Postgres},
};
static_assert(kMigrations.back().version == kHistoryDatabaseVersion);

WallTime from_unix_ns(std::int64_t ns) {
  return WallTime(std::chrono::duration_cast<WallTime::duration>(
      std::chrono::nanoseconds(ns)));
}

// Placeholders in order: "?" for SQLite, "$1", "$2"... for PostgreSQL.
class Params {
 public:
  explicit Params(Dialect d) : dialect_(d) {}
  std::string add(SqlValue value) {
    values_.push_back(std::move(value));
    return dialect_ == Dialect::kSqlite ? std::string("?")
                                        : fmt::format("${}", values_.size());
  }
  std::vector<SqlValue> take() && { return std::move(values_); }

 private:
  Dialect dialect_;
  std::vector<SqlValue> values_;
};

// Text columns hold valid UTF-8 only: a stray byte in a command line or tag
// becomes U+FFFD, so that every reader (JSON, Python) can load the row.
SqlValue text(std::string_view s) {
  return to_valid_utf8(s);
}

template <typename T>
SqlValue optional_int(const std::optional<T>& v) {
  return v ? SqlValue(static_cast<std::int64_t>(*v)) : SqlValue();
}

std::string where_for(const HistoryFilter& f, Dialect d, bool job_columns,
                      Params& p) {
  std::vector<std::string> terms;
  if (f.tag) {
    terms.push_back("run_id IN (SELECT run_id FROM run_tags WHERE tag = " +
                    p.add(text(*f.tag)) + ")");
  }
  if (f.command) {
    const std::string value = p.add(text(*f.command));
    terms.push_back(d == Dialect::kSqlite
                        ? "instr(command, " + value + ") > 0"
                        : "strpos(command, " + value + ") > 0");
  }
  if (f.project)
    terms.push_back("project = " + p.add(text(*f.project)));
  if (f.since)
    terms.push_back("start_unix_ns >= " + p.add(to_unix_ns(*f.since)));
  if (f.until)
    terms.push_back("start_unix_ns < " + p.add(to_unix_ns(*f.until)));
  if (f.job_id) {
    // A version-1 history has no jobs.
    terms.push_back(job_columns ? "job_id = " + p.add(text(*f.job_id))
                                : std::string("1 = 0"));
  }
  std::string sql;
  for (std::size_t i = 0; i < terms.size(); ++i)
    sql += (i == 0 ? " WHERE " : " AND ") + terms[i];
  return sql;
}

}  // namespace

std::int64_t to_unix_ns(WallTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             t.time_since_epoch())
      .count();
}

std::span<const Migration> history_migrations() {
  return kMigrations;
}

Result<std::span<const Migration>> migrations_after(int current,
                                                    std::string_view location) {
  if (current > kHistoryDatabaseVersion) {
    return tl::unexpected(
        Error(Errc::kInvalidArgument,
              fmt::format("{} is a history of schema version {}, newer than "
                          "this mlcarbon's (version {})",
                          location, current, kHistoryDatabaseVersion))
            .with_remedy("use a newer mlcarbon, or pass another --db"));
  }
  if (current < 0) {
    return make_error(Errc::kParse, "{}: schema version {} is not valid",
                      location, current);
  }
  const auto first = std::find_if(
      kMigrations.begin(), kMigrations.end(),
      [current](const Migration& m) { return m.version > current; });
  return std::span<const Migration>(first, kMigrations.end());
}

Status migrate_history(std::string_view location, Dialect d,
                       const std::string& begin,
                       const std::function<Result<int>()>& inspect,
                       const SqlExec& exec) {
  MLCARBON_RETURN_IF_ERROR(exec(begin, "cannot begin the schema upgrade"));
  const auto upgrade = [&]() -> Status {
    MLCARBON_ASSIGN_OR_RETURN(const int current, inspect());
    MLCARBON_ASSIGN_OR_RETURN(const auto pending,
                              migrations_after(current, location));
    for (const Migration& m : pending) {
      const std::string what = fmt::format(
          "cannot upgrade the history to schema version {}", m.version);
      MLCARBON_RETURN_IF_ERROR(exec(
          std::string(d == Dialect::kSqlite ? m.sqlite : m.postgres), what));
      MLCARBON_RETURN_IF_ERROR(exec(
          fmt::format("INSERT INTO meta(key, value) VALUES('schema_version', "
                      "'{}') ON CONFLICT(key) DO UPDATE SET value = "
                      "excluded.value",
                      m.version),
          what));
    }
    return exec("COMMIT", "cannot commit the schema upgrade");
  };
  if (auto s = upgrade(); !s) {
    (void)exec("ROLLBACK", "rollback");
    return s;
  }
  return {};
}

SqlQuery insert_run_sql(const HistoryEntry& e, Dialect d) {
  Params p(d);
  std::string sql =
      "INSERT INTO runs(run_id, start_unix_ns, duration_s, project, command, "
      "exit_status, energy_j, attributed_energy_j, co2e_g, attributed_co2e_g, "
      "method, region, document, job_id, proc_id, node_id, node) VALUES(";
  const std::array<SqlValue, 17> values{
      text(e.run_id),
      to_unix_ns(e.start),
      e.duration_s,
      text(e.project),
      text(e.command),
      optional_int(e.exit_status),
      e.energy_j,
      e.attributed_energy_j,
      e.co2e_g,
      e.attributed_co2e_g,
      text(e.method),
      text(e.region),
      text(e.document),
      e.job_id.empty() ? SqlValue() : text(e.job_id),
      optional_int(e.proc_id),
      optional_int(e.node_id),
      e.node.empty() ? SqlValue() : text(e.node)};
  for (std::size_t i = 0; i < values.size(); ++i)
    sql += (i == 0 ? "" : ", ") + p.add(values[i]);
  sql += ")";
  return {std::move(sql), std::move(p).take()};
}

SqlQuery insert_tag_sql(const HistoryEntry& e, const std::string& tag,
                        Dialect d) {
  Params p(d);
  // One placeholder at a time: their order is the values' order.
  std::string sql = "INSERT INTO run_tags(run_id, tag) VALUES(";
  sql += p.add(text(e.run_id));
  sql += ", ";
  sql += p.add(text(tag));
  sql += ") ON CONFLICT DO NOTHING";
  return {std::move(sql), std::move(p).take()};
}

namespace {

// The bounds of each figure, in FigureBounds' order, read from the stored
// run document; a measured figure has no siblings there, so the figure
// stands for both ends (as it does for documents older than the bands).
struct BoundsColumn {
  const char* section;   // of the run document
  const char* key;       // in that section
  const char* scale;     // to the column's unit
  const char* fallback;  // the figure itself
};
constexpr std::array<BoundsColumn, 8> kBoundsColumns = {{
    {"energy", "total_j_low", "1.0", "energy_j"},
    {"energy", "total_j_high", "1.0", "energy_j"},
    {"energy", "attributed_j_low", "1.0", "attributed_energy_j"},
    {"energy", "attributed_j_high", "1.0", "attributed_energy_j"},
    {"carbon", "co2e_kg_low", "1000.0", "co2e_g"},
    {"carbon", "co2e_kg_high", "1000.0", "co2e_g"},
    {"carbon", "attributed_co2e_kg_low", "1000.0", "attributed_co2e_g"},
    {"carbon", "attributed_co2e_kg_high", "1000.0", "attributed_co2e_g"},
}};

// The columns as a select list, each passed through `wrap` (a sum, or as
// is). In SQLite a document that is not JSON falls back too, rather than
// failing the whole listing.
std::string bounds_select(
    Dialect d, const std::function<std::string(std::string_view)>& wrap) {
  std::string out;
  for (const BoundsColumn& c : kBoundsColumns) {
    const std::string e =
        d == Dialect::kSqlite
            ? fmt::format(
                  "coalesce(CASE WHEN json_valid(document) THEN "
                  "json_extract(document, '$.{}.{}') * {} END, {})",
                  c.section, c.key, c.scale, c.fallback)
            : fmt::format(
                  "coalesce((document::jsonb #>> '{{{},{}}}')::float8 * {}, "
                  "{})",
                  c.section, c.key, c.scale, c.fallback);
    out += ", " + wrap(e);
  }
  return out;
}

// Reads the bounds columns starting at `first`.
FigureBounds read_bounds(const SqlRow& row, int first) {
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
    *f = row.real(first++);
  return b;
}

}  // namespace

SqlQuery select_runs_sql(const HistoryFilter& filter, Dialect d,
                         bool job_columns) {
  Params p(d);
  const std::string tags =
      d == Dialect::kSqlite
          ? "(SELECT group_concat(tag, char(31)) FROM run_tags t WHERE "
            "t.run_id = runs.run_id)"
          : "(SELECT string_agg(tag, chr(31) ORDER BY tag) FROM run_tags t "
            "WHERE t.run_id = runs.run_id)";
  std::string sql =
      "SELECT run_id, start_unix_ns, duration_s, project, command, "
      "exit_status, energy_j, attributed_energy_j, co2e_g, attributed_co2e_g, "
      "method, region, document, " +
      tags + ", " +
      (job_columns ? "job_id, proc_id, node_id, node"
                   : "NULL, NULL, NULL, NULL") +
      bounds_select(d, [](std::string_view e) { return std::string(e); }) +
      " FROM runs" + where_for(filter, d, job_columns, p) +
      " ORDER BY start_unix_ns DESC, run_id";
  if (filter.limit > 0)
    sql += fmt::format(" LIMIT {}", filter.limit);
  return {std::move(sql), std::move(p).take()};
}

SqlQuery sum_runs_sql(const HistoryFilter& filter, Dialect d,
                      bool job_columns) {
  Params p(d);
  // total() and COALESCE(sum) both give 0 over no rows.
  const auto sum = [d](std::string_view column) {
    return d == Dialect::kSqlite ? fmt::format("total({})", column)
                                 : fmt::format("COALESCE(sum({}), 0)", column);
  };
  std::string sql = fmt::format(
      "SELECT count(*), {}, {}, {}, {}, {}", sum("duration_s"), sum("energy_j"),
      sum("attributed_energy_j"), sum("co2e_g"), sum("attributed_co2e_g"));
  sql += bounds_select(d, sum) + " FROM runs";
  sql += where_for(filter, d, job_columns, p);
  return {std::move(sql), std::move(p).take()};
}

HistoryEntry entry_from_row(const SqlRow& row) {
  HistoryEntry e;
  e.run_id = row.text(0);
  e.start = from_unix_ns(row.integer(1));
  e.duration_s = row.real(2);
  e.project = row.text(3);
  e.command = row.text(4);
  if (!row.is_null(5))
    e.exit_status = static_cast<int>(row.integer(5));
  e.energy_j = row.real(6);
  e.attributed_energy_j = row.real(7);
  e.co2e_g = row.real(8);
  e.attributed_co2e_g = row.real(9);
  e.method = row.text(10);
  e.region = row.text(11);
  e.document = row.text(12);
  if (!row.is_null(13)) {
    const std::string tags = row.text(13);
    for (const auto tag : split(tags, kTagSeparator))
      e.tags.emplace_back(tag);
  }
  e.job_id = row.text(14);
  if (!row.is_null(15))
    e.proc_id = static_cast<int>(row.integer(15));
  if (!row.is_null(16))
    e.node_id = static_cast<int>(row.integer(16));
  e.node = row.text(17);
  e.bounds = read_bounds(row, 18);
  return e;
}

HistoryTotals totals_from_row(const SqlRow& row) {
  HistoryTotals t;
  t.runs = static_cast<std::size_t>(row.integer(0));
  t.duration_s = row.real(1);
  t.energy_j = row.real(2);
  t.attributed_energy_j = row.real(3);
  t.co2e_g = row.real(4);
  t.attributed_co2e_g = row.real(5);
  t.bounds = read_bounds(row, 6);
  return t;
}

}  // namespace mlcarbon::report
