"""Legitimate use outside opening hours: what a building is used for that is not a fault.

Real buildings are not empty when their timetable says so, and a detector that flags every
evening with lights on is no use. Each kind of building gets the uses it has in Bergen:

- ``cleaning``: schools, kindergartens and offices are cleaned on weekday evenings (offices and
  sports halls early in the morning), 1-3 hours of lights, some equipment, and in some
  buildings the ventilation switched on for it.
- ``community_use``: schools let their gym (and sometimes a classroom) to clubs on a few term
  evenings a week; sports halls run tournaments past closing on weekend evenings. People,
  lights, ventilation and heating, as booked.
- ``event``: a school concert or flea market on a term Saturday, a parents' evening, a
  kindergarten's Saturday clean-up, a sports hall's tournament starting early.
- ``early_opening``: a kindergarten opens from about 06:15 for the children brought early.
- ``late_work``: people working late in an office, or at the weekend.

Nursing homes are in use around the clock and get none. Each local day's episodes are drawn
from the building's seed and the day alone, so they do not depend on how the run is cut; they
never overlap each other and end by midnight. The simulation records each episode in the
ground truth as ``legitimate_use`` with ``fault = False`` (see :mod:`simulation.faults`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

import numpy as np

from byggpuls.calendar import BoolArray, date_of, day_info, local_datetime_s, local_time
from byggpuls.reading import BuildingType
from simulation.model import BuildingModel, ScheduleModel
from simulation.noise import FloatArray, draws

#: The ground-truth kind of a legitimate-use episode.
LEGITIMATE_USE_KIND: Final = "legitimate_use"


class Activity(StrEnum):
    """The kinds of legitimate use outside opening hours."""

    CLEANING = "cleaning"
    COMMUNITY_USE = "community_use"
    EVENT = "event"
    EARLY_OPENING = "early_opening"
    LATE_WORK = "late_work"


ALL_ACTIVITIES: Final = frozenset(a.value for a in Activity)
_QUARTER_H: Final = 0.25
#: Booked rooms are heated from this long before the booking.
_PREHEAT_S: Final = 3600.0
_DAY_S: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class Episode:
    """One use of the building outside its timetable."""

    activity: Activity
    start_s: float
    end_s: float
    #: Share of each zone's peak occupancy present (one per zone, in the model's order).
    occupancy: tuple[float, ...]
    #: Share of the building's lighting on.
    lighting: float
    #: Extra plug load, as a share of the peak plug load.
    plug: float
    #: Whether the ventilation runs for it (where the timetable has it stopped).
    ventilation: bool
    #: Whether the zones are heated to comfort for it (from an hour before).
    heating: bool


@dataclass(frozen=True, slots=True)
class _Day:
    """What one local day is, as the planners need it."""

    day: int
    weekday: int
    workday: bool
    #: On a weekend: whether the school week around it is a holiday (a holiday's own flag
    #: leaves weekends out).
    school_holiday: bool
    kindergarten_closed: bool
    public_holiday: bool
    eve: bool
    low_season: bool

    @property
    def term(self) -> bool:
        return self.workday and not self.school_holiday

    @property
    def weekend(self) -> bool:
        return self.weekday >= 5

    def at(self, hour: float) -> float:
        """UTC epoch seconds of ``hour`` o'clock local time on this day."""
        return local_datetime_s(date_of(self.day), hour)


def _quarter(hour: float) -> float:
    return round(hour / _QUARTER_H) * _QUARTER_H


