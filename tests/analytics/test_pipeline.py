"""The analysis of one building, on hand-made series: what it makes of missing readings."""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.baselines.towt import G14
from analytics.building import MeterBaseline
from analytics.episodes import Episode
from analytics.pipeline import (
    METER_FAULT_KIND,
    BuildingData,
    Meter,
    Readings,
    _net_share,
    analyse,
    hour_grid,
    hourly,
)
from analytics.zones.checks import ZoneSeries

START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()  # a Monday
DAY_S = 86_400.0


def office(*, missing: slice, sensors: tuple[Readings, ...] = ()) -> BuildingData:
    """Four weeks of a steady office's electricity, read every 15 minutes, with the readings
    in ``missing`` absent (NaN, as a table holding every point's times has them)."""
    rng = np.random.default_rng(3)
    times = START_S + 900.0 * np.arange(28 * 96)
    local_hour = (times / 3600.0 + 1.0) % 24.0
    power = np.where((local_hour >= 7) & (local_hour < 17), 40.0, 12.0)
    power = power * (1.0 + 0.03 * rng.standard_normal(times.size))
    power[missing] = np.nan
    grid = hour_grid(START_S, START_S + 28 * DAY_S)
    meter = Meter("el.power", "electricity", hourly(times, power, hours_s=grid), ())
    return BuildingData(
        building="kontor",
        building_type="office",
        times_s=grid,
        meters=(meter,),
        outdoor_c=np.full(grid.size, 2.0),
        readings=(Readings("el.power", times, power, counter=False), *sensors),
    )


def test_missing_readings_are_a_gap() -> None:
    gap = slice(22 * 96 + 40, 22 * 96 + 57)  # 17 readings missing: 4.5 h between two readings
    analysis = analyse(office(missing=gap), score_from_s=START_S + 21 * DAY_S)
    faults = [d for d in analysis.detections if d.kind == METER_FAULT_KIND]
    assert len(faults) == 1
    (fault,) = faults
    assert fault.points == ("el.power",)
    assert fault.start_s == START_S + 900.0 * (gap.start - 1)
    assert fault.end_s == START_S + 900.0 * gap.stop
    assert fault.extra == {"fault": "gap"}
    assert "4.5 hours without a reading" in fault.detail


def test_complete_readings_have_no_meter_fault() -> None:
    analysis = analyse(office(missing=slice(0, 0)), score_from_s=START_S + 21 * DAY_S)
    assert [d for d in analysis.detections if d.kind == METER_FAULT_KIND] == []


def test_a_stuck_sensor_is_a_meter_fault_of_its_own_point() -> None:
    times = START_S + 900.0 * np.arange(28 * 96)
    rng = np.random.default_rng(5)
    room_c = 21.0 + 0.3 * np.sin(2 * np.pi * times / DAY_S) + 0.05 * rng.standard_normal(times.size)
    room_c[22 * 96 : 22 * 96 + 40] = room_c[22 * 96]  # ten hours of one reading
    room = Readings("zone1.air_temp", times, room_c, counter=False, sensor=True)
    analysis = analyse(
        office(missing=slice(0, 0), sensors=(room,)), score_from_s=START_S + 21 * DAY_S
    )
    (fault,) = [d for d in analysis.detections if d.kind == METER_FAULT_KIND]
    assert fault.points == ("zone1.air_temp",)
    assert fault.extra == {"fault": "stuck"}
    assert fault.waste_kwh.sum() == 0.0


def test_a_lost_setbacks_waste_is_its_night_excess_less_the_mornings_warm_up_it_spared() -> None:
    grid = hour_grid(START_S, START_S + DAY_S)
    expected = np.full(grid.size, 20.0)
    measured = expected.copy()
    measured[0:5] += 10.0  # 00-05 UTC: kept warm, 50 kWh more
    measured[5:9] -= 5.0  # the morning after: 20 kWh less to warm up
    meter = Meter("dh.power", "heat", measured, ())
    data = BuildingData("b", "school", grid, (meter,), np.zeros(grid.size))
    baseline = MeterBaseline(
        "dh.power", "heat", expected, np.ones(grid.size, dtype=bool), [], G14(0.1, 0.0, 0)
    )
    episode = Episode(float(grid[0]), float(grid[5]), 5, 3.0)
    night = np.full(5, 10.0)
    claimed = np.zeros(grid.size, dtype=bool)
    assert _net_share(data, meter, baseline, episode, night, claimed=claimed) == 0.6
    # What another finding claimed is not set against it.
    claimed[5:9] = True
    assert _net_share(data, meter, baseline, episode, night, claimed=claimed) == 1.0


