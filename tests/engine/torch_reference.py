# SPDX-License-Identifier: Apache-2.0
"""The engine's work done by PyTorch from Python, step for step.

Builds torch.nn modules from the layer list that mlcarbon_engine_driver
prints, generates the same synthetic data (docs/engine.md, "Synthetic data")
and runs the same loops, so that losses and times can be compared.
"""
import json
import math
import subprocess
import time

import torch
import torch.nn.functional as F
from torch import nn


def run_driver(driver, args):
    """Runs mlcarbon_engine_driver and returns its JSON."""
    done = subprocess.run([driver, *args], capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{driver} {' '.join(args)}: {done.stderr}")
    return json.loads(done.stdout)


def _spatial(values, dims, fallback):
    if not values:
        return fallback
    if len(values) == 1:
        return tuple(values) * dims
    return tuple(values)


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def build(layers):
    """nn.Sequential of the layers, constructed in the engine's order."""
    out = []
    for layer in layers:
        kind, shape = layer["type"], layer["input"]
        if kind == "dense":
            out.append(nn.Linear(shape[-1], layer["units"], bias=layer["bias"]))
        elif kind in ("conv1d", "conv2d"):
            dims = 1 if kind == "conv1d" else 2
            conv = nn.Conv1d if dims == 1 else nn.Conv2d
            out.append(conv(shape[0], layer["units"],
                            _spatial(layer["kernel"], dims, (1,) * dims),
                            stride=_spatial(layer["stride"], dims, (1,) * dims),
                            padding=_spatial(layer["padding"], dims,
                                             (0,) * dims),
                            groups=layer.get("groups", 1),
                            bias=layer["bias"]))
        elif kind in ("maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d"):
            dims = int(kind[-2])
            pool = {"maxpool1d": nn.MaxPool1d, "maxpool2d": nn.MaxPool2d,
                    "avgpool1d": nn.AvgPool1d, "avgpool2d": nn.AvgPool2d}[kind]
            kernel = _spatial(layer["kernel"], dims, (1,) * dims)
            out.append(pool(kernel,
                            stride=_spatial(layer["stride"], dims, kernel),
                            padding=_spatial(layer["padding"], dims,
                                             (0,) * dims)))
        elif kind == "flatten":
            out.append(nn.Flatten())
        elif kind == "relu":
            out.append(nn.ReLU())
        elif kind == "tanh":
            out.append(nn.Tanh())
        elif kind == "sigmoid":
            out.append(nn.Sigmoid())
        elif kind == "gelu":
            out.append(nn.GELU())
        elif kind == "softmax":
            out.append(_Lambda(lambda x: torch.softmax(x, -1)))
        elif kind == "dropout":
            out.append(nn.Dropout(layer["rate"]))
        elif kind == "batchnorm":
            out.append((nn.BatchNorm2d if len(shape) == 3 else
                        nn.BatchNorm1d)(shape[0]))
        elif kind == "layernorm":
            out.append(nn.LayerNorm(shape[-1]))
        elif kind == "embedding":
            out.append(nn.Embedding(layer["vocab"], layer["units"]))
        elif kind == "transformer_encoder":
            out.append(nn.TransformerEncoderLayer(
                shape[1], layer["heads"], layer["mlp_dim"],
                dropout=layer["rate"], batch_first=True))
        else:
            raise ValueError(f"layer type {kind}")
    return nn.Sequential(*out)


def synthetic(described, kind, samples, classes, seed):
    """docs/engine.md, "Synthetic data": x, then the target map, from one
    generator seeded with the data seed."""
    g = torch.Generator().manual_seed(seed)
    shape = described["input"]
    layers = described["layers"]
    if layers and layers[0]["type"] == "embedding":
        x = torch.randint(layers[0]["vocab"], (samples, *shape), generator=g)
    else:
        x = torch.randn(samples, *shape, generator=g)
    features = x.flatten(1).float()
    n_in = features.shape[1]
    if kind == "regression":
        out_shape = layers[-1]["output"] if layers else shape
        out_elems = math.prod(out_shape)
        w = torch.randn(n_in, out_elems, generator=g)
        y = (features @ w / math.sqrt(n_in)).reshape(samples, *out_shape)
    else:
        w = torch.randn(n_in, classes, generator=g)
        y = (features @ w).argmax(1)
    return x, y


def train(model, x, y, *, batch, batches, lr, loss="mse", optimizer="sgd"):
    """The engine's training loop: batches in order, cycling; the last batch
    of an epoch holds the remainder. Returns (wall seconds, CPU seconds,
    losses)."""
    opt = (torch.optim.SGD(model.parameters(), lr=lr) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=lr))
    loss_fn = F.mse_loss if loss == "mse" else F.cross_entropy
    n = x.shape[0]
    per_epoch = (n + batch - 1) // batch
    model.train()
    losses = []
    start, cpu = time.perf_counter(), time.process_time()
    for b in range(batches):
        i = (b % per_epoch) * batch
        xb, yb = x[i:i + batch], y[i:i + batch]
        opt.zero_grad()
        value = loss_fn(model(xb), yb)
        value.backward()
        opt.step()
        losses.append(value.detach())
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    return seconds, cpu, (torch.stack(losses).double().tolist()
                          if losses else [])


def infer(model, x, *, batch, batches):
    """The engine's inference loop; returns (wall, CPU) seconds."""
    n = x.shape[0]
    per_epoch = (n + batch - 1) // batch
    model.eval()
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        for b in range(batches):
            i = (b % per_epoch) * batch
            model(x[i:i + batch])
    return time.perf_counter() - start, time.process_time() - cpu
