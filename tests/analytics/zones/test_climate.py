"""Indoor climate in occupied hours: only opening hours count, out of band in hours and degrees."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from analytics.hours import in_use
from analytics.zones.climate import occupied_climate
from byggpuls.calendar import TIMEZONE

H = 3600.0


def hours_from(year: int, month: int, day: int, *, days: int, step_s: float = H) -> np.ndarray:
    start = dt.datetime(year, month, day, tzinfo=TIMEZONE).timestamp()
    return np.arange(start, start + days * 86_400.0, step_s)


def test_a_cold_night_and_weekend_are_not_out_of_band() -> None:
    times = hours_from(2025, 11, 3, days=7)  # Monday to Sunday, no holiday
    opened = in_use("school", times)
    temp = np.where(opened, 21.0, 15.0)  # setback far below the band outside hours
    summary = occupied_climate(building_type="school", times_s=times, temp_c=temp)
    assert summary.occupied_hours == 50.0  # five days, 07-17
    assert summary.hours_in_band == 50.0
    assert summary.hours_too_cold == 0.0
    assert summary.share_in_band == 1.0


def test_a_school_holiday_week_is_not_occupied() -> None:
    times = hours_from(2026, 2, 23, days=7)  # week 9: winter break
    summary = occupied_climate(
        building_type="school", times_s=times, temp_c=np.full(times.size, 14.0)
    )
    assert summary.occupied_hours == 0.0
    assert summary.hours_too_cold == 0.0
    assert summary.share_in_band is None
    office = occupied_climate(
        building_type="office", times_s=times, temp_c=np.full(times.size, 14.0)
    )
    assert office.hours_too_cold == 55.0  # offices work in the winter break


def test_hours_and_degree_hours_out_of_band() -> None:
    times = hours_from(2025, 11, 3, days=1)
    temp = np.full(times.size, 21.0)
    co2 = np.full(times.size, 600.0)
    local_hours = np.arange(times.size)  # local midnight start: index = local hour
    temp[local_hours == 8] = 17.5  # 1.5 K too cold
    temp[local_hours == 9] = 18.0  # 1.0 K too cold
    temp[local_hours == 14] = 27.0  # 1.0 K too warm
    co2[local_hours == 10] = 1400.0  # 400 ppm too much
    co2[local_hours == 11] = np.nan  # unknown CO2: temperature judged alone
    summary = occupied_climate(building_type="school", times_s=times, temp_c=temp, co2_ppm=co2)
    assert summary.occupied_hours == 10.0
    assert summary.hours_too_cold == 2.0
    assert summary.degree_hours_below == pytest.approx(2.5)
    assert summary.hours_too_warm == 1.0
    assert summary.degree_hours_above == pytest.approx(1.0)
    assert summary.hours_co2_high == 1.0
    assert summary.ppm_hours_above == pytest.approx(400.0)
    assert summary.hours_in_band == 6.0


def test_missing_readings_are_counted_apart() -> None:
    times = hours_from(2025, 11, 3, days=1, step_s=900.0)  # quarter-hour readings
    temp = np.full(times.size, 21.0)
    temp[4 * 8 : 4 * 10] = np.nan  # two hours lost
    summary = occupied_climate(building_type="school", times_s=times, temp_c=temp)
    assert summary.occupied_hours == 10.0
    assert summary.missing_hours == 2.0
    assert summary.measured_hours == 8.0
    assert summary.hours_in_band == 8.0


def test_a_nursing_home_is_occupied_at_night() -> None:
    times = hours_from(2025, 12, 24, days=2)  # Christmas Eve and Day
    temp = np.full(times.size, 18.0)
    summary = occupied_climate(building_type="nursing_home", times_s=times, temp_c=temp)
    assert summary.occupied_hours == 48.0
    assert summary.degree_hours_below == pytest.approx(48.0)
