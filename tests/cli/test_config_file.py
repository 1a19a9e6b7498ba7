# SPDX-License-Identifier: Apache-2.0
"""The power config file ($XDG_CONFIG_HOME/mlcarbon/config.yaml): each
command that detects sensors opens it exactly once, and reports a bad one
with its file, line and what was expected."""
import ctypes
import os
import socket
import struct

import pytest

from conftest import engine_plugin_or_skip, run

IN_OPEN = 0x20
IN_CLOSE_NOWRITE = 0x10
BAD = "power:\n  tdp_w: lots\n"
MODEL = "mlp:depth=2,width=16,inputs=8"


class Opens:
    """Counts the opens of one file by any process, with inotify: the
    kernel reports each open(2) of the watched file as it happens. Closes
    are watched too, as the kernel merges an event into an unread one just
    like it: open, close, open, close stay four events."""

    def __init__(self, path):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            pytest.fail(f"inotify_init1: {os.strerror(ctypes.get_errno())}")
        if libc.inotify_add_watch(self.fd, os.fsencode(path),
                                  IN_OPEN | IN_CLOSE_NOWRITE) < 0:
            os.close(self.fd)
            pytest.fail(f"inotify_add_watch {path}: "
                        f"{os.strerror(ctypes.get_errno())}")

    def count(self):
        n = 0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return n
            offset = 0
            while offset < len(data):
                _, mask, _, size = struct.unpack_from("iIII", data, offset)
                n += 1 if mask & IN_OPEN else 0
                offset += struct.calcsize("iIII") + size

    def close(self):
        os.close(self.fd)


@pytest.fixture
def config(env, tmp_path):
    path = tmp_path / "xdg-config" / "mlcarbon" / "config.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("power:\n  tdp_w: 100\n  memory_watts_per_gb: 0.5\n")
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    return path


@pytest.fixture
def busy_port():
    """A loopback port this test holds, so that `serve` detects its sensors
    and then fails to listen, without serving."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def commands(mlcarbon, port):
    return {
        "sensors": [mlcarbon, "sensors", "--sensors",
                    "cpu-model,memory-model"],
        "measure": [mlcarbon, "measure", "--no-history", "--sensors",
                    "cpu-model,memory-model", "--", "true"],
        "serve": [mlcarbon, "serve", "--no-cgroups", "--sensors",
                  "cpu-model,memory-model", "--listen", f"127.0.0.1:{port}"],
    }


def opens_of(config, cmd, env):
    opens = Opens(config)
    try:
        r = run(cmd, env)
        return r, opens.count()
    finally:
        opens.close()


def test_each_command_opens_the_config_file_once(mlcarbon, env, config,
                                                 busy_port):
    for name, cmd in commands(mlcarbon, busy_port).items():
        r, n = opens_of(config, cmd, env)
        if name == "serve":
            assert r.returncode != 0 and "127.0.0.1" in r.stderr, r.stderr
        else:
            assert r.returncode == 0, (name, r.stderr)
        assert n == 1, f"{name} opened {config} {n} times"


def test_each_command_reports_a_bad_config_file(mlcarbon, env, config,
                                               busy_port):
    config.write_text(BAD)
    for name, cmd in commands(mlcarbon, busy_port).items():
        r = run(cmd, env)
        assert r.returncode == 2, (name, r.stderr)
        assert (f"mlcarbon: error: {config}:2:10: power.tdp_w: expected a "
                "TDP in watts") in r.stderr, (name, r.stderr)


@pytest.mark.serial
def test_calibrate_opens_the_config_file_once_and_reports_a_bad_one(
        mlcarbon, env, config):
    engine_plugin_or_skip()
    cmd = [mlcarbon, "calibrate", MODEL, "--budget", "1s", "--no-cache",
           "--sensors", "cpu-model,memory-model"]
    r, n = opens_of(config, cmd, env)
    assert r.returncode == 0, r.stderr
    assert n == 1, f"calibrate opened {config} {n} times"

    config.write_text(BAD)
    r = run(cmd, env)
    assert r.returncode == 2, r.stderr
    assert f"{config}:2:10: power.tdp_w: expected a TDP in watts" in r.stderr
