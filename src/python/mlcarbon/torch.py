# SPDX-License-Identifier: Apache-2.0
"""mlcarbon for PyTorch: windows per epoch and phase, and calibration of a
user's own ``nn.Module`` (I and θ, as ``mlcarbon calibrate`` writes them,
with the module's parameters, FLOPs and fingerprint from mlcarbon's model
description of its ONNX export).

``import mlcarbon.torch`` does not import torch; calibrate() does, when
called.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import tempfile
import time
import warnings as _warnings
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from . import Error, Tracker, Window, _number_arg, _path_arg, _str_arg, describe_model

PHASES = ("train", "validate", "infer")

__all__ = ["EpochCallback", "PHASES", "calibrate"]


class EpochCallback:
    """Windows for a plain PyTorch loop: one per epoch ("epoch-3") and one per
    phase within it ("epoch-3/train", "epoch-3/validate"; "infer" outside an
    epoch is just "infer-1", "infer-2", ...)::

        tracker = mlcarbon.Tracker(project="mnist")
        callback = mlcarbon.torch.EpochCallback(tracker)
        with tracker:
            for epoch in range(3):
                with callback.epoch(epoch):
                    with callback.phase("train"):
                        train_one_epoch()
                    with callback.phase("validate"):
                        validate()
        for w in callback.epochs:
            print(w.name, w.energy_j, w.method)

    The hook methods (on_epoch_start/on_epoch_end, on_phase_start/
    on_phase_end) do the same for loops that prefer calls to ``with``.
    """

    def __init__(self, tracker: Tracker) -> None:
        if not isinstance(tracker, Tracker):
            raise TypeError(f"tracker must be an mlcarbon.Tracker, not {type(tracker).__name__}")
        self.tracker = tracker
        self.epochs: List[Window] = []
        """Ended epoch windows, in order."""
        self.phases: List[Window] = []
        """Ended phase windows, in order."""
        self._epoch: Optional[str] = None
        self._phase: Optional[str] = None
        self._outside: Dict[str, int] = {}

    # -- hooks ----------------------------------------------------------
    def on_epoch_start(self, epoch: int) -> None:
        if isinstance(epoch, bool) or not isinstance(epoch, int):
            raise TypeError(f"epoch must be an int, not {type(epoch).__name__}")
        if self._epoch is not None:
            raise RuntimeError(f"{self._epoch} is still open: end it before epoch {epoch}")
        name = f"epoch-{epoch}"
        self.tracker.begin_window(name)
        self._epoch = name

    def on_epoch_end(self) -> Window:
        if self._epoch is None:
            raise RuntimeError("no epoch is open")
        if self._phase is not None:
            self.on_phase_end()
        window = self.tracker.end_window(self._epoch)
        self._epoch = None
        self.epochs.append(window)
        return window

    def on_phase_start(self, phase: str) -> None:
        phase = _str_arg("phase", phase)
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, not {phase!r}")
        if self._phase is not None:
            raise RuntimeError(f"{self._phase} is still open: end it before {phase}")
        if self._epoch is not None:
            name = f"{self._epoch}/{phase}"
        else:
            count = self._outside.get(phase, 0) + 1
            self._outside[phase] = count
            name = f"{phase}-{count}"
        self.tracker.begin_window(name)
        self._phase = name

    def on_phase_end(self) -> Window:
        if self._phase is None:
            raise RuntimeError("no phase is open")
        window = self.tracker.end_window(self._phase)
        self._phase = None
        self.phases.append(window)
        return window

    # -- context managers -----------------------------------------------
    @contextlib.contextmanager
    def epoch(self, epoch: int) -> Iterator[None]:
        """A window named "epoch-N" over the block."""
        self.on_epoch_start(epoch)
        try:
            yield
        finally:
            self.on_epoch_end()

    @contextlib.contextmanager
    def phase(self, phase: str) -> Iterator[None]:
        """A window for "train", "validate" or "infer" over the block."""
        self.on_phase_start(phase)
        try:
            yield
        finally:
            self.on_phase_end()

    def summary(self) -> List[Dict[str, Any]]:
        """One row per window (epochs and phases): name, seconds, joules,
        kg CO2e and method."""
        return [
            {
                "name": w.name,
                "duration_s": w.duration_s,
                "energy_j": w.energy_j,
                "co2e_kg": w.co2e_kg,
                "method": w.method,
            }
            for w in self.epochs + self.phases
        ]


# -- calibration ---------------------------------------------------------

_REPEATS = 3


def _spread(values: Sequence[float]) -> Dict[str, Any]:
    # Sample standard deviation, as the library's calibration reader
    # recomputes it from the repeats.
    n = len(values)
    mean = sum(values) / n if n else 0.0
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return {
        "mean": mean,
        "stddev": math.sqrt(var),
        "min": min(values) if n else 0.0,
        "max": max(values) if n else 0.0,
        "count": n,
    }


def _loop(repeats: List[Dict[str, Any]]) -> Dict[str, Any]:
    per_sample = [r["energy_j"] / r["samples"] for r in repeats]
    seconds = [r["seconds"] / r["samples"] for r in repeats]
    energy = _spread(per_sample)
    energy["method"] = (
        "measured" if all(r["method"] == "measured" for r in repeats) else "estimated"
    )
    return {
        "energy_per_sample_j": energy,
        "seconds_per_sample": _spread(seconds),
        "repeats": repeats,
    }


def _batch_size(batch: Any) -> int:
    import torch

    if isinstance(batch, torch.Tensor):
        if batch.dim() == 0:
            raise ValueError("example_batch must have a batch dimension, not a scalar tensor")
        return int(batch.shape[0])
    if isinstance(batch, (tuple, list)) and batch:
        return _batch_size(batch[0])
    raise TypeError(
        "example_batch must be a tensor or a tuple (inputs, targets) of tensors, "
        f"not {type(batch).__name__}"
    )


def _fingerprint(module: Any, inputs: Any) -> str:
    # Without a model description: the architecture and the input shape,
    # what makes I differ between models, not the weights.
    text = repr(module) + "|" + repr(tuple(inputs.shape[1:]) if hasattr(inputs, "shape") else "")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _describe(
    module: Any, inputs: Any, onnx_path: Optional[str]
) -> Tuple[Optional[Dict[str, Any]], str]:
    """mlcarbon's description of `module` (``mlcarbon model describe --json``
    of its ONNX export, the batch dimension left dynamic so the figures are
    per sample), or None and why there is none."""
    import torch

    with tempfile.TemporaryDirectory(prefix="mlcarbon-export-") as tmp:
        target = onnx_path or os.path.join(tmp, "model.onnx")
        try:
            with _warnings.catch_warnings():
                # The exporter's tracer warnings are about the export, not
                # the calibration.
                _warnings.simplefilter("ignore")
                torch.onnx.export(
                    module, (inputs,), target,
                    input_names=["input"], output_names=["output"],
                    dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                )
        # Whatever the exporter raises costs the FLOPs, never the calibration.
        except Exception as e:  # noqa: BLE001
            return None, f"torch.onnx.export failed ({_first_line(e)})"
        try:
            return describe_model(target), ""
        except Error as e:
            return None, f"mlcarbon could not describe the exported ONNX file ({_first_line(e)})"


def _model_block(
    module: Any, inputs: Any, name: str, onnx_path: Optional[str]
) -> Tuple[Dict[str, Any], List[str]]:
    """The calibration's "model" block and the warnings about it."""
    origin = f"python:{type(module).__module__}.{type(module).__qualname__}"
    described, why = _describe(module, inputs, onnx_path)
    if described is None:
        note = (
            f"{why}: forward_flops_per_sample and training_flops_per_sample are 0 "
            "and the fingerprint is mlcarbon.torch's own, so the FLOPs predictor "
            "cannot use this calibration and a scenario's model: will not match it"
        )
        return {
            "name": name,
            "origin": origin,
            "fingerprint": _fingerprint(module, inputs),
            "parameters": int(sum(p.numel() for p in module.parameters())),
            "forward_flops_per_sample": 0,
            "training_flops_per_sample": 0,
            "layers": sum(1 for m in module.modules() if not list(m.children())),
            "flops_note": note,
        }, [note]
    totals = described["totals"]
    block: Dict[str, Any] = {
        "name": name,
        "origin": origin,
        "fingerprint": described["fingerprint"],
        "parameters": int(totals["params"]),
        "forward_flops_per_sample": totals["forward_flops_per_sample"],
        "training_flops_per_sample": totals["training_flops_per_sample"],
        "layers": len(described["layers"]),
    }
    notes: List[str] = []
    unsupported = described.get("unsupported_ops") or []
    if unsupported:
        ops = ", ".join(f"{u['op']} x{u['count']}" for u in unsupported)
        block["flops_note"] = (
            f"the ONNX import counts no FLOPs for operators it does not map ({ops}): "
            "the FLOPs are a lower bound"
        )
        notes.append(block["flops_note"])
    return block, notes


