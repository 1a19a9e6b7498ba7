# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon sensors`: a sensor name that does not exist is an error."""
from conftest import run


def test_unknown_sensor_name_is_an_error_with_a_suggestion(mlcarbon, env):
    proc = run([mlcarbon, "sensors", "--sensors", "rapl-powercp"], env)
    assert proc.returncode == 2, proc.stderr
    assert "unknown sensor 'rapl-powercp'" in proc.stderr
    assert "did you mean 'rapl-powercap'" in proc.stderr


def test_named_sensor_that_is_unavailable_is_listed_with_its_reason(
        mlcarbon, env, tmp_path):
    proc = run([mlcarbon, "sensors", "--sensors", "rapl-powercap",
                "--powercap-root", str(tmp_path / "none")], env)
    assert "unknown sensor" not in proc.stderr
    assert "rapl-powercap" in proc.stdout
