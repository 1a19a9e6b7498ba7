# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the CLI tests: the mlcarbon binary and a clean env (shared
with the other suites in tests/pytest_common)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from pytest_common import (  # noqa: E402,F401 (fixtures and helpers)
    REPO, engine_plugin_or_skip, env, mlcarbon, register_serial_mark, run)


def pytest_configure(config):
    register_serial_mark(config)
