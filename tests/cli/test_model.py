# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon model describe`: parameter counts and shapes equal PyTorch's for
the same modules (torch.nn, built here from the model file as written), and
bad input gets a clear error."""
import json
import pathlib

import pytest

from conftest import REPO, run

try:
    import torch
    import yaml
    from torch import nn
    MISSING = None
except ImportError as e:  # the error tests below still run
    MISSING = f"{e.name} is not importable (Debian's python3-torch, " \
              "python3-yaml; run with /usr/bin/python3)"
needs_torch = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))

EXAMPLES = sorted(str(p.relative_to(REPO))
                  for p in (REPO / "examples" / "models").iterdir())

# Models that reach what the examples do not: every layer type and key.
EXTRA = {
    "every_key.yaml": """
input: [3, 17, 12]
layers:
  - conv2d: {filters: 5, kernel: [3, 2], stride: [2, 1], padding: [1, 0],
             bias: false}
  - batchnorm
  - maxpool2d: {kernel: 3, stride: 1, padding: 1}
  - avgpool2d: {kernel: [2, 3], stride: [2, 2]}
  - sigmoid
  - flatten
  - batchnorm
  - dense: {units: 7, bias: false}
  - layernorm
  - dropout
  - softmax
""",
    "sequence.yaml": """
input: [4, 50]
layers:
  - conv1d: {filters: 6, kernel: 7, stride: 3, padding: 2}
  - batchnorm
  - avgpool1d: {kernel: 4, padding: 2}
  - gelu
  - layernorm
  - dense: {units: 3}
""",
    "grouped.yaml": """
input: [8, 12, 12]
layers:
  - conv2d: {filters: 16, kernel: 3, padding: 1, groups: 4}
  - relu
  - conv2d: {filters: 16, kernel: 3, stride: 2, groups: 16, bias: false}
  - flatten
  - dense: {units: 2}
""",
    "grouped1d.yaml": """
input: [6, 30]
layers:
  - conv1d: {filters: 9, kernel: 5, padding: 2, groups: 3}
  - conv1d: {filters: 9, kernel: 3, groups: 9}
