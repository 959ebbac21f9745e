"""Who is in the building when, and when its ventilation and comfort heating run.

Occupancy is a daily profile per building type and zone kind (piecewise linear in local time),
chosen by the kind of day, times a random factor per zone and day and per zone and step. The
ventilation runs in the building's hours; comfort heating starts ``preheat_h`` earlier. Outside
them the heating is set back and the fans stop (nursing homes: reduced speed all night).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from byggpuls.calendar import BoolArray, DayInfo, LocalTime
from byggpuls.reading import BuildingType
from simulation.model import BuildingModel
from simulation.noise import FloatArray, IntArray, derive_key, normal, uniform

Profile = tuple[tuple[float, ...], tuple[float, ...]]

SCHOOL_DAY: Final[Profile] = (
    (0, 7, 7.75, 8.25, 11, 11.5, 12.25, 14, 14.5, 16, 17, 18, 24),
    (0, 0, 0.2, 0.9, 0.95, 0.7, 0.9, 0.8, 0.35, 0.15, 0.03, 0, 0),
)
STAFF_DAY: Final[Profile] = ((0, 7, 8, 15.5, 16.5, 24), (0, 0, 0.8, 0.8, 0.1, 0))
KINDERGARTEN_DAY: Final[Profile] = (
    (0, 7, 7.25, 8.5, 9, 14.5, 15.5, 16.5, 17, 24),
    (0, 0, 0.15, 0.8, 0.95, 0.9, 0.6, 0.2, 0, 0),
)
OFFICE_DAY: Final[Profile] = (
    (0, 6.5, 7.5, 8.5, 11, 11.5, 12.5, 15, 16, 17, 18, 19, 24),
    (0, 0, 0.3, 0.8, 0.9, 0.6, 0.85, 0.75, 0.4, 0.15, 0.05, 0, 0),
)
RESIDENTS: Final[Profile] = (
    (0, 7, 9, 12, 15, 18, 21, 24),
    (0.95, 0.9, 0.8, 0.85, 0.8, 0.85, 0.95, 0.95),
)
NURSING_COMMON: Final[Profile] = (
    (0, 7, 8, 11, 12, 13, 15, 17, 19, 21, 24),
    (0.05, 0.1, 0.6, 0.5, 1.0, 0.6, 0.7, 0.9, 0.4, 0.1, 0.05),
)
HALL_WEEKDAY: Final[Profile] = (
    (0, 7.9, 8.2, 11, 11.5, 12.5, 14.5, 15.5, 16.5, 21.5, 22.5, 23, 24),
    (0, 0, 0.45, 0.5, 0.3, 0.5, 0.4, 0.3, 0.85, 0.9, 0.2, 0, 0),
)
HALL_WEEKEND: Final[Profile] = ((0, 8.5, 9.5, 19, 20, 20.5, 24), (0, 0, 0.7, 0.6, 0.1, 0, 0))


@dataclass(frozen=True, slots=True)
class ScheduleArrays:
    """The schedule at each step (zones along the first axis where there is one)."""

    #: Fraction of each zone's peak occupancy the timetable expects, (zones, steps).
    occupancy: FloatArray
    #: Whether the ventilation is scheduled to run.
    in_hours: BoolArray
    #: Whether comfort (day) heating setpoints apply.
    comfort: BoolArray
    #: Area-weighted mean of the expected occupancy, 0-1.
    usage: FloatArray


def _profile(profile: Profile, hour: FloatArray) -> FloatArray:
    hours, values = profile
    result: FloatArray = np.interp(hour, hours, values)
    return result


def _between(hour: FloatArray, start: float, stop: float) -> BoolArray:
    result: BoolArray = (hour >= start) & (hour < stop)
    return result


@dataclass(frozen=True, slots=True)
class _Hours:
    """The local hour and the building's weekday hours, shared by the per-type timetables."""

    hour: FloatArray
    running: BoolArray  # ventilation hours on a working day
    comfort: BoolArray  # the same, extended by the preheat


_Plan = tuple[list[FloatArray], BoolArray, BoolArray]  # occupancy rows, in hours, comfort


def _school(kinds: list[str], days: DayInfo, h: _Hours) -> _Plan:
    open_ = days.workday & ~days.school_holiday
    # Staff come in on holiday weekdays too, a few of them.
    staff = np.where(open_, 1.0, np.where(days.workday, 0.1, 0.0)) * _profile(STAFF_DAY, h.hour)
    pupils = open_ * _profile(SCHOOL_DAY, h.hour)
    rows = [
        staff if kind == "office" else pupils * (0.8 if kind == "gym" else 1.0) for kind in kinds
    ]
    return rows, open_ & h.running, open_ & h.comfort


