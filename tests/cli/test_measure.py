# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon measure`: exit codes, reports, exports and the history."""
import concurrent.futures
import csv
import json
import os
import resource
import signal
import subprocess

from conftest import run

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
    p = subprocess.Popen([mlcarbon, "measure", *MODELS, "--json", str(out),
                          "--", "sleep", "30"], env=env, stderr=subprocess.PIPE,
                         text=True)
    import time
    time.sleep(0.5)
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
    assert proc.returncode == 1
    assert "cannot run 'no-such-command-xyz'" in proc.stderr


def test_csv_uses_codecarbon_columns_and_appends(mlcarbon, env, tmp_path):
    path = tmp_path / "emissions.csv"
    for _ in range(2):
        proc = run([mlcarbon, "measure", *MODELS, "-q", "--region", "FR",
                    "--csv", str(path), "--", "true"], env)
        assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2
    codecarbon = ("timestamp,project_name,run_id,duration,emissions,"
                  "emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,"
                  "gpu_energy,ram_energy,energy_consumed,country_name,"
                  "country_iso_code,region,cloud_provider,cloud_region,os,"
                  "python_version,codecarbon_version,cpu_count,cpu_model,"
                  "gpu_count,gpu_model,longitude,latitude,ram_total_size,"
                  "tracking_mode,on_cloud,pue").split(",")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:len(codecarbon)] == codecarbon
    assert rows[0]["country_iso_code"] == "FRA"
    assert rows[0]["energy_method"] == "estimated"


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
        for _ in range(50):
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
    assert total["runs"] == 400
    one = json.loads(run([mlcarbon, "history", "--db", str(db), "--tag", "w3",
                          "--json"], env).stdout)
    assert len(one["runs"]) == 50


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
    assert doc["carbon"]["intensity_g_per_kwh"] == 900
    warnings = [w for w in doc["warnings"] if "series" in w]
    assert len(warnings) == 1, doc["warnings"]
    assert "2000-01-01T00:00:00Z to 2000-01-01T02:00:00Z" in warnings[0]
