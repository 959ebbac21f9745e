"""Meter and occupant noise, temperature wander, base-load drift and daylight: a building that is
not ideal, yet whose counters still add up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from byggpuls.calendar import local_time
from simulation import Portfolio, SampleBlock
from simulation.model import Variability
from simulation.physics import STEP_S, initial_state, simulate
from simulation.variability import (
    DRIFT_PER_MONTH_RANGE,
    ELECTRICITY_NOISE_RANGE,
    HEAT_NOISE_RANGE,
    TEMPERATURE_NOISE_K_RANGE,
    base_load_factor,
)

DAY_S = 86_400.0
#: A Monday in January, after the Christmas break: eight weeks of term up to the winter break.
START_S = dt.datetime(2026, 1, 12, tzinfo=dt.UTC).timestamp()
#: Only the noise: no legitimate use outside hours, no drift, no daylight.
NOISE_ONLY = {"legitimate_use": False, "drift": False, "daylight": False}
CLEAN = {"noise": False, **NOISE_ONLY}


def run(building_type: str, days: float, *, seed: int = 3, **keys: Any) -> tuple[Any, SampleBlock]:
    """One fault-free building sampled hourly for ``days``: its model and its readings."""
    building = {"id": "b-01", "type": building_type, "seed": seed, "faults": "none", **keys}
    config = {
        "variability": True,
        "seed": 1,
        "start": START_S,
        "interval_s": 3600,
        "buildings": [building],
    }
    simulated = Portfolio.from_config(config).buildings[0]
    return simulated.model, simulated.advance_block(START_S + days * DAY_S)


def column(block: SampleBlock, point: str) -> np.ndarray:
    return block.values[[p.point for p in block.points].index(point)]


def hourly_kwh(block: SampleBlock, counter: str) -> np.ndarray:
    """Energy used in each hour, from the counter read on the hour."""
    return np.diff(column(block, counter))


def around_weekly_profile(block: SampleBlock, kwh: np.ndarray) -> float:
    """Relative standard deviation of hourly energy around the building's usual hour of the
    week (the median of that hour over the weeks), as a detector's baseline sees it."""
    used_at = block.times_s[1:].astype(np.float64) - 1800.0  # the middle of each hour
    local = local_time(used_at)
    hour_of_week = ((local.day + 3) % 7) * 24 + np.floor(local.hour).astype(np.int64)
    usual = np.array([np.median(kwh[hour_of_week == h]) for h in range(168)])[hour_of_week]
    return float(np.std(kwh / usual - 1.0))


def test_generated_buildings_draw_their_noise_and_drift_within_the_stated_ranges() -> None:
    portfolio = Portfolio.generate(20, variability=True, seed=2026, start_s=START_S)
    drawn = [b.model.variability for b in portfolio.buildings]
    for v in drawn:
        assert ELECTRICITY_NOISE_RANGE[0] <= v.electricity_noise <= ELECTRICITY_NOISE_RANGE[1]
        assert HEAT_NOISE_RANGE[0] <= v.heat_noise <= HEAT_NOISE_RANGE[1]
        assert TEMPERATURE_NOISE_K_RANGE[0] <= v.temperature_noise_k <= TEMPERATURE_NOISE_K_RANGE[1]
        assert DRIFT_PER_MONTH_RANGE[0] <= v.drift_per_month <= DRIFT_PER_MONTH_RANGE[1]
        assert v.daylight
        assert v.activities
    assert len({v.electricity_noise for v in drawn}) == 20  # each building its own
    clean = Portfolio.generate(3, seed=2026, start_s=START_S, variability=False)
    assert all(b.model.variability == Variability() for b in clean.buildings)


