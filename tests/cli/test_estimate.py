# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon estimate` on hostile input: errors with a position, never a
report of inf or NaN, and bounded memory."""
import pytest

from conftest import run

OVERFLOW = ("carbon_intensity_g_per_kwh: 400\n"
            "training: {samples: 1e308, epochs: 10, "
            "energy_per_inference_j: 0.1}\n")
SERVING = ("carbon_intensity_g_per_kwh: 400\n"
           "inference: {energy_per_call_j: 10, calls: 1000}\n")


def estimate(mlcarbon, env, tmp_path, text, *args, name="s.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return run([mlcarbon, "estimate", str(path), *args], env, cwd=tmp_path)


@pytest.mark.parametrize("export", [[], ["--json", "-"], ["--csv", "-"]])
def test_overflow_is_an_error_not_inf(mlcarbon, env, tmp_path, export):
    proc = estimate(mlcarbon, env, tmp_path, OVERFLOW, *export)

    assert proc.returncode == 2, proc.stdout
    assert proc.stdout == ""
    assert ("the training energy is inf J, not a finite number; it is "
            "computed from training.samples, training.epochs, "
            "training.energy_per_inference_j, training.overhead"
            in proc.stderr)


def test_overflow_through_a_what_if_names_the_what_if(mlcarbon, env,
                                                      tmp_path):
    proc = estimate(mlcarbon, env, tmp_path, SERVING,
                    "--what-if", "inference.calls=1e308")

    assert proc.returncode == 2, proc.stdout
    assert "inference.energy_per_call_j, inference.calls" in proc.stderr
    assert "inf" not in proc.stdout and "nan" not in proc.stdout


def test_a_sweep_beyond_the_budget_is_refused(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path, SERVING,
                    "--sweep", "inference.calls=1:1e10:1000000", "--json", "-")

    assert proc.returncode == 2
    assert proc.stdout == ""
    assert ("1000000 points are more than the 100000 a sweep may have"
            in proc.stderr)


def test_a_sweep_at_the_budget_runs(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path, SERVING,
                    "--sweep", "inference.calls=1:1e10:100000", "--csv", "-")

    assert proc.returncode == 0, proc.stderr
    # A header, then a phase row and a total row per point and for the base.
    assert proc.stdout.count("\n") == 1 + 2 * (100000 + 1)


def test_non_utf8_name_is_an_error_with_its_position(mlcarbon, env,
                                                      tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    b"name: caf\xe9\n" + SERVING.encode(), "--json", "-")

    assert proc.returncode == 1
    assert proc.stdout == ""
    assert ("s.yaml:1:10: byte 0xE9 is not UTF-8; save the scenario as UTF-8"
            in proc.stderr)


def test_a_second_document_is_an_error(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    SERVING + "---\ntraining: {energy_kwh: 1}\n")

    assert proc.returncode == 1
    assert ("s.yaml:4: a second YAML document; put one scenario per file"
            in proc.stderr)


def test_deep_nesting_says_so(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    "description: " + "[" * 3000 + "]" * 3000 + "\n" + SERVING)

    assert proc.returncode == 1
    assert "nested more than 32 levels deep" in proc.stderr
    assert "bad file" not in proc.stderr


def test_a_file_over_the_limit_is_refused_before_reading(mlcarbon, env,
                                                         tmp_path):
    text = SERVING + "#" * (3 << 20) + "\n"

    proc = estimate(mlcarbon, env, tmp_path, text)

    assert proc.returncode == 1
    assert ("s.yaml: the file has 3145809 bytes; a scenario may have at most "
            "2097152 (2 MiB)" in proc.stderr)


def test_a_run_file_of_another_schema_is_refused(mlcarbon, env, tmp_path):
    (tmp_path / "run.json").write_text(
        '{"schema_version": 99, "tool": "mlcarbon", "kind": "run", '
        '"energy": {"total_j": 1.0}}')

    proc = estimate(mlcarbon, env, tmp_path,
                    "region: DE\ntraining: {measured_run: run.json}\n")

    assert proc.returncode == 2
    assert ("measured_run 'run.json' has schema_version 99; this mlcarbon "
            "reads run files of schema_version 1" in proc.stderr)


def test_a_byte_order_mark_is_skipped(mlcarbon, env, tmp_path):
    proc = estimate(mlcarbon, env, tmp_path,
                    b"\xef\xbb\xbf" + SERVING.encode(), "--json", "-")

    assert proc.returncode == 0, proc.stderr
    assert '"tool": "mlcarbon"' in proc.stdout
