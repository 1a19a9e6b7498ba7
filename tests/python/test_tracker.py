# SPDX-License-Identifier: Apache-2.0
"""mlcarbon.Tracker, estimate, regions, sensors and history against the C++
library, and against the CLI where it is built."""
import json
import pathlib
import subprocess
import threading

import pytest

import mlcarbon

REPO = pathlib.Path(__file__).resolve().parents[2]


def busy(n=200_000):
    return sum(i * i for i in range(n))


def test_context_manager_gives_a_run_with_windows(tmp_path):
    tracker = mlcarbon.Tracker(project="demo", region="DE", db=False, interval=0.05,
                               tags=["py", "test"])
    with tracker as t:
        assert t is tracker and tracker.running
        with tracker.window("epoch-1") as w:
            busy()
        reading = tracker.read()
        assert reading.duration_s > 0 and reading.method in ("measured", "estimated")
    run = tracker.run
    assert not tracker.running
    assert isinstance(run, mlcarbon.Run)
    assert run.project == "demo" and run.tags == ["py", "test"]
    assert w.result is not None and w.result.name == "epoch-1"
    assert [x.name for x in run.windows] == ["epoch-1"]
    assert run.windows[0].energy_j == pytest.approx(w.result.energy_j)
    assert run["carbon"]["region"] == "DE"
    assert run.energy_j >= w.result.energy_j > 0
    assert run.co2e_kg > 0
    assert run.to_dict() == json.loads(run.to_json())
    assert run.to_dict()["kind"] == "run"


def test_run_has_a_power_timeline_that_holds_its_energy():
    tracker = mlcarbon.Tracker(region="DE", db=False, interval=0.02)
    with tracker:
        busy(400_000)
    timeline = tracker.run.timeline
    assert timeline is not None and timeline["buckets"] >= 1
    assert len(timeline["start_s"]) == len(timeline["duration_s"]) == timeline["buckets"]
    energy = {d["domain"]: d["energy_j"] for d in tracker.run["energy"]["domains"]}
    for d in timeline["domains"]:
        assert d["method"] in ("measured", "estimated")
        total = sum(p * s for p, s in zip(d["mean_w"], timeline["duration_s"]))
        assert total == pytest.approx(energy[d["domain"]], rel=1e-9, abs=1e-9)
        assert all(lo <= m + 1e-9 and m <= hi + 1e-9
                   for lo, m, hi in zip(d["min_w"], d["mean_w"], d["max_w"]))


def test_run_has_the_cli_run_json_fields(mlcarbon_bin, tmp_path, child_env):
    out = subprocess.run(
        [mlcarbon_bin, "measure", "--no-history", "--region", "DE", "--json", "-", "--", "true"],
        capture_output=True, text=True, env=child_env, check=True,
    ).stdout
    cli = json.loads(out)
    with mlcarbon.Tracker(region="DE", db=False) as tracker:
        pass
    ours = tracker.run.to_dict()

    def keys(doc, prefix=""):
        found = set()
        for k, v in doc.items():
            found.add(prefix + k)
            if isinstance(v, dict):
                found |= keys(v, prefix + k + ".")
        return found

    assert keys(ours) == keys(cli)
    assert list(ours) == list(cli)


def test_decorator_measures_each_call():
    tracker = mlcarbon.Tracker(db=False, region="FR")

    @tracker
    def work(n):
        return busy(n)

    assert work(1000) == busy(1000)
    first = tracker.run
    work(1000)
    assert tracker.run.run_id != first.run_id
    assert work.__name__ == "work"


def test_runs_go_to_the_history_the_cli_reads(tmp_path, mlcarbon_bin, child_env):
    db = tmp_path / "h.db"
    with mlcarbon.Tracker(project="hist", region="DE", db=db, tags=["a"]) as tracker:
        busy(1000)
    runs = mlcarbon.history(db=db, project="hist")
    assert [r.run_id for r in runs] == [tracker.run.run_id]
    assert runs[0].to_dict() == tracker.run.to_dict()
    assert mlcarbon.history(db=db, tag="nope") == []
    listed = subprocess.run(
        [mlcarbon_bin, "history", "--db", str(db), "--json"],
        capture_output=True, text=True, env=child_env, check=True,
    ).stdout
    assert tracker.run.run_id in listed


