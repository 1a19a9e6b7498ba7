# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon measure`: exit codes, reports, exports and the history."""
import concurrent.futures
import contextlib
import csv
import json
import os
import pathlib
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time

import pytest

from conftest import REPO, run

BUSY_TWO_THREADS = (
    "for i in 1 2; do (end=$(($(date +%s) + {s})); "
    "while [ $(date +%s) -lt $end ]; do :; done) & done; wait"
)


# The sensors every test pins, so results do not depend on whether this
# machine has readable RAPL counters or a GPU.
MODELS = ("--sensors", "cpu-model,memory-model")


def measure(mlcarbon, env, tmp_path, *args, command=("true",)):
    out = tmp_path / "run.json"
    proc = run([mlcarbon, "measure", *MODELS, "--json", str(out), *args,
                "--", *command], env)
    doc = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    return proc, doc


def machine_busy_seconds():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal: idle and iowait excluded
    busy = sum(v for i, v in enumerate(fields) if i not in (3, 4))
    return busy / os.sysconf("SC_CLK_TCK")


@pytest.mark.serial
def test_busy_loop_in_germany_is_estimated_attributed_and_priced(
        mlcarbon, env, tmp_path):
    before_busy = machine_busy_seconds()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc, doc = measure(mlcarbon, env, tmp_path, "--region", "DE",
                        "--interval", "200ms",
                        command=("sh", "-c", BUSY_TWO_THREADS.format(s=3)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy_seconds() - before_busy
    ours = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert proc.returncode == 0, proc.stderr
    energy = doc["energy"]
    kinds = {d["kind"]: d for d in energy["domains"]}
    assert kinds["cpu"]["method"] == "estimated"
    assert kinds["memory"]["method"] == "estimated"
    assert energy["method"] == "estimated"
    assert energy["total_j"] > 0
    # The share is the command tree's CPU time over the machine's busy time:
    # check it against the same ratio seen from outside (mlcarbon's own
    # CPU time is in `ours` too, hence the tolerance).
    assert abs(energy["attributed_share"] - ours / busy) < 0.15, (ours, busy)
    if busy < 1.25 * ours:
        # Nothing else ran: two busy processes own nearly all CPU time.
        assert energy["attributed_share"] > 0.8, energy
    carbon = doc["carbon"]
    assert carbon["region"] == "DE"
    de = json.loads(run([mlcarbon, "measure", *MODELS, "--region", "Germany",
                         "--json", "-", "--no-history", "--", "true"],
                        env).stdout)["carbon"]["intensity_g_per_kwh"]
    assert carbon["intensity_g_per_kwh"] == de
    expected_kg = energy["total_j"] / 3.6e6 * carbon["pue"] * de / 1000
    assert abs(carbon["co2e_kg"] - expected_kg) <= 1e-9 * max(1, expected_kg)
    assert "Germany" in proc.stderr and "estimated" in proc.stderr


def test_exit_status_is_the_commands(mlcarbon, env, tmp_path):
    proc, doc = measure(mlcarbon, env, tmp_path, command=("sh", "-c", "exit 3"))
    assert proc.returncode == 3
    assert doc["exit_status"] == 3


def test_killed_child_gives_128_plus_signal_and_a_report(mlcarbon, env,
                                                          tmp_path):
    proc, doc = measure(mlcarbon, env, tmp_path,
                        command=("sh", "-c", "kill -KILL $$"))
    assert proc.returncode == 137
    assert doc["signal"] == 9 and doc["exit_status"] == 137
    assert "killed by signal 9" in proc.stderr


def test_sigterm_is_forwarded_and_the_partial_run_is_reported(
        mlcarbon, env, tmp_path):
    out = tmp_path / "run.json"
    ready = tmp_path / "ready"
    p = subprocess.Popen([mlcarbon, "measure", *MODELS, "--json", str(out),
                          "--", "sh", "-c", f"touch {ready}; exec sleep 30"],
                         env=env, stderr=subprocess.PIPE, text=True)
    # Once the child runs, mlcarbon forwards signals; before, a signal
    # would end it like any process (a slow start under a loaded machine).
    wait_for(ready)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=20)
    assert p.returncode == 128 + signal.SIGTERM
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True
    assert doc["duration_s"] < 20


def test_stdin_and_stdout_are_the_childs(mlcarbon, env):
    proc = subprocess.run([mlcarbon, "measure", *MODELS, "-q",
                           "--no-history", "--", "tr", "a-z", "A-Z"], input="hello\n", env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout == "HELLO\n"
    assert proc.stderr == ""


def test_unknown_region_fails_before_running(mlcarbon, env, tmp_path):
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", *MODELS, "--region", "Germny", "--",
                "touch", str(marker)], env)
    assert proc.returncode != 0
    assert "did you mean" in proc.stderr and "Germany" in proc.stderr
    assert not marker.exists()


