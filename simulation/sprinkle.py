"""A realistic, seeded sprinkling of faults for a building, for the demo to have something to find.

About a third of buildings get none, the rest one or two, of kinds that fit the building and
the season: heating faults only in the heating season, a leaking coil valve only where there
is a cooling coil, after-hours ventilation only where the ventilation normally stops.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Collection
from typing import Final

import numpy as np

from byggpuls.calendar import TIMEZONE, local_datetime_s
from simulation.faults import COUNTER_POINTS, FaultKind, FaultSpec
from simulation.model import BuildingModel
from simulation.noise import draws
from simulation.weather import BERGEN_MONTHLY_MEAN_C

#: Relative frequency of each kind among injected faults.
WEIGHTS: Final[dict[FaultKind, float]] = {
    FaultKind.AFTER_HOURS_VENTILATION: 3.0,
    FaultKind.AFTER_HOURS_HEATING: 2.0,
    FaultKind.SIMULTANEOUS_HEATING_COOLING: 1.5,
    FaultKind.DAMPER_STUCK_OPEN: 1.0,
    FaultKind.WINDOW_OPEN: 1.5,
    FaultKind.SETPOINT_TOO_HIGH: 1.5,
    FaultKind.BASELOAD_DRIFT: 1.5,
    FaultKind.METER_STUCK: 0.7,
    FaultKind.METER_SPIKE: 0.7,
    FaultKind.METER_GAP: 0.7,
    FaultKind.COUNTER_RESET: 0.5,
}
_HEATING_SEASON_BELOW_C: Final = 11.0
_QUARTER_HOUR_S: Final = 900


def heating_season(time_s: float) -> bool:
    """Whether ``time_s`` falls in a month whose normal temperature needs heating in Bergen."""
    month = dt.datetime.fromtimestamp(time_s, tz=TIMEZONE).month
    return BERGEN_MONTHLY_MEAN_C[month - 1] < _HEATING_SEASON_BELOW_C


def sprinkle(
    model: BuildingModel,
    *,
    point_ids: Collection[str],
    window_start_s: float,
    window_end_s: float,
) -> list[FaultSpec]:
    """Faults starting in ``[window_start_s, window_end_s)``; the same model gives the same ones."""
    rng = draws(model.seed, 0xFA17)
    (count,) = rng.choices([0, 1, 2], weights=[0.3, 0.45, 0.25])
    faults: list[FaultSpec] = []
    used: set[FaultKind] = set()
    # A day's margin: a fault waits for the next evening or morning to begin.
    latest_s = max(window_start_s, window_end_s - 86_400.0)
    for _ in range(count):
        start_s = rng.uniform(window_start_s, latest_s)
        kinds = [k for k in WEIGHTS if k not in used and _fits(k, model, start_s)]
        if not kinds:
            break
        (kind,) = rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])
        used.add(kind)
        faults.append(_MAKERS[kind](model, rng, start_s, sorted(point_ids)))
    return faults


def _fits(kind: FaultKind, model: BuildingModel, start_s: float) -> bool:
    if kind == FaultKind.AFTER_HOURS_VENTILATION:
        return model.schedule.night_speed == 0.0
    if kind == FaultKind.AFTER_HOURS_HEATING:
        return heating_season(start_s) and any(z.setback_k > 0.0 for z in model.zones)
    if kind == FaultKind.SIMULTANEOUS_HEATING_COOLING:
        return model.ahu.has_cooling
    if kind in (FaultKind.DAMPER_STUCK_OPEN, FaultKind.WINDOW_OPEN, FaultKind.SETPOINT_TOO_HIGH):
        return heating_season(start_s)
    return True


def _at_local_hour(time_s: float, hour: float, *, days_later: int = 0) -> float:
    """The first ``hour`` o'clock (local) at or after ``time_s``, ``days_later`` days on."""
    date = dt.datetime.fromtimestamp(time_s, tz=TIMEZONE).date()
    if local_datetime_s(date, hour) < time_s:
        date += dt.timedelta(days=1)
    return local_datetime_s(date + dt.timedelta(days=days_later), hour)


def _quarter(time_s: float) -> float:
    return float(np.floor(time_s / _QUARTER_HOUR_S) * _QUARTER_HOUR_S)


Maker = Callable[[BuildingModel, random.Random, float, list[str]], FaultSpec]


def _after_hours_ventilation(
    model: BuildingModel, rng: random.Random, start_s: float, _: list[str]
) -> FaultSpec:
    # Switched to manual at the end of a day, noticed one to six days later.
    sched = model.schedule
    start = _at_local_hour(start_s, sched.hvac_stop_h)
    end = _at_local_hour(start, sched.hvac_start_h, days_later=rng.randrange(0, 6))
    return FaultSpec(FaultKind.AFTER_HOURS_VENTILATION, start, end)


def _after_hours_heating(
    model: BuildingModel, rng: random.Random, start_s: float, _: list[str]
) -> FaultSpec:
    sched = model.schedule
    start = _at_local_hour(start_s, sched.hvac_stop_h)
    end = _at_local_hour(start, sched.hvac_start_h, days_later=rng.randrange(2, 10))
    return FaultSpec(FaultKind.AFTER_HOURS_HEATING, start, end)