class _Planner:
    """Builds one day's episodes, keeping them apart and before midnight."""

    def __init__(self, day: _Day, kinds: Sequence[str], rng: random.Random) -> None:
        self.day = day
        self.kinds = tuple(kinds)
        self.rng = rng
        self.episodes: list[tuple[float, float, Episode]] = []  # start hour, end hour, episode

    def occupancy(self, shares: dict[str, float], default: float = 0.0) -> tuple[float, ...]:
        return tuple(shares.get(kind, default) for kind in self.kinds)

    def add(
        self,
        activity: Activity,
        start_h: float,
        end_h: float,
        *,
        occupancy: tuple[float, ...],
        lighting: float,
        plug: float = 0.0,
        ventilation: bool = False,
        heating: bool = False,
        movable: bool = True,
    ) -> None:
        """Plan an episode. A ``movable`` one (cleaning, work) fits around those planned before
        it: it starts when one in its way ends and stops when the next begins. One that is not
        (a booking, an event) is dropped when its time is taken."""
        start_h, end_h = _quarter(start_h), min(_quarter(end_h), 24.0)
        for start, end, _ in sorted(self.episodes, key=lambda e: e[0]):
            if movable and start <= start_h < end:
                start_h = end
            if movable and start_h < start < end_h:
                end_h = start
        if end_h - start_h < 0.5 or any(s < end_h and start_h < e for s, e, _ in self.episodes):
            return  # no room for it today
        day = self.day
        episode = Episode(
            activity,
            day.at(start_h),
            day.at(end_h) if end_h < 24.0 else day.at(0.0) + _DAY_S,
            occupancy,
            lighting,
            plug,
            ventilation,
            heating,
        )
        self.episodes.append((start_h, end_h, episode))


@dataclass(frozen=True, slots=True)
class _Habits:
    """What a building does the same way week after week, drawn once from its seed.

    Regular use (the cleaning at its usual time, a club's booking every Tuesday) is what a
    detector can learn to expect; the occasional use on top of it (an event, someone working
    late) is what it must still not call a fault.
    """

    #: Cleaning: usual start (local hour), length, and whether it runs the ventilation.
    clean_start_h: float
    clean_hours: float
    clean_ventilation: bool
    clean_lighting: float
    #: Regular bookings: (weekday, start hour, hours), and whether the fans run for them.
    lets: tuple[tuple[int, float, float], ...]
    let_ventilation: bool
    #: A kindergarten that opens early every day for the children of shift workers.
    early_opening: bool
    early_start_h: float


@lru_cache(maxsize=256)
def _habits(seed: int, building_type: BuildingType, sched: ScheduleModel) -> _Habits:
    rng = draws(seed, "habits")
    # Everything is drawn for every type, in one order, so that the draws stay independent.
    u_start, u_hours, u_vent = (rng.random() for _ in range(3))
    lighting = rng.uniform(0.3, 0.6)
    morning = rng.random() < 0.5  # offices: cleaned before work rather than after
    (count,) = rng.choices([1, 2, 3], weights=[0.3, 0.45, 0.25])
    weekdays = sorted(rng.sample(range(4), count))  # Monday to Thursday evenings
    lets = [(day, _quarter(rng.uniform(17.5, 19.0)), rng.uniform(2.0, 3.5)) for day in weekdays]
    let_ventilation = rng.random() < 0.85
    weekend_day, weekend_hours = rng.choice([5, 6]), rng.uniform(1.0, 2.5)
    early, early_start = rng.random() < 0.5, rng.choice([6.0, 6.25, 6.5])
    stop = sched.hvac_stop_h
    if building_type == BuildingType.SCHOOL:
        start, hours, vent_p = stop - 0.25 + 1.5 * u_start, 1.5 + 1.5 * u_hours, 0.4
    elif building_type == BuildingType.KINDERGARTEN:
        start, hours, vent_p = max(stop - 0.5, 17.0) + 1.25 * u_start, 1.0 + u_hours, 0.3
    elif building_type == BuildingType.OFFICE and morning:
        start, hours, vent_p = 5.0 + u_start, 1.0 + u_hours, 0.3
    elif building_type == BuildingType.OFFICE:
        start, hours, vent_p = stop + 1.5 * u_start, 1.0 + u_hours, 0.3
    else:  # sports halls are cleaned in the early morning, before they open
        start, hours, vent_p = 5.5 + 0.75 * u_start, 1.0 + 0.5 * u_hours, 0.5
    if building_type == BuildingType.SPORTS_HALL:
        lets = [(weekend_day, sched.weekend_stop_h or 21.0, weekend_hours)]
    return _Habits(
        clean_start_h=_quarter(start),
        clean_hours=hours,
        clean_ventilation=u_vent < vent_p,
        clean_lighting=lighting,
        lets=tuple(lets),
        let_ventilation=let_ventilation,
        early_opening=early,
        early_start_h=early_start,
    )