def test_default_db_is_the_cli_default(tmp_path):
    with mlcarbon.Tracker(project="default-db", region="DE") as tracker:
        pass
    assert (tmp_path / "xdg" / "mlcarbon" / "history.db").exists()
    assert mlcarbon.history(project="default-db")[0].run_id == tracker.run.run_id


def test_mlcarbon_db_names_the_default_history(tmp_path, monkeypatch):
    db = tmp_path / "team.db"
    monkeypatch.setenv("MLCARBON_DB", str(db))
    with mlcarbon.Tracker(project="env-db", region="DE") as tracker:
        pass
    assert db.exists()
    assert not (tmp_path / "xdg" / "mlcarbon" / "history.db").exists()
    assert mlcarbon.history(project="env-db")[0].run_id == tracker.run.run_id


def test_unreachable_postgresql_history_is_a_clear_error():
    # Port 1 on loopback: nothing listens, so the refusal is immediate.
    uri = "postgresql://ann:s3cret@127.0.0.1:1/runs"
    with pytest.raises(mlcarbon.Error) as err:
        mlcarbon.Tracker(db=uri, region="DE")
    assert "cannot connect to the history" in str(err.value)
    assert "postgresql://ann:***@127.0.0.1:1/runs" in str(err.value)
    assert "s3cret" not in str(err.value)
    with pytest.raises(mlcarbon.Error, match="cannot connect"):
        mlcarbon.history(db=uri)


def test_library_errors_keep_message_and_remedy(mlcarbon_bin, child_env):
    with pytest.raises(mlcarbon.NotFoundError) as err:
        mlcarbon.Tracker(region="Germny", db=False)
    assert "unknown region 'Germny'" in err.value.message
    assert "did you mean 'Germany' (DE)?" in err.value.message
    assert err.value.remedy and err.value.remedy in str(err.value)
    cli = subprocess.run(
        [mlcarbon_bin, "measure", "--no-history", "--region", "Germny", "--", "true"],
        capture_output=True, text=True, env=child_env,
    )
    assert cli.returncode != 0
    # The same explanation, the flag named as the caller wrote it.
    assert err.value.message.split(": ", 1)[1] in cli.stderr
    assert err.value.remedy in cli.stderr


def test_window_misuse_is_an_error():
    with mlcarbon.Tracker(db=False, region="DE") as tracker:
        tracker.begin_window("a")
        with pytest.raises(mlcarbon.Error, match="a"):
            tracker.begin_window("a")
        tracker.end_window("a")
        with pytest.raises(mlcarbon.Error):
            tracker.end_window("never-opened")
    with pytest.raises(mlcarbon.Error):
        tracker.read()


def test_stop_without_start_is_an_error():
    with pytest.raises(mlcarbon.Error):
        mlcarbon.Tracker(db=False, region="DE").stop()


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(interval="1"), TypeError, "interval must be a number"),
        (dict(interval=0), ValueError, "interval must be positive"),
        (dict(interval=float("nan")), ValueError, "interval must be finite"),
        (dict(region=49), TypeError, "region must be a str or None"),
        (dict(tags="a"), TypeError, "tags must be a list of str"),
        (dict(tags=["a", 1]), TypeError, "tags[1] must be a str"),
        (dict(pue=0.5), ValueError, "pue must be at least 1"),
        (dict(db=3), TypeError, "db must be a str or os.PathLike"),
        (dict(project=None), TypeError, "project must be a str"),
        (dict(idle_baseline=-1), ValueError, "idle_baseline must not be negative"),
        (dict(sensors=["no-such-sensor"]), mlcarbon.Error, "no-such-sensor"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, exc, words):
    kwargs.setdefault("db", False)
    with pytest.raises(exc) as err:
        mlcarbon.Tracker(**kwargs)
    assert words in str(err.value)


