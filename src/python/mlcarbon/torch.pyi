# SPDX-License-Identifier: Apache-2.0
import os
from typing import Any, Callable, ContextManager, Dict, List, Optional, Tuple

from . import Tracker, Window

PHASES: Tuple[str, str, str]

class EpochCallback:
    tracker: Tracker
    epochs: List[Window]
    phases: List[Window]
    def __init__(self, tracker: Tracker) -> None: ...
    def on_epoch_start(self, epoch: int) -> None: ...
    def on_epoch_end(self) -> Window: ...
    def on_phase_start(self, phase: str) -> None: ...
    def on_phase_end(self) -> Window: ...
    def epoch(self, epoch: int) -> ContextManager[None]: ...
    def phase(self, phase: str) -> ContextManager[None]: ...
    def summary(self) -> List[Dict[str, Any]]: ...

def calibrate(
    module: Any,
    example_batch: Any,
    *,
    loss_fn: Optional[Callable[..., Any]] = ...,
    optimizer: Any = ...,
    path: Optional[os.PathLike[str] | str] = ...,
    budget_s: float = ...,
    device: Optional[str] = ...,
    name: Optional[str] = ...,
    interval: float = ...,
    tracker_options: Optional[Dict[str, Any]] = ...,
    onnx_path: Optional[os.PathLike[str] | str] = ...,
) -> Dict[str, Any]: ...
