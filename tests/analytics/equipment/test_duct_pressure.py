"""Duct static pressure off its setpoint with the supply fan at full speed: G36 FC#1."""

from __future__ import annotations

import numpy as np

from analytics.equipment.ahu import AhuSeries
from analytics.equipment.duct_pressure import DuctPressureOffSetpoint
from tests.analytics.equipment.factories import MINUTE, N, unit


def vav(pressure_pa: float, speed: float, **overrides: object) -> AhuSeries:
    """A variable-volume unit holding 350 Pa with its fan at ``speed``."""
    return unit(
        duct_pressure_pa=np.full(N, pressure_pa),
        duct_pressure_setpoint_pa=np.full(N, 350.0),
        fan_speed=np.full(N, speed),
        **overrides,
    )


def test_fc1_pressure_low_with_the_fan_at_full_speed() -> None:
    series = vav(100.0, 1.0)
    rule = DuctPressureOffSetpoint().fit(series)
    (episode,) = rule.episodes(series)
    assert episode.kind == "duct_pressure_off_setpoint"
    assert episode.start_s == 15 * MINUTE  # the mode delay after the fan start
    assert "too low" in episode.detail


def test_pressure_high_with_the_fan_held_at_full_speed() -> None:
    series = vav(1000.0, 0.97)  # within G36's 5 % of full speed
    (episode,) = DuctPressureOffSetpoint().fit(series).episodes(series)
    assert "too high" in episode.detail


def test_quiet_when_the_loop_has_room_or_the_pressure_is_within_error() -> None:
    for series in (
        vav(100.0, 0.7),  # the loop can still speed up
        vav(1000.0, 0.5),  # ... or slow down
        vav(370.0, 1.0),  # 20 Pa off: within εDSP (25 Pa)
    ):
        assert DuctPressureOffSetpoint().fit(series).episodes(series) == []


def test_quiet_with_the_fan_off_short_runs_and_without_the_points() -> None:
    off = vav(0.0, 1.0, fan_on=np.zeros(N))
    assert DuctPressureOffSetpoint().fit(off).episodes(off) == []
    short = unit(
        duct_pressure_pa=np.where(np.arange(N) < 40, 100.0, 350.0),
        duct_pressure_setpoint_pa=np.full(N, 350.0),
        fan_speed=np.ones(N),
    )
    assert DuctPressureOffSetpoint().fit(short).episodes(short) == []
    constant_volume = unit()
    rule = DuctPressureOffSetpoint().fit(constant_volume)
    assert not rule.score_samples(constant_volume).any()
