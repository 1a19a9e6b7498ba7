# SPDX-License-Identifier: Apache-2.0
"""The engine trains to PyTorch's losses: same seeds, data and settings.

Both sides call the same LibTorch kernels in the same order on one thread,
so the losses agree to float32 rounding; the notes saw them bit for bit.
The tolerance is 1e-6 relative: a different BLAS code path (e.g. a
different thread count) may reorder a sum by one float32 ulp (~1.2e-7).
"""
import os
import pathlib
import sys

import pytest
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import torch_reference as ref  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
DRIVER = os.environ.get("MLCARBON_ENGINE_DRIVER")
pytestmark = pytest.mark.skipif(
    not DRIVER, reason="MLCARBON_ENGINE_DRIVER is not set (plugin not built)")

CASES = [
    # model, data kind, loss, optimizer, extra driver args
    ("mlp:depth=3,width=25,inputs=100", "regression", "mse", "sgd", []),
    ("mlp:depth=30,width=25,inputs=100", "regression", "mse", "sgd",
     ["--keep-denormals"]),
    ("mlp:depth=2,width=16,inputs=20,outputs=5", "classification",
     "cross-entropy", "sgd", ["--classes", "5"]),
    ("cnn:depth=2,filters=8,inputs=50", "regression", "mse", "sgd", []),
    ("mlp:depth=2,width=32,inputs=10", "regression", "mse", "adam", []),
    # Image models run channels-last; the reference converts the same way.
    (str(REPO / "bench" / "models" / "conv2d_small.yaml"), "classification",
     "cross-entropy", "sgd", ["--classes", "10"]),
    (str(REPO / "bench" / "models" / "conv2d_small.yaml"), "regression",
     "mse", "adam", []),
    (str(REPO / "tests" / "fixtures" / "models" / "grouped.yaml"),
     "regression", "mse", "sgd", []),
    (str(REPO / "tests" / "fixtures" / "models" / "grouped1d.yaml"),
     "regression", "mse", "sgd", []),
]


@pytest.mark.parametrize("model,kind,loss,optimizer,extra", CASES)
def test_losses_equal_pytorchs(model, kind, loss, optimizer, extra):
    samples, batch, batches, lr, seed, data_seed = 200, 32, 14, 0.05, 3, 11
    got = ref.run_driver(DRIVER, [
        "--model", model, "--data", kind, "--loss", loss,
        "--optimizer", optimizer, "--samples", str(samples),
        "--batch", str(batch), "--train-batches", str(batches),
        "--infer-batches", "0", "--lr", str(lr), "--seed", str(seed),
        "--data-seed", str(data_seed), "--threads", "1", *extra])
    classes = int(extra[1]) if "--classes" in extra else 0

    torch.set_num_threads(1)
    # The engine flushes denormals to zero unless told not to.
    torch.set_flush_denormal("--keep-denormals" not in extra)
    x, y = ref.synthetic(got, kind, samples, classes, data_seed)
    torch.manual_seed(seed)
    module = ref.build(got["layers"])
    if any(layer["type"] == "conv2d" for layer in got["layers"]):
        module = module.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    _, _, want = ref.train(module, x, y, batch=batch, batches=batches, lr=lr,
                        loss=loss, optimizer=optimizer)

    assert got["parameters"] == sum(p.numel() for p in module.parameters())
    assert len(got["losses"]) == batches
    assert got["losses"] == pytest.approx(want, rel=1e-6, abs=0)
    # A loss that did not move would make the comparison weak.
    assert got["losses"][-1] != got["losses"][0]
