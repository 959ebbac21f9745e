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
    noise = true                     # optional, variability (below)
    legitimate_use = ["cleaning", "community_use"]
    faults = "auto"                  # "none" (default), "auto" or a list of tables:

    [[buildings.faults]]
    kind = "after_hours_ventilation"
    start = 2026-01-09T16:00:00+01:00    # or start_day = 4.625 (days after the portfolio start)
    end = 2026-01-12T06:00:00+01:00      # or end_day = ..., or duration_h = 62

Fault parameters (see :mod:`simulation.faults`): ``zone``, ``delta_c``, ``valve``,
``position_pct``, ``opening_m3_h``, ``extra_kw``, ``points``, ``factor``.

Variability, none of it a fault (see :mod:`simulation.variability` and
:mod:`simulation.activities`); every building has all of it unless told otherwise:

- ``noise``: meter and occupant noise. ``true`` draws the relative standard deviation of
  hourly electricity and of heat from 5-15 % each, and the zone temperature readings' wander
  from 0.1-0.3 K; a number sets both relative deviations (e.g. ``0.1``; ``0`` is no noise at
  all); a table sets any of ``electricity``, ``heat`` and ``temperature_k`` (the rest drawn);
  ``false``: none.
- ``legitimate_use``: use outside opening hours that is not a fault, recorded in the ground
  truth. ``true``: every activity the building type has; a list picks some of
  ``cleaning``, ``community_use``, ``event``, ``early_opening``, ``late_work``; ``false``: none.
- ``drift``: base-load drift. ``true`` draws the standard deviation of its change over 30 days
  from 1-4 %; a number sets it (e.g. ``0.03``); ``false``: none.
- ``daylight``: lights in use dimmed by daylight (``true``) or not.

A top-level ``variability = true`` makes every building's default all of it; without it (the
default, for now) every building's series is clean, as the timetable and physics give it, and
a building's own keys still apply. The clean series is the default only until the detectors
are judged on the varied one: on it, the after-hours detector takes legitimate use and noise
for waste (see the analytics issue's notes).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NoReturn

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingType, is_id
from simulation.activities import ALL_ACTIVITIES
from simulation.faults import FaultKind, FaultSpec
from simulation.model import SIMULATED_TYPES
from simulation.variability import VariabilityConfig

TOP_KEYS: Final = frozenset(
    {"seed", "start", "interval_s", "fault_window_days", "variability", "buildings"}
)
BUILDING_KEYS: Final = frozenset(
    {
        "id", "type", "area_m2", "name", "address", "seed", "water", "cooling", "faults",
        "noise", "legitimate_use", "drift", "daylight",
    }
)  # fmt: skip
NOISE_KEYS: Final = frozenset({"electricity", "heat", "temperature_k"})
#: Largest relative noise, temperature wander (K) and monthly drift a configuration may ask for.
MAX_NOISE: Final = 0.5
MAX_TEMPERATURE_NOISE_K: Final = 2.0
MAX_DRIFT: Final = 0.2
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
    variability: VariabilityConfig = field(default_factory=VariabilityConfig)


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
    varied = _flag(config.get("variability", False), "variability")
    raw_buildings = config.get("buildings")
    if (
        not isinstance(raw_buildings, Sequence)
        or isinstance(raw_buildings, str)
        or not raw_buildings
    ):
        _fail("buildings", "give at least one [[buildings]] table with an id and a type")
    buildings = tuple(
        _building(raw, f"buildings[{i}]", start, varied=varied)
        for i, raw in enumerate(raw_buildings)
    )
    seen: set[str] = set()
    for i, building in enumerate(buildings):
        if building.id in seen:
            _fail(f"buildings[{i}].id", f"{building.id!r} is used twice; ids must be unique")
        seen.add(building.id)
    return PortfolioConfig(seed, start, interval, window, buildings)


def _building(raw: Any, where: str, start_s: float, *, varied: bool) -> BuildingConfig:
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
        variability=_variability(raw, where, varied=varied),
    )


def _bounded(value: Any, where: str, high: float) -> float:
    number = _number(value, where)
    if not 0.0 <= number <= high:
        _fail(where, f"must be from 0 to {high:g}, not {number:g}")
    return number


def _variability(raw: Mapping[str, Any], where: str, *, varied: bool) -> VariabilityConfig:
    base = VariabilityConfig() if varied else VariabilityConfig.off()
    el, heat, wander = base.electricity_noise, base.heat_noise, base.temperature_noise_k
    if "noise" in raw:
        el, heat, wander = _noise(raw["noise"], f"{where}.noise")
    chosen = base.activities
    if "legitimate_use" in raw:
        chosen = _activities(raw["legitimate_use"], f"{where}.legitimate_use")
    drift = base.drift_per_month
    if "drift" in raw:
        value = raw["drift"]
        if isinstance(value, bool):
            drift = None if value else 0.0
        else:
            drift = _bounded(value, f"{where}.drift", MAX_DRIFT)
    daylight = _flag(raw["daylight"], f"{where}.daylight") if "daylight" in raw else base.daylight
    return VariabilityConfig(el, heat, wander, drift, chosen, daylight)


def _noise(noise: Any, where: str) -> tuple[float | None, float | None, float | None]:
    """Electricity, heat and temperature noise (``None``: draw it) from a ``noise`` value."""
    if isinstance(noise, bool):
        return (None, None, None) if noise else (0.0, 0.0, 0.0)
    if isinstance(noise, Mapping):
        _check_keys(noise, NOISE_KEYS, where)
        el, heat = (
            _bounded(noise[k], f"{where}.{k}", MAX_NOISE) if k in noise else None
            for k in ("electricity", "heat")
        )
        wander = (
            _bounded(noise["temperature_k"], f"{where}.temperature_k", MAX_TEMPERATURE_NOISE_K)
            if "temperature_k" in noise
            else None
        )
        return el, heat, wander
    if isinstance(noise, int | float):
        level = _bounded(noise, where, MAX_NOISE)
        return level, level, None if level > 0.0 else 0.0
    _fail(where, f"use true, false, a relative standard deviation or a table, not {noise!r}")


def _activities(use: Any, where: str) -> frozenset[str]:
    if isinstance(use, bool):
        return ALL_ACTIVITIES if use else frozenset()
    if isinstance(use, Sequence) and not isinstance(use, str):
        unknown = [a for a in use if a not in ALL_ACTIVITIES]
        if unknown:
            _fail(where, f"unknown activities {unknown}; use some of {sorted(ALL_ACTIVITIES)}")
        return frozenset(use)
    _fail(where, f"use true, false or a list of activities, not {use!r}")


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
