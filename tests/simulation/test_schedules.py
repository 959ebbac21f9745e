from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

OSLO = ZoneInfo("Europe/Oslo")


def local(times: np.ndarray) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(int(t), OSLO) for t in times]


def occupancy(series, zones: int) -> np.ndarray:
    return sum(series[f"zone{z}.occupancy"] for z in range(1, zones + 1))


def test_school_is_closed_on_17_may_and_open_the_next_day(sim) -> None:
    start = dt.datetime(2027, 5, 16, 22, tzinfo=dt.UTC).timestamp()  # 17 May 2027 is a Monday
    series = sim.run(sim.single("school", start_s=start), start + 2 * 86_400)
    when = local(series.times)
    people = occupancy(series, 4)
    fans = series["ahu1.supply_fan_status"]
    on_17th = np.array([t.date() == dt.date(2027, 5, 17) for t in when])
    lessons_18th = np.array([t.date() == dt.date(2027, 5, 18) and 9 <= t.hour < 13 for t in when])
    assert people[on_17th].max() == 0
    assert fans[on_17th].max() == 0
    assert people[lessons_18th].min() > 100
    assert fans[lessons_18th].min() == 1


def test_school_is_closed_in_the_summer_holiday(sim) -> None:
    start = dt.datetime(2026, 7, 6, tzinfo=dt.UTC).timestamp()  # a Monday in July
    series = sim.run(sim.single("school", start_s=start), start + 5 * 86_400)
    classrooms = series["zone1.occupancy"] + series["zone2.occupancy"]
    assert classrooms.max() == 0
    assert series["ahu1.supply_fan_status"].max() == 0
    assert series["zone1.air_temp_setpoint"].max() < series["zone1.air_temp_setpoint"].min() + 0.1


def test_nursing_home_runs_around_the_clock(sim) -> None:
    start = dt.datetime(2026, 7, 3, tzinfo=dt.UTC).timestamp()  # Friday, over a summer weekend
    series = sim.run(sim.single("nursing_home", start_s=start), start + 4 * 86_400)
    assert series["ahu1.supply_fan_status"].min() == 1
    speed = series["ahu1.supply_fan_speed"]
    night = np.array([t.hour in (1, 2, 3) for t in local(series.times)])
    assert speed[night].max() < speed[~night].max()  # reduced at night, never stopped
    assert series["zone1.occupancy"][night].min() > 0  # residents sleep there
    setpoint = series["zone1.air_temp_setpoint"]
    assert setpoint.min() == setpoint.max()  # no night setback for the elderly


def test_kindergarten_opens_at_seven_and_closes_in_july(sim) -> None:
    # The timetable alone: early openings and evening cleaning are legitimate use on top of it.
    term = dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp()
    series = sim.run(
        sim.single("kindergarten", start_s=term, legitimate_use=False), term + 5 * 86_400
    )
    when = local(series.times)
    people = occupancy(series, 3)
    # A reading at 17:00 counts the five minutes before it; from 17:05 the building is empty.
    outside = np.array([t.hour < 7 or (t.hour, t.minute) > (17, 5) for t in when])
    assert people[outside].max() == 0
    assert people[np.array([9 <= t.hour < 14 for t in when])].min() > 0
    july = dt.datetime(2026, 7, 13, tzinfo=dt.UTC).timestamp()  # week 29
    closed = sim.run(sim.single("kindergarten", start_s=july), july + 5 * 86_400)
    assert occupancy(closed, 3).max() == 0


def test_sports_hall_is_busiest_in_the_evening_and_at_weekends(sim) -> None:
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC).timestamp()
    series = sim.run(sim.single("sports_hall", start_s=start), start + 7 * 86_400)
    when = local(series.times)
    hall = series["zone1.occupancy"]
    weekday_morning = np.array([t.weekday() < 5 and 9 <= t.hour < 11 for t in when])
    weekday_evening = np.array([t.weekday() < 5 and 18 <= t.hour < 21 for t in when])
    weekend_day = np.array([t.weekday() >= 5 and 11 <= t.hour < 17 for t in when])
    assert hall[weekday_evening].mean() > 1.4 * hall[weekday_morning].mean()
    assert hall[weekend_day].mean() > hall[weekday_morning].mean()
    assert series["ahu1.supply_fan_status"][weekday_evening].min() == 1


def test_office_is_empty_and_setback_at_the_weekend(sim) -> None:
    series = sim.run(sim.single("office", legitimate_use=False), sim.day(7))
    when = local(series.times)
    weekend = np.array([t.weekday() >= 5 for t in when])
    assert occupancy(series, 4)[weekend].max() == 0
    assert series["ahu1.supply_fan_status"][weekend].max() == 0
    assert (
        series["zone1.air_temp_setpoint"][weekend].max() < series["zone1.air_temp_setpoint"].max()
    )
