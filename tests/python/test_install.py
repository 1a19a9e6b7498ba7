# SPDX-License-Identifier: Apache-2.0
"""`pip install --no-build-isolation .` from the source tree gives a module
that works away from the tree, with its data tables compiled in."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_pip_install_into_a_target_folder(tmp_path, child_env):
    build = os.environ.get("MLCARBON_BUILD_DIR")
    if not build:
        pytest.skip("MLCARBON_BUILD_DIR unset: a fresh build would take minutes")
    site = tmp_path / "site"
    env = dict(child_env, MLCARBON_BUILD_DIR=build)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
         "--no-index", "--disable-pip-version-check", "--no-cache-dir", "--quiet",
         "--target", str(site), str(REPO)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = site / "mlcarbon"
    for name in ("__init__.py", "__init__.pyi", "py.typed", "compat.py", "torch.py"):
        assert (installed / name).exists(), name
    assert list(installed.glob("_mlcarbon*.so"))

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    check = (
        "import mlcarbon, pathlib\n"
        "print(pathlib.Path(mlcarbon.__file__).parent)\n"
        "codes = {r['code'] for r in mlcarbon.regions()}\n"
        "assert {'DE', 'WORLD', 'gcp:europe-west3'} <= codes, len(codes)\n"
        "with mlcarbon.Tracker(region='FR', db=False) as t: pass\n"
        "assert t.run['carbon']['intensity_g_per_kwh'] > 0\n"
        # The PostgreSQL plugin installed beside the extension is loaded:
        # libpq itself says the port is closed.
        "try:\n"
        "    mlcarbon.history(db='postgresql://127.0.0.1:1/runs')\n"
        "except mlcarbon.UnavailableError as e:\n"
        "    assert 'cannot connect to the history' in str(e), str(e)\n"
        "else:\n"
        "    raise AssertionError('no error')\n"
    )
    if (pathlib.Path(build) / "lib" / "mlcarbon" / "libmlcarbon_onnx.so").exists():
        # So is the ONNX plugin: it, not a missing plugin, rejects the bytes.
        (elsewhere / "bad.onnx").write_bytes(b"\x08\x07garbage")
        check += (
            "try:\n"
            "    mlcarbon.describe_model('bad.onnx')\n"
            "except mlcarbon.ParseError as e:\n"
            "    assert 'bad.onnx' in str(e), str(e)\n"
            "else:\n"
            "    raise AssertionError('no error')\n"
        )
    run_env = dict(child_env, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-c", check], cwd=elsewhere, env=run_env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(installed)