def test_unwritable_export_fails_before_running(mlcarbon, env, tmp_path):
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", *MODELS, "--json",
                "/nonexistent/dir/r.json", "--", "touch", str(marker)], env)
    assert proc.returncode == 2
    assert "/nonexistent/dir/r.json" in proc.stderr
    assert not marker.exists()


def test_missing_command_is_reported(mlcarbon, env):
    proc = run([mlcarbon, "measure", *MODELS, "--no-history", "--",
                "no-such-command-xyz"], env)
    assert proc.returncode == 127
    assert "cannot run 'no-such-command-xyz'" in proc.stderr


def test_csv_uses_codecarbon_columns_and_appends(mlcarbon, env, tmp_path):
    path = tmp_path / "emissions.csv"
    for _ in range(2):
        proc = run([mlcarbon, "measure", *MODELS, "-q", "--region", "FR",
                    "--csv", str(path), "--", "true"], env)
        assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2
    codecarbon = ("timestamp,project_name,run_id,experiment_id,duration,"
                  "emissions,emissions_rate,cpu_power,gpu_power,ram_power,"
                  "cpu_energy,gpu_energy,ram_energy,energy_consumed,"
                  "water_consumed,country_name,country_iso_code,region,"
                  "cloud_provider,cloud_region,os,python_version,"
                  "codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
                  "longitude,latitude,ram_total_size,tracking_mode,"
                  "cpu_utilization_percent,gpu_utilization_percent,"
                  "ram_utilization_percent,ram_used_gb,on_cloud,pue,"
                  "wue").split(",")
    assert len(codecarbon) == 38
    header = path.read_text().splitlines()[0].split(",")
    assert header[:len(codecarbon)] == codecarbon
    assert rows[0]["country_iso_code"] == "FRA"
    assert rows[0]["region"] == ""  # a country has no sub-national region
    assert rows[0]["energy_method"] == "estimated"
    # The CSV itself is locked: nothing is left beside it.
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.name.startswith("emissions")) == ["emissions.csv"]


