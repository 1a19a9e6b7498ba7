# SPDX-License-Identifier: Apache-2.0
"""mlcarbon.torch with Debian's PyTorch: the epoch callback over a real
training loop, and calibration of a small nn.Module."""
import json
import math
import subprocess

import pytest

import mlcarbon
import mlcarbon.torch as mltorch

# Calibrations time CPU windows: other tests running beside them skew them.
pytestmark = pytest.mark.serial

torch = pytest.importorskip("torch")


def small_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(512, 32, generator=g)
    y = (x[:, :1] * 2.0 - x[:, 1:2]).detach()
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
    return model, x, y


def test_epoch_windows_sum_to_the_run():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, x, y = small_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.MSELoss()
    tracker = mlcarbon.Tracker(project="torch-loop", region="DE", db=False, interval=0.05)
    callback = mltorch.EpochCallback(tracker)
    losses = []
    with tracker:
        for epoch in range(4):
            with callback.epoch(epoch):
                with callback.phase("train"):
                    for _ in range(6):
                        for i in range(0, len(x), 32):
                            opt.zero_grad()
                            loss = loss_fn(model(x[i:i + 32]), y[i:i + 32])
                            loss.backward()
                            opt.step()
                with callback.phase("validate"):
                    with torch.no_grad():
                        losses.append(float(loss_fn(model(x), y)))
    run = tracker.run
    assert losses[-1] < losses[0]  # it did learn
    assert [w.name for w in callback.epochs] == [f"epoch-{e}" for e in range(4)]
    assert [w.name for w in callback.phases][:2] == ["epoch-0/train", "epoch-0/validate"]
    epochs = sum(w.energy_j for w in callback.epochs)
    assert run.energy_j > 0
    # The meter reads every sensor at each window edge, so the epochs cover
    # the run but for the few statements before and after them.
    assert epochs == pytest.approx(run.energy_j, rel=0.01)
    for w in callback.epochs:
        phases = [p for p in callback.phases if p.name.startswith(w.name + "/")]
        assert sum(p.energy_j for p in phases) <= w.energy_j * 1.0001
    assert {w["name"] for w in run["windows"]} >= {"epoch-0", "epoch-3/validate"}
    rows = callback.summary()
    assert len(rows) == 12 and all(r["method"] in ("measured", "estimated") for r in rows)


def test_hooks_and_infer_outside_an_epoch():
    tracker = mlcarbon.Tracker(db=False, region="DE")
    cb = mltorch.EpochCallback(tracker)
    with tracker:
        cb.on_epoch_start(1)
        cb.on_phase_start("train")
        cb.on_epoch_end()  # closes the open phase too
        cb.on_phase_start("infer")
        cb.on_phase_end()
        cb.on_phase_start("infer")
        cb.on_phase_end()
    assert [w.name for w in cb.phases] == ["epoch-1/train", "infer-1", "infer-2"]
    with pytest.raises(ValueError, match="phase must be one of train, validate, infer"):
        cb.on_phase_start("test")
    with pytest.raises(TypeError, match="tracker must be an mlcarbon.Tracker"):
        mltorch.EpochCallback(object())


def test_calibrate_a_small_module(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, x, y = small_problem()
    out = tmp_path / "calibration.json"
    doc = mltorch.calibrate(model, (x[:32], y[:32]), loss_fn=torch.nn.MSELoss(),
                            optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
                            path=out, budget_s=2.0)
    assert json.loads(out.read_text()) == doc
    assert doc["kind"] == "calibration" and doc["schema_version"] == 1
    assert doc["settings"]["batch"] == 32 and doc["settings"]["device"] == "cpu"
    i = doc["energy_per_inference_j"]["value"]
    assert i > 0 and math.isfinite(i)
    # Training a sample costs more than inferring it.
    assert doc["theta"] > 1
    for loop in ("inference", "training"):
        repeats = doc[loop]["repeats"]
        assert len(repeats) == 3
        per_sample = [r["energy_j"] / r["samples"] for r in repeats]
        assert doc[loop]["energy_per_sample_j"]["mean"] == pytest.approx(
            sum(per_sample) / 3, rel=1e-12)
        assert all(r["machine_energy_j"] >= r["energy_j"] * 0.999 for r in repeats)
    assert doc["theta"] == pytest.approx(
        doc["training"]["energy_per_sample_j"]["mean"] / i, rel=1e-12)
    assert doc["model"]["parameters"] == sum(p.numel() for p in model.parameters())
    assert doc["context"]["cpu_count"] >= 1
    assert doc["method"] in ("measured", "estimated")


def test_the_cli_estimates_from_a_python_calibration(tmp_path, mlcarbon_bin, child_env):
    # The library's calibration reader checks every field and recomputes
    # the summaries from the repeats: it must accept what calibrate() wrote.
    torch.set_num_threads(1)
    model, x, y = small_problem()
    doc = mltorch.calibrate(model, (x[:32], y[:32]), loss_fn=torch.nn.MSELoss(),
                            path=tmp_path / "c.json", budget_s=1.5)
    (tmp_path / "s.yaml").write_text(
        "name: t\nregion: DE\ntraining:\n  samples: 1000\n  epochs: 2\n"
        "  calibration: c.json\n")
    proc = subprocess.run([mlcarbon_bin, "estimate", str(tmp_path / "s.yaml"), "--json", "-"],
                          capture_output=True, text=True, env=child_env)
    assert proc.returncode == 0, proc.stderr
    footprint = json.loads(proc.stdout)
    expected_j = 2 * 1000 * doc["energy_per_inference_j"]["value"] * doc["theta"]
    assert footprint["phases"]["training"]["energy_kwh"] == pytest.approx(
        expected_j / 3.6e6, rel=1e-6)


def test_calibrate_checks_its_arguments():
    model, x, _ = small_problem()
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        mltorch.calibrate(object(), x)
    with pytest.raises(ValueError, match="budget_s must be at least 1"):
        mltorch.calibrate(model, x, budget_s=0.5)
    with pytest.raises(TypeError, match="example_batch must be a tensor"):
        mltorch.calibrate(model, 3)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        mltorch.calibrate(model, x, device="tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_calibrate_on_cuda():
    model, x, y = small_problem()
    doc = mltorch.calibrate(model.cuda(), (x[:32], y[:32]), loss_fn=torch.nn.MSELoss(),
                            budget_s=2.0)
    assert doc["settings"]["device"] == "cuda"
    assert doc["energy_per_inference_j"]["value"] > 0
