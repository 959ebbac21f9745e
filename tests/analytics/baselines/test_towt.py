"""The TOWT baseline: exact on data it can describe, closed days as closed days, and within
ASHRAE Guideline 14 out of sample on simulated meters."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from analytics.baselines.towt import G14, TOWTBaseline, g14, temperature_basis
from byggpuls.calendar import local_time
from byggpuls.roles import Role, main_point
from simulation import Portfolio

DAY_S = 86_400.0
#: A Monday in October: the heating season begins, autumn break in week 41.
START_S = dt.datetime(2025, 10, 6, tzinfo=dt.UTC).timestamp()


def hours(days: int) -> np.ndarray:
    return START_S + np.arange(days * 24) * 3600.0


def test_the_temperature_basis_adds_up_to_the_temperature() -> None:
    outdoor = np.array([-20.0, -7.5, 0.0, 3.0, 12.0, 25.0])
    basis = temperature_basis(outdoor, TOWTBaseline.default_knots_c)
    assert basis.shape == (6, 7)
    assert np.allclose(basis.sum(axis=1), outdoor)


def test_a_load_of_hour_of_week_levels_and_a_heating_slope_is_fitted_exactly() -> None:
    times = hours(56)
    local = local_time(times)
    hour_of_week = ((local.day + 3) % 7) * 24 + np.floor(local.hour).astype(int)
    rng = np.random.default_rng(3)
    levels = rng.uniform(20, 80, 168)
    outdoor = 5 + 8 * np.sin(times / 86_400 / 5) + rng.normal(0, 2, times.size)
    load = levels[hour_of_week] + 3.0 * np.maximum(10.0 - outdoor, 0.0)
    model = TOWTBaseline(building_type="nursing_home")  # no closed days to learn
    assert model.fit(times, load, outdoor) is model
    assert np.allclose(model.predict(times, outdoor), load, atol=1e-6)
    assert model.fit_.cv_rmse < 1e-6
    assert model.fit_.passes


def test_a_school_holiday_is_predicted_as_a_closed_day_not_as_its_weekday() -> None:
    times = hours(42)  # includes the autumn break, week 41 (6-10 October 2025)
    local = local_time(times)
    weekday = (local.day + 3) % 7
    hour = np.floor(local.hour)
    outdoor = np.full(times.shape, 8.0)
    autumn_break = (times >= START_S) & (times < START_S + 5 * DAY_S)
    open_hours = (weekday < 5) & (hour >= 7) & (hour < 17) & ~autumn_break
    load = np.where(open_hours, 100.0, 20.0)
    model = TOWTBaseline(building_type="school").fit(times, load, outdoor)
    predicted = model.predict(times, outdoor)
    assert np.allclose(predicted[autumn_break], 20.0, atol=1e-6)
    assert np.allclose(predicted[open_hours], 100.0, atol=1e-6)


def test_unfitted_use_raises_and_too_little_data_is_refused() -> None:
    with pytest.raises(NotFittedError):
        TOWTBaseline().predict(hours(1), np.zeros(24))
    with pytest.raises(ValueError, match="a week of hours"):
        TOWTBaseline().fit(hours(2), np.ones(48), np.zeros(48))


def test_g14_figures_by_hand() -> None:
    measured = np.array([10.0, 12.0, 8.0, 10.0])
    predicted = np.array([11.0, 11.0, 9.0, 9.0])
    fit = g14(measured, predicted)
    assert fit == G14(cv_rmse=pytest.approx(0.1), nmbe=pytest.approx(0.0), hours=4)
    assert fit.passes
    assert not g14(measured, predicted * 1.2).passes  # 20 % too high: NMBE fails
    assert g14(measured, predicted, parameters=2).cv_rmse == pytest.approx(np.sqrt(2) / 10)


def hourly_meters(
    seed: int, days: int
) -> list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]]:
    """(building type, role, hour starts, hourly mean power, outdoor °C) of each simulated
    building's electricity and heat meters, fault-free."""
    portfolio = Portfolio.generate(6, seed=seed, start_s=START_S, interval_s=900, faults=False)
    meters = []
    for building in portfolio.buildings:
        block = building.advance_block(START_S + days * DAY_S)
        names = [p.point for p in block.points]
        starts, index = np.unique(np.floor(block.times_s / 3600) * 3600, return_inverse=True)

        def hourly(point: str, block=block, names=names, index=index) -> np.ndarray:
            values = block.values[names.index(point)]
            return np.bincount(index, weights=values) / np.bincount(index)

        outdoor = main_point(block.points, Role.OUTDOOR_TEMPERATURE)
        assert outdoor is not None
        for role in (Role.ELECTRICITY, Role.HEAT):
            meter = main_point(block.points, role, quantity="power")
            assert meter is not None
            meters.append(
                (building.info.type, role.name, starts, hourly(meter.point), hourly(outdoor.point))
            )
    return meters


def test_simulated_meters_pass_guideline_14_out_of_sample() -> None:
    """Fit 10 weeks, judge the 4 after them. Seed 11 is used for nothing else; nothing in the
    model was tuned (its knots are fixed in °C)."""
    failed = []
    for building_type, role, times, load, outdoor in hourly_meters(seed=11, days=98):
        train = times < START_S + 70 * DAY_S
        model = TOWTBaseline(building_type=building_type).fit(
            times[train], load[train], outdoor[train]
        )
        fit = g14(load[~train], model.predict(times[~train], outdoor[~train]))
        if not fit.passes:
            failed.append((building_type, role, round(fit.cv_rmse, 3), round(fit.nmbe, 3)))
    assert not failed