def _cleaning(p: _Planner, habits: _Habits, *, until_h: float = 24.0) -> None:
    """The usual cleaning, a quarter of an hour early or late now and then."""
    rng = p.rng
    start = habits.clean_start_h + rng.choice([-0.25, 0.0, 0.0, 0.0, 0.25])
    end = min(start + habits.clean_hours + rng.uniform(-0.25, 0.25), until_h)
    p.add(
        Activity.CLEANING,
        start,
        end,
        occupancy=p.occupancy({}, 0.01),
        lighting=habits.clean_lighting,
        plug=0.05,
        ventilation=habits.clean_ventilation,
    )


def _school(p: _Planner, day: _Day, habits: _Habits, sched: ScheduleModel) -> None:
    rng = p.rng
    # Every draw is made every day, in one order, so that one choice does not shift the others.
    r_clean, r_let, r_one_off, r_meeting, r_event = (rng.random() for _ in range(5))
    gym, classroom = rng.uniform(0.4, 0.9), rng.uniform(0.1, 0.3) * (rng.random() < 0.3)
    one_off_start, one_off_hours = rng.uniform(17.5, 19.0), rng.uniform(2.0, 3.5)
    event_start, event_hours = rng.uniform(10.0, 12.0), rng.uniform(3.0, 6.0)
    let_occupancy = p.occupancy({"gym": gym, "classroom": classroom})
    let_lighting = 0.25 + 0.3 * (classroom > 0)
    booked = [let for let in habits.lets if let[0] == day.weekday]
    if day.term and booked and r_let < 0.85:  # the club's regular evening, most weeks
        _, start, hours = booked[0]
        p.add(
            Activity.COMMUNITY_USE,
            start,
            start + hours,
            occupancy=let_occupancy,
            lighting=let_lighting,
            plug=0.05,
            ventilation=habits.let_ventilation,
            heating=True,
            movable=False,
        )
    elif day.term and day.weekday <= 3 and r_one_off < 0.05:  # a one-off booking
        p.add(
            Activity.COMMUNITY_USE,
            one_off_start,
            one_off_start + one_off_hours,
            occupancy=let_occupancy,
            lighting=let_lighting,
            plug=0.05,
            ventilation=True,
            heating=True,
            movable=False,
        )
    elif day.term and r_meeting < 0.04:  # a parents' evening
        p.add(
            Activity.EVENT,
            18.0,
            20.5,
            occupancy=p.occupancy({"classroom": 0.3, "office": 0.2}),
            lighting=0.6,
            plug=0.05,
            ventilation=True,
            heating=True,
            movable=False,
        )
    if day.term and r_clean < 0.9:
        _cleaning(p, habits)
    if day.weekday == 5 and not day.school_holiday and r_event < 0.12:  # a term Saturday
        p.add(
            Activity.EVENT,
            event_start,
            event_start + event_hours,
            occupancy=p.occupancy({"office": 0.2}, rng.uniform(0.2, 0.5)),
            lighting=rng.uniform(0.6, 0.9),
            plug=0.2,
            ventilation=True,
            heating=True,
            movable=False,
        )


def _kindergarten(p: _Planner, day: _Day, habits: _Habits, sched: ScheduleModel) -> None:
    rng = p.rng
    r_early, r_clean, r_meeting, r_dugnad = (rng.random() for _ in range(4))
    children = rng.uniform(0.1, 0.2)
    open_ = day.workday and not day.kindergarten_closed
    if open_ and r_early < (0.85 if habits.early_opening else 0.03):
        p.add(
            Activity.EARLY_OPENING,
            habits.early_start_h,
            7.0,
            occupancy=p.occupancy({"office": 0.3}, children),
            lighting=0.5,
            plug=0.1,
            ventilation=True,
            heating=True,
            movable=False,
        )
    if open_ and r_meeting < 0.03:  # a parents' evening
        p.add(
            Activity.EVENT,
            18.5,
            20.5,
            occupancy=p.occupancy({"office": 0.4}, 0.15),
            lighting=0.5,
            ventilation=True,
            heating=True,
            movable=False,
        )
    if open_ and r_clean < 0.9:
        _cleaning(p, habits)
    if day.weekday == 5 and not day.kindergarten_closed and r_dugnad < 0.04:  # Saturday clean-up
        p.add(
            Activity.EVENT,
            10.0,
            14.0,
            occupancy=p.occupancy({}, 0.2),
            lighting=0.4,
            plug=0.1,
            ventilation=True,
            heating=True,
            movable=False,
        )


