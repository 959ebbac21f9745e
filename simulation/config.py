"""Reading a portfolio description (a dict as parsed from TOML) and saying what is wrong with it.

Example (TOML)::

    seed = 7
    start = 2026-01-05T00:00:00Z     # or pass start_s to Portfolio.from_config
    interval_s = 900                 # default 60
    fault_window_days = 28           # where faults = "auto" may put faults (default 28)

    [[buildings]]
    id = "skole-01"                  # required; lower case, digits, '-' and '_'
    type = "school"                  # school | kindergarten | nursing_home | office | sports_hall
    area_m2 = 4200                   # optional; drawn from the type's range if left out
    name = "Minde skole"             # optional
    address = "Kalfarveien 31, 5018 Bergen"   # optional
    seed = 11                        # optional; default derived from the portfolio seed and id
    water = true                     # optional: a water meter
    cooling = false                  # optional: a cooling coil in the air handling unit
    faults = "auto"                  # "none" (default), "auto" or a list of tables:

    [[buildings.faults]]
    kind = "after_hours_ventilation"
    start = 2026-01-09T16:00:00+01:00    # or start_day = 4.625 (days after the portfolio start)
    end = 2026-01-12T06:00:00+01:00      # or end_day = ..., or duration_h = 62

Fault parameters (see :mod:`simulation.faults`): ``zone``, ``delta_c``, ``valve``,
``position_pct``, ``opening_m3_h``, ``extra_kw``, ``points``, ``factor``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingType, is_id
from simulation.faults import FaultKind, FaultSpec
from simulation.model import SIMULATED_TYPES

TOP_KEYS: Final = frozenset({"seed", "start", "interval_s", "fault_window_days", "buildings"})
BUILDING_KEYS: Final = frozenset(
    {"id", "type", "area_m2", "name", "address", "seed", "water", "cooling", "faults"}
)
FAULT_KEYS: Final = frozenset(
    {
        "kind", "start", "start_day", "end", "end_day", "duration_h", "zone", "delta_c", "valve",
        "position_pct", "opening_m3_h", "extra_kw", "points", "factor",
    }
)  # fmt: skip
MAX_AREA_M2: Final = 500_000.0


@dataclass(frozen=True, slots=True)
class BuildingConfig:
    """One building as the configuration describes it (``None``: draw it)."""

    id: str
    type: BuildingType
    area_m2: float | None
    name: str | None
    address: str | None
    seed: int | None
    water: bool | None
    cooling: bool | None
    faults: Literal["auto", "none"] | tuple[FaultSpec, ...]


@dataclass(frozen=True, slots=True)
class PortfolioConfig:
    """A validated portfolio description."""

    seed: int
    start_s: float
    interval_s: int
    fault_window_days: float
    buildings: tuple[BuildingConfig, ...]


def _fail(where: str, problem: str) -> NoReturn:
    raise ConfigError(f"{where}: {problem}" if where else problem)


def _check_keys(raw: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        _fail(where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(where, f"must be a number, not {value!r}")
    if positive and not value > 0:
        _fail(where, f"must be positive, not {value!r}")
    return float(value)


def _integer(value: Any, where: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, f"must be a whole number, not {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        _fail(where, f"must be {bounds}, not {value}")
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(where, f"must be a non-empty string, not {value!r}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, f"must be true or false, not {value!r}")
    return value


def parse_time(value: Any, where: str) -> float:
    """UTC epoch seconds from a TOML date-time, an ISO 8601 string or a number of seconds."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            _fail(where, f"{value!r} is not an ISO 8601 date-time (e.g. 2026-01-05T08:00:00+01:00)")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            _fail(where, f"{value.isoformat()} has no UTC offset; add one, e.g. +01:00 or Z")
        return value.timestamp()
    if isinstance(value, dt.date):
        _fail(where, f"{value.isoformat()} is a date; give a date-time with a UTC offset")
    return _number(value, where)


def parse(config: Mapping[str, Any], *, start_s: float | None = None) -> PortfolioConfig:
    """Validate ``config``; raises :class:`ConfigError` saying where and what to fix."""
    if not isinstance(config, Mapping):
        _fail("", f"a portfolio config must be a table (dict), not {type(config).__name__}")
    _check_keys(config, TOP_KEYS, "portfolio")
    seed = _integer(config.get("seed", 0), "seed", low=0)
    if "start" in config:
        start = parse_time(config["start"], "start")
    elif start_s is not None:
        start = float(start_s)
    else:
        _fail("start", "missing: set start = 2026-01-05T00:00:00Z or pass start_s")
    interval = _integer(config.get("interval_s", 60), "interval_s", low=1, high=86_400)
    window = _number(config.get("fault_window_days", 28.0), "fault_window_days", positive=True)
    raw_buildings = config.get("buildings")
    if (
        not isinstance(raw_buildings, Sequence)
        or isinstance(raw_buildings, str)
        or not raw_buildings
    ):
        _fail("buildings", "give at least one [[buildings]] table with an id and a type")
    buildings = tuple(
        _building(raw, f"buildings[{i}]", start) for i, raw in enumerate(raw_buildings)
    )
    seen: set[str] = set()
    for i, building in enumerate(buildings):
        if building.id in seen:
            _fail(f"buildings[{i}].id", f"{building.id!r} is used twice; ids must be unique")
        seen.add(building.id)
    return PortfolioConfig(seed, start, interval, window, buildings)