@pytest.mark.parametrize(("building_type", "seed"), [("office", 3), ("kindergarten", 8)])
def test_hourly_electricity_noise_is_the_buildings_own_level_within_5_to_15_percent(
    building_type: str, seed: int
) -> None:
    model, noisy = run(building_type, 56, seed=seed, **NOISE_ONLY)
    _, clean = run(building_type, 56, seed=seed, **CLEAN)
    level = model.variability.electricity_noise
    # The same building with and without noise: their ratio is the noise itself.
    ratio = hourly_kwh(noisy, "el.energy") / hourly_kwh(clean, "el.energy")
    measured = float(np.std(ratio - 1.0))
    assert 0.05 <= measured <= 0.15
    assert measured == pytest.approx(level, rel=0.15)
    # Around its usual weekly profile, the noisy building varies by about that much; the clean
    # one hardly at all (the timetable repeats, week after week).
    assert around_weekly_profile(noisy, hourly_kwh(noisy, "el.energy")) == pytest.approx(
        level, rel=0.2
    )
    assert around_weekly_profile(clean, hourly_kwh(clean, "el.energy")) < 0.01
    # The noise is auto-correlated: one hour is like the next.
    deviation = ratio - ratio.mean()
    assert np.corrcoef(deviation[:-1], deviation[1:])[0, 1] > 0.5
    # District heat has its own level, in the same band.
    heat = hourly_kwh(noisy, "dh.energy") / hourly_kwh(clean, "dh.energy")
    assert 0.05 <= float(np.std(heat - 1.0)) <= 0.15
    assert float(np.std(heat - 1.0)) == pytest.approx(model.variability.heat_noise, rel=0.15)
    assert not np.allclose(heat, ratio)


def test_a_configured_noise_level_is_the_measured_one() -> None:
    model, noisy = run("nursing_home", 56, noise=0.1, **NOISE_ONLY)
    _, clean = run("nursing_home", 56, **CLEAN)
    assert model.variability.electricity_noise == model.variability.heat_noise == 0.1
    for counter in ("el.energy", "dh.energy"):
        ratio = hourly_kwh(noisy, counter) / hourly_kwh(clean, counter)
        assert float(np.std(ratio - 1.0)) == pytest.approx(0.1, rel=0.15)
        # Noise on a meter, not a change of the building: the mean is kept.
        assert float(np.mean(ratio)) == pytest.approx(1.0, abs=0.03)