def _kindergarten(kinds: list[str], days: DayInfo, h: _Hours) -> _Plan:
    open_ = days.workday & ~days.kindergarten_closed
    rows = [open_ * _profile(KINDERGARTEN_DAY, h.hour) for _ in kinds]
    return rows, open_ & h.running, open_ & h.comfort


def _nursing_home(kinds: list[str], days: DayInfo, h: _Hours) -> _Plan:
    profiles = {
        "resident": _profile(RESIDENTS, h.hour),
        "common": _profile(NURSING_COMMON, h.hour),
    }
    office = np.where(days.workday, 1.0, 0.1) * _profile(OFFICE_DAY, h.hour)
    rows = [profiles.get(kind, office) for kind in kinds]
    # Residents live here: comfort heating all the time, the fans slow down at night only.
    return rows, h.running, np.ones_like(h.hour, dtype=bool)


def _office(kinds: list[str], days: DayInfo, h: _Hours) -> _Plan:
    level = np.where(days.low_season, 0.35, 1.0) * days.workday
    rows = [level * _profile(OFFICE_DAY, h.hour) for _ in kinds]
    return rows, days.workday & h.running, days.workday & h.comfort


def _sports_hall(
    kinds: list[str],
    days: DayInfo,
    h: _Hours,
    *,
    weekend_hours: tuple[float, float],
    preheat_h: float,
) -> _Plan:
    open_ = ~days.public_holiday & ~days.eve
    weekend = days.weekday >= 5
    base = np.where(weekend, _profile(HALL_WEEKEND, h.hour), _profile(HALL_WEEKDAY, h.hour))
    base = base * open_ * np.where(days.low_season, 0.25, 1.0)
    rows = [base * (0.5 if kind == "common" else 1.0) for kind in kinds]
    start, stop = weekend_hours
    running = np.where(weekend, _between(h.hour, start, stop), h.running)
    comfort = np.where(weekend, _between(h.hour, start - preheat_h, stop), h.comfort)
    return rows, open_ & running, open_ & comfort


def evaluate(model: BuildingModel, local: LocalTime, days: DayInfo) -> ScheduleArrays:
    """The timetable of ``model`` at the given local times and kinds of day."""
    sched = model.schedule
    kinds = [zone.kind for zone in model.zones]
    hours = _Hours(
        hour=local.hour,
        running=_between(local.hour, sched.hvac_start_h, sched.hvac_stop_h),
        comfort=_between(local.hour, sched.hvac_start_h - sched.preheat_h, sched.hvac_stop_h),
    )
    btype = model.building_type
    if btype == BuildingType.SCHOOL:
        plan = _school(kinds, days, hours)
    elif btype == BuildingType.KINDERGARTEN:
        plan = _kindergarten(kinds, days, hours)
    elif btype == BuildingType.NURSING_HOME:
        plan = _nursing_home(kinds, days, hours)
    elif btype == BuildingType.OFFICE:
        plan = _office(kinds, days, hours)
    else:
        weekend = (sched.weekend_start_h or 0.0, sched.weekend_stop_h or 0.0)
        plan = _sports_hall(kinds, days, hours, weekend_hours=weekend, preheat_h=sched.preheat_h)
    rows, in_hours, comfort = plan
    occupancy = np.vstack(rows)
    areas = np.array([zone.area_m2 for zone in model.zones])
    usage = (areas @ occupancy) / areas.sum()
    return ScheduleArrays(occupancy=occupancy, in_hours=in_hours, comfort=comfort, usage=usage)


def people(
    model: BuildingModel,
    *,
    occupancy: FloatArray,
    steps: IntArray,
    hours: IntArray,
    days: IntArray,
) -> FloatArray:
    """People present per zone and step: the timetable times day-to-day and minute variation.

    ``steps``, ``hours`` and ``days`` count physics steps, UTC hours and local days; they key the
    random variation so that it does not depend on how the run is cut up.
    """
    result = np.empty_like(occupancy)
    for index, zone in enumerate(model.zones):
        key = derive_key(model.seed, "people", zone.id)
        daily = 1.0 + 0.12 * normal(key, days)
        if zone.kind == "meeting":
            # Meeting rooms are either in use or empty, hour by hour.
            busy = uniform(key ^ 1, hours) < occupancy[index] * 1.3
            level = 0.4 + 0.6 * uniform(key ^ 2, hours)
            result[index] = zone.peak_people * busy * level
            continue
        moment = 1.0 + 0.1 * normal(key ^ 3, steps)
        result[index] = zone.peak_people * occupancy[index] * np.clip(daily * moment, 0.0, 1.4)
    return result
