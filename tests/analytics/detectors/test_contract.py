"""Every registered detector keeps the estimator contract (as scikit-learn's check_estimator
does for its own): parameters only in ``__init__``, ``fit`` returns ``self``, unfitted use
raises, deterministic, quiet on a healthy building, and no I/O."""

from __future__ import annotations

import builtins
import datetime as dt
import socket
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from analytics.detectors import DETECTORS, NOT_RUN
from byggpuls.roles import Role, main_point
from simulation import Portfolio

DAY_S = 86_400.0
START_S = dt.datetime(2026, 1, 5, tzinfo=dt.UTC).timestamp()


def healthy_series(roles: tuple[Role, ...], *, days: int = 21) -> tuple[np.ndarray, list[Any]]:
    """Hourly means of a fault-free simulated office, one series per role."""
    config = {
        "seed": 1,
        "start": START_S,
        "interval_s": 900,
        "buildings": [{"id": "b-01", "type": "office", "seed": 5, "faults": "none"}],
    }
    building = Portfolio.from_config(config).buildings[0]
    block = building.advance_block(START_S + days * DAY_S)
    names = [p.point for p in block.points]
    hours = np.floor(block.times_s / 3600) * 3600
    starts = np.unique(hours)
    series = []
    for role in roles:
        quantity = "power" if role in (Role.ELECTRICITY, Role.HEAT) else None
        point = main_point(block.points, role, quantity=quantity)
        assert point is not None, f"the simulated office has no {role.name} point"
        values = block.values[names.index(point.point)]
        series.append(np.array([values[hours == h].mean() for h in starts]))
    return starts, series


@pytest.fixture(params=(*DETECTORS, *NOT_RUN), ids=lambda cls: cls.__name__)
def detector_class(request: pytest.FixtureRequest) -> Any:
    return request.param


def test_it_declares_its_kind_and_roles(detector_class: Any) -> None:
    assert detector_class.kind.isidentifier()
    assert detector_class.roles
    assert all(isinstance(role, Role) for role in detector_class.roles)


def test_init_only_stores_parameters(detector_class: Any) -> None:
    detector = detector_class()
    params = detector.get_params()
    assert all(not name.endswith("_") for name in vars(detector))
    assert set(vars(detector)) == set(params)
    assert clone(detector).get_params() == params


def test_unfitted_use_raises(detector_class: Any) -> None:
    times, series = healthy_series(detector_class.roles, days=2)
    with pytest.raises(NotFittedError):
        detector_class().score_samples(times, *series)


def test_fit_returns_self_and_fitted_attributes_end_in_underscore(detector_class: Any) -> None:
    times, series = healthy_series(detector_class.roles)
    detector = detector_class()
    assert detector.fit(times, *series) is detector
    fitted = [name for name in vars(detector) if name.endswith("_")]
    assert fitted, "fit must set attributes ending in '_'"


def test_deterministic(detector_class: Any) -> None:
    times, series = healthy_series(detector_class.roles)
    first = detector_class().fit(times, *series).score_samples(times, *series)
    second = detector_class().fit(times, *series).score_samples(times, *series)
    assert np.array_equal(first, second)


def test_quiet_on_a_healthy_building(detector_class: Any) -> None:
    times, series = healthy_series(detector_class.roles)
    detector = detector_class().fit(times, *series)
    assert detector.episodes(times, *series) == []


def test_no_io(detector_class: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    times, series = healthy_series(detector_class.roles)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a detector must do no I/O")

    monkeypatch.setattr(builtins, "open", refused)
    monkeypatch.setattr(socket, "socket", refused)
    detector = detector_class().fit(times, *series)
    detector.episodes(times, *series)
