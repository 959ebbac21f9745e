"""Outdoor-air damper stuck or out of its position."""

from __future__ import annotations

import numpy as np

from analytics.equipment.damper import DamperOutOfPosition, outdoor_air_fraction
from tests.analytics.equipment.factories import N, unit


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
    # The fan stopped and the damper closed: the duct sensors read the plant room.
    off = unit(fan_on=np.zeros(N), mixed_c=np.full(N, 21.0), damper=np.zeros(N))
    assert DamperOutOfPosition(min_position=0.8).fit(off).episodes(off) == []
    mild = unit(outdoor_c=np.full(N, 18.0), heating_valve=np.zeros(N), **stuck)
    assert DamperOutOfPosition(min_position=0.8).fit(mild).episodes(mild) == []


def test_fires_on_a_closed_damper_letting_outdoor_air_in() -> None:
    # Damper commanded closed, both valves closed: the supply air (18.5 °C, less half the
    # fan's heat) says 30 % outdoor air comes in; the mixed-air sensor reads 19 °C (within its
    # 2.8 K of that) and on its own would not tell.
    closed = {"damper": np.zeros(N), "heating_valve": np.zeros(N), "outdoor_c": np.full(N, 11.0)}
    leaking = unit(supply_c=np.full(N, 18.5), mixed_c=np.full(N, 19.0), **closed)
    rule = DamperOutOfPosition(min_position=0.15).fit(leaking)
    assert rule.episodes(leaking)
    tight = unit(supply_c=np.full(N, 21.6), mixed_c=np.full(N, 21.0), **closed)
    assert DamperOutOfPosition(min_position=0.15).fit(tight).episodes(tight) == []


def test_fires_on_a_damper_open_with_the_fan_stopped() -> None:
    # A damper that reads fully open while the fan is stopped: after the mode delay, a fault.
    series = unit(fan_on=np.zeros(N), damper=np.ones(N))
    rule = DamperOutOfPosition(min_position=0.2).fit(series)
    scores = rule.score_samples(series)
    assert (scores[:15] == 0).all()
    assert (scores[15:] > 0).all()
    (episode,) = rule.episodes(series)
    assert "damper command 1.00" in episode.detail


def test_heat_recovery_explains_too_little_outdoor_air_at_minimum_position() -> None:
    # 100 % outdoor air through a wheel of efficiency 0.75 ahead of the mixing box: the mixed
    # air is 15.75 °C, as if only 25 % outdoor air came in. Not a fault while the wheel may run.
    recovering = {
        "damper": np.ones(N),
        "mixed_c": np.full(N, 21.0 - 0.25 * 21.0),
        "heating_valve": np.full(N, 0.1),
    }
    unknown = unit(**recovering)
    assert DamperOutOfPosition(min_position=1.0).fit(unknown).episodes(unknown) == []
    running = unit(heat_recovery=np.ones(N), **recovering)
    assert DamperOutOfPosition(min_position=1.0).fit(running).episodes(running) == []
    # The same temperatures with the heat recovery known to be off: the damper is short.
    none = unit(heat_recovery=np.zeros(N), **recovering)
    assert DamperOutOfPosition(min_position=1.0).fit(none).episodes(none)


def test_more_outdoor_air_than_commanded_is_judged_whatever_the_heat_recovery() -> None:
    # Commanded 20 %, the mixed air is the outdoor air: heat recovery cannot explain that.
    series = unit(mixed_c=np.full(N, 0.5), heating_valve=np.zeros(N))
    assert DamperOutOfPosition(min_position=0.2).fit(series).episodes(series)


def test_too_little_outdoor_air_judged_without_the_point_once_the_economiser_opens() -> None:
    # Economiser at 80 % (above the 20 % minimum, so the heat recovery has stopped), but the
    # mixed air is the return air: the damper does not open.
    series = unit(damper=np.full(N, 0.8), mixed_c=np.full(N, 21.0), heating_valve=np.zeros(N))
    assert DamperOutOfPosition(min_position=0.2).fit(series).episodes(series)


def test_quiet_when_points_are_missing() -> None:
    series = unit(damper=np.full(N, 0.8), mixed_c=np.full(N, 21.0), return_c=None)
    assert not DamperOutOfPosition().fit(series).score_samples(series).any()