def _office(p: _Planner, day: _Day, habits: _Habits, sched: ScheduleModel) -> None:
    rng = p.rng
    r_clean, r_late, r_weekend, r_late_vent, r_weekend_vent, r_weekend_heat = (
        rng.random() for _ in range(6)
    )
    late_start, late_end = rng.uniform(18.0, 19.0), rng.uniform(19.5, 21.5)
    late_share, late_lighting = rng.uniform(0.03, 0.08), rng.uniform(0.15, 0.25)
    weekend_end, weekend_share = rng.uniform(13.0, 16.0), rng.uniform(0.03, 0.06)
    if day.workday and r_clean < 0.9:
        _cleaning(p, habits, until_h=habits.clean_start_h + 3.0)
    if day.workday and r_late < 0.3:  # someone working late, on no particular day
        p.add(
            Activity.LATE_WORK,
            max(late_start, sched.hvac_stop_h),
            late_end,
            occupancy=p.occupancy({"office": late_share}),
            lighting=late_lighting,
            plug=0.08,
            ventilation=r_late_vent < 0.2,
        )  # the override button
    if day.weekend and not day.public_holiday and r_weekend < 0.1:
        p.add(
            Activity.LATE_WORK,
            10.0,
            weekend_end,
            occupancy=p.occupancy({"office": weekend_share}),
            lighting=0.15,
            plug=0.05,
            ventilation=r_weekend_vent < 0.3,
            heating=r_weekend_heat < 0.3,
        )


def _sports_hall(p: _Planner, day: _Day, habits: _Habits, sched: ScheduleModel) -> None:
    rng = p.rng
    r_clean, r_let, r_other, r_early = (rng.random() for _ in range(4))
    hall, early_hours, other_hours = rng.uniform(0.4, 0.8), rng.uniform(1.0, 2.0), rng.uniform(1, 2)
    season = 0.3 if day.low_season else 1.0
    open_ = not day.public_holiday and not day.eve
    weekend_start = sched.weekend_start_h or 8.5
    weekend_stop = sched.weekend_stop_h or 21.0
    shares = p.occupancy({"hall": hall, "changing": 0.5 * hall, "common": 0.3 * hall})
    booked = [let for let in habits.lets if let[0] == day.weekday]
    if open_ and booked and r_let < 0.75 * season:  # the regular weekend booking past closing
        _, start, hours = booked[0]
        p.add(
            Activity.COMMUNITY_USE,
            start,
            start + hours,
            occupancy=shares,
            lighting=0.8,
            plug=0.1,
            ventilation=True,
            heating=True,
            movable=False,
        )
    elif open_ and day.weekend and r_other < 0.1 * season:  # a tournament running late
        p.add(
            Activity.COMMUNITY_USE,
            weekend_stop,
            weekend_stop + other_hours,
            occupancy=shares,
            lighting=0.8,
            plug=0.1,
            ventilation=True,
            heating=True,
            movable=False,
        )
    if open_ and day.weekend and r_early < 0.1 * season:  # a tournament starting early
        p.add(
            Activity.EVENT,
            weekend_start - early_hours,
            weekend_start,
            occupancy=shares,
            lighting=0.8,
            plug=0.1,
            ventilation=True,
            heating=True,
            movable=False,
        )
    if open_ and not day.weekend and r_clean < 0.9:
        _cleaning(p, habits, until_h=sched.hvac_start_h)


_Plan = Callable[[_Planner, _Day, _Habits, ScheduleModel], None]
_PLANNERS: Final[dict[BuildingType, _Plan]] = {
    BuildingType.SCHOOL: _school,
    BuildingType.KINDERGARTEN: _kindergarten,
    BuildingType.OFFICE: _office,
    BuildingType.SPORTS_HALL: _sports_hall,
}


#: What a day's episodes depend on: seed, type, timetable, zone kinds, activities wanted.
_Key = tuple[int, BuildingType, ScheduleModel, tuple[str, ...], frozenset[str]]