def _simultaneous(
    model: BuildingModel, rng: random.Random, start_s: float, _: list[str]
) -> FaultSpec:
    valve = "cooling" if heating_season(start_s) else "heating"
    duration_s = rng.uniform(4, 14) * 86_400
    position = float(np.round(rng.uniform(20, 50)))
    return FaultSpec(
        FaultKind.SIMULTANEOUS_HEATING_COOLING,
        _quarter(start_s),
        _quarter(start_s + duration_s),
        valve=valve,
        position_pct=position,
    )


def _damper(model: BuildingModel, rng: random.Random, start_s: float, _: list[str]) -> FaultSpec:
    duration_s = rng.uniform(2, 10) * 86_400
    return FaultSpec(FaultKind.DAMPER_STUCK_OPEN, _quarter(start_s), _quarter(start_s + duration_s))


def _window(model: BuildingModel, rng: random.Random, start_s: float, _: list[str]) -> FaultSpec:
    # Left open at the end of the day, found the next morning or after a weekend.
    zone = rng.choice(model.zones).id
    start = _at_local_hour(start_s, rng.uniform(14.5, 16.5))
    end = _at_local_hour(start, 7.5, days_later=rng.randrange(0, 3))
    return FaultSpec(FaultKind.WINDOW_OPEN, start, end, zone=zone)


def _setpoint(model: BuildingModel, rng: random.Random, start_s: float, _: list[str]) -> FaultSpec:
    zone = None if rng.random() < 0.3 else rng.choice(model.zones).id
    start = _at_local_hour(start_s, 9.0)
    end = _at_local_hour(start, 9.0, days_later=rng.randrange(5, 21))
    delta = float(np.round(rng.uniform(2.0, 4.0), 1))
    return FaultSpec(FaultKind.SETPOINT_TOO_HIGH, start, end, zone=zone, delta_c=delta)


def _drift(model: BuildingModel, rng: random.Random, start_s: float, _: list[str]) -> FaultSpec:
    duration_s = rng.uniform(7, 15) * 86_400
    extra_kw = float(np.round(rng.uniform(1.5, 4.0) * model.area_m2 / 1e3, 1))
    return FaultSpec(
        FaultKind.BASELOAD_DRIFT,
        _quarter(start_s),
        _quarter(start_s + duration_s),
        extra_kw=extra_kw,
    )


def _stuck(
    model: BuildingModel, rng: random.Random, start_s: float, points: list[str]
) -> FaultSpec:
    choices = [
        p
        for p in ("el.energy", "dh.energy", "zone1.air_temp", "ahu1.supply_air_temp")
        if p in points
    ]
    point = rng.choice(choices)
    duration_s = rng.uniform(6, 48) * 3600
    return FaultSpec(
        FaultKind.METER_STUCK, _quarter(start_s), _quarter(start_s + duration_s), points=(point,)
    )


def _spike(model: BuildingModel, rng: random.Random, start_s: float, _: list[str]) -> FaultSpec:
    point = "el.power" if rng.random() < 0.6 else "dh.power"
    start = _quarter(start_s)
    factor = float(np.round(rng.uniform(5.0, 20.0)))
    return FaultSpec(
        FaultKind.METER_SPIKE, start, start + _QUARTER_HOUR_S, points=(point,), factor=factor
    )


def _gap(model: BuildingModel, rng: random.Random, start_s: float, points: list[str]) -> FaultSpec:
    # The gateway was offline: every point is missing.
    duration_s = float(rng.randrange(4, 33)) * _QUARTER_HOUR_S
    start = _quarter(start_s)
    return FaultSpec(FaultKind.METER_GAP, start, start + duration_s, points=tuple(points))


def _reset(
    model: BuildingModel, rng: random.Random, start_s: float, points: list[str]
) -> FaultSpec:
    counters = [p for p in COUNTER_POINTS if p in points]
    point = rng.choice(counters)
    start = _quarter(start_s) + float(rng.randrange(1, _QUARTER_HOUR_S))
    return FaultSpec(FaultKind.COUNTER_RESET, start, start, points=(point,))


_MAKERS: Final[dict[FaultKind, Maker]] = {
    FaultKind.AFTER_HOURS_VENTILATION: _after_hours_ventilation,
    FaultKind.AFTER_HOURS_HEATING: _after_hours_heating,
    FaultKind.SIMULTANEOUS_HEATING_COOLING: _simultaneous,
    FaultKind.DAMPER_STUCK_OPEN: _damper,
    FaultKind.WINDOW_OPEN: _window,
    FaultKind.SETPOINT_TOO_HIGH: _setpoint,
    FaultKind.BASELOAD_DRIFT: _drift,
    FaultKind.METER_STUCK: _stuck,
    FaultKind.METER_SPIKE: _spike,
    FaultKind.METER_GAP: _gap,
    FaultKind.COUNTER_RESET: _reset,
}
