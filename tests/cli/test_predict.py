# SPDX-License-Identifier: Apache-2.0
"""Energy predicted from a machine profile: `model describe --predict` and
`estimate` with `energy_per_inference_j: predict`, and their errors."""
import json
import shutil

import pytest

from conftest import REPO, run

PROFILE = REPO / "tests" / "fixtures" / "profiles" / "small.json"
MLP = "mlp:depth=2,width=100,inputs=100"
TINY = "name: tiny\ninput: [8]\nlayers:\n  - dense: {units: 4}\n" \
       "  - tanh\n  - dense: {units: 1}\n"


def describe(mlcarbon, env, *args):
    return run([mlcarbon, "model", "describe", *args], env)


def test_describe_predicts_each_layer_and_every_predictor(mlcarbon, env):
    proc = describe(mlcarbon, env, MLP, "--predict", str(PROFILE),
                    "--json", "-")

    assert proc.returncode == 0, proc.stderr
    energy = json.loads(proc.stdout)["predicted_energy"]
    assert energy["method"] == "estimated"
    layers = energy["layers"]
    assert [l["name"] for l in layers] == [
        "dense_1", "relu_2", "dense_3", "relu_4", "dense_5"]
    # By hand from small.json (batch 10): a 100x100 dense layer has 20,100
    # FLOPs, 40,400 weight bytes (4,040 a sample) and 800 activation bytes:
    # 1e-9*20100 + 1e-10*4840 + 1e-4/10 J.
    assert layers[0]["inference_j_per_sample"] == pytest.approx(3.0584e-5)
    # relu: 2e-9 * 100 FLOPs + 5e-5/10 J.
    assert layers[1]["inference_j_per_sample"] == pytest.approx(5.2e-6)
    per_layer = energy["predictors"]["per-layer"]
    assert per_layer["inference_j_per_sample"] == pytest.approx(
        sum(l["inference_j_per_sample"] for l in layers))
    assert per_layer["overhead"] == pytest.approx(
        per_layer["training_j_per_sample"]
        / per_layer["inference_j_per_sample"])
    # 20,301 parameters: 2e-9 J each plus 1e-5 J.
    assert energy["predictors"]["parameters"]["inference_j_per_sample"] == \
        pytest.approx(2e-9 * 20301 + 1e-5)
    # 40,601 forward FLOPs: 1e-9 J each plus 1e-5 J.
    assert energy["predictors"]["flops"]["inference_j_per_sample"] == \
        pytest.approx(1e-9 * 40601 + 1e-5)
    assert energy["warnings"] == []


def test_describe_text_shows_the_predicted_table(mlcarbon, env):
    proc = describe(mlcarbon, env, MLP, "--predict", str(PROFILE))

    assert proc.returncode == 0, proc.stderr
    assert "Predicted energy (estimated; machine profile" in proc.stdout
    assert "dense_1  dense                3.06e-05" in proc.stdout
    assert "per-layer          8.18e-05" in proc.stdout


def test_a_type_missing_from_the_profile_is_named_not_zero(mlcarbon, env,
                                                           tmp_path):
    model = tmp_path / "tiny.yaml"
    model.write_text(TINY)

    proc = describe(mlcarbon, env, str(model), "--predict", str(PROFILE),
                    "--json", "-")

    assert proc.returncode == 0, proc.stderr
    energy = json.loads(proc.stdout)["predicted_energy"]
    tanh = energy["layers"][1]
    assert tanh["coefficients"] == "flops"
    # 4 elements at the FLOP predictor's 1e-9 J per FLOP.
    assert tanh["inference_j_per_sample"] == pytest.approx(4e-9)
    assert energy["warnings"] == [
        "layer type 'tanh' is not in the machine profile (no fit "
        "architecture had one); its layers use the FLOP predictor's J per "
        "FLOP"]


