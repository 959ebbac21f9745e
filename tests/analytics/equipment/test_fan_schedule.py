"""Supply fan running outside opening hours."""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.equipment.fan_schedule import FanOutsideHours
from tests.analytics.equipment.factories import MINUTE, N, unit


def test_fires_on_a_fan_running_unoccupied_longer_than_a_start() -> None:
    series = unit(times_s=np.arange(N) * 2 * MINUTE, occupied=np.zeros(N))  # 6 h
    (episode,) = FanOutsideHours().fit(series).episodes(series)
    assert episode.kind == "fan_outside_hours"
    assert episode.faulty_s == 6 * 3600.0


def test_quiet_on_an_optimal_start_and_with_the_fan_off() -> None:
    occupied = np.where(np.arange(N) < 120, 0.0, 1.0)  # 2 h early start, then opening hours
    assert FanOutsideHours().fit(unit(occupied=occupied)).episodes(unit(occupied=occupied)) == []
    off = unit(occupied=np.zeros(N), fan_on=np.zeros(N))
    assert FanOutsideHours().fit(off).episodes(off) == []


def test_uses_opening_hours_without_an_occupancy_point() -> None:
    # A Wednesday night in Oslo, 22:00-04:00 local: an office is closed.
    start = dt.datetime(2026, 1, 7, 21, 0, tzinfo=dt.UTC).timestamp()
    series = unit(times_s=start + np.arange(N) * 2 * MINUTE, occupied=None)
    assert FanOutsideHours(building_type="office").fit(series).episodes(series)
    nursing = FanOutsideHours(building_type="nursing_home").fit(series)
    assert nursing.episodes(series) == []


def test_an_evening_run_that_ends_before_midnight_is_legitimate_use() -> None:
    # A Wednesday, 18:00-22:00 local (a club's booking): 4 h outside opening hours, no night.
    evening = dt.datetime(2026, 1, 7, 17, 0, tzinfo=dt.UTC).timestamp()
    series = unit(times_s=evening + np.arange(N) * 80.0, occupied=None)
    assert FanOutsideHours(building_type="office").fit(series).episodes(series) == []
    # Judged without the night gate, the same run is a fault.
    ungated = FanOutsideHours(building_type="office", night_hours=None).fit(series)
    assert ungated.episodes(series)
