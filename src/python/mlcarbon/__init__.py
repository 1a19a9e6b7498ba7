# SPDX-License-Identifier: Apache-2.0
"""Energy and carbon footprint of ML code, measured from Python.

mlcarbon's meter (RAPL, NVML, CPU and memory models) runs in C++ on a
background thread; this module drives it::

    import mlcarbon

    with mlcarbon.Tracker(project="demo", region="DE", db=False) as tracker:
        with tracker.window("epoch-1"):
            sum(i * i for i in range(10**5))
    print(tracker.run.energy_j, tracker.run.method, tracker.run.co2e_kg)

Runs are the same records as ``mlcarbon measure`` writes and go to the same
history database. See docs/python.md.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import math
import os
import threading
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Tuple,
    TypeVar,
    Union,
)

from . import _mlcarbon
from ._errors import (
    BackendError,
    CancelledError,
    Error,
    InvalidArgumentError,
    IoError,
    NotFoundError,
    ParseError,
    PermissionDeniedError,
    UnavailableError,
)
from ._run import Reading, Run, Window

__version__: str = _mlcarbon.__version__

__all__ = [
    "Tracker",
    "Run",
    "Window",
    "Reading",
    "estimate",
    "regions",
    "sensors",
    "history",
    "describe_model",
    "Error",
    "InvalidArgumentError",
    "ParseError",
    "NotFoundError",
    "IoError",
    "PermissionDeniedError",
    "UnavailableError",
    "BackendError",
    "CancelledError",
]

PathLike = Union[str, "os.PathLike[str]"]
F = TypeVar("F", bound=Callable[..., Any])


# Argument checks: a wrong type is a TypeError and a wrong value a
# ValueError, each naming the argument, before anything reaches C++.
def _type_name(value: Any) -> str:
    return type(value).__name__


def _str_arg(name: str, value: Any, *, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        want = "a str or None" if optional else "a str"
        raise TypeError(f"{name} must be {want}, not {_type_name(value)}")
    return value


def _number_arg(
    name: str, value: Any, *, optional: bool = False, positive: bool = False
) -> Optional[float]:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        want = "a number or None" if optional else "a number"
        raise TypeError(f"{name} must be {want}, not {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, not {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be positive, not {value!r}")
    if number < 0:
        raise ValueError(f"{name} must not be negative, not {value!r}")
    return number


def _strings_arg(name: str, value: Any) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of str, not a str (wrap it: [{value!r}])")
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} must be a list of str, not {_type_name(value)}") from None
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, not {_type_name(item)}")
    return items


def _path_arg(name: str, value: Any) -> str:
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if isinstance(path, str) and path:
            return path
    if isinstance(value, (str, os.PathLike)):
        raise ValueError(f"{name} must not be empty")
    raise TypeError(f"{name} must be a str or os.PathLike, not {_type_name(value)}")


def _power_number(name: str, value: Any, *, optional: bool = True) -> Optional[float]:
    # Only the type here: the values are checked by the library, with the
    # messages of the CLI's flags (a ValueError naming the argument).
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        want = "a number or None" if optional else "a number"
        raise TypeError(f"{name} must be {want}, not {_type_name(value)}")
    return float(value)


def _power_args(cpu_watts: Any, tdp_watts: Any, memory_watts_per_gb: Any) -> Dict[str, Any]:
    """The power-model figures (docs/models.md, "Overrides") for the core."""
    if cpu_watts is not None and not isinstance(cpu_watts, str):
        try:
            pair = tuple(cpu_watts)
        except TypeError:
            raise TypeError(
                "cpu_watts must be (MIN, MAX), a 'MIN:MAX' str or None, "
                f"not {_type_name(cpu_watts)}"
            ) from None
        if len(pair) != 2:
            raise ValueError(f"cpu_watts must be (MIN, MAX): two numbers, not {len(pair)}")
        cpu_watts = (
            _power_number("cpu_watts[0]", pair[0], optional=False),
            _power_number("cpu_watts[1]", pair[1], optional=False),
        )
    return dict(
        cpu_watts=cpu_watts,
        tdp_watts=_power_number("tdp_watts", tdp_watts),
        memory_watts_per_gb=_power_number("memory_watts_per_gb", memory_watts_per_gb),
    )


def _db_arg(value: Any) -> Optional[str]:
    """None: no history; "": the default database; else that file or URI."""
    if value is True:
        return ""
    if value is False or value is None:
        return None
    return _path_arg("db", value)


class Tracker:
    """Measures the energy and CO2e of a block of Python code.

    Use it as a context manager, as a decorator, or with start()/stop()::

        tracker = mlcarbon.Tracker(project="bert", region="DE")
        with tracker:
            train()
        tracker.run.co2e_kg

        @mlcarbon.Tracker(project="bert")
        def train(): ...

    Args:
        project: project name in exports and the history.
        region: region code or name ("DE", "US-IA", "gcp:europe-west3");
            None: MLCARBON_REGION, else the time zone, else the world.
        interval: sampling interval in seconds (default 1).
        db: the history database the run is recorded in: True (default) for
            the one ``mlcarbon history`` reads (MLCARBON_DB when set, else
            the file in the data folder), a path or a ``postgresql://`` URI
            for another, False or None for none.
        tags: labels stored with the run.
        carbon_intensity: g CO2e/kWh, overriding the region's.
        pue: power usage effectiveness, overriding the region's.
        sensors: names of the sensors to use (see ``mlcarbon.sensors()``);
            None uses every one found.
        idle_baseline: seconds of idle power measured when starting (0: none).
        cpu_watts: CPU model figures (MIN, MAX) or "MIN:MAX": watts at 0 %
            and 100 % load, per vCPU on a VM, per CPU package on bare metal
            (the CLI's ``--cpu-watts``).
        tdp_watts: the TDP in watts of each CPU package, for the load curve
            (``--tdp``); not with cpu_watts.
        memory_watts_per_gb: watts per GiB of installed memory
            (``--memory-watts-per-gb``).
            The three replace the config file's figures and the tables for
            the cpu-model and memory-model sensors (used where no hardware
            counter is); the run's sensor descriptions say they came from
            these arguments.

    Raises:
        TypeError, ValueError: a bad argument (named in the message).
        mlcarbon.Error: the library refused an option (an unknown region,
            an unavailable sensor, an unwritable history); its message and
            remedy say why.
    """

    def __init__(
        self,
        project: str = "mlcarbon",
        *,
        region: Optional[str] = None,
        interval: float = 1.0,
        db: Union[bool, None, PathLike] = True,
        tags: Iterable[str] = (),
        carbon_intensity: Optional[float] = None,
        pue: Optional[float] = None,
        sensors: Optional[Iterable[str]] = None,
        idle_baseline: float = 0.0,
        cpu_watts: Union[str, Tuple[float, float], None] = None,
        tdp_watts: Optional[float] = None,
        memory_watts_per_gb: Optional[float] = None,
    ) -> None:
        self._options: Dict[str, Any] = dict(
            project=_str_arg("project", project),
            region=_str_arg("region", region, optional=True),
            interval=_number_arg("interval", interval, positive=True),
            tags=_strings_arg("tags", tags),
            carbon_intensity=_number_arg("carbon_intensity", carbon_intensity, optional=True),
            pue=_number_arg("pue", pue, optional=True),
            sensors=_strings_arg("sensors", sensors) or None,
            idle_baseline=_number_arg("idle_baseline", idle_baseline),
            db=_db_arg(db),
            **_power_args(cpu_watts, tdp_watts, memory_watts_per_gb),
        )
        if self._options["pue"] is not None and self._options["pue"] < 1.0:
            raise ValueError(f"pue must be at least 1, not {pue!r}")
        self._lock = threading.Lock()
        self._core = _mlcarbon.TrackerCore(**self._options)
        self._used = False
        self.run: Optional[Run] = None
        """The last run, once stop() has returned."""

    # -- start and stop -------------------------------------------------
    def start(self) -> "Tracker":
        """Starts measuring; a tracker that has stopped starts a new run."""
        with self._lock:
            if self._used and not self._core.running:
                self._core = _mlcarbon.TrackerCore(**self._options)
            self._core.start()
            self._used = True
        return self

    def stop(self) -> Run:
        """Stops measuring and returns the Run (also kept in ``self.run``)."""
        with self._lock:
            core = self._core.stop()
        self.run = Run(json.loads(core.json()), core)
        return self.run

    @property
    def running(self) -> bool:
        return bool(self._core.running)

    def read(self) -> Reading:
        """Energy since start(), read now; the tracker keeps running."""
        return Reading(self._core.read())

    def add_tag(self, tag: str) -> None:
        """Adds a label to the run being measured."""
        self._core.add_tag(_str_arg("tag", tag))

    # -- windows --------------------------------------------------------
    def begin_window(self, name: str) -> None:
        """Opens the named window `name` (windows may nest and overlap)."""
        self._core.begin_window(_window_name(name))

    def end_window(self, name: str) -> Window:
        """Closes `name` and returns its energy and CO2e."""
        return Window(self._core.end_window(_window_name(name)))

    @contextlib.contextmanager
    def window(self, name: str) -> Iterator["WindowHandle"]:
        """A named window over a ``with`` block::

            with tracker.window("epoch-3") as w:
                train_one_epoch()
            w.result.energy_j
        """
        handle = WindowHandle(_window_name(name))
        self.begin_window(handle.name)
        try:
            yield handle
        finally:
            handle.result = self.end_window(handle.name)

    # -- context manager and decorator -----------------------------------
    def __enter__(self) -> "Tracker":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Measures every call of `func` as one run."""
        if not callable(func):
            raise TypeError(f"Tracker decorates a callable, not {_type_name(func)}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"Tracker(project={self._options['project']!r}, {state})"


class WindowHandle:
    """What ``with tracker.window(name)`` yields; ``result`` is set at exit."""

    __slots__ = ("name", "result")

    def __init__(self, name: str) -> None:
        self.name = name
        self.result: Optional[Window] = None


def _window_name(name: Any) -> str:
    name = _str_arg("name", name)
    if not name:
        raise ValueError("name must not be empty")
    return name


def estimate(scenario: Union[Dict[str, Any], PathLike]) -> Dict[str, Any]:
    """The life-cycle footprint of a scenario, as ``mlcarbon estimate --json``.

    Args:
        scenario: the scenario as a dict (the fields of docs/scenario.md), or
            the path of a YAML scenario file (its measured runs are found
            beside it).

    Returns:
        The footprint document: schema_version, phases, total, ...

    Raises:
        mlcarbon.Error: the scenario is malformed or inconsistent; the
            message names the field and what was expected.
    """
    if isinstance(scenario, dict):
        # JSON is YAML: the scenario parser reads it with its own checks.
        text = json.dumps(scenario)
        return json.loads(_mlcarbon.estimate_text(text, "scenario", ""))
    return json.loads(_mlcarbon.estimate_file(_path_arg("scenario", scenario)))


def regions() -> List[Dict[str, Any]]:
    """The built-in grid-intensity table: countries, sub-national grids,
    cloud regions and the world average (code, name, kind,
    intensity_g_per_kwh, year, source, pue, ...)."""
    return list(_mlcarbon.regions())


def sensors(
    *,
    cpu_watts: Union[str, Tuple[float, float], None] = None,
    tdp_watts: Optional[float] = None,
    memory_watts_per_gb: Optional[float] = None,
) -> Dict[str, Any]:
    """The sensors found on this machine and those not usable with their
    reason and remedy: the document ``mlcarbon sensors --json`` prints.

    The power figures are Tracker's: the cpu-model and memory-model sensors
    show what a Tracker given them would use (their ``origin`` names the
    argument)."""
    power = _power_args(cpu_watts, tdp_watts, memory_watts_per_gb)
    return json.loads(_mlcarbon.sensors_json(**power))


def describe_model(model: PathLike, *, batch: int = 1) -> Dict[str, Any]:
    """A model's layers, shapes, parameters, FLOPs and memory: the document
    ``mlcarbon model describe MODEL --batch N --json`` prints.

    Args:
        model: a model file (YAML or JSON, docs/model-files.md), an ``.onnx``
            file (read by the ONNX plugin), or a shorthand such as
            ``"mlp:depth=10,width=25,inputs=100"``.
        batch: the batch size of the per-batch totals.

    Raises:
        mlcarbon.NotFoundError: the file does not exist.
        mlcarbon.ParseError: the file is malformed (the message says where).
        mlcarbon.UnavailableError: an ``.onnx`` file without the ONNX plugin.
    """
    if isinstance(batch, bool) or not isinstance(batch, int):
        raise TypeError(f"batch must be an int, not {_type_name(batch)}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch!r}")
    return json.loads(_mlcarbon.describe_model(_path_arg("model", model), batch))


def _time_arg(name: str, value: Any) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{name} must be a datetime, a Unix time or None, not {_type_name(value)}")


def history(
    *,
    db: Optional[PathLike] = None,
    project: Optional[str] = None,
    tag: Optional[str] = None,
    command: Optional[str] = None,
    since: Union[_dt.datetime, float, None] = None,
    until: Union[_dt.datetime, float, None] = None,
    limit: int = 0,
) -> List[Run]:
    """Runs recorded in the history, newest first, as ``mlcarbon history``.

    Args:
        db: the database: a path or a ``postgresql://`` URI; None for the
            default one (MLCARBON_DB when set).
        project, tag: keep runs of this project / with this tag.
        command: keep runs whose command line contains this text.
        since, until: keep runs started in this span (datetime or Unix time).
        limit: at most this many runs; 0 for all.
    """
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(f"limit must be an int, not {_type_name(limit)}")
    if limit < 0:
        raise ValueError(f"limit must not be negative, not {limit}")
    docs = _mlcarbon.history(
        db="" if db is None else _path_arg("db", db),
        project=_str_arg("project", project, optional=True),
        tag=_str_arg("tag", tag, optional=True),
        command=_str_arg("command", command, optional=True),
        since=_time_arg("since", since),
        until=_time_arg("until", until),
        limit=limit,
    )
    return [Run.from_json(d) for d in docs]
