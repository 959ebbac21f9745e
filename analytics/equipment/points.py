"""From a building's points to its air handling units' :class:`AhuSeries`.

A gateway describes each point with a :class:`~byggpuls.reading.PointInfo`: its id, SenML unit
and, where the integrator tagged it, a Brick class. :func:`ahu_units` finds the units and which
point feeds which :class:`AhuSeries` field, from the Brick class (the class names what the
point measures, whatever the id is called) and, only for a point without a class, from the
words in its id. :func:`ahu_series` turns the raw readings of those points into one series in
the rules' units, refusing a unit it does not know rather than judging a unit on a misread scale.

A unit is the first dotted part of the point id (``ahu1.supply_air_temp`` belongs to ``ahu1``),
the convention the gateways follow. A unit needs :data:`REQUIRED` (the supply air, which every
rule but the fan schedule judges, and the supply fan's status or speed, which gates them all);
groups of points without them (meters, zones, a radiator circuit) are not AHUs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final

import numpy as np

from analytics.equipment.ahu import AhuSeries, FloatArray
from byggpuls.reading import PointInfo

#: Brick classes of each field, the usual subclasses and synonyms (``Discharge_`` is Brick's
#: other name for supply air, a hot-water valve is a heating valve) included.
BRICK_CLASSES: Final[dict[str, tuple[str, ...]]] = {
    "supply_c": ("Supply_Air_Temperature_Sensor", "Discharge_Air_Temperature_Sensor"),
    "mixed_c": ("Mixed_Air_Temperature_Sensor",),
    "return_c": ("Return_Air_Temperature_Sensor",),
    "outdoor_c": ("Outside_Air_Temperature_Sensor",),
    "supply_setpoint_c": (
        "Supply_Air_Temperature_Setpoint",
        "Discharge_Air_Temperature_Setpoint",
        "Supply_Air_Temperature_Heating_Setpoint",
        "Discharge_Air_Temperature_Heating_Setpoint",
    ),
    "supply_setpoint_high_c": (
        "Supply_Air_Temperature_Cooling_Setpoint",
        "Discharge_Air_Temperature_Cooling_Setpoint",
    ),
    "heating_valve": ("Heating_Valve", "Hot_Water_Valve", "Preheat_Hot_Water_Valve"),
    "cooling_valve": ("Cooling_Valve", "Chilled_Water_Valve"),
    "damper": ("Outside_Air_Damper", "Economizer_Damper"),
    "fan_on": ("Fan_Status", "Fan_On_Off_Status", "Supply_Fan_Status", "Discharge_Fan_Status"),
    "fan_speed": ("Fan_Speed_Command", "Supply_Fan_Speed_Command", "Discharge_Fan_Speed_Command"),
    "airflow_m3_s": ("Supply_Air_Flow_Sensor", "Discharge_Air_Flow_Sensor"),
    "duct_pressure_pa": (
        "Supply_Air_Static_Pressure_Sensor",
        "Discharge_Air_Static_Pressure_Sensor",
    ),
    "duct_pressure_setpoint_pa": (
        "Supply_Air_Static_Pressure_Setpoint",
        "Discharge_Air_Static_Pressure_Setpoint",
    ),
}
#: For a point without a Brick class: word sets of which the id must contain one word each.
#: Alternatives cover the usual English abbreviations; words of other fields are excluded below.
ID_WORDS: Final[dict[str, tuple[frozenset[str], ...]]] = {
    "supply_c": (frozenset({"supply", "sa", "discharge"}), frozenset({"temp", "temperature"})),
    "mixed_c": (frozenset({"mixed", "ma", "mix"}), frozenset({"temp", "temperature"})),
    "return_c": (frozenset({"return", "ra", "extract"}), frozenset({"temp", "temperature"})),
    "outdoor_c": (
        frozenset({"outdoor", "outside", "oa"}),
        frozenset({"temp", "temperature"}),
    ),
    "supply_setpoint_c": (
        frozenset({"supply", "sa", "discharge"}),
        frozenset({"setpoint", "sp"}),
    ),
    "heating_valve": (frozenset({"heating", "heat", "hw"}), frozenset({"valve"})),
    "cooling_valve": (frozenset({"cooling", "cool", "chw"}), frozenset({"valve"})),
    "damper": (frozenset({"outdoor", "outside", "oa"}), frozenset({"damper"})),
    "fan_on": (frozenset({"fan"}), frozenset({"status", "state", "run", "on"})),
    "fan_speed": (frozenset({"fan"}), frozenset({"speed", "frequency"})),
    "airflow_m3_s": (frozenset({"supply", "sa", "discharge"}), frozenset({"flow", "airflow"})),
    "heat_recovery": (frozenset({"wheel", "recovery"}),),
}
#: Words that rule a point out of a field by id (a setpoint is not a sensor, an exhaust fan is
#: not the supply fan, a humidity sensor is not a temperature).
EXCLUDED_WORDS: Final[dict[str, frozenset[str]]] = {
    "supply_c": frozenset({"setpoint", "sp", "water"}),
    "mixed_c": frozenset({"setpoint", "sp"}),
    "return_c": frozenset({"setpoint", "sp", "water"}),
    "outdoor_c": frozenset({"setpoint", "sp", "humidity"}),
    "supply_setpoint_c": frozenset({"water", "cooling"}),
    "fan_on": frozenset({"exhaust", "return", "extract", "speed"}),
    "fan_speed": frozenset({"exhaust", "return", "extract"}),
    "heat_recovery": frozenset({"temp", "temperature", "setpoint", "sp", "alarm"}),
}
#: What a unit cannot be judged without (``fan_speed`` stands in for a missing fan status).
REQUIRED: Final = ("supply_c", "fan_on")

#: SenML unit → (scale, offset) to the rules' units, per kind of field.
_TEMPERATURE: Final = {"Cel": (1.0, 0.0), "K": (1.0, -273.15)}
_FRACTION: Final = {"%": (0.01, 0.0), "/": (1.0, 0.0)}
_FLOW: Final = {"m3/s": (1.0, 0.0), "m3/h": (1.0 / 3600.0, 0.0)}
_PRESSURE: Final = {"Pa": (1.0, 0.0), "kPa": (1000.0, 0.0)}
#: A status is on or off whatever its scale; a boolean point may carry no unit at all.
_STATUS: Final = {"/": (1.0, 0.0), "%": (1.0, 0.0), "": (1.0, 0.0)}
CONVERSIONS: Final[dict[str, dict[str, tuple[float, float]]]] = {
    "supply_c": _TEMPERATURE,
    "mixed_c": _TEMPERATURE,
    "return_c": _TEMPERATURE,
    "outdoor_c": _TEMPERATURE,
    "supply_setpoint_c": _TEMPERATURE,
    "supply_setpoint_high_c": _TEMPERATURE,
    "heating_valve": _FRACTION,
    "cooling_valve": _FRACTION,
    "damper": _FRACTION,
    "fan_speed": _FRACTION,
    "fan_on": _STATUS,
    "occupied": _STATUS,
    "airflow_m3_s": _FLOW,
    "heat_recovery": _FRACTION,
    "duct_pressure_pa": _PRESSURE,
    "duct_pressure_setpoint_pa": _PRESSURE,
}

_CLASS_FIELD: Final = {cls: name for name, classes in BRICK_CLASSES.items() for cls in classes}


def _words(point: str) -> frozenset[str]:
    return frozenset(w for w in re.split(r"[^a-z0-9]+", point.lower()) if w)


def _field_by_words(point: str) -> str | None:
    """The field a point's id names, or ``None`` when it names none or several."""
    words = _words(point.split(".", 1)[1] if "." in point else point)
    found = [
        name
        for name, groups in ID_WORDS.items()
        if all(words & group for group in groups)
        and not words & EXCLUDED_WORDS.get(name, frozenset())
    ]
    return found[0] if len(found) == 1 else None


