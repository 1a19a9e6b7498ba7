# SPDX-License-Identifier: Apache-2.0
import os
from typing import Any, Callable, Optional, Tuple, TypeVar, Union, overload

from . import Run, Window

_F = TypeVar("_F", bound=Callable[..., Any])

class UnsupportedArgumentWarning(UserWarning): ...

class TaskEmissions:
    task_name: str
    duration: float
    emissions: float
    emissions_rate: float
    energy_consumed: float
    window: Window

class EmissionsTracker:
    final_emissions: Optional[float]
    run: Optional[Run]
    def __init__(
        self,
        project_name: str = ...,
        measure_power_secs: float = ...,
        output_dir: Union[str, os.PathLike[str]] = ...,
        output_file: Union[str, os.PathLike[str]] = ...,
        save_to_file: bool = ...,
        country_iso_code: Optional[str] = ...,
        region: Optional[str] = ...,
        cloud_provider: Optional[str] = ...,
        cloud_region: Optional[str] = ...,
        experiment_id: Optional[str] = ...,
        tracking_mode: str = ...,
        pue: Optional[float] = ...,
        log_level: Any = ...,
        on_csv_write: str = ...,
        allow_multiple_runs: bool = ...,
        db: Any = ...,
        cpu_watts: Union[str, Tuple[float, float], None] = ...,
        tdp_watts: Optional[float] = ...,
        memory_watts_per_gb: Optional[float] = ...,
        **unsupported: Any,
    ) -> None: ...
    def start(self) -> None: ...
    def stop(self) -> Optional[float]: ...
    def start_task(self, task_name: Optional[str] = ...) -> None: ...
    def stop_task(self, task_name: Optional[str] = ...) -> TaskEmissions: ...
    def __enter__(self) -> EmissionsTracker: ...
    def __exit__(self, *exc: Any) -> None: ...

class OfflineEmissionsTracker(EmissionsTracker): ...

@overload
def track_emissions(fn: _F) -> _F: ...
@overload
def track_emissions(fn: None = ..., *, offline: bool = ..., **tracker_args: Any) -> Callable[[_F], _F]: ...
