// SPDX-License-Identifier: Apache-2.0
#include "mlcarbon/report/history.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "mlcarbon/core/fs.h"
#include "mlcarbon/core/plugin.h"
#include "mlcarbon/core/text.h"

#include "history_backend.h"

namespace mlcarbon::report {
namespace {

constexpr std::string_view kPostgresRemedy =
    "install libpq-dev (scripts/install-deps.sh) and rebuild mlcarbon, or "
    "reinstall it with its lib/mlcarbon folder; or pass --db FILE (or set "
    "MLCARBON_DB to a file) for an SQLite history";

Result<PostgresOpenFn> load_postgres_plugin() {
  MLCARBON_ASSIGN_OR_RETURN(
      void* entry,
      open_plugin_entry("the PostgreSQL history plugin",
                        plugin_candidates("libmlcarbon_postgres.so",
                                          MLCARBON_POSTGRES_BUILD_DIR,
                                          MLCARBON_POSTGRES_BUILD_PLUGIN),
                        "mlcarbon_postgres_open"));
  // POSIX guarantees that a dlsym result converts to a function pointer.
  return reinterpret_cast<PostgresOpenFn>(entry);
}

}  // namespace

Result<std::unique_ptr<HistoryBackend>> open_postgresql_history(
    const std::string& uri, const std::string& shown, HistoryOptions options) {
  static const Result<PostgresOpenFn> open = load_postgres_plugin();
  const std::string context = fmt::format("opening the history {}", shown);
  if (!open) {
    return tl::unexpected(open.error().with_context(context).with_remedy(
        std::string(kPostgresRemedy)));
  }
  Result<std::unique_ptr<HistoryBackend>> out;
  if (!(*open)(kPostgresPluginAbi, uri, shown, options, &out)) {
    return tl::unexpected(
        Error(Errc::kUnavailable,
              "the PostgreSQL history plugin was built for another version "
              "of mlcarbon")
            .with_context(context)
            .with_remedy("rebuild mlcarbon and its plugins together"));
  }
  return out;
}

bool is_postgresql_location(std::string_view location) {
  return location.starts_with("postgresql://") ||
         location.starts_with("postgres://");
}

std::string redact_location(std::string_view location) {
  std::string out(location);
  if (!is_postgresql_location(location))
    return out;
  // postgresql://user:secret@host/db -> postgresql://user:***@host/db
  const std::size_t scheme = out.find("://") + 3;
  const std::size_t at = out.find('@', scheme);
  const std::size_t slash = out.find('/', scheme);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::size_t colon = out.find(':', scheme);
    if (colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // ...?password=secret&sslmode=... -> password=***
  std::size_t pos = out.find('?');
  while (pos != std::string::npos) {
    const std::size_t key = pos + 1;
    if (out.compare(key, 9, "password=") == 0) {
      const std::size_t end = out.find('&', key);
      out.replace(key + 9,
                  (end == std::string::npos ? out.size() : end) - key - 9,
                  "***");
    }
    pos = out.find('&', key);
  }
  return out;
}

History::History(std::string location, std::unique_ptr<HistoryBackend> backend)
    : location_(std::move(location)), backend_(std::move(backend)) {}
History::History(History&&) noexcept = default;
History& History::operator=(History&&) noexcept = default;
History::~History() = default;

Result<History> History::open(const std::string& location,
                              HistoryOptions options) {
  if (is_postgresql_location(location)) {
    std::string shown = redact_location(location);
    MLCARBON_ASSIGN_OR_RETURN(
        auto backend,
        open_postgresql_history(location, shown, std::move(options)));
    return History(std::move(shown), std::move(backend));
  }
  return open(std::filesystem::path(location), std::move(options));
}

Result<History> History::open(const char* location, HistoryOptions options) {
  return open(std::string(location), std::move(options));
}

Result<History> History::open(const std::filesystem::path& path,
                              HistoryOptions options) {
  if (is_postgresql_location(path.string()))
    return open(path.string(), std::move(options));
  MLCARBON_ASSIGN_OR_RETURN(auto backend,
                            open_sqlite_history(path, std::move(options)));
  return History(path.string(), std::move(backend));
}

Status History::record(const HistoryEntry& entry) {
  return backend_->record(entry);
}

Result<std::vector<HistoryEntry>> History::query(
    const HistoryFilter& filter) const {
  return backend_->query(filter);
}

Result<HistoryTotals> History::totals(const HistoryFilter& filter) const {
  return backend_->totals(filter);
}

int History::schema_version() const {
  return backend_->schema_version();
}

std::filesystem::path default_history_path() {
  return xdg_base_dir("XDG_DATA_HOME", ".local/share") / "mlcarbon" /
         "history.db";
}

std::string default_history_location() {
  const char* db = std::getenv("MLCARBON_DB");
  if (db != nullptr && *db != '\0')
    return db;
  return default_history_path().string();
}

JobTotals job_totals(std::string job_id, std::span<const HistoryEntry> runs) {
  JobTotals t;
  t.job_id = std::move(job_id);
  t.method = "measured";
  // Runs by node; a run without one stands alone under its run id.
  std::map<std::string, std::vector<const HistoryEntry*>> by_node;
  for (const HistoryEntry& r : runs) {
    ++t.runs;
    t.attributed_energy_j += r.attributed_energy_j;
    t.attributed_co2e_g += r.attributed_co2e_g;
    if (r.method != "measured")
      t.method = "estimated";
    by_node[r.node.empty() ? "run " + r.run_id : r.node].push_back(&r);
  }
  for (auto& [node, node_runs] : by_node) {
    JobNodeTotals n;
    n.node = node;
    n.runs = node_runs.size();
    // Sweep the interval edges: between two consecutive edges the same
    // runs are open, and the node counts once at their mean power.
    struct Edge {
      double t;
      const HistoryEntry* run;
      bool opens;
    };
    std::vector<Edge> edges;
    const double origin = static_cast<double>(to_unix_ns(node_runs[0]->start));
    for (const HistoryEntry* r : node_runs) {
      const double start =
          (static_cast<double>(to_unix_ns(r->start)) - origin) / 1e9;
      if (r->duration_s <= 0.0) {
        // An instant run has no power to average; its energy is its own.
        n.energy_j += r->energy_j;
        n.co2e_g += r->co2e_g;
        continue;
      }
      edges.push_back({start, r, true});
      edges.push_back({start + r->duration_s, r, false});
    }
    std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
      return a.t != b.t ? a.t < b.t : (!a.opens && b.opens);
    });
    std::vector<const HistoryEntry*> covering;
    double last = 0.0;
    for (const Edge& e : edges) {
      if (!covering.empty() && e.t > last) {
        double power = 0.0;
        double co2e_rate = 0.0;
        for (const HistoryEntry* r : covering) {
          power += r->energy_j / r->duration_s;
          co2e_rate += r->co2e_g / r->duration_s;
        }
        const double span = e.t - last;
        const auto k = static_cast<double>(covering.size());
        n.energy_j += span * power / k;
        n.co2e_g += span * co2e_rate / k;
        n.busy_s += span;
      }
      last = e.t;
      if (e.opens) {
        covering.push_back(e.run);
      } else {
        covering.erase(std::find(covering.begin(), covering.end(), e.run));
      }
    }
    t.energy_j += n.energy_j;
    t.co2e_g += n.co2e_g;
    t.nodes.push_back(std::move(n));
  }
  return t;
}

}  // namespace mlcarbon::report
