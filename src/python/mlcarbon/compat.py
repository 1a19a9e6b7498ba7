# SPDX-License-Identifier: Apache-2.0
"""A drop-in for the parts of CodeCarbon a typical training script uses.

Change one import::

    # from codecarbon import EmissionsTracker
    from mlcarbon.compat import EmissionsTracker

    tracker = EmissionsTracker(project_name="bert", output_dir="out")
    tracker.start()
    train()
    emissions_kg = tracker.stop()

The CSV (``output_dir/output_file``, default ``emissions.csv``) has
CodeCarbon 3.3's 38 columns in its order, then mlcarbon's own (docs/csv.md).
Supported arguments: project_name, country_iso_code, region (with
country_iso_code: a sub-national code such as "US-IA" or its part "IA"),
cloud_provider, cloud_region, output_dir, output_file, measure_power_secs,
save_to_file, experiment_id, tracking_mode ("machine": the machine's
energy; "process": this process's share), pue, log_level, on_csv_write
("append"), allow_multiple_runs. Any other argument is named in a warning
(``mlcarbon.compat.UnsupportedArgumentWarning``) and has no effect. Runs are
not recorded in mlcarbon's history unless ``db=`` says where.

CodeCarbon's ``force_cpu_power`` and ``force_ram_power`` are among the
unsupported: the first is a TDP for the whole machine that also turns the
hardware counters off, the second total RAM watts. mlcarbon's own figures
differ in meaning (per CPU package, per GiB, and only where no counter is);
pass them as mlcarbon's ``cpu_watts=``, ``tdp_watts=`` and
``memory_watts_per_gb=`` (docs/models.md, "Overrides").
"""

from __future__ import annotations

import functools
import logging
import os
import platform
import uuid
import warnings
from typing import Any, Callable, Dict, Optional, Tuple, Union

from . import Run, Tracker, Window

__all__ = [
    "EmissionsTracker",
    "OfflineEmissionsTracker",
    "TaskEmissions",
    "UnsupportedArgumentWarning",
    "track_emissions",
]

_log = logging.getLogger("mlcarbon.compat")


class UnsupportedArgumentWarning(UserWarning):
    """A CodeCarbon argument that mlcarbon.compat does not implement."""


class TaskEmissions:
    """What stop_task() returns: CodeCarbon's EmissionsData fields that a
    task has (emissions in kg, energy_consumed in kWh, duration in s)."""

    __slots__ = ("task_name", "duration", "emissions", "emissions_rate", "energy_consumed", "window")

    def __init__(self, task_name: str, window: Window, process: bool) -> None:
        self.task_name = task_name
        self.window = window
        self.duration = window.duration_s
        joules = window.attributed_j if process else window.energy_j
        self.energy_consumed = joules / 3.6e6
        self.emissions = float(window["attributed_co2e_kg"] if process else window.co2e_kg)
        self.emissions_rate = self.emissions / self.duration if self.duration > 0 else 0.0

    def __repr__(self) -> str:
        return (
            f"TaskEmissions({self.task_name!r}, {self.emissions:.4g} kg, "
            f"{self.energy_consumed:.4g} kWh {self.window.method}, {self.duration:.3g} s)"
        )


def _region(
    country_iso_code: Optional[str],
    region: Optional[str],
    cloud_provider: Optional[str],
    cloud_region: Optional[str],
) -> Optional[str]:
    """The mlcarbon region code for CodeCarbon's location arguments."""
    if cloud_provider and cloud_region:
        return f"{cloud_provider.lower()}:{cloud_region}"
    if region:
        if "-" in region or not country_iso_code:
            return region
        # CodeCarbon's region is the subdivision within the country.
        return f"{country_iso_code}-{region}"
    return country_iso_code


