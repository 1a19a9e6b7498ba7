# SPDX-License-Identifier: Apache-2.0
"""The model block of mlcarbon.torch.calibrate(): parameters, FLOPs and the
fingerprint come from mlcarbon's own description of the module's ONNX
export, the figures `mlcarbon model describe --json` gives; and
mlcarbon.describe_model(), the binding behind it."""
import json
import subprocess

import pytest

import mlcarbon
import mlcarbon.torch as mltorch

torch = pytest.importorskip("torch")

# The same architectures as model files (docs/model-files.md).
MLP_YAML = """name: mlp
input: [32]
layers:
  - dense: {units: 64}
  - relu
  - dense: {units: 64}
  - tanh
  - dense: {units: 1}
"""

CNN_YAML = """name: cnn
input: [1, 16, 16]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1}
  - relu
  - maxpool2d: {kernel: 2}
  - conv2d: {filters: 8, kernel: 3, stride: 2}
  - relu
  - flatten
  - dense: {units: 10}
"""


def mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(32, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 1))


class SmallCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.conv2 = torch.nn.Conv2d(4, 8, 3, stride=2)
        self.head = torch.nn.Linear(8 * 3 * 3, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.head(torch.flatten(x, 1))


CASES = {
    "mlp": (mlp, (16, 32), MLP_YAML),
    "cnn": (SmallCnn, (8, 1, 16, 16), CNN_YAML),
}


def cli_describe(mlcarbon_bin, child_env, model, batch=1):
    proc = subprocess.run([mlcarbon_bin, "model", "describe", str(model), "--batch", str(batch),
                           "--json", "-"], capture_output=True, text=True, env=child_env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def estimate_stderr(mlcarbon_bin, child_env, folder, model):
    (folder / "s.yaml").write_text(
        "name: t\nregion: DE\ntraining:\n  samples: 1000\n  epochs: 2\n"
        f"  model: {model}\n  calibration: c.json\n")
    proc = subprocess.run([mlcarbon_bin, "estimate", str(folder / "s.yaml"), "--json", "-"],
                          capture_output=True, text=True, env=child_env)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def calibrate(module, inputs, folder, **kwargs):
    torch.set_num_threads(1)
    return mltorch.calibrate(module, inputs, path=folder / "c.json", budget_s=1.0,
                             interval=0.05, **kwargs)


def test_describe_model_is_what_the_cli_prints(tmp_path, mlcarbon_bin, child_env):
    (tmp_path / "cnn.yaml").write_text(CNN_YAML)
    for model in ("mlp:depth=3,width=25,inputs=100", tmp_path / "cnn.yaml"):
        assert mlcarbon.describe_model(model, batch=4) == cli_describe(
            mlcarbon_bin, child_env, model, batch=4)


def test_describe_model_errors(tmp_path):
    with pytest.raises(mlcarbon.NotFoundError, match="missing.onnx"):
        mlcarbon.describe_model(tmp_path / "missing.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage")
    with pytest.raises(mlcarbon.ParseError, match="bad.onnx"):
        mlcarbon.describe_model(tmp_path / "bad.onnx")
    with pytest.raises(ValueError, match="batch must be at least 1"):
        mlcarbon.describe_model("mlp:depth=1,width=2,inputs=3", batch=0)
    with pytest.raises(TypeError, match="batch must be an int"):
        mlcarbon.describe_model("mlp:depth=1,width=2,inputs=3", batch=2.0)


@pytest.mark.parametrize("case", sorted(CASES))
def test_calibration_counts_equal_model_describe(case, tmp_path, mlcarbon_bin, child_env):
    make, shape, yaml = CASES[case]
    torch.manual_seed(0)
    module = make()
    doc = calibrate(module, torch.randn(*shape), tmp_path, onnx_path=tmp_path / "m.onnx")
    (tmp_path / "m.yaml").write_text(yaml)
    by_yaml = cli_describe(mlcarbon_bin, child_env, tmp_path / "m.yaml")
    by_onnx = cli_describe(mlcarbon_bin, child_env, tmp_path / "m.onnx")
    model = doc["model"]
    assert "flops_note" not in model
    assert by_onnx["unsupported_ops"] == []
    assert model["parameters"] == by_yaml["totals"]["params"] == sum(
        p.numel() for p in module.parameters())
    assert model["forward_flops_per_sample"] == by_yaml["totals"]["forward_flops_per_sample"] > 0
    assert model["training_flops_per_sample"] == by_yaml["totals"]["training_flops_per_sample"]
    assert model["layers"] == len(by_yaml["layers"]) == len(by_onnx["layers"])
    # The fingerprint `mlcarbon calibrate m.onnx` computes for the file.
    assert model["fingerprint"] == by_onnx["fingerprint"]
    assert json.loads((tmp_path / "c.json").read_text())["model"] == model


def test_a_scenario_naming_the_export_matches_the_calibration(tmp_path, mlcarbon_bin, child_env):
    calibrate(SmallCnn(), torch.randn(8, 1, 16, 16), tmp_path, onnx_path=tmp_path / "m.onnx")
    assert "was made with model fingerprint" not in estimate_stderr(
        mlcarbon_bin, child_env, tmp_path, "m.onnx")
    # Another model is still told apart.
    assert "was made with model fingerprint" in estimate_stderr(
        mlcarbon_bin, child_env, tmp_path, "mlp:depth=1,width=8,inputs=4")


def test_a_module_onnx_cannot_express_still_calibrates(tmp_path, monkeypatch, mlcarbon_bin,
                                                       child_env):
    def refuse(*_args, **_kwargs):
        raise RuntimeError("Exporting the operator 'my_op' to ONNX opset version 14 "
                           "is not supported\nmore detail")

    monkeypatch.setattr(torch.onnx, "export", refuse)
    module = mlp()
    doc = calibrate(module, torch.randn(16, 32), tmp_path)
    model = doc["model"]
    assert model["forward_flops_per_sample"] == 0 == model["training_flops_per_sample"]
    assert model["parameters"] == sum(p.numel() for p in module.parameters())
    assert model["flops_note"].startswith(
        "torch.onnx.export failed (RuntimeError: Exporting the operator 'my_op'")
    assert model["flops_note"] in doc["warnings"]
    # The library's reader accepts it, and says the note again.
    stderr = estimate_stderr(mlcarbon_bin, child_env, tmp_path, "mlp:depth=1,width=8,inputs=4")
    assert "torch.onnx.export failed" in stderr


def test_without_a_description_the_block_says_why(monkeypatch):
    def unavailable(_path, **_kwargs):
        raise mlcarbon.UnavailableError("ONNX import: libmlcarbon_onnx.so not found", "")

    monkeypatch.setattr(mltorch, "describe_model", unavailable)
    module = mlp()
    block, notes = mltorch._model_block(module, torch.randn(4, 32), "m", None)
    assert block["forward_flops_per_sample"] == 0 and block["layers"] == 5
    assert notes == [block["flops_note"]]
    assert block["flops_note"].startswith(
        "mlcarbon could not describe the exported ONNX file (UnavailableError: ONNX import")


def test_operators_the_import_does_not_map_are_named():
    class Wavy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.dense = torch.nn.Linear(8, 8)

        def forward(self, x):
            return torch.cumsum(torch.sin(self.dense(x)), 1)

    block, notes = mltorch._model_block(Wavy(), torch.randn(4, 8), "wavy", None)
    # The dense layer's FLOPs (2 per weight, 1 per bias) and nothing for the rest.
    assert block["forward_flops_per_sample"] == 2 * 64 + 8
    assert notes == [block["flops_note"]]
    assert "(CumSum x1, Sin x1)" in block["flops_note"]
