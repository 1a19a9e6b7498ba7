# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures for the CLI tests: the mlcarbon binary and a clean env."""
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: compares CPU time with the machine's; runs alone")


@pytest.fixture(scope="session")
def mlcarbon():
    path = os.environ.get("MLCARBON_BIN")
    if not path:
        path = str(REPO / "build" / "ci" / "src" / "cli" / "mlcarbon")
    if not os.access(path, os.X_OK):
        pytest.fail(f"mlcarbon binary not found at {path}; set MLCARBON_BIN")
    return path


@pytest.fixture
def env(tmp_path):
    """An environment with no colour, no region and a private history."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("MLCARBON_")}
    e["NO_COLOR"] = "1"
    e["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    e["TZ"] = "Etc/UTC"
    return e


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)