class EmissionsTracker:
    """CodeCarbon's ``EmissionsTracker`` over mlcarbon's meter.

    ``stop()`` returns kg CO2e (the machine's, or with
    ``tracking_mode="process"`` this process's share) and appends one row to
    the CSV; ``start_task(name)``/``stop_task(name)`` measure named parts as
    windows of the same run.
    """

    _offline = False

    def __init__(
        self,
        project_name: str = "codecarbon",
        measure_power_secs: float = 15,
        output_dir: str = ".",
        output_file: str = "emissions.csv",
        save_to_file: bool = True,
        country_iso_code: Optional[str] = None,
        region: Optional[str] = None,
        cloud_provider: Optional[str] = None,
        cloud_region: Optional[str] = None,
        experiment_id: Optional[str] = None,
        tracking_mode: str = "machine",
        pue: Optional[float] = None,
        log_level: Any = None,
        on_csv_write: str = "append",
        allow_multiple_runs: bool = True,
        db: Any = False,
        cpu_watts: Union[str, Tuple[float, float], None] = None,
        tdp_watts: Optional[float] = None,
        memory_watts_per_gb: Optional[float] = None,
        **unsupported: Any,
    ) -> None:
        if unsupported:
            names = ", ".join(sorted(unsupported))
            hint = ""
            if {"force_cpu_power", "force_ram_power"} & set(unsupported):
                hint = (
                    "; for pinned power figures pass cpu_watts=, tdp_watts= or "
                    "memory_watts_per_gb= (per CPU package or vCPU, per GiB: "
                    "not CodeCarbon's machine totals)"
                )
            warnings.warn(
                f"mlcarbon.compat.{type(self).__name__} does not support {names}; "
                f"they have no effect (supported: see help(mlcarbon.compat)){hint}",
                UnsupportedArgumentWarning,
                stacklevel=2,
            )
        if tracking_mode not in ("machine", "process"):
            raise ValueError(f"tracking_mode must be 'machine' or 'process', not {tracking_mode!r}")
        if on_csv_write != "append":
            raise ValueError(
                f"on_csv_write={on_csv_write!r} is not supported: mlcarbon appends one row per run"
            )
        if not isinstance(output_dir, (str, os.PathLike)):
            raise TypeError(f"output_dir must be a str or os.PathLike, not {type(output_dir).__name__}")
        if not isinstance(output_file, (str, os.PathLike)):
            raise TypeError(f"output_file must be a str or os.PathLike, not {type(output_file).__name__}")
        if self._offline and not (country_iso_code or (cloud_provider and cloud_region)):
            raise ValueError(
                "country_iso_code is required by OfflineEmissionsTracker "
                "(or cloud_provider and cloud_region)"
            )
        if log_level is not None:
            _log.setLevel(log_level.upper() if isinstance(log_level, str) else log_level)
        self._project_name = project_name
        self._output = os.path.join(os.fspath(output_dir), os.fspath(output_file))
        self._save_to_file = bool(save_to_file)
        self._experiment_id = "" if experiment_id is None else str(experiment_id)
        self._process = tracking_mode == "process"
        self._tracker = Tracker(
            project=project_name,
            region=_region(country_iso_code, region, cloud_provider, cloud_region),
            interval=measure_power_secs,
            pue=pue,
            db=db,
            cpu_watts=cpu_watts,
            tdp_watts=tdp_watts,
            memory_watts_per_gb=memory_watts_per_gb,
        )
        self._tasks: Dict[str, TaskEmissions] = {}
        self.final_emissions: Optional[float] = None
        """kg CO2e of the last stop()."""
        self.run: Optional[Run] = None
        """The last run, with every field of mlcarbon's run JSON."""

    # -- run ------------------------------------------------------------
    def start(self) -> None:
        """Starts measuring (a second call while running is ignored, with a
        warning, as CodeCarbon does)."""
        if self._tracker.running:
            _log.warning("already started: start() ignored")
            return
        self._tracker.start()

    def stop(self) -> Optional[float]:
        """Stops, writes the CSV row (save_to_file) and returns kg CO2e;
        None when not started."""
        if not self._tracker.running:
            _log.warning("stop() called but the tracker was not started")
            return None
        run = self._tracker.stop()
        self.run = run
        if self._save_to_file:
            os.makedirs(os.path.dirname(self._output) or ".", exist_ok=True)
            run._core.append_csv(
                self._output,
                experiment_id=self._experiment_id,
                python_version=platform.python_version(),
                codecarbon_version="",
            )
        self.final_emissions = run.attributed_co2e_kg if self._process else run.co2e_kg
        return self.final_emissions

    # -- tasks ----------------------------------------------------------
    def start_task(self, task_name: Optional[str] = None) -> None:
        """Starts measuring a task (starting the tracker if needed)."""
        if task_name is None:
            task_name = str(uuid.uuid4())
        if not self._tracker.running:
            self._tracker.start()
        self._tracker.begin_window(task_name)
        self._current_task = task_name

    def stop_task(self, task_name: Optional[str] = None) -> TaskEmissions:
        """Ends a task (the last one started when no name is given)."""
        if task_name is None:
            task_name = getattr(self, "_current_task", None)
            if task_name is None:
                raise RuntimeError("stop_task(): no task was started")
        window = self._tracker.end_window(task_name)
        task = TaskEmissions(task_name, window, self._process)
        self._tasks[task_name] = task
        return task

    # -- context manager --------------------------------------------------
    def __enter__(self) -> "EmissionsTracker":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class OfflineEmissionsTracker(EmissionsTracker):
    """CodeCarbon's ``OfflineEmissionsTracker``: the same, with the country
    (ISO alpha-3, e.g. "DEU") or cloud region given instead of looked up.
    mlcarbon never looks a location up online, so both trackers work
    offline."""

    _offline = True


def track_emissions(
    fn: Optional[Callable[..., Any]] = None,
    *,
    offline: bool = False,
    **tracker_args: Any,
) -> Any:
    """CodeCarbon's decorator: ``@track_emissions`` or
    ``@track_emissions(project_name="x", offline=True, country_iso_code="FRA")``;
    each call of the function is one run and one CSV row."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cls = OfflineEmissionsTracker if offline else EmissionsTracker
            tracker = cls(**tracker_args)
            tracker.start()
            try:
                return func(*args, **kwargs)
            finally:
                tracker.stop()

        return wrapper

    if fn is not None:
        return decorate(fn)
    return decorate