""",
    "transformer.json": json.dumps({
        "input": [24],
        "layers": [
            {"embedding": {"vocab": 500, "dim": 48}},
            {"transformer_encoder": {"heads": 6, "mlp_dim": 96,
                                     "dropout": 0.0}},
            {"transformer_encoder": {"heads": 1, "mlp_dim": 16}},
            "flatten",
            {"dense": {"units": 5}},
        ]}),
}

SHORTHANDS = [
    "mlp:depth=3,width=25,inputs=100",
    "mlp:depth=1,width=7,inputs=3,outputs=4,activation=gelu",
    "cnn:depth=2,filters=8,inputs=50",
    "cnn:depth=3,filters=4,inputs=20,kernel=4,outputs=2",
]


def describe(mlcarbon, env, model, *args, cwd=REPO):
    return run([mlcarbon, "model", "describe", model, *args], env, cwd=cwd)


def expand_shorthand(text):
    """The layer list a shorthand stands for, as docs/model-files.md says."""
    family, rest = text.split(":", 1)
    keys = dict(field.split("=") for field in rest.split(","))
    depth = int(keys["depth"])
    outputs = int(keys.get("outputs", 1))
    layers = []
    if family == "mlp":
        shape = [int(keys["inputs"])]
        for _ in range(depth):
            layers += [{"dense": {"units": int(keys["width"])}},
                       keys.get("activation", "relu")]
    else:
        shape = [1, int(keys["inputs"])]
        kernel = int(keys.get("kernel", 3))
        for _ in range(depth):
            layers += [{"conv1d": {"filters": int(keys["filters"]),
                                   "kernel": kernel,
                                   "padding": kernel // 2}}, "relu"]
        layers.append("flatten")
    layers.append({"dense": {"units": outputs}})
    return {"input": shape, "layers": layers}


def torch_layer(entry, x):
    """The torch.nn module for one layer entry, given its input tensor."""
    if isinstance(entry, str):
        kind, keys = entry, {}
    else:
        (kind, keys), = entry.items()
        keys = dict(keys or {})
    keys.pop("name", None)
    simple = {"flatten": nn.Flatten, "relu": nn.ReLU, "tanh": nn.Tanh,
              "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
    if kind in simple:
        return simple[kind]()
    if kind == "softmax":
        return nn.Softmax(dim=-1)
    if kind == "dropout":
        return nn.Dropout(keys.get("rate", 0.5))
    if kind == "dense":
        return nn.Linear(x.shape[-1], keys["units"],
                         bias=keys.get("bias", True))
    if kind in ("conv1d", "conv2d"):
        conv = nn.Conv1d if kind == "conv1d" else nn.Conv2d
        return conv(x.shape[1], keys["filters"], keys["kernel"],
                    stride=keys.get("stride", 1),
                    padding=keys.get("padding", 0),
                    groups=keys.get("groups", 1),
                    bias=keys.get("bias", True))
    if kind in ("maxpool1d", "maxpool2d", "avgpool1d", "avgpool2d"):
        pool = {"maxpool1d": nn.MaxPool1d, "maxpool2d": nn.MaxPool2d,
                "avgpool1d": nn.AvgPool1d, "avgpool2d": nn.AvgPool2d}[kind]
        return pool(keys["kernel"], stride=keys.get("stride"),
                    padding=keys.get("padding", 0))
    if kind == "batchnorm":
        norm = nn.BatchNorm2d if x.dim() == 4 else nn.BatchNorm1d
        return norm(x.shape[1])
    if kind == "layernorm":
        return nn.LayerNorm(x.shape[-1])
    if kind == "embedding":
        return nn.Embedding(keys["vocab"], keys["dim"])
    if kind == "transformer_encoder":
        return nn.TransformerEncoderLayer(
            d_model=x.shape[-1], nhead=keys["heads"],
            dim_feedforward=keys["mlp_dim"], dropout=keys.get("dropout", 0.1),
            activation="relu", batch_first=True)
    raise AssertionError(f"no torch module for {kind}")


def torch_counts(spec):
    """(params, output shape without the batch) per layer, from PyTorch."""
    first = spec["layers"][0]
    ids = first == "embedding" or (isinstance(first, dict)
                                   and "embedding" in first)
    x = (torch.zeros([1, *spec["input"]], dtype=torch.long) if ids
         else torch.rand([1, *spec["input"]]))
    counts = []
    with torch.no_grad():
        for entry in spec["layers"]:
            module = torch_layer(entry, x).eval()
            x = module(x)
            counts.append((sum(p.numel() for p in module.parameters()),
                           list(x.shape[1:])))
    return counts


def check_against_torch(mlcarbon, env, model, spec, cwd=REPO):
    proc = describe(mlcarbon, env, model, "--json", "-", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    expected = torch_counts(spec)

    ours = [(layer["params"], layer["output_shape"])
            for layer in doc["layers"]]
    assert ours == expected
    assert doc["totals"]["params"] == sum(p for p, _ in expected)


@needs_torch
@pytest.mark.parametrize("model", EXAMPLES)
def test_examples_count_as_pytorch(mlcarbon, env, model):
    spec = yaml.safe_load((REPO / model).read_text())
    check_against_torch(mlcarbon, env, model, spec)


@needs_torch
@pytest.mark.parametrize("name", sorted(EXTRA))
def test_every_layer_type_counts_as_pytorch(mlcarbon, env, tmp_path, name):
    (tmp_path / name).write_text(EXTRA[name])
    spec = yaml.safe_load(EXTRA[name])
    check_against_torch(mlcarbon, env, name, spec, cwd=tmp_path)


@needs_torch
@pytest.mark.parametrize("shorthand", SHORTHANDS)
def test_shorthands_count_as_pytorch(mlcarbon, env, shorthand):
    check_against_torch(mlcarbon, env, shorthand, expand_shorthand(shorthand))


def test_json_totals_scale_with_the_batch(mlcarbon, env):
    one = json.loads(describe(mlcarbon, env, SHORTHANDS[0],
                              "--json", "-").stdout)
    many = json.loads(describe(mlcarbon, env, SHORTHANDS[0], "--batch", "64",
                               "--json", "-").stdout)

    assert one["schema_version"] == 1
    assert many["batch"] == 64
    t1, t64 = one["totals"], many["totals"]
    assert t64["forward_flops_per_batch"] == 64 * t1["forward_flops_per_sample"]
    assert t64["training_flops_per_sample"] == 3 * t1["forward_flops_per_sample"]
    assert t64["activation_bytes_per_batch"] == \
        64 * t1["activation_bytes_per_sample"]
    assert one["fingerprint"] == many["fingerprint"]


def test_json_to_a_file_keeps_the_table_on_stdout(mlcarbon, env, tmp_path):
    out = tmp_path / "m.json"
    proc = describe(mlcarbon, env, SHORTHANDS[2], "--json", str(out))

    assert proc.returncode == 0, proc.stderr
    assert "Totals" in proc.stdout
    assert json.loads(out.read_text())["kind"] == "model"


@pytest.mark.parametrize("args, code, message", [
    (["mlp:depth=2,widht=3,inputs=4"], 2,
     "unknown key 'widht' of mlp; did you mean 'width'?"),
    (["missing.yaml"], 1, "missing.yaml"),
    (["mlp:depth=1,width=2,inputs=3", "--batch", "0"], 2,
     "--batch: expected a positive whole number, got 0"),
])
def test_bad_input_is_a_clear_error(mlcarbon, env, args, code, message):
    proc = describe(mlcarbon, env, *args)

    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert message in proc.stderr


def test_shape_error_names_file_layer_and_shapes(mlcarbon, env, tmp_path):
    (tmp_path / "m.yaml").write_text(
        "input: [1, 28, 28]\nlayers:\n  - conv2d: {filters: 4, kernel: 3}\n"
        "  - dense: {units: 10}\n")
    proc = describe(mlcarbon, env, "m.yaml", cwd=tmp_path)

    assert proc.returncode == 2
    assert ("m.yaml:4:5: layer 'dense_2' (dense): takes [features] or "
            "[rows, features], got input [4, 26, 26]; add a flatten before it"
            in proc.stderr)


def test_malformed_yaml_has_a_position(mlcarbon, env, tmp_path):
    (tmp_path / "m.yaml").write_text("input: [1, 2\nlayers: [relu]\n")
    proc = describe(mlcarbon, env, "m.yaml", cwd=tmp_path)

    assert proc.returncode == 1
    assert "mlcarbon: error: m.yaml:2:" in proc.stderr
    assert "malformed YAML" in proc.stderr


def test_model_help_lists_describe(mlcarbon, env):
    proc = run([mlcarbon, "model", "--help"], env)

    assert proc.returncode == 0
    assert "describe" in proc.stdout
    assert "Show a model's layers" in proc.stdout
