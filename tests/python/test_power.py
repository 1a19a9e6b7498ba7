# SPDX-License-Identifier: Apache-2.0
"""Power-model figures given per call (cpu_watts, tdp_watts,
memory_watts_per_gb): checked as the CLI's flags are, named as the figures'
origin in the run, and giving the same power from Python, the C API and the
CLI on the same fixture machine."""
import ctypes
import json
import os
import pathlib
import subprocess
import warnings

import pytest

import mlcarbon
from mlcarbon import compat

REPO = pathlib.Path(__file__).resolve().parents[2]

# A 2-vCPU KVM guest whose /proc/stat stands still: the load is 0, so the
# CPU model draws 2 x MIN watts (docs/models.md, "CPU on a VM").
KVM = REPO / "tests" / "fixtures" / "machine" / "kvm"
BARE_METAL = REPO / "tests" / "fixtures" / "machine" / "bare_metal"


def _machine(monkeypatch, tmp_path, fixture):
    env = {
        "MLCARBON_PROC_ROOT": str(fixture / "proc"),
        "MLCARBON_DMI_ROOT": str(fixture / "dmi"),
        "MLCARBON_HYPERVISOR_ROOT": str(fixture / "hypervisor"),
        "MLCARBON_POWERCAP_ROOT": "/nonexistent/powercap",
        "MLCARBON_MSR_ROOT": "/nonexistent/msr",
        "MLCARBON_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1",
        # No config file of the user's: the arguments alone pin figures.
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def kvm(monkeypatch, tmp_path):
    return _machine(monkeypatch, tmp_path, KVM)


def _cpu(doc):
    return next(d for d in doc["energy"]["domains"] if d["kind"] == "cpu")


def python_run(**power):
    tracker = mlcarbon.Tracker(region="FR", db=False, interval=0.05, sensors=["cpu-model"],
                               **power)
    with tracker:
        sum(i * i for i in range(200_000))
    return tracker.run.to_dict()


def cli_run(env, tmp_path, *flags):
    binary = os.environ.get("MLCARBON_BIN")
    if not binary:
        pytest.skip("the mlcarbon CLI is not built (MLCARBON_BIN unset)")
    out = tmp_path / "cli.json"
    proc = subprocess.run([binary, "measure", "--sensors", "cpu-model", "--region", "FR",
                           "--interval", "50ms", "--no-history", "-q", "--json", str(out),
                           *flags, "--", "sleep", "0.2"],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text())


class _Options(ctypes.Structure):
    # mlcarbon_tracker_options (include/mlcarbon/mlcarbon.h), in its order.
    _fields_ = [("project", ctypes.c_char_p), ("region", ctypes.c_char_p),
                ("interval_s", ctypes.c_double),
                ("tags", ctypes.POINTER(ctypes.c_char_p)), ("tag_count", ctypes.c_size_t),
                ("history_db", ctypes.c_char_p), ("sensors", ctypes.c_char_p),
                ("carbon_intensity", ctypes.c_double), ("pue", ctypes.c_double)]


def capi_run(min_w, max_w):
    path = os.environ.get("MLCARBON_CAPI_LIB")
    if not path:
        pytest.skip("the C API library is not built (MLCARBON_CAPI_LIB unset)")
    lib = ctypes.CDLL(path)
    lib.mlcarbon_last_error.restype = ctypes.c_char_p
    lib.mlcarbon_tracker_set_cpu_watts.argtypes = [ctypes.c_void_p, ctypes.c_double,
                                                   ctypes.c_double]
    for name in ("mlcarbon_tracker_start", "mlcarbon_tracker_free"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
    lib.mlcarbon_tracker_stop.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    lib.mlcarbon_string_free.argtypes = [ctypes.c_void_p]
    options = _Options()
    lib.mlcarbon_tracker_options_init(ctypes.byref(options))
    options.region, options.sensors, options.interval_s = b"FR", b"cpu-model", 0.05
    tracker = ctypes.c_void_p()

    def ok(status):
        assert status == 0, lib.mlcarbon_last_error().decode()

    ok(lib.mlcarbon_tracker_create(ctypes.byref(options), ctypes.byref(tracker)))
    try:
        ok(lib.mlcarbon_tracker_set_cpu_watts(tracker, min_w, max_w))
        ok(lib.mlcarbon_tracker_start(tracker))
        sum(i * i for i in range(200_000))
        text = ctypes.c_void_p()
        ok(lib.mlcarbon_tracker_stop(tracker, ctypes.byref(text), None))
        try:
            return json.loads(ctypes.string_at(text).decode())
        finally:
            lib.mlcarbon_string_free(text)
    finally:
        lib.mlcarbon_tracker_free(tracker)


def test_cpu_watts_give_the_same_power_from_python_c_and_the_cli(kvm, tmp_path):
    runs = {
        "python": (python_run(cpu_watts=(1, 4)), python_run(cpu_watts="2:8")),
        "c": (capi_run(1, 4), capi_run(2, 8)),
        "cli": (cli_run(kvm, tmp_path, "--cpu-watts", "1:4"),
                cli_run(kvm, tmp_path, "--cpu-watts", "2:8")),
    }
    origin = {"python": "(argument cpu_watts)", "c": "(C API mlcarbon_tracker_set_cpu_watts)",
              "cli": "(flag --cpu-watts)"}
    for front_end, (base, doubled) in runs.items():
        cpu = _cpu(base)
        assert cpu["method"] == "estimated"
        assert cpu["description"].endswith(origin[front_end]), cpu["description"]
        assert any(origin[front_end] in s["description"]
                   for s in base["context"]["sensors"]), front_end
        # 2 vCPUs x 1 W at zero load, then twice that.
        assert cpu["average_power_w"] == pytest.approx(2.0, rel=0.02), front_end
        assert _cpu(doubled)["average_power_w"] == pytest.approx(4.0, rel=0.02), front_end
        assert doubled["energy"]["total_j"] / doubled["duration_s"] == pytest.approx(
            2 * base["energy"]["total_j"] / base["duration_s"], rel=0.05), front_end


def test_memory_watts_per_gb_scales_the_memory_power(kvm):
    def memory(x):
        tracker = mlcarbon.Tracker(region="FR", db=False, interval=0.05,
                                   sensors=["memory-model"], memory_watts_per_gb=x)
        with tracker:
            sum(i * i for i in range(100_000))
        doc = tracker.run.to_dict()
        return next(d for d in doc["energy"]["domains"] if d["kind"] == "memory")

    base, doubled = memory(0.25), memory(0.5)

    assert base["description"].endswith("(argument memory_watts_per_gb)")
    # 16 GiB installed on the fixture: 4 W, then twice that.
    assert base["average_power_w"] == pytest.approx(4.0, rel=0.02)
    assert doubled["average_power_w"] == pytest.approx(8.0, rel=0.02)


def test_tdp_and_memory_figures_reach_the_sensors(monkeypatch, tmp_path):
    _machine(monkeypatch, tmp_path, BARE_METAL)

    found = mlcarbon.sensors(tdp_watts=100, memory_watts_per_gb=0.5)

    by_name = {s["name"]: s for s in found["sensors"]}
    assert by_name["cpu-model"]["cpu"]["origin"] == "argument tdp_watts"
    assert by_name["memory-model"]["memory"]["origin"] == "argument memory_watts_per_gb"
    # Without arguments the config file's figures apply, as on the CLI.
    config = tmp_path / "config" / "mlcarbon" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("power:\n  tdp_w: 65\n")
    by_name = {s["name"]: s for s in mlcarbon.sensors()["sensors"]}
    assert by_name["cpu-model"]["cpu"]["origin"] == f"config file {config}:2"
    by_name = {s["name"]: s for s in mlcarbon.sensors(tdp_watts=100)["sensors"]}
    assert by_name["cpu-model"]["cpu"]["origin"] == "argument tdp_watts"


@pytest.mark.parametrize("kwargs, message", [
    (dict(tdp_watts=float("nan")),
     "argument tdp_watts: expected a TDP in watts (above 0 and at most 10000), got 'nan'"),
    (dict(tdp_watts=0), "argument tdp_watts: expected a TDP in watts (above 0"),
    (dict(memory_watts_per_gb=-1),
     "argument memory_watts_per_gb: expected watts per GiB of memory (above 0"),
    (dict(memory_watts_per_gb=float("inf")), "got 'inf'"),
    (dict(cpu_watts=(4, 1)), "argument cpu_watts: expected MIN <= MAX in MIN:MAX, got '4:1'"),
    (dict(cpu_watts=(-1, 1)), "argument cpu_watts: expected MIN watts of MIN:MAX (at least 0"),
    (dict(cpu_watts="5"), "argument cpu_watts: expected MIN:MAX in watts (e.g. 0.74:3.5)"),
    (dict(cpu_watts=(1,)), "cpu_watts must be (MIN, MAX): two numbers, not 1"),
    (dict(cpu_watts=(1, 4), tdp_watts=65), "cpu_watts and tdp_watts are two CPU models"),
])
def test_bad_power_figures_raise_value_error_naming_the_argument(kvm, kwargs, message):
    for call in (lambda: mlcarbon.Tracker(db=False, **kwargs),
                 lambda: mlcarbon.sensors(**kwargs)):
        with pytest.raises(ValueError) as err:
            call()
        assert message in str(err.value)


def test_power_figure_types_are_checked():
    with pytest.raises(TypeError, match="tdp_watts must be a number or None, not str"):
        mlcarbon.Tracker(db=False, tdp_watts="65")
    with pytest.raises(TypeError, match=r"cpu_watts\[1\] must be a number"):
        mlcarbon.Tracker(db=False, cpu_watts=(1, None))
    with pytest.raises(TypeError, match="cpu_watts must be"):
        mlcarbon.sensors(cpu_watts=3.5)


def test_python_and_cli_refuse_a_bad_figure_with_the_same_words(kvm, tmp_path):
    binary = os.environ.get("MLCARBON_BIN")
    if not binary:
        pytest.skip("the mlcarbon CLI is not built (MLCARBON_BIN unset)")
    proc = subprocess.run([binary, "sensors", "--tdp", "-3"], env={**os.environ, **kvm},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    with pytest.raises(ValueError) as err:
        mlcarbon.sensors(tdp_watts=-3)
    cli = proc.stderr.split("flag --tdp: ", 1)[1].splitlines()[0]
    assert str(err.value).split("argument tdp_watts: ", 1)[1].splitlines()[0] == cli


def test_compat_keeps_codecarbons_forced_powers_unsupported_with_a_hint(kvm):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compat.EmissionsTracker(save_to_file=False, force_cpu_power=65, force_ram_power=10)
    assert len(caught) == 1
    assert issubclass(caught[0].category, compat.UnsupportedArgumentWarning)
    text = str(caught[0].message)
    assert "force_cpu_power, force_ram_power" in text and "tdp_watts=" in text

    tracker = compat.EmissionsTracker(save_to_file=False, country_iso_code="FRA",
                                      cpu_watts=(1, 4))
    tracker.start()
    tracker.stop()
    assert _cpu(tracker.run.to_dict())["description"].endswith("(argument cpu_watts)")