def test_a_bad_profile_names_the_file_and_field(mlcarbon, env, tmp_path):
    profile = json.loads(PROFILE.read_text())
    profile["predictors"]["flops"]["inference"]["j_per_flop"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(profile))

    proc = describe(mlcarbon, env, MLP, "--predict", str(bad))

    assert proc.returncode == 2
    assert (f"{bad}: predictors.flops.inference.j_per_flop: expected a "
            "non-negative number, got -1" in proc.stderr)


SCENARIO = """\
carbon_intensity_g_per_kwh: 400
profile: profiles/small.json
training:
  model: {model}
  samples: 1000
  epochs: 1
  energy_per_inference_j: {way}
"""


def estimate(mlcarbon, env, tmp_path, text, *args):
    (tmp_path / "profiles").mkdir(exist_ok=True)
    shutil.copy(PROFILE, tmp_path / "profiles" / "small.json")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(text)
    # From another folder: relative paths are the scenario's.
    return run([mlcarbon, "estimate", str(scenario), *args], env, cwd="/")


def test_estimate_predicts_from_a_profile_beside_the_scenario(mlcarbon, env,
                                                              tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    SCENARIO.format(model=MLP, way="predict"), "--json", "-")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    inputs = {i["field"]: i for i in report["model_inputs"]}
    i = inputs["training.energy_per_inference_j"]
    # Two dense 100x100 + relu pairs as in the describe test, and the
    # output layer: 1e-9*201 + 1e-10*(404/10 + 4*101) + 1e-4/10 J.
    assert i["value"] == pytest.approx(8.181344e-5)
    assert i["method"] == "estimated"
    assert i["source"].startswith(f"predicted per-layer for {MLP} from "
                                  "profiles/small.json")
    theta = inputs["training.overhead"]["value"]
    assert report["phases"]["training"]["device_energy_j"] == \
        pytest.approx(1000 * 8.181344e-5 * theta)


def test_estimate_warns_about_a_type_missing_from_the_profile(mlcarbon, env,
                                                              tmp_path):
    (tmp_path / "tiny.yaml").write_text(TINY)

    proc = estimate(mlcarbon, env, tmp_path,
                    SCENARIO.format(model="tiny.yaml", way="predict"))

    assert proc.returncode == 0, proc.stderr
    assert ("s.yaml:4:10: training.model: layer type 'tanh' is not in the "
            "machine profile" in proc.stderr)


@pytest.mark.parametrize("text,message", [
    (SCENARIO.format(model="missing.yaml", way="predict"),
     "s.yaml:4:10: training.model: "),
    (SCENARIO.format(model=MLP, way="predict").replace(
        "profile: profiles/small.json\n", ""),
     "s.yaml:6:27: training.energy_per_inference_j: 'predict' needs a "
     "machine profile"),
    (SCENARIO.format(model=MLP, way="predict").replace(
        "profiles/small.json", "profiles/none.json"),
     "s.yaml:2:10: profile: "),
    (SCENARIO.format(model=MLP, way="foo"),
     "s.yaml:7:27: training.energy_per_inference_j: expected a number (J), "
     "a range [low, high], 'value ± percent', 'predict' or 'calibrate', got "
     "'foo'"),
])
def test_estimate_errors_carry_the_scenario_position(mlcarbon, env, tmp_path,
                                                     text, message):
    proc = estimate(mlcarbon, env, tmp_path, text)

    assert proc.returncode != 0
    assert proc.stdout == ""
    assert message in proc.stderr


def test_a_missing_model_file_is_named(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    SCENARIO.format(model="missing.yaml", way="predict"))

    assert proc.returncode == 2
    assert "missing.yaml" in proc.stderr


def test_calibrate_without_the_engine_names_the_field_and_the_remedy(
        mlcarbon, env, tmp_path):
    env["MLCARBON_ENGINE"] = "/nonexistent"
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    proc = estimate(mlcarbon, env, tmp_path,
                    SCENARIO.format(model=MLP, way="calibrate"))

    assert proc.returncode == 1
    assert proc.stdout == ""
    assert ("s.yaml:7:27: training.energy_per_inference_j: calibrate"
            in proc.stderr), proc.stderr
    assert "/nonexistent" in proc.stderr and "hint:" in proc.stderr
