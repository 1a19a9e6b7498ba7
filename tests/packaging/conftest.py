# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the packaging tests (shared in tests/pytest_common)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from pytest_common import (  # noqa: E402,F401 (fixtures and helpers)
    REPO, env, mlcarbon, require, run)
