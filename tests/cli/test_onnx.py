# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon model describe` on ONNX files exported by PyTorch: the
parameter count equals PyTorch's sum(p.numel()), FLOPs follow the
documented formulas, and a broken file is a clear error."""
import json

import pytest

from conftest import run

torch = pytest.importorskip(
    "torch", reason="needs Debian's python3-torch (run with /usr/bin/python3)")
pytest.importorskip(
    "onnx", reason="needs Debian's python3-onnx (run with /usr/bin/python3)")

# The exporter's tracer warnings are about the models, not about mlcarbon.
pytestmark = pytest.mark.filterwarnings("ignore")


def export(module, example, path, opset=13, training=False):
    """Exports `module` with a dynamic batch dimension, as users do."""
    mode = (torch.onnx.TrainingMode.TRAINING if training
            else torch.onnx.TrainingMode.EVAL)
    module.train(training)
    torch.onnx.export(module, example, str(path), opset_version=opset,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      training=mode)
    return path


def describe(mlcarbon, env, path):
    proc = run([mlcarbon, "model", "describe", str(path), "--json", "-"], env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def torch_params(module):
    return sum(p.numel() for p in module.parameters())


def test_mlp_parameters_and_flops_match_pytorch(mlcarbon, env, tmp_path):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(
        torch.nn.Linear(10, 32), torch.nn.ReLU(),
        torch.nn.Linear(32, 32), torch.nn.Tanh(),
        torch.nn.Linear(32, 3))
    doc = describe(mlcarbon, env,
                   export(mlp, torch.randn(2, 10), tmp_path / "mlp.onnx"))
    assert doc["totals"]["params"] == torch_params(mlp) == 1507
    assert doc["input_shape"] == [10]
    assert [l["type"] for l in doc["layers"]] == [
        "dense", "relu", "dense", "tanh", "dense"]
    # 2·in·out + out per dense layer, one per element per activation.
    dense = (2 * 10 * 32 + 32) + (2 * 32 * 32 + 32) + (2 * 32 * 3 + 3)
    assert doc["totals"]["forward_flops_per_sample"] == dense + 32 + 32
    assert doc["unsupported_ops"] == []


def test_cnn_parameters_match_pytorch(mlcarbon, env, tmp_path):
    torch.manual_seed(0)
    cnn = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 8, 3, groups=2), torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(8, 10), torch.nn.Dropout(0.2))
    # An eval-mode export folds the batch norm into the convolution before
    # it; a training-mode export keeps every parameter PyTorch counts.
    path = export(cnn, torch.randn(2, 1, 12, 12), tmp_path / "cnn.onnx",
                  training=True)
    doc = describe(mlcarbon, env, path)
    assert doc["totals"]["params"] == torch_params(cnn)
    assert doc["input_shape"] == [1, 12, 12]
    types = [l["type"] for l in doc["layers"]]
    assert types == ["conv2d", "batchnorm", "relu", "maxpool2d", "conv2d",
                     "relu", "avgpool2d", "flatten", "dense", "dropout"]
    grouped = doc["layers"][4]
    assert grouped["output_shape"] == [8, 4, 4]
    # Each of the 8·4·4 outputs reads 2 channels × 3·3 taps, plus its bias.
    assert grouped["forward_flops_per_sample"] == 8 * 4 * 4 * (2 * 18 + 1)
    assert doc["layers"][-1]["output_shape"] == [10]
    assert doc["unsupported_ops"] == []


def describe_file(mlcarbon, env, tmp_path, text):
    path = tmp_path / "same.yaml"
    path.write_text(text)
    return describe(mlcarbon, env, path)


@pytest.mark.parametrize("opset", [14, 17])
def test_transformer_encoder_layer_is_one_block(mlcarbon, env, tmp_path,
                                                opset):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(
        d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
    path = export(layer, torch.randn(2, 5, 16),
                  tmp_path / f"encoder{opset}.onnx", opset=opset)
    doc = describe(mlcarbon, env, path)
    assert doc["totals"]["params"] == torch_params(layer) == 2224
    assert doc["input_shape"] == [5, 16]
    assert [l["type"] for l in doc["layers"]] == ["transformer_encoder"]
    assert doc["unsupported_ops"] == []
    # The same block written as a model file counts the same.
    same = describe_file(mlcarbon, env, tmp_path, (
        "input: [5, 16]\n"
        "layers:\n  - transformer_encoder: {heads: 4, mlp_dim: 32}\n"))
    assert doc["totals"] == same["totals"]
    assert doc["fingerprint"] == same["fingerprint"]


def test_sequence_first_encoder_stack(mlcarbon, env, tmp_path):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(
        d_model=16, nhead=2, dim_feedforward=24)
    stack = torch.nn.TransformerEncoder(layer, num_layers=2,
                                        enable_nested_tensor=False).eval()
    path = tmp_path / "stack.onnx"
    # nn.Transformer's default layout: [sequence, batch, features].
    torch.onnx.export(stack, torch.randn(5, 2, 16), str(path),
                      opset_version=17, input_names=["x"],
                      dynamic_axes={"x": {1: "batch"}})
    doc = describe(mlcarbon, env, path)
    assert doc["totals"]["params"] == torch_params(stack)
    assert doc["input_shape"] == [5, 16]
    assert [(l["name"], l["type"]) for l in doc["layers"]] == [
        ("/layers.0", "transformer_encoder"),
        ("/layers.1", "transformer_encoder")]
    same = describe_file(mlcarbon, env, tmp_path, (
        "input: [5, 16]\nlayers:\n"
        "  - transformer_encoder: {heads: 2, mlp_dim: 24}\n"
        "  - transformer_encoder: {heads: 2, mlp_dim: 24}\n"))
    assert doc["totals"] == same["totals"]


def test_broken_onnx_files_are_clear_errors(mlcarbon, env, tmp_path):
    torch.manual_seed(0)
    good = export(torch.nn.Linear(4, 2), torch.randn(1, 4),
                  tmp_path / "good.onnx").read_bytes()
    cases = {
        "empty.onnx": b"",
        "truncated.onnx": good[: len(good) // 2],
        "text.onnx": b"this is not a protobuf\n",
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        proc = run([mlcarbon, "model", "describe", str(path)], env)
        assert proc.returncode != 0, name
        assert f"{path}: not an ONNX model" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "terminate" not in proc.stderr
