# SPDX-License-Identifier: Apache-2.0
"""mlcarbon experiment: the quick sweeps end to end (report structure, valid
SVG and PNG figures, finite and physically sensible fits), resume, and the
errors without the engine or with a bad name."""
import json
import math
import os
import pathlib
import struct
import xml.etree.ElementTree as ET

import pytest

from conftest import engine_plugin_or_skip, run

SWEEPS = ["samples", "epochs", "size", "shape", "layertype", "overhead"]


def finite_numbers(value, path="fits"):
    """Every number in a JSON value, with where it is."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from finite_numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from finite_numbers(v, f"{path}[{i}]")


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, path
    width, height = struct.unpack(">II", data[16:24])
    assert 100 <= width <= 4000 and 100 <= height <= 4000, (path, width)


def check_svg(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg"), path
    assert len(list(root.iter())) > 20, f"{path} draws almost nothing"


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory, mlcarbon):
    plugin = engine_plugin_or_skip()
    out = tmp_path_factory.mktemp("exp") / "report"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MLCARBON_")}
    env["NO_COLOR"] = "1"
    env["MLCARBON_ENGINE"] = plugin
    r = run([mlcarbon, "experiment", "all", "--scale", "quick", "--out",
             str(out), "--note", "a test run"], env)
    assert r.returncode == 0, r.stderr
    return out, r, env


def test_quick_report_has_every_experiment(quick_report):
    out, r, _ = quick_report
    report = json.loads((out / "report.json").read_text())
    assert report["kind"] == "experiment-report"
    assert isinstance(report["context"], dict) and report["context"]
    assert report["context"].get("cpu_model")
    names = [e["name"] for e in report["experiments"]]
    not_run = [u["name"] for u in report["unavailable"]]
    # transfer and reduce need Fashion-MNIST; without it they say why.
    singles = [n for n in ("transfer", "reduce") if n not in not_run]
    assert names == SWEEPS + singles + ["predictors"], (names, not_run)
    assert set(not_run) <= {"transfer", "reduce"}
    if pathlib.Path("/usr/share/datasets/fashion-mnist").is_dir():
        assert not not_run, report["unavailable"]
    for e in report["experiments"]:
        for key in ("name", "claim", "finding", "points", "fits", "figures"):
            assert key in e, (e["name"], key)
        assert e["claim"] and e["finding"], e["name"]
        assert e["verdict"] in ("holds", "partly holds", "does not hold")
        assert e["points"], e["name"]
        assert sorted(e["figures"]) == [e["name"] + ".png",
                                        e["name"] + ".svg"]
        for fig in e["figures"]:
            path = out / fig
            assert path.stat().st_size > 0, fig
            (check_svg if fig.endswith(".svg") else check_png)(path)
        assert (out / (e["name"] + ".gp")).exists()
        for where, v in finite_numbers(e["fits"], e["name"]):
            assert math.isfinite(v), where
    index = (out / "index.md").read_text()
    head = "\n".join(index.splitlines()[:4])
    assert "Machine:" in head
    assert "estimated" in head or "measured" in head
    assert "a test run" in index
    assert "Report:" in r.stdout


def test_quick_fits_are_physically_sensible(quick_report):
    out, _, _ = quick_report
    report = json.loads((out / "report.json").read_text())
    e = {x["name"]: x for x in report["experiments"]}
    for x in report["experiments"]:
        for p in x["points"]:
            if "training_energy_j" in p:
                # A quick loop may be shorter than a CPU-time sensor's 10 ms
                # step and read 0 J; never less, and never a kilojoule.
                assert 0 <= p["training_energy_j"] < 1e3, (x["name"], p)
                assert 0 <= p["inference_energy_j"] < 1e3, (x["name"], p)
                if p["inference_energy_j"] > 0 and p["training_energy_j"] > 0:
                    assert -1 < p["overhead"] < 1, (x["name"], p)
    for fit in e["samples"]["fits"].values():
        assert 0 < fit["slope_j_per_sample"] < 1e3
        assert -1 <= fit["r2"] <= 1
    for name in ("shape", "layertype"):
        assert 0 < e[name]["fits"]["mean_ratio"] < 1e4
    if "transfer" in e:
        fits = e["transfer"]["fits"]
        for key in ("transfer_j", "transfer_with_pretraining_j",
                    "dedicated_j"):
            assert 0 <= fits[key] < 1e6, key
        assert fits["transfer_with_pretraining_j"] >= fits["transfer_j"]
        for acc in fits["accuracy"].values():
            assert 0 <= acc <= 1
    if "reduce" in e:
        fits = e["reduce"]["fits"]
        assert 0 <= fits["base"]["accuracy"] <= 1
        for kind in ("pruning", "distillation"):
            assert fits[kind]["cost_j"] >= 0
            assert -100 <= fits[kind]["accuracy_change_points"] <= 100
    all_fit = e["overhead"]["fits"]["all"]
    assert -1 < all_fit["asymptote"] < 1.5
    assert 0 <= e["overhead"]["fits"]["mean_overhead"] < 1
    for per in e["predictors"]["fits"]["overall"].values():
        assert 0 <= per["training_mape_pct"] < 1e5
    for name in SWEEPS:
        csv = (out / f"{name}.csv").read_text().splitlines()
        assert csv[0].startswith("experiment,key,")
        assert len(csv) == len(e[name]["points"]) + 1


def test_resume_skips_done_points_and_refuses_another_scale(
        quick_report, mlcarbon):
    out, _, env = quick_report
    r = run([mlcarbon, "experiment", "samples", "--scale", "quick", "--out",
             str(out), "--resume"], env)
    assert r.returncode == 0, r.stderr
    assert "done before" in r.stderr
    r = run([mlcarbon, "experiment", "samples", "--scale", "default",
             "--out", str(out), "--resume"], env)
    assert r.returncode == 2, r.stderr
    assert "another configuration" in r.stderr
    assert "--scale quick" in r.stderr


def test_experiment_without_the_engine_says_how_to_get_it(mlcarbon, env,
                                                          tmp_path):
    env["MLCARBON_ENGINE"] = "/nonexistent"
    r = run([mlcarbon, "experiment", "samples", "--scale", "quick", "--out",
             str(tmp_path / "o")], env)
    assert r.returncode == 1, r.stderr
    assert "hint:" in r.stderr and "libtorch" in r.stderr.lower()


def test_unknown_experiment_and_scale_are_refused(mlcarbon, env, tmp_path):
    r = run([mlcarbon, "experiment", "sizes", "--out", str(tmp_path)], env)
    assert r.returncode == 2
    assert "did you mean 'size'" in r.stderr
    r = run([mlcarbon, "experiment", "size", "--scale", "huge", "--out",
             str(tmp_path)], env)
    assert r.returncode == 2
    assert "--scale" in r.stderr
