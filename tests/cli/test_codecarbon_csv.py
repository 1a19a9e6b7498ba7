# SPDX-License-Identifier: Apache-2.0
"""`measure --csv` reads in pandas like CodeCarbon 3.3's emissions.csv."""
import concurrent.futures

import pandas as pd

from conftest import run

MODELS = ("--sensors", "cpu-model,memory-model")

# CodeCarbon 3.3's emissions.csv as an OfflineEmissionsTracker writes it on
# a CPU-only machine (no geolocation): header and two typical rows.
CODECARBON_CSV = """\
timestamp,project_name,run_id,experiment_id,duration,emissions,\
emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,\
ram_energy,energy_consumed,water_consumed,country_name,country_iso_code,\
region,cloud_provider,cloud_region,os,python_version,codecarbon_version,\
cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,\
tracking_mode,cpu_utilization_percent,gpu_utilization_percent,\
ram_utilization_percent,ram_used_gb,on_cloud,pue,wue
2025-06-02T10:15:42.123456,codecarbon,8f5a3f2e-1c1d-4c8e-9d47-3f0b5d1e2a11,\
5b0fa12a-3dd7-45bb-9766-cc326314d9f1,12.045,1.52e-06,1.26e-07,42.5,0.0,\
10.0,0.000142,0.0,3.34e-05,0.0001754,0.0,France,FRA,,,,\
Linux-6.1.0-18-amd64-x86_64-with-glibc2.36,3.11.2,3.3.0,16,\
Intel(R) Xeon(R) CPU @ 2.20GHz,0,,,,31.25,machine,12.5,0.0,40.1,12.53,N,\
1.0,0.0
2025-06-02T10:20:03.654321,codecarbon,0c0e2b7d-6a57-4a3e-8c9b-5d2f1e0a9b33,\
5b0fa12a-3dd7-45bb-9766-cc326314d9f1,3.5,4.4e-07,1.26e-07,42.5,0.0,10.0,\
4.13e-05,0.0,9.7e-06,5.1e-05,0.0,France,FRA,,,,\
Linux-6.1.0-18-amd64-x86_64-with-glibc2.36,3.11.2,3.3.0,16,\
Intel(R) Xeon(R) CPU @ 2.20GHz,0,,,,31.25,machine,30.0,0.0,41.0,12.8,N,\
1.0,0.0
"""

# CodeCarbon columns mlcarbon leaves empty (docs/csv.md): pandas reads an
# all-empty column as float64 NaN, whatever CodeCarbon's type.
EMPTY_IN_OURS = {"experiment_id", "python_version", "codecarbon_version"}


def test_our_csv_has_codecarbons_names_order_and_dtypes(mlcarbon, env,
                                                        tmp_path):
    ours_path = tmp_path / "ours.csv"
    for _ in range(2):
        proc = run([mlcarbon, "measure", *MODELS, "-q", "--no-history",
                    "--region", "FR", "--csv", str(ours_path), "--", "true"],
                   env)
        assert proc.returncode == 0, proc.stderr
    theirs_path = tmp_path / "codecarbon.csv"
    theirs_path.write_text(CODECARBON_CSV)

    ours = pd.read_csv(ours_path)
    theirs = pd.read_csv(theirs_path)

    assert len(ours) == 2
    assert list(theirs.columns) == list(ours.columns[:len(theirs.columns)])
    assert len(theirs.columns) == 38
    for column in theirs.columns:
        if column in EMPTY_IN_OURS:
            assert ours[column].isna().all(), column
            continue
        assert ours[column].dtype == theirs[column].dtype, (
            f"{column}: ours {ours[column].dtype}, "
            f"CodeCarbon {theirs[column].dtype}")
    # A dashboard's usual reads work on both.
    for frame in (ours, theirs):
        assert pd.to_datetime(frame["timestamp"]).notna().all()
        assert frame["energy_consumed"].sum() > 0
        assert (frame["pue"] >= 1.0).all()


def test_older_mlcarbon_csv_is_refused_before_the_run(mlcarbon, env,
                                                      tmp_path):
    old = tmp_path / "old.csv"
    # Today's file cut to the columns mlcarbon 0.1 wrote.
    legacy = (
        "timestamp,project_name,run_id,duration,emissions,emissions_rate,"
        "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,"
        "energy_consumed,country_name,country_iso_code,region,"
        "cloud_provider,cloud_region,os,python_version,codecarbon_version,"
        "cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,"
        "ram_total_size,tracking_mode,on_cloud,pue,mlcarbon_version,"
        "energy_method,cpu_energy_method,gpu_energy_method,"
        "ram_energy_method,attributed_energy,attributed_share,"
        "attributed_emissions,idle_energy,carbon_intensity,"
        "carbon_intensity_source,command,exit_status,tags").split(",")
    old.write_text(",".join(legacy) + "\n")
    marker = tmp_path / "ran"

    proc = run([mlcarbon, "measure", *MODELS, "-q", "--no-history", "--csv",
                str(old), "--", "touch", str(marker)], env)

    assert proc.returncode == 2, proc.stderr
    assert "mlcarbon 0.1" in proc.stderr and "move it aside" in proc.stderr
    assert not marker.exists()
    assert old.read_text() == ",".join(legacy) + "\n"


def test_concurrent_measures_append_every_row_and_leave_no_lock(
        mlcarbon, env, tmp_path):
    path = tmp_path / "emissions.csv"

    def worker(i):
        for _ in range(10):
            p = run([mlcarbon, "measure", *MODELS, "-q", "--no-history",
                     "--csv", str(path), "--tag", f"w{i}", "--", "true"],
                    env)
            if p.returncode != 0:
                return p.stderr
        return None

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        errors = [e for e in pool.map(worker, range(6)) if e]

    assert not errors, errors[0]
    frame = pd.read_csv(path)
    assert len(frame) == 60
    assert frame["run_id"].is_unique
    assert sorted(frame["tags"].value_counts()) == [10] * 6
    assert [p.name for p in tmp_path.iterdir()] == ["emissions.csv"]
