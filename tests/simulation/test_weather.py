from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from simulation.weather import BERGEN_MONTHLY_MEAN_C, Weather

YEAR_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp()
# Three-hourly samples keep a simulated year cheap; the daily cycle still averages out.
TIMES = YEAR_START + np.arange(0.0, 365 * 86_400.0, 3 * 3600.0)
MONTHS = np.array([dt.datetime.fromtimestamp(t, dt.UTC).month for t in TIMES])


def monthly_means(seed: int) -> np.ndarray:
    sample = Weather(seed=seed, origin_s=YEAR_START).sample(TIMES)
    return np.array([sample.temperature_c[m == MONTHS].mean() for m in range(1, 13)])


def test_monthly_means_follow_bergen_normals() -> None:
    means = np.array([monthly_means(seed) for seed in (1, 2, 3)])
    normals = np.array(BERGEN_MONTHLY_MEAN_C)
    # One year may be a few degrees off in a month, as real ones are; three agree closely.
    assert np.abs(means - normals).max() < 3.5
    assert np.abs(means.mean(axis=0) - normals).max() < 1.5
    winter = means[:, [0, 1, 11]].mean()
    summer = means[:, [5, 6, 7]].mean()
    assert 1.0 < winter < 4.0
    assert 13.0 < summer < 16.5


def test_fronts_last_days_and_the_day_has_a_small_cycle() -> None:
    hourly = YEAR_START + np.arange(0.0, 365 * 86_400.0, 3600.0)
    temperature = Weather(seed=5, origin_s=YEAR_START).sample(hourly).temperature_c
    daily = temperature.reshape(365, 24)
    anomaly = daily.mean(axis=1) - np.convolve(daily.mean(axis=1), np.ones(31) / 31, "same")
    inner = anomaly[20:-20]
    lag1 = np.corrcoef(inner[:-1], inner[1:])[0, 1]
    assert lag1 > 0.5  # spells of mild or cold weather persist from one day to the next
    daily_range = (daily.max(axis=1) - daily.min(axis=1)).mean()
    assert 1.5 < daily_range < 10.0  # coastal: a few kelvin between night and afternoon
    assert daily.min() > -20.0
    assert daily.max() < 32.0


def test_humidity_and_sun_are_plausible_for_bergen() -> None:
    sample = Weather(seed=2, origin_s=YEAR_START).sample(TIMES)
    assert 75.0 < sample.relative_humidity_pct.mean() < 90.0
    assert sample.relative_humidity_pct.min() >= 25.0
    assert sample.relative_humidity_pct.max() <= 100.0
    assert np.all(sample.humidity_ratio > 0.0)
    december = sample.irradiance_w_m2[MONTHS == 12].mean()
    june = sample.irradiance_w_m2[MONTHS == 6].mean()
    assert june > 10 * december
    night = (TIMES % 86_400) == 0  # midnight UTC is dark in Bergen even in June
    assert np.all(sample.irradiance_w_m2[night] == 0.0)


def test_weather_is_a_function_of_time_alone() -> None:
    times = YEAR_START + np.array([40.0, 5e6, 1e5, 2.5e7, 7e5])
    forward = Weather(seed=9, origin_s=YEAR_START)
    piecemeal = [forward.sample(np.array([t])).temperature_c[0] for t in times]
    at_once = Weather(seed=9, origin_s=YEAR_START).sample(times).temperature_c
    assert np.array_equal(np.array(piecemeal), at_once)
    other = Weather(seed=10, origin_s=YEAR_START).sample(times).temperature_c
    assert not np.array_equal(other, at_once)


def test_weather_before_its_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="weather starts at"):
        Weather(seed=1, origin_s=YEAR_START).sample(np.array([YEAR_START - 3600.0]))
