# SPDX-License-Identifier: Apache-2.0
"""mlcarbon calibrate and train: with the LibTorch plugin (short budgets),
and without it (a clear error, exit status 1)."""
import json

import pytest

from conftest import engine_plugin_or_skip, run

# Calibrations time CPU windows: other tests running beside them skew them.
pytestmark = pytest.mark.serial

MODEL = "mlp:depth=2,width=16,inputs=8"


@pytest.fixture
def cache_env(env, tmp_path):
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return env


def test_calibrate_without_the_engine_says_how_to_get_it(mlcarbon, cache_env):
    cache_env["MLCARBON_ENGINE"] = "/nonexistent"

    r = run([mlcarbon, "calibrate", MODEL, "--budget", "1s"], cache_env)

    assert r.returncode == 1, r.stderr
    assert "mlcarbon: error:" in r.stderr
    assert "/nonexistent" in r.stderr
    assert "hint:" in r.stderr and "libtorch" in r.stderr.lower()
    assert r.stdout == ""


def test_calibrate_refuses_bad_flags_before_loading_anything(mlcarbon,
                                                             cache_env):
    cache_env["MLCARBON_ENGINE"] = "/nonexistent"
    for flags, named in ((["--batch", "0"], "--batch"),
                         (["--threads", "0"], "--threads"),
                         (["--budget", "-3s"], "--budget"),
                         (["--device", "tpu"], "tpu")):
        r = run([mlcarbon, "calibrate", MODEL, *flags], cache_env)
        assert r.returncode == 2, (flags, r.stderr)
        assert named in r.stderr, r.stderr


def test_calibrate_needs_a_model_or_a_mode(mlcarbon, cache_env):
    r = run([mlcarbon, "calibrate"], cache_env)
    assert r.returncode == 2
    assert "MODEL" in r.stderr


def test_a_malformed_calibration_file_names_file_and_field(mlcarbon, env,
                                                           tmp_path):
    (tmp_path / "c.json").write_text(json.dumps(
        {"tool": "mlcarbon", "kind": "calibration", "schema_version": 1,
         "created": "2026-12-02T00:00:00.000Z", "model": {"name": 3}}))
    (tmp_path / "s.yaml").write_text(
        "carbon_intensity_g_per_kwh: 100\n"
        "training:\n  samples: 100\n  epochs: 1\n  calibration: c.json\n")

    r = run([mlcarbon, "estimate", str(tmp_path / "s.yaml")], env)

    assert r.returncode != 0
    assert "c.json" in r.stderr and "model.name" in r.stderr, r.stderr
    assert "s.yaml:5:" in r.stderr, r.stderr


def test_calibrate_measures_caches_and_feeds_estimate(mlcarbon, cache_env,
                                                      tmp_path):
    engine_plugin_or_skip()
    out = tmp_path / "c.json"

    r = run([mlcarbon, "calibrate", MODEL, "--budget", "2s", "--batch", "16",
             "--json", str(out)], cache_env)

    assert r.returncode == 0, r.stderr
    c = json.loads(out.read_text())
    assert (c["tool"], c["kind"], c["schema_version"]) == (
        "mlcarbon", "calibration", 1)
    assert c["energy_per_inference_j"]["value"] > 0
    assert c["energy_per_inference_j"]["method"] in ("measured", "estimated")
    assert c["method"] == c["energy_per_inference_j"]["method"]
    assert c["theta"] > 0
    assert c["warmup"]["excluded"] is True
    assert c["warmup"]["inference_batches"] >= 3
    assert len(c["inference"]["repeats"]) == 3
    assert c["inference"]["energy_per_sample_j"]["method"]
    assert c["settings"]["batch"] == 16
    assert c["model"]["origin"] == MODEL and c["model"]["fingerprint"]
    assert c["engine"] and c["context"]["cpu_model"] is not None
    assert c["duration_s"] < 2.0 * 1.5
    assert "I " in r.stdout and "theta" in r.stdout
    # A terminal-less run draws no progress line.
    assert "\r" not in r.stderr
    cached = list((tmp_path / "cache" / "mlcarbon" /
                   "calibrations").glob("*.json"))
    assert len(cached) == 1

    again = run([mlcarbon, "calibrate", MODEL, "--budget", "2s", "--batch",
                 "16"], cache_env)
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout
    # Other pinned power figures estimate other energy: not reused.
    pinned = run([mlcarbon, "calibrate", MODEL, "--budget", "2s", "--batch",
                  "16", "--cpu-watts", "1:4"], cache_env)
    assert pinned.returncode == 0, pinned.stderr
    assert "reused" not in pinned.stdout, pinned.stdout

    # The calibration feeds a scenario; another host's gets a warning.
    c["context"]["host"] = "some-other-host"
    (tmp_path / "other.json").write_text(json.dumps(c))
    (tmp_path / "s.yaml").write_text(
        "carbon_intensity_g_per_kwh: 100\npue: 1.0\n"
        f"training:\n  model: \"{MODEL}\"\n  samples: 1000\n  epochs: 2\n"
        "  calibration: other.json\n")
    est = run([mlcarbon, "estimate", str(tmp_path / "s.yaml"), "--json",
               str(tmp_path / "e.json")], cache_env)
    assert est.returncode == 0, est.stderr
    assert "host 'some-other-host'" in est.stderr, est.stderr
    e = json.loads((tmp_path / "e.json").read_text())
    expected = (2 * 1000 * c["energy_per_inference_j"]["value"] *
                c["theta"])
    got = e["phases"]["training"]["device_energy_j"]
    assert abs(got - expected) <= 1e-6 * expected


def test_train_reports_the_loop_and_the_run(mlcarbon, cache_env, tmp_path):
    engine_plugin_or_skip()
    out = tmp_path / "t.json"

    # Long enough (about a second) for the CPU-time sensors' 10 ms steps.
    r = run([mlcarbon, "train", "mlp:depth=20,width=256,inputs=64",
             "--samples", "2048", "--epochs", "2", "--batch", "32", "--json",
             str(out)], cache_env)

    assert r.returncode == 0, r.stderr
    t = json.loads(out.read_text())
    assert t["kind"] == "training"
    assert t["training_loop"]["samples"] == 4096
    assert t["training_loop"]["batches"] == 128
    assert t["training_loop"]["energy_j"] > 0
    assert t["training_loop"]["method"] in ("measured", "estimated")
    assert t["run"]["energy_j"] >= t["training_loop"]["energy_j"]
    assert t["run"]["seconds"] >= t["training_loop"]["loop_seconds"]


def test_a_scenario_calibrates_once_then_uses_the_cache(mlcarbon, cache_env,
                                                       tmp_path):
    engine_plugin_or_skip()
    cache_env["MLCARBON_CALIBRATE_BUDGET"] = "1s"
    (tmp_path / "s.yaml").write_text(
        "carbon_intensity_g_per_kwh: 100\n"
        f"training:\n  model: \"{MODEL}\"\n  samples: 1000\n  epochs: 2\n"
        "  energy_per_inference_j: calibrate\n")

    first = run([mlcarbon, "estimate", str(tmp_path / "s.yaml")], cache_env)
    second = run([mlcarbon, "estimate", str(tmp_path / "s.yaml")], cache_env)

    assert first.returncode == 0, first.stderr
    assert "calibrated " in first.stdout and " now in " in first.stdout
    assert second.returncode == 0, second.stderr
    assert "cached calibration" in second.stdout
    cached = list((tmp_path / "cache" / "mlcarbon" /
                   "calibrations").glob("*.json"))
    assert len(cached) == 1
