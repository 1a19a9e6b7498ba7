# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon plan` on bad input: each error names the file or flag, the
place and what was expected, and nothing reaches stdout. Bad arguments exit
2, files that cannot be read as what they should be 1."""
import json

import pytest

from conftest import REPO, run

FORECAST = str(REPO / "tests" / "fixtures" / "plan" / "forecast.csv")
JOB = ["--energy", "12kWh", "--duration", "3h"]


def plan(mlcarbon, env, *args, now="2026-12-02T00:00Z", cwd=None):
    e = dict(env)
    if now is not None:
        e["MLCARBON_NOW"] = now
    return run([mlcarbon, "plan", *args], e, cwd=cwd)


def refused(proc, *messages, status=2):
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    assert proc.stdout == ""
    for m in messages:
        assert m in proc.stderr, proc.stderr


def test_a_deadline_too_short_for_the_job(mlcarbon, env):
    proc = plan(mlcarbon, env, "--forecast", FORECAST, *JOB,
                "--deadline", "2026-12-02T02:00Z")

    refused(proc, "the window from 2026-12-02T00:00:00.000Z to "
            "2026-12-02T02:00:00.000Z (the deadline) (2h) is shorter than "
            "the job (3h)")


def test_a_forecast_that_does_not_cover_the_window(mlcarbon, env):
    late = plan(mlcarbon, env, "--forecast", FORECAST, *JOB,
                "--deadline", "2026-12-03T06:00Z")
    stale = plan(mlcarbon, env, "--forecast", FORECAST, *JOB,
                 now="2026-12-04T00:00Z")

    refused(late, f"the forecast {FORECAST} covers 2026-12-02T00:00:00.000Z "
            "to 2026-12-03T00:00:00.000Z, but the deadline is "
            "2026-12-03T06:00:00.000Z")
    refused(stale, "it ended before now (2026-12-04T00:00:00.000Z)")


@pytest.mark.parametrize("rows,message", [
    ("2026-12-02T01:00Z,100\n2026-12-02T00:00Z,90\n",
     "f.csv:3: timestamp '2026-12-02T00:00Z' is not after the previous one"),
    ("2026-12-02T00:00Z,100\n2026-12-02T01:00Z,nan\n",
     "f.csv:3: intensity 'nan' is not a finite number"),
    ("2026-12-02T00:00Z,-3\n", "f.csv:2: intensity -3 is negative"),
    ("2026-12-02T00:00Z,100\n2026-12-02T01:00Z,100\n2026-12-02T05:00Z,1\n",
     "f.csv:4: this row starts 4h after the previous one, but the first "
     "rows are 1h apart"),
    ("2026-12-02T00:00Z,380000\n",
     "f.csv:2: intensity 380000 is not a plausible g CO2e/kWh"),
])
def test_bad_forecast_rows_name_file_and_line(mlcarbon, env, tmp_path, rows,
                                              message):
    (tmp_path / "f.csv").write_text("timestamp,g_per_kwh\n" + rows)

    proc = plan(mlcarbon, env, "--forecast", "f.csv", "--energy", "1kWh",
                "--duration", "1h", cwd=tmp_path)

    refused(proc, message, status=1)


def test_stated_ends_reveal_gaps_and_overlaps(mlcarbon, env, tmp_path):
    (tmp_path / "f.csv").write_text(
        "start,end,carbon_intensity_g_per_kwh\n"
        "2026-12-02T00:00Z,2026-12-02T00:30Z,100\n"
        "2026-12-02T00:20Z,2026-12-02T01:00Z,100\n")

    proc = plan(mlcarbon, env, "--forecast", "f.csv", "--energy", "1kWh",
                "--duration", "10m", cwd=tmp_path)

    refused(proc, "f.csv:3: the row starts at 2026-12-02T00:20:00.000Z, "
            "before the previous row ends at 2026-12-02T00:30:00.000Z: rows "
            "overlap", status=1)


def test_wrong_units_are_named(mlcarbon, env, tmp_path):
    (tmp_path / "f.csv").write_text(
        "timestamp,carbon_intensity_kg_per_kwh\n2026-12-02T00:00Z,0.3\n")

    proc = plan(mlcarbon, env, "--forecast", "f.csv", "--energy", "1kWh",
                "--duration", "1h", cwd=tmp_path)
    energy = plan(mlcarbon, env, "--regions", "FR", "--energy", "12")

    refused(proc, "f.csv:1: column 'carbon_intensity_kg_per_kwh' is in "
            "another unit; expected grams CO2e per kWh", status=1)
    refused(energy, "--energy expects an energy >= 0 with its unit, such as "
            "12kWh, 500Wh or 3.6MJ, got '12'")


def test_json_forecast_points_at_the_converter(mlcarbon, env):
    gb = str(REPO / "tests" / "fixtures" / "carbon" / "gb_intensity.json")

    proc = plan(mlcarbon, env, "--forecast", gb, *JOB)

    refused(proc, f"{gb} is JSON, but an intensity series is a CSV",
            f"mlcarbon plan --convert-gb {gb}", status=1)


def test_converted_gb_answer_plans(mlcarbon, env, tmp_path):
    gb = str(REPO / "tests" / "fixtures" / "carbon" / "gb_intensity.json")
    converted = plan(mlcarbon, env, "--convert-gb", gb, "--output",
                     str(tmp_path / "gb.csv"))
    assert converted.returncode == 0, converted.stderr

    proc = plan(mlcarbon, env, "--forecast", str(tmp_path / "gb.csv"),
                "--energy", "1kWh", "--duration", "30m", "--json", "-")

    assert proc.returncode == 0, proc.stderr
    start = json.loads(proc.stdout)["start"]
    assert start["best"]["start"] == "2026-12-02T01:00:00.000Z"
    assert start["best"]["co2e_kg"] == pytest.approx(0.095)
    assert start["baseline"]["co2e_kg"] == pytest.approx(0.180)


def test_job_sources_and_duration_are_checked(mlcarbon, env, tmp_path):
    estimate = str(REPO / "tests" / "fixtures" / "plan" / "estimate.json")
    run_file = str(REPO / "tests" / "fixtures" / "plan" / "run.json")

    none = plan(mlcarbon, env, "--forecast", FORECAST, "--duration", "1h")
    two = plan(mlcarbon, env, "--regions", "FR", "--energy", "1kWh",
               "--from-run", run_file)
    no_duration = plan(mlcarbon, env, "--forecast", FORECAST,
                       "--from-estimate", estimate)
    wrong_kind = plan(mlcarbon, env, "--regions", "FR", "--from-estimate",
                      run_file)
    nothing = plan(mlcarbon, env, "--energy", "1kWh")

    refused(none, "exactly one of --energy, --from-run or --from-estimate")
    refused(two, "exactly one of --energy, --from-run or --from-estimate")
    refused(no_duration, "--duration is needed", "search and training of "
            "estimate 'fraud-detector-v2'")
    refused(wrong_kind, f"{run_file} is not an mlcarbon estimate")
    refused(nothing, "give --forecast FILE (when to start), --regions LIST")


def test_unknown_region_suggests_and_bad_now_is_named(mlcarbon, env):
    typo = plan(mlcarbon, env, "--energy", "1kWh", "--regions", "DE,Frnace")
    bad_now = plan(mlcarbon, env, "--forecast", FORECAST, *JOB,
                   now="yesterday")

    refused(typo, "--regions", "did you mean", status=1)
    refused(bad_now, "MLCARBON_NOW", status=1)


def test_estimate_with_a_forecast_needs_a_duration(mlcarbon, env):
    scenario = str(REPO / "examples" / "small_model_serving.yaml")
    e = dict(env)
    e["MLCARBON_NOW"] = "2026-12-02T00:00Z"

    proc = run([mlcarbon, "estimate", scenario, "--forecast", FORECAST], e)
    ok = run([mlcarbon, "estimate", scenario, "--forecast", FORECAST,
              "--duration", "2h", "--json", "-"], e)

    refused(proc, "--forecast needs --duration")
    assert ok.returncode == 0, ok.stderr
    topics = [r["topic"] for r in json.loads(ok.stdout)["recommendations"]]
    assert topics[-1] == "schedule"