def test_time_varying_intensity_is_energy_weighted(mlcarbon, env, tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("timestamp,g_per_kwh\n2000-01-01T00:00:00Z,100\n"
                      "2100-01-01T00:00:00Z,900\n")
    proc, doc = measure(mlcarbon, env, tmp_path, "--intensity-series",
                        str(series), command=("sleep", "0.3"))
    assert proc.returncode == 0, proc.stderr
    assert doc["carbon"]["time_varying"] is True
    assert abs(doc["carbon"]["intensity_g_per_kwh"] - 100) < 1e-6


def test_concurrent_measures_lose_no_history_row(mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"

    def worker(i):
        for _ in range(15):
            p = run([mlcarbon, "measure", *MODELS, "-q", "--db", str(db),
                     "--tag", f"w{i}", "--", "true"], env)
            if p.returncode != 0:
                return p.stderr
        return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        errors = [e for e in pool.map(worker, range(8)) if e]
    assert not errors, errors[0]
    total = json.loads(run([mlcarbon, "history", "--db", str(db), "--sum",
                            "--json"], env).stdout)["total"]
    assert total["runs"] == 120
    one = json.loads(run([mlcarbon, "history", "--db", str(db), "--tag", "w3",
                          "--json"], env).stdout)
    assert len(one["runs"]) == 15


def test_history_lists_filters_and_sums(mlcarbon, env, tmp_path):
    db = tmp_path / "h.db"
    for tag, cmd in (("train", "true"), ("eval", "false"), ("train", "true")):
        run([mlcarbon, "measure", *MODELS, "-q", "--db", str(db), "--tag",
             tag, "--", cmd], env)
    listing = run([mlcarbon, "history", "--db", str(db)], env)
    assert listing.returncode == 0
    assert "3 runs" in listing.stdout
    train = json.loads(run([mlcarbon, "history", "--db", str(db), "--tag",
                            "train", "--json"], env).stdout)
    assert train["total"]["runs"] == 2
    assert all(r["command"] == "true" for r in train["runs"])
    failed = json.loads(run([mlcarbon, "history", "--db", str(db),
                             "--command", "false", "--json"], env).stdout)
    assert [r["exit_status"] for r in failed["runs"]] == [1]
    none = json.loads(run([mlcarbon, "history", "--db", str(db), "--until",
                           "2000-01-01", "--json"], env).stdout)
    assert none["total"]["runs"] == 0


def test_idle_baseline_reports_energy_above_idle(mlcarbon, env, tmp_path):
    proc, doc = measure(mlcarbon, env, tmp_path, "--idle-baseline", "0.5",
                        "--interval", "100ms", command=("sleep", "0.5"))
    assert proc.returncode == 0, proc.stderr
    energy = doc["energy"]
    idle = sum(d["idle_energy_j"] for d in energy["domains"])
    assert idle > 0
    assert 0 <= energy["above_idle_j"] <= energy["total_j"]
    assert "measuring idle power" in proc.stderr


def test_json_and_csv_to_stdout(mlcarbon, env):
    proc = run([mlcarbon, "measure", *MODELS, "-q", "--no-history", "--json",
                "-", "--", "true"], env)
    assert json.loads(proc.stdout)["kind"] == "run"
    proc = run([mlcarbon, "measure", *MODELS, "-q", "--no-history", "--csv",
                "-", "--", "true"], env)
    rows = list(csv.DictReader(proc.stdout.splitlines()))
    assert len(rows) == 1 and rows[0]["exit_status"] == "0"


def test_live_status_line_only_on_a_terminal(mlcarbon, env, tmp_path):
    # script(1) gives the command a pseudo-terminal.
    typescript = tmp_path / "typescript"
    proc = subprocess.run(
        ["script", "-qec",
         f"{mlcarbon} measure {' '.join(MODELS)} --no-history "
         "--interval 200ms -- sleep 2.5",
         str(typescript)], env=env, capture_output=True, text=True,
        timeout=60)
    assert proc.returncode == 0, proc.stdout
    screen = typescript.read_bytes().decode(errors="replace")
    assert "mlcarbon:" in screen and " s " in screen
    assert "\r\x1b[K" in screen  # the line redraws itself
    piped = run([mlcarbon, "measure", *MODELS, "--no-history", "--", "sleep",
                 "1.2"], env)
    assert "\x1b[K" not in piped.stderr


# --- outputs: special files, modes, pre-checks, faults ---------------------


def read_fifo_in_background(path):
    """Starts a reader of the FIFO; returns a function giving what it read."""
    got = []

    def reader():
        with open(path, "rb") as f:
            got.append(f.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()

    def result():
        t.join(timeout=30)
        return got[0] if got else None
    return result


def test_json_onto_a_fifo_is_written_through(mlcarbon, env, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = read_fifo_in_background(fifo)
    proc = run([mlcarbon, "measure", "-q", "--no-history", "--json", str(fifo),
                "--", "true"], env)
    data = received()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(data)["kind"] == "run"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_estimate_json_onto_a_fifo_keeps_the_fifo(mlcarbon, env, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = read_fifo_in_background(fifo)
    proc = run([mlcarbon, "estimate",
                str(REPO / "examples" / "small_model_serving.yaml"), "--json",
                str(fifo)], env)
    data = received()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(data)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_json_to_dev_stdout_reaches_the_pipe(mlcarbon, env):
    proc = run([mlcarbon, "measure", "-q", "--no-history", "--json",
                "/dev/stdout", "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["kind"] == "run"


def test_json_keeps_the_mode_of_the_file_it_replaces(mlcarbon, env, tmp_path):
    out = tmp_path / "run.json"
    out.write_text("{}")
    out.chmod(0o600)
    proc = run([mlcarbon, "measure", "-q", "--no-history", "--json", str(out),
                "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["kind"] == "run"


def test_json_through_a_symlink_replaces_its_target(mlcarbon, env, tmp_path):
    target = tmp_path / "target.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target.name)
    proc = run([mlcarbon, "measure", "-q", "--no-history", "--json", str(link),
                "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink()
    assert json.loads(target.read_text())["kind"] == "run"


def test_command_not_found_exits_127_and_leaves_no_json(mlcarbon, env,
                                                        tmp_path):
    out = tmp_path / "run.json"
    proc = run([mlcarbon, "measure", "--no-history", "--json", str(out), "--",
                "/no/such"], env)
    assert proc.returncode == 127, proc.stderr
    assert "cannot run '/no/such'" in proc.stderr
    assert "PATH" in proc.stderr
    assert not out.exists()


def test_non_executable_file_exits_126_with_its_hint(mlcarbon, env, tmp_path):
    script = tmp_path / "job.sh"
    script.write_text("echo hi\n")
    script.chmod(0o644)
    proc = run([mlcarbon, "measure", "--no-history", "--", str(script)], env)
    assert proc.returncode == 126, proc.stderr
    assert "not executable" in proc.stderr
    assert "PATH" not in proc.stderr


def test_foreign_csv_fails_before_running(mlcarbon, env, tmp_path):
    marker = tmp_path / "ran"
    csv_path = tmp_path / "other.csv"
    csv_path.write_text("a,b\n1,2\n")
    proc = run([mlcarbon, "measure", "--no-history", "--csv", str(csv_path),
                "--", "sh", "-c", f"touch {marker}; exit 42"], env)
    assert proc.returncode == 2, proc.stderr
    assert "header" in proc.stderr and str(csv_path) in proc.stderr
    assert not marker.exists()
    assert csv_path.read_text() == "a,b\n1,2\n"


def test_no_room_for_the_temporary_file_fails_before_running(mlcarbon, env,
                                                             tmp_path):
    # /proc/self/comm is a writable file in a folder where nothing can be
    # created, as a writable file in a read-only folder is.
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", "--no-history", "--json",
                "/proc/self/comm", "--", "touch", str(marker)], env)
    assert proc.returncode != 0
    assert "temporary file" in proc.stderr
    assert not marker.exists()


def test_json_and_db_naming_one_file_is_refused(mlcarbon, env, tmp_path):
    marker = tmp_path / "ran"
    db = tmp_path / "history.db"
    link = tmp_path / "link.db"
    link.symlink_to(db.name)
    for json_path in (db, link):
        proc = run([mlcarbon, "measure", "--db", str(db), "--json",
                    str(json_path), "--", "touch", str(marker)], env)
        assert proc.returncode == 2, proc.stderr
        assert "same file" in proc.stderr
        assert not marker.exists()
    assert not db.exists()


def test_a_full_disk_keeps_the_exit_status_and_prints_the_report(
        mlcarbon, env, tmp_path):
    out = tmp_path / "run.json"

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))

    proc = subprocess.run([mlcarbon, "measure", "-q", "--no-history", "--json",
                           str(out), "--", "sh", "-c", "exit 42"], env=env,
                          capture_output=True, text=True, timeout=60,
                          preexec_fn=small_files)
    assert proc.returncode == 42, proc.stderr
    assert "--json" in proc.stderr and "status 42" in proc.stderr
    start = proc.stderr.index("{")
    doc, _ = json.JSONDecoder().raw_decode(proc.stderr[start:])
    assert doc["kind"] == "run" and doc["exit_status"] == 42
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_tag_takes_one_value(mlcarbon, env):
    proc = run([mlcarbon, "measure", "-q", "--no-history", "--json", "-",
                "--tag", "a", "echo", "hi"], env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("hi\n")
    assert json.loads(proc.stdout[3:])["tags"] == ["a"]


# --- history: locks, corruption, foreign files, import ---------------------

def make_history(mlcarbon, env, db, runs=1):
    for _ in range(runs):
        proc = run([mlcarbon, "measure", "-q", "--db", str(db), "--", "true"],
                   env)
        assert proc.returncode == 0, proc.stderr


def history_runs(mlcarbon, env, db):
    proc = run([mlcarbon, "history", "--db", str(db), "--sum", "--json"], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["total"]["runs"]


@contextlib.contextmanager
def locked(db):
    """Holds the history's write lock from another connection."""
    lock = sqlite3.connect(db, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        lock.execute("ROLLBACK")
        lock.close()


def test_locked_history_is_waited_for_briefly_and_the_run_kept(
        mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db)
    out = tmp_path / "run.json"
    with locked(db):
        started = time.monotonic()
        proc = run([mlcarbon, "measure", "-q", "--db", str(db), "--db-timeout",
                    "2s", "--json", str(out), "--", "sh", "-c", "exit 3"], env)
        elapsed = time.monotonic() - started
    assert proc.returncode == 3, proc.stderr
    assert elapsed < 8
    assert "waiting for the history" in proc.stderr
    assert "not recorded in the history" in proc.stderr
    assert "import" in proc.stderr and str(out) in proc.stderr
    assert json.loads(out.read_text())["exit_status"] == 3

    imported = run([mlcarbon, "history", "--db", str(db), "import", str(out)],
                   env)
    assert imported.returncode == 0, imported.stderr
    assert history_runs(mlcarbon, env, db) == 2
    again = run([mlcarbon, "history", "--db", str(db), "import", str(out)], env)
    assert again.returncode != 0 and "already in the history" in again.stderr


def test_a_history_broken_during_the_run_keeps_the_run_for_import(
        mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db)
    out = tmp_path / "run.json"
    # The command itself overwrites the history with garbage.
    breaker = f"head -c 65536 /dev/urandom > {db}; exit 5"
    proc = run([mlcarbon, "measure", "-q", "--db", str(db), "--json",
                str(out), "--", "sh", "-c", breaker], env)
    assert proc.returncode == 5, proc.stderr
    assert "not recorded in the history" in proc.stderr
    assert "status 5" in proc.stderr
    assert json.loads(out.read_text())["exit_status"] == 5
    fresh = tmp_path / "fresh.db"
    imported = run([mlcarbon, "history", "--db", str(fresh), "import",
                    str(out)], env)
    assert imported.returncode == 0, imported.stderr
    assert history_runs(mlcarbon, env, fresh) == 1


def test_a_signal_stops_the_wait_for_a_locked_history(mlcarbon, env,
                                                      tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db)
    out = tmp_path / "run.json"
    with locked(db):
        p = subprocess.Popen([mlcarbon, "measure", "-q", "--db", str(db),
                              "--db-timeout", "60s", "--json", str(out), "--",
                              "true"], env=env, stderr=subprocess.PIPE,
                             text=True)
        line = p.stderr.readline()
        assert "waiting for the history" in line, line
        started = time.monotonic()
        p.send_signal(signal.SIGINT)
        rest = p.communicate(timeout=20)[1]
        assert time.monotonic() - started < 5
    assert p.returncode == 0, rest
    assert "interrupted while waiting" in rest
    assert json.loads(out.read_text())["kind"] == "run"


def test_corrupt_history_fails_before_running(mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    db.write_bytes(os.urandom(4096))
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", "--db", str(db), "--", "touch",
                str(marker)], env)
    assert proc.returncode != 0
    assert "not an SQLite database" in proc.stderr and str(db) in proc.stderr
    assert not marker.exists()
    listing = run([mlcarbon, "history", "--db", str(db)], env)
    assert listing.returncode != 0
    assert "not an SQLite database" in listing.stderr


def test_foreign_database_is_named_not_an_mlcarbon_history(mlcarbon, env,
                                                           tmp_path):
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE runs(x)")
    for cmd in (["history", "--db", str(db)],
                ["measure", "--db", str(db), "--", "true"]):
        proc = run([mlcarbon, *cmd], env)
        assert proc.returncode != 0
        assert "not an mlcarbon history" in proc.stderr, proc.stderr
        assert str(db) in proc.stderr


def test_history_read_leaves_the_database_untouched(mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    before = db.read_bytes()
    if os.geteuid() != 0:
        db.chmod(0o444)
    proc = run([mlcarbon, "history", "--db", str(db)], env)
    assert proc.returncode == 0, proc.stderr
    assert "1 run" in proc.stdout
    assert db.read_bytes() == before


def test_history_limit_must_be_positive(mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db, runs=2)
    for bad in ("0", "-1"):
        proc = run([mlcarbon, "history", "--db", str(db), "--limit", bad],
                   env)
        assert proc.returncode == 2, proc.stderr
        assert "--limit expects a positive number" in proc.stderr
    one = run([mlcarbon, "history", "--db", str(db), "--limit", "1", "--json"],
              env)
    assert len(json.loads(one.stdout)["runs"]) == 1


def test_import_rejects_a_file_that_is_not_a_run(mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    other = tmp_path / "other.json"
    other.write_text('{"schema_version": 1, "tool": "codecarbon"}')
    future = tmp_path / "future.json"
    future.write_text('{"schema_version": 99, "tool": "mlcarbon", '
                      '"kind": "run"}')
    for path, says in ((other, "not an mlcarbon run"),
                       (future, "schema version 99")):
        proc = run([mlcarbon, "history", "--db", str(db), "import", str(path)],
                   env)
        assert proc.returncode != 0
        assert says in proc.stderr and str(path) in proc.stderr


# --- signals ---------------------------------------------------------------

# Records each signal with its sender. Standard signals that arrive close
# together merge, so the sender is what tells a second delivery apart: a
# signal to the group must reach the child through mlcarbon only.
COUNTER = r"""
import os, signal, sys, time
path = sys.argv[1]
sigs = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}
signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
open(path + ".ready", "w").close()
deadline = time.time() + 20
first = None
while time.time() < deadline and (first is None or time.time() < first + 0.5):
    info = signal.sigtimedwait(sigs, 0.05)
    if info is None:
        continue
    first = first or time.time()
    with open(path, "a") as f:
        f.write(f"{info.si_signo}:{info.si_pid}\n")
"""


def wait_for(path, seconds=20):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def counting_child(tmp_path):
    script = tmp_path / "counter.py"
    script.write_text(COUNTER)
    counts = tmp_path / "signals"
    return [sys.executable, str(script), str(counts)], counts


def signals_seen(counts):
    """The signal numbers the child received, in order."""
    lines = counts.read_text().split() if counts.exists() else []
    return [line.split(":")[0] for line in lines]


def senders(counts):
    return [int(line.split(":")[1]) for line in counts.read_text().split()]


def test_a_signal_to_the_process_group_reaches_the_child_once(
        mlcarbon, env, tmp_path):
    child, counts = counting_child(tmp_path)
    for sig in (signal.SIGTERM, signal.SIGINT):
        counts.unlink(missing_ok=True)
        pathlib.Path(str(counts) + ".ready").unlink(missing_ok=True)
        p = subprocess.Popen([mlcarbon, "measure", "-q", "--no-history", "--",
                              *child], env=env, start_new_session=True)
        wait_for(pathlib.Path(str(counts) + ".ready"))
        os.killpg(p.pid, sig)
        p.wait(timeout=30)
        assert signals_seen(counts) == [str(int(sig))]
        assert senders(counts) == [p.pid]  # not also from the group kill


def test_a_signal_to_mlcarbon_alone_reaches_the_child_once(mlcarbon, env,
                                                           tmp_path):
    child, counts = counting_child(tmp_path)
    out = tmp_path / "run.json"
    p = subprocess.Popen([mlcarbon, "measure", "-q", "--no-history", "--json",
                          str(out), "--", *child], env=env,
                         start_new_session=True)
    wait_for(pathlib.Path(str(counts) + ".ready"))
    p.send_signal(signal.SIGUSR1)
    assert p.wait(timeout=30) == 0
    assert signals_seen(counts) == [str(int(signal.SIGUSR1))]
    assert json.loads(out.read_text())["interrupted"] is False


def test_timeout_reaches_the_child_once(mlcarbon, env, tmp_path):
    child, counts = counting_child(tmp_path)
    p = subprocess.run(["timeout", "-s", "TERM", "2", mlcarbon, "measure",
                        "-q", "--no-history", "--", *child], env=env,
                       timeout=60, start_new_session=True)
    assert p.returncode == 124
    assert signals_seen(counts) == [str(int(signal.SIGTERM))]


def test_ctrl_c_in_a_terminal_reaches_the_child_once(mlcarbon, env,
                                                     tmp_path):
    import pty
    child, counts = counting_child(tmp_path)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(mlcarbon, [mlcarbon, "measure", "-q", "--no-history", "--",
                             *child], env)
    try:
        wait_for(pathlib.Path(str(counts) + ".ready"))
        os.write(fd, b"\x03")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                os.read(fd, 4096)
            except OSError:
                pass
            time.sleep(0.02)
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("mlcarbon did not end")
    finally:
        os.close(fd)
    assert signals_seen(counts) == [str(int(signal.SIGINT))]


def process_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_killing_mlcarbon_ends_the_child_and_keeps_the_history_sound(
        mlcarbon, env, tmp_path):
    db = tmp_path / "history.db"
    make_history(mlcarbon, env, db, runs=3)
    pid_file = tmp_path / "child.pid"
    p = subprocess.Popen([mlcarbon, "measure", "-q", "--db", str(db), "--",
                          "sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"],
                         env=env, start_new_session=True)
    wait_for(pid_file)
    time.sleep(0.2)
    child = int(pid_file.read_text())
    p.kill()
    p.wait(timeout=10)
    deadline = time.monotonic() + 10
    while not process_gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(child)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert history_runs(mlcarbon, env, db) == 3

def test_non_utf8_arguments_keep_status_json_csv_and_history(
        mlcarbon, env, tmp_path):
    # Before: nlohmann-json threw on the Latin-1 byte after the command ran;
    # mlcarbon aborted, lost the status and history row, left a 0-byte JSON.
    out, table, db = (tmp_path / "r.json", tmp_path / "r.csv",
                      tmp_path / "h.db")
    proc = subprocess.run(
        [mlcarbon, "measure", *MODELS, "--json", str(out), "--csv", str(table),
         "--db", str(db), "--tag", b"t\xff", "--project", b"p\x1b[31m",
         "--", "sh", "-c", "exit 3", b"caf\xe9", b"\x1b[2J"],
        env=env, capture_output=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(out.read_bytes().decode("utf-8"))
    assert doc["exit_status"] == 3
    assert doc["command"][3:] == ["caf\ufffd", "\x1b[2J"]
    assert doc["tags"] == ["t\ufffd"]
    rows = list(csv.DictReader(table.read_bytes().decode("utf-8")
                               .splitlines()))
    assert rows[0]["tags"] == "t\ufffd" and rows[0]["exit_status"] == "3"
    listed = run([mlcarbon, "history", "--db", str(db), "--json"], env)
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)["runs"]
    assert len(runs) == 1 and "caf\ufffd" in runs[0]["command"]
    assert runs[0]["exit_status"] == 3
    # The terminal sees escapes, not control sequences or stray bytes.
    proc.stderr.decode("utf-8")
    assert b"\x1b" not in proc.stderr
    assert b"\\x1b[2J" in proc.stderr
    text = subprocess.run([mlcarbon, "history", "--db", str(db)], env=env,
                          capture_output=True, timeout=60)
    assert text.returncode == 0
    text.stdout.decode("utf-8")
    assert b"\x1b" not in text.stdout and b"\\x1b[2J" in text.stdout


def test_unknown_sensor_is_an_error_with_a_suggestion(mlcarbon, env,
                                                      tmp_path):
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", "--no-history", "--sensors",
                "rapl-powercp", "--", "touch", str(marker)], env)
    assert proc.returncode == 2, proc.stderr
    assert "unknown sensor 'rapl-powercp'" in proc.stderr
    assert "did you mean 'rapl-powercap'" in proc.stderr
    assert "cpu-model" in proc.stderr and "nvml" in proc.stderr
    assert not marker.exists()


def test_requested_sensor_that_is_unavailable_is_an_error(mlcarbon, env,
                                                          tmp_path):
    marker = tmp_path / "ran"
    proc = run([mlcarbon, "measure", "--no-history", "--sensors", "nvml",
                "--nvml-library", "/nonexistent/libnvidia-ml.so.1", "--",
                "touch", str(marker)], env)
    assert proc.returncode != 0
    assert "sensor 'nvml' was requested but is unavailable" in proc.stderr
    assert "/nonexistent/libnvidia-ml.so.1" in proc.stderr
    assert not marker.exists()


def test_auto_falls_back_when_a_sensor_is_missing(mlcarbon, env, tmp_path):
    proc = run([mlcarbon, "measure", "--no-history", "--json", "-",
                "--sensors", "auto", "--nvml-library",
                "/nonexistent/libnvidia-ml.so.1", "--", "true"], env)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert any(u.startswith("nvml:") for u in doc["context"]["unavailable"])


def test_idle_baseline_must_be_finite_and_not_negative(mlcarbon, env,
                                                       tmp_path):
    marker = tmp_path / "ran"
    for bad in ("inf", "nan", "-1"):
        proc = run([mlcarbon, "measure", "--no-history",
                    "--idle-baseline=" + bad, "--", "touch", str(marker)],
                   env)
        assert proc.returncode == 2, (bad, proc.stderr)
        assert "idle-baseline" in proc.stderr, (bad, proc.stderr)
    assert not marker.exists()


def test_series_that_does_not_cover_the_run_is_warned(mlcarbon, env,
                                                      tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("timestamp,g_per_kwh\n2000-01-01T00:00:00Z,100\n"
                      "2000-01-01T01:00:00Z,900\n")
    proc, doc = measure(mlcarbon, env, tmp_path, "--intensity-series",
                        str(series))
    assert proc.returncode == 0, proc.stderr
    # The mean is grams over kWh summed over segments: equal to 900 within
    # a few ulps, not bit for bit.
    assert abs(doc["carbon"]["intensity_g_per_kwh"] - 900) <= 1e-9 * 900
    warnings = [w for w in doc["warnings"] if "series" in w]
    assert len(warnings) == 1, doc["warnings"]
    assert "2000-01-01T00:00:00Z to 2000-01-01T02:00:00Z" in warnings[0]


def test_durations_share_one_grammar_and_refuse_nonsense(mlcarbon, env,
                                                         tmp_path):
    marker = tmp_path / "ran"
    # --idle-baseline's inf, nan and -1: see the test above.
    for flag, value in (("--interval", "0"), ("--interval", "nan"),
                        ("--interval", "1e308d"), ("--interval", "5x"),
                        ("--idle-baseline", "1e308d")):
        proc = run([mlcarbon, "measure", "--no-history", flag, value, "--",
                    "touch", str(marker)], env)
        assert proc.returncode == 2, (flag, value, proc.stderr)
        assert flag in proc.stderr and value in proc.stderr, proc.stderr
        assert not marker.exists()
    proc, _ = measure(mlcarbon, env, tmp_path, "--idle-baseline", "200ms",
                      "--interval", "0.1")
    assert proc.returncode == 0, proc.stderr
    assert "measuring idle power for 0.2 s" in proc.stderr


def test_history_ages_need_a_unit_and_dates_may_stand_alone(mlcarbon, env,
                                                            tmp_path):
    db = tmp_path / "h.db"
    run([mlcarbon, "measure", "-q", "--db", str(db), "--", "true"], env)

    def count(*args):
        proc = run([mlcarbon, "history", "--db", str(db), "--json", *args],
                   env)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)["total"]["runs"]

    assert count("--since", "1h") == 1
    assert count("--since", "2000-01-01", "--until", "2200-01-01") == 1
    assert count("--since", "2200-01-01T00:00:00+02:00") == 0
    for value in ("2026", "2999-01-01"):
        bad = run([mlcarbon, "history", "--db", str(db), "--since", value],
                  env)
        assert bad.returncode == 2
        assert "--since" in bad.stderr and f"'{value}'" in bad.stderr