def test_invalid_argument_errors_are_value_errors():
    with pytest.raises(ValueError) as err:
        mlcarbon.estimate({"name": "x", "region": "DE", "training": {"samples": -1}})
    assert isinstance(err.value, mlcarbon.Error)
    assert "samples" in str(err.value)


def test_read_and_windows_from_other_threads():
    # stop() and read() release the GIL: other threads keep running.
    with mlcarbon.Tracker(db=False, region="DE", interval=0.02) as tracker:
        errors = []

        def worker(i):
            try:
                with tracker.window(f"t{i}"):
                    busy(20_000)
                tracker.read()
            except Exception as e:  # noqa: BLE001 - collected for the assert
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    assert sorted(w.name for w in tracker.run.windows) == ["t0", "t1", "t2", "t3"]


@pytest.mark.parametrize("scenario", [
    "examples/small_model_serving.yaml",
    # A model whose I is predicted from a machine profile: the profile and
    # the model are read from the scenario's folder.
    "tests/fixtures/scenarios/predict.yaml",
])
def test_estimate_matches_the_cli(mlcarbon_bin, child_env, scenario):
    path = REPO / scenario
    ours = mlcarbon.estimate(path)
    cli = json.loads(subprocess.run(
        [mlcarbon_bin, "estimate", str(path), "--json", "-"],
        capture_output=True, text=True, env=child_env, check=True,
    ).stdout)
    assert ours == cli
    assert ours["total"]["co2e_kg"] > 0


def test_estimate_from_a_dict():
    footprint = mlcarbon.estimate({
        "name": "tiny",
        "region": "FR",
        "training": {"samples": 1000, "epochs": 2, "energy_per_inference_j": 0.01,
                     "overhead": 5},
    })
    training = footprint["phases"]["training"]
    # T = E * D * I * theta = 2 * 1000 * 0.01 * 5 J
    assert training["energy_kwh"] == pytest.approx(100 / 3.6e6)
    assert footprint["total"]["co2e_kg"] > 0


def test_estimate_errors():
    with pytest.raises(mlcarbon.Error) as err:
        mlcarbon.estimate("/no/such/scenario.yaml")
    assert "/no/such/scenario.yaml" in str(err.value)
    with pytest.raises(TypeError, match="scenario must be a str or os.PathLike"):
        mlcarbon.estimate(42)


def test_regions_and_sensors():
    regions = mlcarbon.regions()
    by_code = {r["code"]: r for r in regions}
    assert by_code["DE"]["name"] == "Germany"
    assert by_code["DE"]["intensity_g_per_kwh"] > 0
    assert "WORLD" in by_code
    found = mlcarbon.sensors()
    assert found["schema_version"] == 1
    assert isinstance(found["sensors"], list) and isinstance(found["unavailable"], list)


def test_history_arguments():
    with pytest.raises(TypeError, match="limit must be an int"):
        mlcarbon.history(limit="3")
    with pytest.raises(ValueError, match="limit must not be negative"):
        mlcarbon.history(limit=-1)
    with pytest.raises(TypeError, match="since must be a datetime"):
        mlcarbon.history(since="yesterday")


def test_blocking_calls_release_the_gil():
    # start() measures the idle baseline for 0.5 s; a Python thread must
    # run meanwhile, not only after start() returns.
    tracker = mlcarbon.Tracker(db=False, region="DE", idle_baseline=0.5)
    count = [0]
    done = threading.Event()

    def spin():
        while not done.is_set():
            count[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    try:
        before = count[0]
        tracker.start()
        during = count[0] - before
    finally:
        done.set()
        thread.join()
    tracker.stop()
    # Holding the GIL, start() would let the spinner run for at most one
    # 5 ms switch interval: some 10^5 increments.
    assert during > 500_000