@lru_cache(maxsize=2_048)
def _episodes_on(key: _Key, day: int) -> tuple[Episode, ...]:
    seed, building_type, schedule, kinds, activities = key
    planner_of = _PLANNERS.get(building_type)
    if planner_of is None or not activities:
        return ()
    weekday = (day + 3) % 7  # 1 January 1970 was a Thursday
    # A weekend belongs to the school week before it: look at its Friday.
    friday = day - (weekday - 4) if weekday >= 5 else day
    info = day_info(np.array([day, friday], dtype=np.int64))
    today = _Day(
        day=day,
        weekday=int(info.weekday[0]),
        workday=bool(info.workday[0]),
        school_holiday=bool(info.school_holiday[0] or info.school_holiday[1]),
        kindergarten_closed=bool(info.kindergarten_closed[0]),
        public_holiday=bool(info.public_holiday[0]),
        eve=bool(info.eve[0]),
        low_season=bool(info.low_season[0]),
    )
    planner = _Planner(today, kinds, draws(seed, "activities", day))
    planner_of(planner, today, _habits(seed, building_type, schedule), schedule)
    chosen = [e for _, _, e in planner.episodes if e.activity.value in activities]
    return tuple(sorted(chosen, key=lambda e: e.start_s))


def episodes_on(model: BuildingModel, day: int) -> tuple[Episode, ...]:
    """The episodes of local day ``day`` (days since 1970-01-01), in time order."""
    kinds = tuple(zone.kind for zone in model.zones)
    key = (model.seed, model.building_type, model.schedule, kinds, model.variability.activities)
    return _episodes_on(key, day)


def episodes_between(model: BuildingModel, start_s: float, end_s: float) -> list[Episode]:
    """The episodes that overlap ``[start_s, end_s)`` (UTC epoch seconds), in time order."""
    if not model.variability.activities or end_s <= start_s:
        return []
    # The heating of a booking starts an hour early: look that far ahead.
    days = local_time(np.array([start_s, end_s + _PREHEAT_S])).day
    found = []
    for day in range(int(days[0]), int(days[1]) + 1):
        for episode in episodes_on(model, day):
            if episode.start_s - _PREHEAT_S < end_s and episode.end_s > start_s:
                found.append(episode)
    return found


@dataclass(frozen=True, slots=True)
class ActivityArrays:
    """What the episodes add at each step (zones along the first axis where there is one)."""

    occupancy: FloatArray
    lighting: FloatArray  # share of lighting on at least
    plug: FloatArray  # extra share of peak plug load
    ventilation: BoolArray
    comfort: BoolArray


def evaluate(model: BuildingModel, times_s: FloatArray) -> ActivityArrays | None:
    """What the episodes do at step midpoints ``times_s``; None when there is none."""
    if not times_s.size:
        return None
    episodes = episodes_between(model, float(times_s[0]), float(times_s[-1]) + 1.0)
    if not episodes:
        return None
    n = times_s.size
    arrays = ActivityArrays(
        occupancy=np.zeros((len(model.zones), n)),
        lighting=np.zeros(n),
        plug=np.zeros(n),
        ventilation=np.zeros(n, dtype=bool),
        comfort=np.zeros(n, dtype=bool),
    )
    for episode in episodes:
        active = (times_s >= episode.start_s) & (times_s < episode.end_s)
        arrays.occupancy[:] += np.array(episode.occupancy)[:, None] * active
        np.maximum(arrays.lighting, episode.lighting * active, out=arrays.lighting)
        arrays.plug[:] += episode.plug * active
        if episode.ventilation:
            arrays.ventilation[:] |= active
        if episode.heating:
            arrays.comfort[:] |= (times_s >= episode.start_s - _PREHEAT_S) & (
                times_s < episode.end_s
            )
    return arrays


def affected_points(episode: Episode, model: BuildingModel) -> tuple[str, ...]:
    """The points where ``episode`` shows, for the ground-truth record."""
    zones = [
        zone.id for zone, share in zip(model.zones, episode.occupancy, strict=True) if share >= 0.05
    ]
    points = [f"{zone}.{suffix}" for zone in zones for suffix in ("occupancy", "co2")]
    if episode.heating:
        points += [f"{zone.id}.air_temp_setpoint" for zone in model.zones]
    points += ["el.power", "el.energy"]
    if episode.ventilation:
        points += ["ahu1.supply_fan_status", "ahu1.supply_fan_speed", "ahu1.supply_air_flow"]
    if episode.ventilation or episode.heating:
        points += ["dh.power", "dh.energy"]
    return tuple(points)
