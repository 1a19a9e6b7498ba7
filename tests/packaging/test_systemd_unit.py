# SPDX-License-Identifier: Apache-2.0
"""packaging/mlcarbon-serve.service: systemd-analyze verifies it, it runs
the installed CLI's `serve` with options that exist, and a system call its
filter denies fails instead of killing the exporter."""
import re
import shlex
import shutil

import pytest

from conftest import REPO, require, run

UNIT = REPO / "packaging" / "mlcarbon-serve.service"
# Where `cmake --install --prefix /usr` puts the CLI (install(TARGETS
# mlcarbon RUNTIME DESTINATION bin)).
INSTALLED = "/usr/bin/mlcarbon"


def parse(text):
    """{section: {key: [values]}}: keys repeat in units."""
    sections = {}
    current = None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, \
            f"{UNIT}:{number}: expected [Section] or Key=value, got {line!r}"
        key, value = line.split("=", 1)
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


@pytest.fixture(scope="module")
def unit():
    return parse(UNIT.read_text())


def environment(values):
    """The variables of Environment= values (quoted as systemd quotes)."""
    out = {}
    for value in values:
        for word in shlex.split(value):
            key, _, setting = word.partition("=")
            out[key] = setting
    return out


def test_systemd_analyze_verifies_the_unit(mlcarbon, tmp_path):
    analyze = require(shutil.which("systemd-analyze"), "systemd-analyze")
    # The unit as installed, with the CLI this build made at its path.
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} " in text
    copy = tmp_path / UNIT.name
    copy.write_text(text.replace(f"ExecStart={INSTALLED} ",
                                 f"ExecStart={mlcarbon} "))

    r = run([analyze, "verify", "--man=no", str(copy)])

    assert r.returncode == 0 and r.stdout + r.stderr == "", \
        f"systemd-analyze verify {UNIT}:\n{r.stdout}{r.stderr}"


def test_exec_start_runs_serve_with_the_environments_words(unit):
    service = unit["Service"]
    assert len(service["ExecStart"]) == 1
    words = service["ExecStart"][0].split()
    assert words[:2] == [INSTALLED, "serve"], words
    # $VAR, not ${VAR}: systemd splits it into one argument a word.
    for word in words[2:]:
        name = re.fullmatch(r"\$([A-Z_]+)", word)
        assert name, f"ExecStart passes {word!r}; expected $VARIABLE"
        assert name.group(1) in environment(service["Environment"]), \
            f"ExecStart uses ${name.group(1)}, which no Environment= sets"


def test_every_option_the_unit_and_its_comments_give_serve_exists(
        unit, mlcarbon, env):
    help_text = run([mlcarbon, "serve", "--help"], env)
    assert help_text.returncode == 0, help_text.stderr
    # With the example in the header comment, which users copy.
    examples = re.findall(r"^#\s+Environment=(.*)$", UNIT.read_text(), re.M)
    given = []
    for value in [*unit["Service"]["Environment"], *examples]:
        given += shlex.split(
            environment([value]).get("MLCARBON_SERVE_ARGS", ""))
    options = [w for w in given if w.startswith("--")]
    assert "--listen" in options
    for option in options:
        assert re.search(rf"(^|\s){re.escape(option)}\b", help_text.stdout,
                         re.M), f"{option} is not in `mlcarbon serve --help`"


def test_a_denied_system_call_fails_instead_of_killing(unit):
    # The sensors probe perf_event_open (rapl-perf), which @system-service
    # leaves out: the default action would kill the service at start.
    service = unit["Service"]
    assert service.get("SystemCallFilter")
    assert service.get("SystemCallErrorNumber") == ["EPERM"]
