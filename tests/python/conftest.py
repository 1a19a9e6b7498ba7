# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: a private history, the CLI binary when built."""
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "serial: compares CPU time with the machine's; runs alone")


@pytest.fixture(autouse=True)
def private_env(tmp_path, monkeypatch):
    """No region from the environment, a private history, UTC."""
    for key in list(os.environ):
        if key.startswith("MLCARBON_") and key not in (
            "MLCARBON_BIN", "MLCARBON_BUILD_DIR", "MLCARBON_CAPI_LIB"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("TZ", "Etc/UTC")


@pytest.fixture(scope="session")
def mlcarbon_bin():
    path = os.environ.get("MLCARBON_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.skip("the mlcarbon CLI is not built (MLCARBON_BIN unset)")
    return path


@pytest.fixture
def child_env(tmp_path):
    """The environment for a Python subprocess that imports mlcarbon."""
    env = dict(os.environ)
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    env["TZ"] = "Etc/UTC"
    env["NO_COLOR"] = "1"
    return env