def _preference(point: str, field: str) -> tuple[int, str]:
    # Several candidates for a field (two fan statuses, a sensor and its duplicate): the one
    # that says "supply" where the field is the supply side, then the first id in order.
    supply_side = field in ("fan_on", "fan_speed", "airflow_m3_s", "supply_c")
    return (0 if supply_side and "supply" in _words(point) else 1, point)


def ahu_units(points: Iterable[PointInfo]) -> dict[str, dict[str, str]]:
    """Per air handling unit (first dotted part of the point id), field name → point id.

    Fields come from the Brick class (:data:`BRICK_CLASSES`), else, for a point without one,
    from the words of its id (:data:`ID_WORDS`). Units lacking a :data:`REQUIRED` field (a
    fan speed counts for the status) are left out.
    """
    candidates: dict[str, dict[str, list[tuple[int, str]]]] = {}
    for info in points:
        if "." not in info.point:
            continue
        unit = info.point.split(".", 1)[0]
        if info.brick_class:
            field, rank = _CLASS_FIELD.get(info.brick_class), 0
        else:
            field, rank = _field_by_words(info.point), 1
        if field is not None:
            candidates.setdefault(unit, {}).setdefault(field, []).append((rank, info.point))
    units: dict[str, dict[str, str]] = {}
    for unit, fields in sorted(candidates.items()):
        chosen = {
            name: min(found, key=lambda c: (c[0], *_preference(c[1], name)))[1]
            for name, found in fields.items()
        }
        has_fan = "fan_on" in chosen or "fan_speed" in chosen
        if "supply_c" in chosen and has_fan:
            units[unit] = dict(sorted(chosen.items()))
    return units


