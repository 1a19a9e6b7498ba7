# SPDX-License-Identifier: Apache-2.0
"""What the pytest suites against the mlcarbon binary share: the binary, a
clean environment, running a command, the engine plugin, and the helpers
for servers a test starts. Each suite's conftest.py imports the fixtures
from here."""
import os
import pathlib
import signal
import socket
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def run(cmd, env=None, timeout=120, **kwargs):
    return subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def require(found, what):
    """`found`, or a skip with the reason (a failure when CI is set)."""
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not installed; scripts/install-deps.sh "
                    "installs it and CI runs this test")
    pytest.skip(f"{what} is not installed")


def engine_plugin_or_skip():
    """The LibTorch engine plugin the build made, or a skip saying why
    there is none."""
    plugin = os.environ.get("ENGINE_PLUGIN_FOR_TESTS", "")
    if not plugin or not pathlib.Path(plugin).exists():
        pytest.skip(os.environ.get("ENGINE_SKIP_REASON_FOR_TESTS") or
                    "the LibTorch engine plugin is not built (sanitizer "
                    "builds never build it)")
    return plugin


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM, grace=20):
    """Stops a server this test started, by its own process."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def register_serial_mark(config):
    config.addinivalue_line(
        "markers", "serial: compares CPU time with the machine's; runs alone")


@pytest.fixture(scope="session")
def mlcarbon():
    path = os.environ.get("MLCARBON_BIN") or str(
        REPO / "build" / "ci" / "src" / "cli" / "mlcarbon")
    if not os.access(path, os.X_OK):
        pytest.fail(f"mlcarbon binary not found at {path}; set MLCARBON_BIN")
    return path


@pytest.fixture
def env(tmp_path):
    """An environment with no colour, no MLCARBON_ settings, a private
    history and no config file."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("MLCARBON_")}
    e["NO_COLOR"] = "1"
    e["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    # No config file of the user's pins power figures in tests.
    e["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    e["TZ"] = "Etc/UTC"
    return e
