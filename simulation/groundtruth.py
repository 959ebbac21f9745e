"""The ground-truth file: the injected faults as JSON lines, for judging the analytics.

One JSON object per line, the fields of :class:`GroundTruthFault` (``start``, ``end`` and
``accounted_until`` in UTC epoch seconds) plus ``start_utc`` and ``end_utc`` in ISO 8601 for
people reading the file; the reader takes the numbers and ignores fields it does not know::

    {"building": "skole-01", "kind": "after_hours_ventilation", "start": 1767801600.0,
     "end": 1768024800.0, "points": ["ahu1.supply_fan_status", ...], "extra_energy_kwh": 812.4,
     "extra_electricity_kwh": 455.1, "extra_heat_kwh": 357.3, "accounted_until": 1768111200.0,
     "params": {}, "fault": true, "start_utc": "2026-01-07T16:00:00+00:00", "end_utc": "..."}

``fault`` is false for legitimate use outside hours (kind ``legitimate_use``, the activity in
``params``), which a detector should not report. Files written before it existed have no
``fault`` field: every record in them is a fault, and the reader says so.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from byggpuls.errors import ByggpulsError
from simulation.faults import GroundTruthFault


class GroundTruthError(ByggpulsError):
    """A ground-truth file cannot be read; the message says which line and why."""


def _iso(time_s: float) -> str:
    return dt.datetime.fromtimestamp(time_s, tz=dt.UTC).isoformat()


def write_ground_truth(path: str | Path, faults: Iterable[GroundTruthFault]) -> None:
    """Write ``faults`` to ``path`` as JSON lines (replacing the file)."""
    lines = []
    for fault in faults:
        record = {
            "building": fault.building,
            "kind": fault.kind,
            "start": fault.start,
            "end": fault.end,
            "points": list(fault.points),
            "extra_energy_kwh": fault.extra_energy_kwh,
            "extra_electricity_kwh": fault.extra_electricity_kwh,
            "extra_heat_kwh": fault.extra_heat_kwh,
            "accounted_until": fault.accounted_until,
            "params": dict(fault.params),
            "fault": fault.fault,
            "start_utc": _iso(fault.start),
            "end_utc": _iso(fault.end),
        }
        lines.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
    target = Path(path)
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    temporary.replace(target)  # readers never see half a file


def read_ground_truth(path: str | Path) -> list[GroundTruthFault]:
    """The faults in a file written by :func:`write_ground_truth`.

    Raises :class:`GroundTruthError` naming the line when a record is malformed.
    """
    faults = []
    text = Path(path).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            faults.append(_parse(json.loads(line)))
        except (ValueError, TypeError, KeyError) as exc:
            raise GroundTruthError(f"{path}, line {number}: {exc}") from exc
    return faults


def _number(record: dict[str, Any], key: str) -> float:
    value = record[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{key!r} must be a finite number, not {value!r}")
    return float(value)


def _parse(record: Any) -> GroundTruthFault:
    if not isinstance(record, dict):
        raise TypeError(f"expected a JSON object, got {type(record).__name__}")
    points = record["points"]
    if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
        raise TypeError("'points' must be a list of point ids")
    params = record.get("params") or {}
    if not isinstance(params, dict):
        raise TypeError("'params' must be an object")
    accounted = record.get("accounted_until")
    is_fault = record.get("fault", True)
    if not isinstance(is_fault, bool):
        raise TypeError(f"'fault' must be true or false, not {is_fault!r}")
    return GroundTruthFault(
        building=str(record["building"]),
        kind=str(record["kind"]),
        start=_number(record, "start"),
        end=_number(record, "end"),
        points=tuple(points),
        extra_energy_kwh=_number(record, "extra_energy_kwh"),
        extra_electricity_kwh=_number(record, "extra_electricity_kwh")
        if "extra_electricity_kwh" in record
        else 0.0,
        extra_heat_kwh=_number(record, "extra_heat_kwh") if "extra_heat_kwh" in record else 0.0,
        accounted_until=None if accounted is None else _number(record, "accounted_until"),
        params=params,
        fault=is_fault,
    )
