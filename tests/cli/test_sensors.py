# SPDX-License-Identifier: Apache-2.0
"""`mlcarbon sensors`: a sensor name that does not exist is an error; the
machine kind, the CPU and memory models and the figures pinned by flags or
the config file are shown with where they came from."""
import json

from conftest import REPO, run


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


def _machine_env(env, name):
    fixture = REPO / "tests" / "fixtures" / "machine" / name
    e = dict(env)
    e["MLCARBON_PROC_ROOT"] = str(fixture / "proc")
    e["MLCARBON_DMI_ROOT"] = str(fixture / "dmi")
    e["MLCARBON_HYPERVISOR_ROOT"] = str(fixture / "hypervisor")
    e["MLCARBON_POWERCAP_ROOT"] = "/nonexistent/powercap"
    e["MLCARBON_MSR_ROOT"] = "/nonexistent/msr"
    e["MLCARBON_NVML_LIBRARY"] = "/nonexistent/libnvidia-ml.so.1"
    return e


def test_sensors_shows_machine_and_per_vcpu_model_on_a_vm(mlcarbon, env):
    e = _machine_env(env, "gce")
    proc = run([mlcarbon, "sensors", "--json", "--sensors",
                "cpu-model,memory-model"], e)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["machine"]["kind"] == "vm"
    assert doc["machine"]["cloud"] == "gcp"
    cpu = next(s for s in doc["sensors"] if s["name"] == "cpu-model")
    assert cpu["cpu"]["power_model"] == "linear"
    assert cpu["cpu"]["family"] == "intel-cascade-lake"
    assert cpu["cpu"]["min_w_per_unit"] == 0.64
    assert cpu["cpu"]["origin"] == \
        "table data/cpu_vm_watts.csv row gcp/intel-cascade-lake"
    assert cpu["band"]["low"] < 1 < cpu["band"]["high"]
    mem = next(s for s in doc["sensors"] if s["name"] == "memory-model")
    assert mem["memory"]["installed_bytes"] == 16 << 30


def test_overrides_from_flag_and_config_say_where_they_came_from(
        mlcarbon, env, tmp_path):
    e = _machine_env(env, "bare_metal")
    config = tmp_path / "xdg-config" / "mlcarbon" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("power:\n  tdp_w: 100\n  memory_watts_per_gb: 0.5\n")
    proc = run([mlcarbon, "sensors", "--sensors", "cpu-model,memory-model",
                "--memory-watts-per-gb", "0.25"], e)
    assert proc.returncode == 0, proc.stderr
    assert "bare-metal" in proc.stdout
    assert f"figures from: config file {config}:2" in proc.stdout
    assert "figures from: flag --memory-watts-per-gb" in proc.stdout

    config.write_text("power:\n  tdp_w: lots\n")
    proc = run([mlcarbon, "sensors"], e)
    assert proc.returncode == 2, proc.stderr
    assert f"{config}:2:10: power.tdp_w: expected a TDP in watts" in proc.stderr

    proc = run([mlcarbon, "sensors", "--cpu-watts", "5"], env)
    assert proc.returncode == 2
    assert "flag --cpu-watts: expected MIN:MAX" in proc.stderr
