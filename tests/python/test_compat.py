# SPDX-License-Identifier: Apache-2.0
"""mlcarbon.compat runs a CodeCarbon script whose only change is its import,
and writes CodeCarbon 3.3's emissions.csv columns."""
import ast
import pathlib
import platform
import subprocess
import sys
import textwrap
import warnings

import pandas as pd
import pytest

import mlcarbon
from mlcarbon import compat

REPO = pathlib.Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""\
    import time
    from mlcarbon.compat import EmissionsTracker, track_emissions

    def train(steps):
        total = 0
        for i in range(steps):
            total += i * i
        return total

    tracker = EmissionsTracker(
        project_name="cc-script",
        output_dir="out",
        measure_power_secs=1,
        log_level="error",
        save_to_api=False,
    )
    tracker.start()
    tracker.start_task("load")
    train(10_000)
    load = tracker.stop_task()
    tracker.start_task("fit")
    train(200_000)
    fit = tracker.stop_task("fit")
    emissions = tracker.stop()
    print(f"load {load.energy_consumed} kWh, fit {fit.emissions} kg")
    print(f"Emissions: {emissions} kg")

    @track_emissions(project_name="decorated", offline=True, country_iso_code="FRA",
                     output_dir="out", experiment_id="exp-7")
    def job():
        return train(50_000)

    job()
""")


def codecarbon_csv_text():
    """CodeCarbon 3.3's own file, as the CLI's CSV test keeps it."""
    source = (REPO / "tests" / "cli" / "test_codecarbon_csv.py").read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "CODECARBON_CSV":
            return ast.literal_eval(node.value)
    raise AssertionError("CODECARBON_CSV not found")


def test_codecarbon_script_writes_codecarbons_csv(tmp_path, child_env):
    (tmp_path / "script.py").write_text(SCRIPT)
    proc = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=child_env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Emissions: " in proc.stdout
    # The argument it cannot honour is named, not dropped silently.
    assert "save_to_api" in proc.stderr and "UnsupportedArgumentWarning" in proc.stderr

    ours = pd.read_csv(tmp_path / "out" / "emissions.csv")
    theirs_path = tmp_path / "codecarbon.csv"
    theirs_path.write_text(codecarbon_csv_text())
    theirs = pd.read_csv(theirs_path)
    assert len(theirs.columns) == 38
    assert list(ours.columns[:38]) == list(theirs.columns)
    assert list(ours["project_name"]) == ["cc-script", "decorated"]
    assert list(ours["country_iso_code"].fillna(""))[1] == "FRA"
    assert ours["python_version"].astype(str).tolist() == [platform.python_version()] * 2
    assert ours["experiment_id"].tolist()[1] == "exp-7"
    assert (ours["emissions"] > 0).all()
    emissions = float(proc.stdout.split("Emissions: ")[1].split()[0])
    assert ours["emissions"][0] == pytest.approx(emissions, rel=1e-5)
    # Columns both files fill read back with the same dtype.
    for column in theirs.columns:
        if ours[column].isna().all() or theirs[column].isna().all():
            continue
        assert ours[column].dtype == theirs[column].dtype, column


def test_tasks_are_windows_of_one_run(tmp_path):
    tracker = compat.EmissionsTracker(output_dir=str(tmp_path), save_to_file=False,
                                      country_iso_code="DEU")
    tracker.start()
    tracker.start_task("a")
    sum(range(100_000))
    task = tracker.stop_task()
    kg = tracker.stop()
    assert task.task_name == "a" and task.duration > 0
    assert 0 <= task.emissions <= kg
    assert not (tmp_path / "emissions.csv").exists()
    assert [w.name for w in tracker.run.windows] == ["a"]
    assert tracker.final_emissions == kg
    assert tracker.run["carbon"]["region"] == "DE"


def test_unsupported_arguments_are_named():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compat.EmissionsTracker(save_to_file=False, gpu_ids=[0], api_key="x")
    assert len(caught) == 1
    assert issubclass(caught[0].category, compat.UnsupportedArgumentWarning)
    assert "api_key, gpu_ids" in str(caught[0].message)


def test_process_tracking_and_errors():
    tracker = compat.EmissionsTracker(save_to_file=False, tracking_mode="process",
                                      country_iso_code="FRA")
    assert tracker.stop() is None  # not started, as CodeCarbon
    tracker.start()
    kg = tracker.stop()
    assert kg == tracker.run.attributed_co2e_kg
    with pytest.raises(ValueError, match="tracking_mode must be 'machine' or 'process'"):
        compat.EmissionsTracker(tracking_mode="gpu")
    with pytest.raises(ValueError, match="country_iso_code is required"):
        compat.OfflineEmissionsTracker()
    with pytest.raises(mlcarbon.Error, match="unknown region"):
        compat.OfflineEmissionsTracker(country_iso_code="XYZ")
    tracker = compat.OfflineEmissionsTracker(cloud_provider="gcp",
                                             cloud_region="europe-west3",
                                             save_to_file=False)
    tracker.start()
    tracker.stop()
    assert tracker.run["carbon"]["region"] == "gcp:europe-west3"