def convert(values: FloatArray, *, field: str, unit: str, point: str = "") -> FloatArray:
    """``values`` of ``field`` from SenML ``unit`` to the rules' units (°C, 0-1, m³/s).

    Raises ``ValueError`` for a field or unit it does not know: a reading on an unknown scale
    would be judged wrong.
    """
    if field not in CONVERSIONS:
        raise ValueError(f"unknown AhuSeries field {field!r}; known: {sorted(CONVERSIONS)}")
    table = CONVERSIONS[field]
    if unit not in table:
        where = f"point {point!r} ({field})" if point else field
        raise ValueError(
            f"{where} has unit {unit!r}, which is not known; it must be one of {sorted(table)}"
        )
    scale, offset = table[unit]
    converted: FloatArray = np.asarray(values, dtype=np.float64) * scale + offset
    return converted


def ahu_series(
    *,
    times_s: FloatArray,
    values: Mapping[str, FloatArray],
    fields: Mapping[str, str],
    units: Mapping[str, str],
) -> AhuSeries:
    """One unit's :class:`AhuSeries` from raw readings on the time axis ``times_s``.

    ``values`` maps point id → readings (NaN where missing), ``fields`` field → point id (one
    unit of :func:`ahu_units`), ``units`` point id → SenML unit. Temperatures in ``Cel`` or
    ``K``, commands in ``%`` or ``/`` (ratio), airflow in ``m3/s`` or ``m3/h``; a fan status is
    on where non-zero (off where missing), and a missing status is the fan speed above zero.
    Raises ``ValueError`` for a unit it does not know or a point without readings or unit.
    """
    times = np.asarray(times_s, dtype=np.float64)
    arrays: dict[str, FloatArray] = {"times_s": times}
    for field, point in fields.items():
        if point not in values:
            raise ValueError(f"no readings for point {point!r} ({field})")
        if point not in units:
            raise ValueError(f"no unit for point {point!r} ({field})")
        raw = np.asarray(values[point], dtype=np.float64)
        if raw.shape != times.shape:
            raise ValueError(
                f"point {point!r} has {raw.shape} readings, the time axis {times.shape}"
            )
        converted = convert(raw, field=field, unit=units[point], point=point)
        if field in ("fan_on", "occupied"):
            converted = (np.nan_to_num(converted) != 0.0).astype(np.float64)
        arrays[field] = converted
    if "fan_on" not in arrays and "fan_speed" in arrays:
        arrays["fan_on"] = (np.nan_to_num(arrays["fan_speed"]) > 0.0).astype(np.float64)
    return AhuSeries.from_points(arrays)


__all__ = [
    "BRICK_CLASSES",
    "CONVERSIONS",
    "ID_WORDS",
    "REQUIRED",
    "ahu_series",
    "ahu_units",
    "convert",
]
