# SPDX-License-Identifier: Apache-2.0
"""Run, Window and Reading: the records a Tracker hands back."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional


class _Record(Mapping[str, Any]):
    """A read-only mapping over a JSON document with attribute shortcuts."""

    __slots__ = ("_doc",)

    def __init__(self, doc: Dict[str, Any]) -> None:
        self._doc = doc

    def __getitem__(self, key: str) -> Any:
        return self._doc[key]

    def __iter__(self):
        return iter(self._doc)

    def __len__(self) -> int:
        return len(self._doc)

    def to_dict(self) -> Dict[str, Any]:
        """A deep copy of the document as plain dicts and lists."""
        return json.loads(json.dumps(self._doc))

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The document as JSON text."""
        return json.dumps(self._doc, indent=indent)


class Reading(_Record):
    """Energy measured so far (``Tracker.read()``) or in an ended window.

    Keys: duration_s, energy_j, energy_kwh, method ("measured" or
    "estimated"), attributed_j, attributed_share, above_idle_j, domains,
    warnings; a window adds name, intensity_g_per_kwh, co2e_kg and
    attributed_co2e_kg.
    """

    __slots__ = ()

    @property
    def duration_s(self) -> float:
        return float(self._doc["duration_s"])

    @property
    def energy_j(self) -> float:
        """Machine energy at the wall, PUE excluded."""
        return float(self._doc["energy_j"])

    @property
    def energy_kwh(self) -> float:
        return float(self._doc["energy_kwh"])

    @property
    def method(self) -> str:
        """"measured" when every sensor is a hardware counter, else "estimated"."""
        return str(self._doc["method"])

    @property
    def attributed_j(self) -> float:
        """The share of the energy attributed to this process and its children."""
        return float(self._doc["attributed_j"])

    def __repr__(self) -> str:
        name = self._doc.get("name")
        head = f"{type(self).__name__}({name!r}, " if name else f"{type(self).__name__}("
        return (
            f"{head}{self.energy_j:.4g} J {self.method}, "
            f"{self.duration_s:.3g} s)"
        )


class Window(Reading):
    """An ended named window: its energy, intensity and CO2e."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return str(self._doc["name"])

    @property
    def co2e_kg(self) -> float:
        """Machine energy x PUE x intensity, in kg CO2e."""
        return float(self._doc["co2e_kg"])


class Run(_Record):
    """One measured run: the same document ``mlcarbon measure --json`` writes.

    Indexing gives the document's fields (``run["energy"]["total_j"]``);
    the properties below are shortcuts for the ones most used.
    """

    __slots__ = ("_core",)

    def __init__(self, doc: Dict[str, Any], core: Any = None) -> None:
        super().__init__(doc)
        self._core = core

    @classmethod
    def from_json(cls, text: str) -> "Run":
        """A Run from the CLI's run JSON (``measure --json``, ``history``)."""
        return cls(json.loads(text))

    @property
    def run_id(self) -> str:
        return str(self._doc["run_id"])

    @property
    def project(self) -> str:
        return str(self._doc["project_name"])

    @property
    def tags(self) -> List[str]:
        return list(self._doc["tags"])

    @property
    def duration_s(self) -> float:
        return float(self._doc["duration_s"])

    @property
    def energy_j(self) -> float:
        """Machine energy at the wall, PUE excluded."""
        return float(self._doc["energy"]["total_j"])

    @property
    def energy_kwh(self) -> float:
        return float(self._doc["energy"]["total_kwh"])

    @property
    def method(self) -> str:
        """"measured" or "estimated", for the run's energy."""
        return str(self._doc["energy"]["method"])

    @property
    def co2e_kg(self) -> float:
        """Machine energy x PUE x intensity, in kg CO2e."""
        return float(self._doc["carbon"]["co2e_kg"])

    @property
    def attributed_co2e_kg(self) -> float:
        return float(self._doc["carbon"]["attributed_co2e_kg"])

    @property
    def windows(self) -> List[Window]:
        """Named windows ended during the run, in the order they ended."""
        return [Window(w) for w in self._doc["windows"]]

    @property
    def timeline(self) -> Optional[Dict[str, Any]]:
        """Each domain's power over the run, downsampled: ``start_s`` and
        ``duration_s`` per bucket, and per domain ``mean_w``, ``min_w`` and
        ``max_w`` lists (docs/meter.md, "Timelines"); None if not recorded.
        """
        timeline = self._doc.get("timeline")
        return dict(timeline) if timeline is not None else None

    def __repr__(self) -> str:
        return (
            f"Run({self.run_id}, {self.energy_kwh:.4g} kWh {self.method}, "
            f"{self.co2e_kg:.4g} kg CO2e, {self.duration_s:.3g} s)"
        )
