"""Outdoor-air damper stuck or out of its position."""

from __future__ import annotations

import numpy as np

from analytics.equipment.ahu import AhuSeries
from analytics.equipment.damper import DamperOutOfPosition, outdoor_air_fraction

MINUTE = 60.0
N = 180


def unit(**overrides: object) -> AhuSeries:
    """Three hours of a healthy unit heating, 1-minute samples; ``overrides`` replace points."""
    base: dict[str, object] = {
        "times_s": np.arange(N) * MINUTE,
        "supply_c": np.full(N, 20.0),
        "mixed_c": np.full(N, 15.0),
        "return_c": np.full(N, 21.0),
        "outdoor_c": np.full(N, 0.0),
        "supply_setpoint_c": np.full(N, 20.0),
        "heating_valve": np.full(N, 0.4),
        "cooling_valve": np.zeros(N),
        "damper": np.full(N, 0.2),
        "fan_on": np.ones(N),
        "occupied": np.ones(N),
    }
    base.update(overrides)
    return AhuSeries.from_points({k: v for k, v in base.items() if v is not None})  # type: ignore[misc]


def test_outdoor_air_fraction_from_temperatures() -> None:
    fraction, error = outdoor_air_fraction(unit())
    np.testing.assert_allclose(fraction, 6.0 / 21.0)
    assert (error < 0.2).all()
    close = unit(outdoor_c=np.full(N, 18.0))  # 3 K from the return air: below G36 dTmin
    assert np.isnan(outdoor_air_fraction(close)[0]).all()


def test_fires_on_a_damper_stuck_closed() -> None:
    # Commanded 80 % open, but the mixed air is the return air: no outdoor air comes in.
    series = unit(damper=np.full(N, 0.8), mixed_c=np.full(N, 21.0), heating_valve=np.zeros(N))
    rule = DamperOutOfPosition(min_position=0.2).fit(series)
    (episode,) = rule.episodes(series)
    assert "damper command 0.80" in episode.detail


def test_fires_on_excess_outdoor_air_while_heating() -> None:
    # Stuck open and reporting it: 100 % outdoor air while heating in the cold.
    series = unit(damper=np.full(N, 1.0), mixed_c=np.full(N, 0.5))
    assert DamperOutOfPosition(min_position=0.2).fit(series).episodes(series)


def test_learns_the_minimum_position_from_ventilating_samples() -> None:
    damper = np.full(N, 0.2)
    damper[:60] = 0.0  # a night cycle with the damper closed
    rule = DamperOutOfPosition().fit(unit(damper=damper))
    assert rule.min_position_ == 0.2


def test_quiet_on_a_healthy_unit() -> None:
    series = unit()
    assert DamperOutOfPosition().fit(series).episodes(series) == []


def test_quiet_with_the_fan_off_or_too_small_a_temperature_difference() -> None:
    stuck = {"damper": np.full(N, 0.8), "mixed_c": np.full(N, 21.0)}
    off = unit(fan_on=np.zeros(N), **stuck)
    assert DamperOutOfPosition(min_position=0.8).fit(off).episodes(off) == []
    mild = unit(outdoor_c=np.full(N, 18.0), heating_valve=np.zeros(N), **stuck)
    assert DamperOutOfPosition(min_position=0.8).fit(mild).episodes(mild) == []


def test_quiet_when_points_are_missing() -> None:
    series = unit(damper=np.full(N, 0.8), mixed_c=np.full(N, 21.0), return_c=None)
    assert not DamperOutOfPosition().fit(series).score_samples(series).any()
