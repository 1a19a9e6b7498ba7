# SPDX-License-Identifier: Apache-2.0
"""The history in a real PostgreSQL server: schema and migrations, many
concurrent writers, connection failures that lose no run, and the Python
module's db= with a postgresql:// URI."""
import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import run

BUSY = ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"]

# mlcarbon's first schema, with one run, as an older mlcarbon left it.
VERSION_1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES('schema_version', '1');
CREATE TABLE runs(
  run_id TEXT PRIMARY KEY, start_unix_ns BIGINT NOT NULL,
  duration_s DOUBLE PRECISION NOT NULL, project TEXT NOT NULL,
  command TEXT NOT NULL, exit_status INTEGER,
  energy_j DOUBLE PRECISION NOT NULL,
  attributed_energy_j DOUBLE PRECISION NOT NULL,
  co2e_g DOUBLE PRECISION NOT NULL,
  attributed_co2e_g DOUBLE PRECISION NOT NULL, method TEXT NOT NULL,
  region TEXT NOT NULL, document TEXT NOT NULL);
CREATE TABLE run_tags(
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  tag TEXT NOT NULL, PRIMARY KEY(run_id, tag));
INSERT INTO runs VALUES('old', 1800000000000000000, 10, 'demo', 'true', 0,
  100, 80, 0.01, 0.008, 'estimated', 'DE',
  '{"tool":"mlcarbon","context":{"host":"oldhost"}}');
INSERT INTO run_tags VALUES('old', 'v1');
"""


def history(mlcarbon, env, db, *args):
    proc = run([mlcarbon, "history", "--db", db, "--json", *args], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_measure_creates_the_schema_and_history_reads_it(
        mlcarbon, env, postgres):
    db = postgres.create_db("fresh")

    proc = run([mlcarbon, "measure", "-q", "--db", db, "--tag", "pg", "--",
                *BUSY], env)

    assert proc.returncode == 0, proc.stderr
    assert postgres.psql("fresh", "SELECT value FROM meta WHERE key = "
                         "'schema_version'") == "2"
    listed = history(mlcarbon, env, db, "--tag", "pg")
    assert listed["database"] == db
    assert listed["total"]["runs"] == 1
    assert listed["runs"][0]["tags"] == ["pg"]
    assert listed["runs"][0]["node"]
    # MLCARBON_DB names the same history.
    by_env = dict(env, MLCARBON_DB=db)
    proc = run([mlcarbon, "measure", "-q", "--", "true"], by_env)
    assert proc.returncode == 0, proc.stderr
    assert history(mlcarbon, by_env, db)["total"]["runs"] == 2
    listed = run([mlcarbon, "history", "--sum", "--json"], by_env)
    assert json.loads(listed.stdout)["total"]["runs"] == 2


def test_version_1_is_read_then_upgraded_and_newer_is_refused(
        mlcarbon, env, postgres, tmp_path):
    db = postgres.create_db("old")
    postgres.psql("old", VERSION_1)

    before = history(mlcarbon, env, db)
    assert before["total"]["runs"] == 1
    assert postgres.psql("old", "SELECT value FROM meta") == "1"

    proc = run([mlcarbon, "measure", "-q", "--db", db, "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    assert postgres.psql("old", "SELECT value FROM meta") == "2"
    assert postgres.psql("old", "SELECT node FROM runs WHERE run_id = "
                         "'old'") == "oldhost"
    assert history(mlcarbon, env, db, "--tag", "v1")["total"]["runs"] == 1

    postgres.psql("old", "UPDATE meta SET value = '9'")
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", "--db", db, "--", "touch", str(marker)],
               env)
    assert proc.returncode != 0
    assert "schema version 9, newer than this mlcarbon's" in proc.stderr
    assert not marker.exists()
    listing = run([mlcarbon, "history", "--db", db], env)
    assert listing.returncode != 0 and "newer" in listing.stderr


def test_sixteen_concurrent_writers_lose_nothing(mlcarbon, env, postgres):
    # A new database: the writers also race to create the schema.
    db = postgres.create_db("busy")
    writers, runs_each = 16, 3

    def writer(w):
        for r in range(runs_each):
            proc = run([mlcarbon, "measure", "-q", "--db", db, "--interval",
                        "100ms", "--tag", f"w{w}", "--", "true"], env)
            assert proc.returncode == 0, proc.stderr

    with concurrent.futures.ThreadPoolExecutor(writers) as pool:
        for f in [pool.submit(writer, w) for w in range(writers)]:
            f.result()

    total = history(mlcarbon, env, db)
    assert total["total"]["runs"] == writers * runs_each
    assert len({r["run_id"] for r in total["runs"]}) == writers * runs_each
    for w in range(writers):
        tagged = history(mlcarbon, env, db, "--tag", f"w{w}", "--sum")
        assert tagged["total"]["runs"] == runs_each
    assert postgres.psql("busy", "SELECT count(*) FROM run_tags") == str(
        writers * runs_each)


def test_an_unreachable_server_loses_no_run(mlcarbon, env, postgres,
                                            tmp_path):
    gone = "postgresql://mlcarbon:s3cret@127.0.0.1:1/none"  # port 1: closed
    proc = run([mlcarbon, "measure", "-q", "--db", gone, "--db-timeout", "2s",
                "--", "sh", "-c", "exit 4"], env)

    assert proc.returncode == 4, proc.stderr
    assert "cannot connect to the history" in proc.stderr
    assert "s3cret" not in proc.stderr
    assert "mlcarbon history --db" in proc.stderr and "import" in proc.stderr
    pending = list((tmp_path / "xdg" / "mlcarbon" / "pending").glob("*.json"))
    assert len(pending) == 1, proc.stderr
    assert str(pending[0]) in proc.stderr
    assert json.loads(pending[0].read_text())["exit_status"] == 4

    # With --json the run is in that file, and import takes several files.
    out = tmp_path / "run.json"
    proc = run([mlcarbon, "measure", "-q", "--db", gone, "--json", str(out),
                "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stderr and "import" in proc.stderr

    db = postgres.create_db("later")
    imported = run([mlcarbon, "history", "--db", db, "import",
                    str(pending[0]), str(out)], env)
    assert imported.returncode == 0, imported.stderr
    assert history(mlcarbon, env, db)["total"]["runs"] == 2
    again = run([mlcarbon, "history", "--db", db, "import", str(out)], env)
    assert again.returncode != 0 and "already in the history" in again.stderr


def test_python_module_records_in_and_reads_postgresql(postgres, tmp_path):
    try:
        import mlcarbon  # noqa: F401  (built module, via PYTHONPATH)
    except ImportError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the Python module is not importable: {e}")
        pytest.skip(f"the Python module is not built: {e}")
    db = postgres.create_db("python")
    script = f"""
import mlcarbon
with mlcarbon.Tracker(project="py", db={db!r}, sensors=["cpu-model"]):
    sum(range(100000))
runs = mlcarbon.history(db={db!r})
assert len(runs) == 1 and runs[0]["project_name"] == "py", runs
import os
os.environ["MLCARBON_DB"] = {db!r}
with mlcarbon.Tracker(project="py-env", db=True, sensors=["cpu-model"]):
    pass
assert len(mlcarbon.history()) == 2
print("ok")
"""
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"))
    env.pop("MLCARBON_DB", None)
    proc = subprocess.run([sys.executable, "-c", script], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok"
    assert postgres.psql("python", "SELECT count(*) FROM runs") == "2"
