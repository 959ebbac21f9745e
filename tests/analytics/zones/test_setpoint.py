"""Setpoint too high: above the type's comfort limit or raised above its usual, for days."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from analytics.hours import in_use
from analytics.zones.setpoint import SetpointTooHighDetector, extra_heat_kwh
from byggpuls.calendar import TIMEZONE

H = 3600.0
START_S = dt.datetime(2025, 11, 3, tzinfo=TIMEZONE).timestamp()  # a Monday
DAYS = 28
FIT_DAYS = 14


def zone(
    *, comfort_c: float = 21.0, raise_c: float = 0.0, outdoor_c: float = 3.0, btype: str = "school"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Times, setpoint, temperature and outdoor air of a zone with a night setback; from day
    18 to day 25 its setpoint is raised by ``raise_c``."""
    times = START_S + H * np.arange(DAYS * 24)
    opened = in_use(btype, times)
    setpoint = np.where(opened, comfort_c, comfort_c - 3.0)
    day = (times - START_S) / 86_400.0
    setpoint = setpoint + np.where((day >= 18) & (day < 25), raise_c, 0.0)
    rng = np.random.default_rng(5)
    gains = np.where(opened, rng.uniform(0.0, 1.5, times.size), 0.0)
    temp = setpoint + gains + rng.normal(0.0, 0.2, times.size)
    outdoor = np.full(times.size, outdoor_c)
    return times, setpoint, temp, outdoor


def fitted(data: tuple[np.ndarray, ...], **params: object) -> tuple[SetpointTooHighDetector, list]:
    times, setpoint, temp, outdoor = data
    history = times < START_S + FIT_DAYS * 86_400.0
    model = SetpointTooHighDetector(building_type="school", **params)  # type: ignore[arg-type]
    model.fit(times[history], setpoint[history], temp[history], outdoor[history])
    late = ~history
    scores = model.score_samples(times[late], setpoint[late], temp[late], outdoor[late])
    return model, model.decide(times[late], scores)


def test_fires_on_a_raised_setpoint_and_costs_heat() -> None:
    data = zone(raise_c=3.0)
    model, episodes = fitted(data)
    assert len(episodes) == 1
    raised_from = START_S + 18 * 86_400.0
    assert raised_from <= episodes[0].start_s < raised_from + 86_400.0
    times, setpoint, temp, outdoor = data
    excess = model.excess_c(times, setpoint, temp)
    assert excess.max() == pytest.approx(3.0)
    cost = extra_heat_kwh(
        excess_c=excess, indoor_c=temp, outdoor_c=outdoor, space_heat_kwh=np.full(times.size, 10.0)
    )
    assert 0.0 < cost.sum() < 10.0 * times.size * 0.2


def test_quiet_with_a_night_setback_and_its_usual_setpoint() -> None:
    assert fitted(zone())[1] == []


def test_a_gym_turned_up_below_every_limit_is_found() -> None:
    assert len(fitted(zone(comfort_c=18.0, raise_c=3.0))[1]) == 1


def test_a_zone_always_too_warm_for_its_type_is_found() -> None:
    assert len(fitted(zone(comfort_c=23.5))[1]) == 1
    assert fitted(zone(comfort_c=23.5), limit_c=24.0)[1] == []


def test_quiet_outside_the_heating_season() -> None:
    assert fitted(zone(raise_c=3.0, outdoor_c=20.0))[1] == []


def test_a_holiday_week_at_setback_is_quiet() -> None:
    times, setpoint, temp, outdoor = zone(raise_c=3.0)
    # Christmas-like: the raised week falls in a holiday, the building is closed, at setback.
    start = dt.datetime(2025, 12, 22, tzinfo=TIMEZONE).timestamp()
    shifted = times - times[0] + start - 18 * 86_400.0
    model = SetpointTooHighDetector(building_type="school")
    history = shifted < start - 4 * 86_400.0
    model.fit(shifted[history], setpoint[history], temp[history], outdoor[history])
    holiday = (shifted >= start) & (shifted < start + 7 * 86_400.0)
    lowered = np.where(holiday, 18.0, setpoint)
    scores = model.score_samples(
        shifted[holiday], lowered[holiday], temp[holiday], outdoor[holiday]
    )
    assert model.decide(shifted[holiday], scores) == []


def test_without_a_setpoint_the_held_temperature_decides() -> None:
    times, _, temp, outdoor = zone(raise_c=3.0)
    none = np.full(times.size, np.nan)
    _, episodes = fitted((times, none, temp, outdoor))
    assert len(episodes) == 1
    _, quiet = fitted((*zone()[:1], none, *zone()[2:]))
    assert quiet == []


def test_missing_data_is_quiet_and_does_not_fail() -> None:
    times, setpoint, temp, outdoor = zone()
    setpoint = setpoint.copy()
    setpoint[::3] = np.nan
    outdoor = np.full(times.size, np.nan)
    assert fitted((times, setpoint, temp, outdoor))[1] == []


def test_rule_of_thumb_without_outdoor_temperature() -> None:
    share = extra_heat_kwh(
        excess_c=np.array([1.0, 1.0]),
        indoor_c=np.array([21.0, 21.0]),
        outdoor_c=np.array([1.0, np.nan]),
        space_heat_kwh=np.array([100.0, 100.0]),
    )
    assert share.tolist() == pytest.approx([5.0, 5.0])


def test_contract() -> None:
    times, setpoint, temp, outdoor = zone(raise_c=3.0)
    model = SetpointTooHighDetector(building_type="school")
    with pytest.raises(NotFittedError):
        model.score_samples(times, setpoint, temp, outdoor)
    assert model.fit(times, setpoint, temp, outdoor) is model
    assert clone(model).get_params() == model.get_params()
    first = model.score_samples(times, setpoint, temp, outdoor)
    again = SetpointTooHighDetector(building_type="school").fit(times, setpoint, temp, outdoor)
    assert np.array_equal(first, again.score_samples(times, setpoint, temp, outdoor))
    assert (first >= 0.0).all()
