# SPDX-License-Identifier: Apache-2.0
"""Heavy libraries load only in the commands that need them: the mlcarbon
program, libmlcarbon.so and the Python module link none of LibTorch,
protobuf, libpq or cpp-httplib; those live in plugins under lib/mlcarbon,
found next to the program as installed, and a missing plugin is a clear
error while the SQLite history keeps working."""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import run

# What the plugins hold, and what libpq and cpp-httplib pull in.
HEAVY = re.compile(r"torch|protobuf|onnx|libpq|httplib|libssl|libcrypto|"
                   r"krb5|gssapi|ldap|sasl")
PLUGIN_DIR = pathlib.Path(os.environ.get("MLCARBON_PLUGIN_DIR", ""))
URI = "postgresql://ann:s3cret@127.0.0.1:1/runs"
SHOWN = "postgresql://ann:***@127.0.0.1:1/runs"


def linked(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True,
                         check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def built_objects(mlcarbon):
    objects = [mlcarbon]
    if os.environ.get("MLCARBON_LIB"):
        objects.append(os.environ["MLCARBON_LIB"])
    python_dir = os.environ.get("MLCARBON_PYTHON_DIR")
    if python_dir:
        objects += [str(p) for p in
                    pathlib.Path(python_dir, "mlcarbon").glob("_mlcarbon*.so")]
    return objects


def test_no_heavy_library_is_linked(mlcarbon):
    objects = built_objects(mlcarbon)
    if os.environ.get("CI"):
        assert len(objects) >= 2, "MLCARBON_LIB is not set"
    for path in objects:
        heavy = [lib for lib in linked(path) if HEAVY.search(lib)]
        assert heavy == [], f"{path} links {heavy}"


def plugin(name):
    path = PLUGIN_DIR / f"libmlcarbon_{name}.so"
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} was not built")
        pytest.skip(f"{path} was not built (libpq-dev or cpp-httplib "
                    "missing when configuring)")
    return path


@pytest.fixture(scope="module")
def prefix(mlcarbon, tmp_path_factory):
    """An install layout outside the build tree, <prefix>/bin/mlcarbon, with
    no lib/mlcarbon: its plugins are those a test links in."""
    root = tmp_path_factory.mktemp("prefix")
    (root / "bin").mkdir()
    exe = root / "bin" / "mlcarbon"
    try:
        os.link(mlcarbon, exe)
    except OSError:
        shutil.copy2(mlcarbon, exe)
    return root


@pytest.fixture
def installed(prefix):
    """Links the named built plugins into <prefix>/lib/mlcarbon."""
    folder = prefix / "lib" / "mlcarbon"

    def install(*names):
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            (folder / f"libmlcarbon_{name}.so").symlink_to(plugin(name))

    yield install
    shutil.rmtree(prefix / "lib", ignore_errors=True)


def test_postgresql_without_its_plugin_says_how_to_get_it(prefix, env):
    proc = run([prefix / "bin" / "mlcarbon", "history", "--db", URI], env)

    assert proc.returncode != 0
    assert "the PostgreSQL history plugin not found" in proc.stderr
    assert str(prefix / "lib" / "mlcarbon" / "libmlcarbon_postgres.so") \
        in proc.stderr
    assert SHOWN in proc.stderr
    assert "libpq-dev" in proc.stderr
    assert "s3cret" not in proc.stderr


def test_installed_postgresql_plugin_is_loaded(prefix, env, installed):
    installed("postgres")

    proc = run([prefix / "bin" / "mlcarbon", "history", "--db", URI], env)

    # The plugin loaded and libpq tried the (closed) port.
    assert proc.returncode != 0
    assert f"cannot connect to the history {SHOWN}" in proc.stderr
    assert "plugin" not in proc.stderr


def test_sqlite_history_needs_no_plugin(prefix, env, tmp_path):
    db = tmp_path / "runs.db"
    exe = prefix / "bin" / "mlcarbon"

    measured = run([exe, "measure", "--sensors", "cpu-model,memory-model",
                    "--db", db, "--quiet", "--", "true"], env)
    listed = run([exe, "history", "--db", db, "--json"], env)

    assert measured.returncode == 0, measured.stderr
    assert listed.returncode == 0, listed.stderr
    assert '"command": "true"' in listed.stdout


def test_serve_without_its_plugin_says_how_to_get_it(prefix, env):
    proc = run([prefix / "bin" / "mlcarbon", "serve", "--listen",
                "127.0.0.1:0", "--no-cgroups", "--sensors",
                "cpu-model,memory-model"], env)

    assert proc.returncode != 0
    assert "the HTTP server plugin not found" in proc.stderr
    assert "cpp-httplib" in proc.stderr