def _building(raw: Any, where: str, start_s: float) -> BuildingConfig:
    if not isinstance(raw, Mapping):
        _fail(where, "must be a table with at least id and type")
    _check_keys(raw, BUILDING_KEYS, where)
    if "id" not in raw:
        _fail(f"{where}.id", 'missing; e.g. id = "skole-01"')
    building_id = _text(raw["id"], f"{where}.id")
    if not is_id(building_id):
        _fail(f"{where}.id", f"{building_id!r}: use 1-64 of a-z, 0-9, '_' and '-'")
    types = [t.value for t in SIMULATED_TYPES]
    if raw.get("type") not in types:
        _fail(f"{where}.type", f"{raw.get('type')!r} is not a building type; use one of {types}")
    area = raw.get("area_m2")
    if area is not None:
        area = _number(area, f"{where}.area_m2", positive=True)
        if area > MAX_AREA_M2:
            _fail(f"{where}.area_m2", f"{area:g} m² is implausible; at most {MAX_AREA_M2:g}")
    faults_raw = raw.get("faults", "none")
    faults: Literal["auto", "none"] | tuple[FaultSpec, ...]
    if faults_raw in ("auto", "none"):
        faults = faults_raw
    elif isinstance(faults_raw, Sequence) and not isinstance(faults_raw, str):
        faults = tuple(_fault(f, f"{where}.faults[{j}]", start_s) for j, f in enumerate(faults_raw))
    else:
        _fail(
            f"{where}.faults", f'use "auto", "none" or a list of fault tables, not {faults_raw!r}'
        )
    optional_text = {
        k: _text(raw[k], f"{where}.{k}") if k in raw else None for k in ("name", "address")
    }
    return BuildingConfig(
        id=building_id,
        type=BuildingType(raw["type"]),
        area_m2=area,
        name=optional_text["name"],
        address=optional_text["address"],
        seed=_integer(raw["seed"], f"{where}.seed", low=0) if "seed" in raw else None,
        water=_flag(raw["water"], f"{where}.water") if "water" in raw else None,
        cooling=_flag(raw["cooling"], f"{where}.cooling") if "cooling" in raw else None,
        faults=faults,
    )


def _fault(raw: Any, where: str, start_s: float) -> FaultSpec:
    if not isinstance(raw, Mapping):
        _fail(where, "must be a table with kind and start")
    _check_keys(raw, FAULT_KEYS, where)
    kinds = [k.value for k in FaultKind]
    if raw.get("kind") not in kinds:
        _fail(f"{where}.kind", f"{raw.get('kind')!r} is not a fault kind; use one of {kinds}")
    kind = FaultKind(raw["kind"])
    begin = _moment(raw, "start", where, start_s)
    if begin is None:
        _fail(where, "missing start (a date-time) or start_day (days after the portfolio start)")
    finish = _moment(raw, "end", where, start_s)
    if "duration_h" in raw:
        if finish is not None:
            _fail(where, "give end, end_day or duration_h, not several")
        finish = begin + 3600.0 * _number(raw["duration_h"], f"{where}.duration_h", positive=True)
    if kind == FaultKind.COUNTER_RESET:
        if finish is not None:
            _fail(where, "a counter reset is an instant: give only its start")
        finish = begin
    elif finish is None:
        _fail(where, "missing end, end_day or duration_h")
    points = raw.get("points", ())
    if isinstance(points, str):
        points = (points,)
    if not isinstance(points, Sequence) or not all(isinstance(p, str) for p in points):
        _fail(f"{where}.points", f"must be a list of point ids, not {points!r}")
    numbers = {
        key: _number(raw[key], f"{where}.{key}")
        for key in ("delta_c", "position_pct", "opening_m3_h", "extra_kw", "factor")
        if key in raw
    }
    return FaultSpec(
        kind=kind,
        start_s=begin,
        end_s=finish,
        zone=_text(raw["zone"], f"{where}.zone") if "zone" in raw else None,
        delta_c=numbers.get("delta_c", 3.0),
        valve=_text(raw["valve"], f"{where}.valve") if "valve" in raw else "cooling",
        position_pct=numbers.get("position_pct", 30.0),
        opening_m3_h=numbers.get("opening_m3_h"),
        extra_kw=numbers.get("extra_kw"),
        points=tuple(points),
        factor=numbers.get("factor", 10.0),
    )


def _moment(raw: Mapping[str, Any], name: str, where: str, start_s: float) -> float | None:
    relative = f"{name}_day"
    if name in raw and relative in raw:
        _fail(where, f"give {name} or {relative}, not both")
    if name in raw:
        return parse_time(raw[name], f"{where}.{name}")
    if relative in raw:
        return start_s + 86_400.0 * _number(raw[relative], f"{where}.{relative}")
    return None