def test_a_gap_in_every_point_at_once_is_one_finding() -> None:
    gap = slice(22 * 96 + 40, 22 * 96 + 57)
    base = office(missing=gap)
    room_c = np.full(base.readings[0].times_s.size, 21.0) + np.sin(base.readings[0].times_s)
    room_c[gap] = np.nan
    room = Readings("zone1.air_temp", base.readings[0].times_s, room_c, counter=False, sensor=True)
    data = office(missing=gap, sensors=(room,))
    analysis = analyse(data, score_from_s=START_S + 21 * DAY_S)
    (fault,) = [d for d in analysis.detections if d.kind == METER_FAULT_KIND]
    assert fault.points == ("el.power", "zone1.air_temp")
    assert fault.detail.startswith("2 points at once: ")
    assert fault.extra == {"fault": "gap"}


def _co2_of(people: np.ndarray, *, air_changes_per_h: float = 1.5) -> np.ndarray:
    """Hourly CO2 of a ventilated room with ``people`` (0/1 per hour) generating 600 ppm/h."""
    kept = np.exp(-air_changes_per_h)
    level = np.empty(people.size)
    excess = 0.0
    for hour, present in enumerate(people):
        excess = excess * kept + 600.0 * present * (1.0 - kept) / air_changes_per_h
        level[hour] = 420.0 + excess
    return level


def _office_left_on(*, evening_meetings: bool) -> BuildingData:
    """Four weeks of an office whose electricity stays at its daytime level through three
    nights of the last week; with ``evening_meetings``, people stay in its meeting room until
    20:00 on those evenings, as its CO2 shows."""
    rng = np.random.default_rng(7)
    grid = hour_grid(START_S, START_S + 28 * DAY_S)
    local = (grid / 3600.0 + 1.0) % 24.0
    day = ((grid - START_S) // DAY_S).astype(int)
    weekday = day % 7 < 5
    open_hours = weekday & (local >= 7) & (local < 17)
    power = np.where(open_hours, 40.0, 12.0) * (1.0 + 0.03 * rng.standard_normal(grid.size))
    left_on = (day >= 22) & (day < 25) & ~open_hours & ((local >= 17) | (local < 7))
    left_on &= ~((day == 22) & (local < 7))  # from the evening of day 22
    power[left_on] = 40.0
    people = open_hours.astype(float)
    if evening_meetings:
        people[(day >= 22) & (day < 25) & (local >= 17) & (local < 20)] = 1.0
    zone = ZoneSeries(
        zone="meeting",
        temperature="meeting.temp",
        setpoint=None,
        temp_c=np.full(grid.size, 21.0),
        setpoint_c=np.full(grid.size, np.nan),
        name="Møterom",
        co2_ppm=_co2_of(people) + 5.0 * rng.standard_normal(grid.size),
    )
    meter = Meter("el.power", "electricity", power, ())
    return BuildingData(
        building="kontor",
        building_type="office",
        times_s=grid,
        meters=(meter,),
        outdoor_c=np.full(grid.size, 2.0),
        zones=(zone,),
    )


def test_hours_with_people_in_them_are_use_not_after_hours_waste() -> None:
    score_from_s = START_S + 21 * DAY_S
    alone = analyse(_office_left_on(evening_meetings=False), score_from_s=score_from_s)
    met = analyse(_office_left_on(evening_meetings=True), score_from_s=score_from_s)
    (empty,) = [d for d in alone.detections if d.kind == "after_hours_operation"]
    (occupied,) = [d for d in met.detections if d.kind == "after_hours_operation"]

    # Without a meeting, at most the hour after closing on each evening reads as occupied
    # (the day's CO2 still falling); with one, the meeting's hours (until 20:00) too.
    before = empty.extra.get("occupied_hours", 0)
    assert before <= 3
    assert occupied.extra["occupied_hours"] >= before + 6
    left_out = set(empty.hours_s.tolist()) - set(occupied.hours_s.tolist())
    assert len(left_out) == occupied.extra["occupied_hours"] - before
    for hour_s in left_out:
        assert 17 <= (hour_s / 3600.0 + 1.0) % 24.0 < 20
    assert occupied.waste_kwh.sum() < empty.waste_kwh.sum()
    # The night is still waste: nobody is there.
    nights = [h for h in occupied.hours_s if (h / 3600.0 + 1.0) % 24.0 < 5]
    assert len(nights) >= 10