def test_counters_integrate_the_noisy_power_and_never_run_backwards() -> None:
    portfolio = Portfolio.from_config(
        {
            "seed": 1,
            "start": START_S,
            "buildings": [{"id": "b-01", "type": "office", "seed": 3, "noise": 0.5}],
        }
    )
    building = portfolio.buildings[0]
    model, weather = building.model, building.weather
    k0 = int(START_S // STEP_S)
    piece = simulate(
        model, weather, initial_state(model, weather, k=k0), k0=k0, k1=k0 + 14 * 288, faults=[]
    )
    hours = STEP_S / 3600
    for counter, power in (("el_energy", "el_power"), ("dh_energy", "dh_power")):
        increments = np.diff(piece.states[counter])
        assert np.allclose(increments, piece.steps[power] * hours, rtol=1e-9)
        assert increments.min() > 0
    # And as read: the counter readings never decrease, and they add up to the power readings.
    block = building.advance_block(START_S + 14 * DAY_S)
    for counter, power in (("el.energy", "el.power"), ("dh.energy", "dh.power")):
        values = column(block, counter)
        assert np.diff(values).min() >= 0
        # Readings every minute: the mean power over the fortnight is the counter's increase.
        mean_kw = float(np.mean(column(block, power)))
        assert values[-1] - values[0] == pytest.approx(mean_kw * 14 * 24, rel=0.01)


def test_temperature_readings_wander_a_little_around_the_zone_temperature() -> None:
    model, noisy = run("school", 14, **NOISE_ONLY)
    _, clean = run("school", 14, **CLEAN)
    wander_k = model.variability.temperature_noise_k
    assert 0.1 <= wander_k <= 0.3
    for zone in model.zones:
        # Same sensor noise and offset, same physics: the difference is the wander alone.
        offset = column(noisy, f"{zone.id}.air_temp") - column(clean, f"{zone.id}.air_temp")
        assert float(np.std(offset)) == pytest.approx(wander_k, rel=0.35)
        assert float(np.abs(offset).max()) < 6 * wander_k
        setpoint = f"{zone.id}.air_temp_setpoint"
        assert np.array_equal(column(noisy, setpoint), column(clean, setpoint))
    # The meters' noise does not change the building: the supply air and valves are as before.
    for point in ("ahu1.supply_air_temp", "ahu1.heating_valve", "zone1.co2"):
        assert np.array_equal(column(noisy, point), column(clean, point))


def test_base_load_drifts_a_few_percent_a_month_and_stays_near_normal() -> None:
    model, _ = run("office", 0.1, drift=0.03, noise=False)
    assert model.variability.drift_per_month == 0.03
    days = START_S + np.arange(0, 3 * 365) * DAY_S
    factor = base_load_factor(model, days)
    assert factor is not None
    monthly_change = factor[30:] / factor[:-30] - 1.0
    assert float(np.std(monthly_change)) == pytest.approx(0.03, rel=0.4)
    assert float(np.abs(np.diff(factor)).max()) < 0.01  # slow: no jumps from day to day
    assert float(np.mean(factor)) == pytest.approx(1.0, abs=0.05)
    assert 0.8 < float(factor.min()) < float(factor.max()) < 1.25


def test_drift_changes_the_night_load_over_months_and_is_not_a_fault() -> None:
    # Twelve weeks with and without drift: the nights, when only the base load runs, differ by
    # a slowly changing factor, and nothing is recorded as a fault.
    keys = {"noise": False, "legitimate_use": False, "daylight": False}
    building = {"id": "b-01", "type": "office", "seed": 3, "drift": 0.04, **keys}
    config = {
        "variability": True,
        "seed": 1,
        "start": START_S,
        "interval_s": 3600,
        "buildings": [building],
    }
    drifting = Portfolio.from_config(config)
    steady = Portfolio.from_config({**config, "buildings": [{**building, "drift": False}]})
    a = drifting.buildings[0].advance_block(START_S + 84 * DAY_S)
    b = steady.buildings[0].advance_block(START_S + 84 * DAY_S)
    night = np.array([local_time(np.array([float(t)])).hour[0] == 3.0 for t in a.times_s])
    ratio = column(a, "el.power")[night] / column(b, "el.power")[night]
    assert float(np.ptp(ratio)) > 0.01
    assert float(np.abs(ratio - 1.0).max()) < 0.25
    assert drifting.ground_truth(legitimate_use=True) == []


def test_daylight_dims_the_lights_on_a_bright_day_and_not_at_night() -> None:
    start = dt.datetime(2026, 6, 1, tzinfo=dt.UTC).timestamp()  # a Monday in June
    keys = {"noise": False, "legitimate_use": False, "drift": False, "faults": "none"}

    def office(daylight: bool) -> SampleBlock:
        building = {"id": "b-01", "type": "office", "seed": 3, "daylight": daylight, **keys}
        config = {
            "variability": True,
            "seed": 1,
            "start": start,
            "interval_s": 3600,
            "buildings": [building],
        }
        return Portfolio.from_config(config).buildings[0].advance_block(start + 5 * DAY_S)

    dimmed, plain = office(True), office(False)
    hours = local_time(dimmed.times_s.astype(np.float64)).hour
    noon = (hours >= 11) & (hours <= 14)
    night = (hours >= 1) & (hours <= 4)
    saved = column(plain, "el.power") - column(dimmed, "el.power")
    assert saved[noon].mean() > 0.5
    assert np.allclose(saved[night], 0.0, atol=0.02)


def test_heat_follows_the_seasons_and_the_weather_over_a_year() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp()
    building = {"id": "b-01", "type": "nursing_home", "seed": 3, "faults": "none"}
    config = {
        "variability": True,
        "seed": 1,
        "start": start,
        "interval_s": 3600,
        "buildings": [building],
    }
    block = Portfolio.from_config(config).buildings[0].advance_block(start + 365 * DAY_S)
    heat = np.diff(column(block, "dh.energy"))
    electricity = np.diff(column(block, "el.energy"))
    outdoor = column(block, "ahu1.outdoor_air_temp")[1:]
    weeks = slice(0, 52 * 7 * 24)
    weekly_heat = heat[weeks].reshape(52, -1).sum(axis=1)
    weekly_outdoor = outdoor[weeks].reshape(52, -1).mean(axis=1)
    assert np.corrcoef(weekly_heat, weekly_outdoor)[0, 1] < -0.9  # colder weeks, more heat
    winter, summer = weekly_heat[:8].mean(), weekly_heat[26:34].mean()
    assert winter > 2.5 * summer > 0  # hot water and circulation losses remain in summer
    assert electricity.min() > 0
