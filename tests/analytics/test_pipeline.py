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