def calibrate(
    module: Any,
    example_batch: Any,
    *,
    loss_fn: Optional[Callable[..., Any]] = None,
    optimizer: Any = None,
    path: Optional[os.PathLike] = None,
    budget_s: float = 30.0,
    device: Optional[str] = None,
    name: Optional[str] = None,
    interval: float = 0.1,
    tracker_options: Optional[Dict[str, Any]] = None,
    onnx_path: Optional[os.PathLike] = None,
) -> Dict[str, Any]:
    """Measures I (energy of one inference) and θ (training overhead) of
    `module` on this machine and returns the calibration document that
    ``mlcarbon calibrate --json`` writes; with `path`, writes it there too
    (a scenario's ``calibration:`` field reads it).

    Like ``mlcarbon calibrate``: a warm-up window (excluded), then 3 pairs of
    an inference window and a training window back to back, sharing 90 % of
    what the warm-up left of `budget_s`. Energy is the energy attributed to
    this process (docs/calibrate.md).

    Args:
        module: a ``torch.nn.Module``. Its weights are trained during the
            measurement: pass a copy if they matter.
        example_batch: a tensor of inputs, or ``(inputs, targets)``; its first
            dimension is the batch size.
        loss_fn: ``loss_fn(outputs, targets)``; default the mean of the
            outputs squared (no targets needed).
        optimizer: a ``torch.optim`` optimizer over the module's parameters;
            default SGD with lr 1e-3.
        path: where to write the JSON (optional).
        budget_s: about how long to measure, in seconds (at least 1).
        device: "cpu" or "cuda" (default: where the module's parameters are).
        name: the model's name in the document (default its class name).
        interval: the meter's sampling interval in seconds.
        tracker_options: more Tracker arguments (region, sensors, ...).
        onnx_path: where to keep the module's ONNX export (optional; by
            default it goes to a temporary file). A scenario naming that file
            as ``model:`` matches this calibration.

    The "model" block (parameters, forward and training FLOPs per sample,
    layers, fingerprint) is mlcarbon's description of the module's ONNX
    export, as ``mlcarbon model describe --json`` gives it. When the module
    cannot be exported or described, the FLOPs are 0 and ``model.flops_note``
    and ``warnings`` say why.
    """
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, not {type(module).__name__}")
    budget_s = float(_number_arg("budget_s", budget_s, positive=True))  # type: ignore[arg-type]
    if budget_s < 1.0:
        raise ValueError(f"budget_s must be at least 1, not {budget_s!r}")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, not {type(loss_fn).__name__}")
    name = _str_arg("name", name, optional=True) or type(module).__name__
    onnx_target = _path_arg("onnx_path", onnx_path) if onnx_path is not None else None
    params = list(module.parameters())
    if device is None:
        device = params[0].device.type if params else "cpu"
    device = _str_arg("device", device)
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device is 'cuda' but torch.cuda.is_available() is False")
    if optimizer is None:
        if not params:
            raise ValueError("module has no parameters to train: pass an optimizer or another module")
        optimizer = torch.optim.SGD(params, lr=1e-3)
    elif not hasattr(optimizer, "step") or not hasattr(optimizer, "zero_grad"):
        raise TypeError(f"optimizer must be a torch.optim optimizer, not {type(optimizer).__name__}")

    batch = _batch_size(example_batch)
    if isinstance(example_batch, (tuple, list)):
        inputs = example_batch[0]
        targets = example_batch[1] if len(example_batch) > 1 else None
    else:
        inputs, targets = example_batch, None
    module = module.to(device)
    inputs = inputs.to(device)
    if targets is not None and hasattr(targets, "to"):
        targets = targets.to(device)
    if loss_fn is None:
        def loss_fn(out: Any, _target: Any) -> Any:  # noqa: E306
            return out.float().pow(2).mean()

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    def infer_step() -> None:
        with torch.no_grad():
            module(inputs)

    def train_step() -> None:
        optimizer.zero_grad()
        loss = loss_fn(module(inputs), targets)
        loss.backward()
        optimizer.step()

    options = dict(tracker_options or {})
    options.setdefault("db", False)
    options.setdefault("project", "calibration")
    options["interval"] = interval
    tracker = Tracker(**options)
    threads = torch.get_num_threads()
    start_wall = time.monotonic()
    created = _dt.datetime.now(_dt.timezone.utc)
    warnings: List[str] = []

    def timed(step: Callable[[], None], batches: int) -> float:
        t0 = time.perf_counter()
        for _ in range(batches):
            step()
        sync()
        return time.perf_counter() - t0

    def window(label: str, step: Callable[[], None], batches: int) -> Dict[str, Any]:
        tracker.begin_window(label)
        seconds = timed(step, batches)
        w = tracker.end_window(label)
        return {
            "samples": batches * batch,
            "batches": batches,
            "seconds": seconds,
            "energy_j": w.attributed_j,
            "machine_energy_j": w.energy_j,
            "method": w.method,
        }

    module.train()
    with tracker:
        # Warm-up: at least 3 batches and 5 % of the budget per loop; the
        # second half times a batch.
        tracker.begin_window("warmup")
        warm_t0 = time.perf_counter()
        per_batch = {}
        counts = {}
        for label, step in (("inference", infer_step), ("training", train_step)):
            spent, n, half = 0.0, 0, 0.0
            half_n = 0
            while n < 3 or spent < 0.05 * budget_s:
                dt = timed(step, 1)
                spent += dt
                n += 1
                if n > 1 and n % 2 == 0:
                    half += dt
                    half_n += 1
            counts[label] = n
            per_batch[label] = max(half / max(half_n, 1), 1e-6)
        warm = tracker.end_window("warmup")
        warm_seconds = time.perf_counter() - warm_t0
        left = max(budget_s - warm_seconds, 0.0) * 0.9
        per_window = left / (2 * _REPEATS)
        inference: List[Dict[str, Any]] = []
        training: List[Dict[str, Any]] = []
        for k in range(1, _REPEATS + 1):
            inference.append(
                window(f"inference-{k}", infer_step,
                       max(1, int(per_window / per_batch["inference"])))
            )
            training.append(
                window(f"training-{k}", train_step,
                       max(1, int(per_window / per_batch["training"])))
            )
    run = tracker.run
    assert run is not None
    shortest = min(r["seconds"] for r in inference + training)
    if shortest < 1.0:
        warnings.append(
            f"the shortest window lasted {shortest:.2f} s: figures from windows under 1 s "
            "carry the meter's edge error (docs/calibrate.md); raise budget_s"
        )
    inf = _loop(inference)
    trn = _loop(training)
    i_mean = inf["energy_per_sample_j"]["mean"]
    theta = trn["energy_per_sample_j"]["mean"] / i_mean if i_mean > 0 else 0.0
    ratios = [
        (t["energy_j"] / t["samples"]) / (i["energy_j"] / i["samples"])
        for i, t in zip(inference, training)
        if i["energy_j"] > 0
    ]
    method = (
        "measured"
        if inf["energy_per_sample_j"]["method"] == "measured"
        and trn["energy_per_sample_j"]["method"] == "measured"
        else "estimated"
    )
    if method == "estimated":
        warnings.append(
            "energy is estimated (no hardware energy counter was used): "
            "see context.sensors"
        )
    model_block, model_notes = _model_block(module, inputs, name, onnx_target)
    warnings.extend(model_notes)
    doc: Dict[str, Any] = {
        "tool": "mlcarbon",
        "kind": "calibration",
        "schema_version": 1,
        "created": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "model": model_block,
        "settings": {
            "batch": batch,
            "device": device,
            "threads": threads,
            "interval_s": float(interval),
            "budget_s": budget_s,
        },
        "engine": f"PyTorch {torch.__version__} ({device})",
        "context": run["context"],
        "method": method,
        "energy_basis": (
            "attributed: the machine's energy times this process's share of the "
            "busy CPU time, plus its GPUs"
        ),
        "energy_per_inference_j": {"value": i_mean, "method": inf["energy_per_sample_j"]["method"]},
        "theta": theta,
        "theta_spread": _spread(ratios),
        "inference": inf,
        "training": trn,
        "warmup": {
            "inference_batches": counts["inference"],
            "training_batches": counts["training"],
            "seconds": warm_seconds,
            "energy_j": warm.attributed_j,
            "method": warm.method,
            "excluded": True,
        },
        "duration_s": time.monotonic() - start_wall,
        "warnings": warnings,
    }
    if path is not None:
        target = _path_arg("path", path)
        with open(target, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return doc
