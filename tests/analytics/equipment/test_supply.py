"""Supply air off its setpoint: G36 FC#7, FC#13 and a persistent offset."""

from __future__ import annotations

import numpy as np

from analytics.equipment.supply import SupplyTempOffSetpoint, steady, trailing_mean
from tests.analytics.equipment.factories import MINUTE, N, unit


def test_fc7_heating_fully_open_and_still_cold() -> None:
    series = unit(heating_valve=np.ones(N), supply_c=np.full(N, 16.0))
    (episode,) = SupplyTempOffSetpoint().fit(series).episodes(series)
    assert "G36 FC#7" in episode.detail


def test_fc13_cooling_fully_open_and_still_warm() -> None:
    series = unit(
        heating_valve=np.zeros(N),
        cooling_valve=np.ones(N),
        mixed_c=np.full(N, 24.0),
        supply_c=np.full(N, 24.0),
        supply_setpoint_c=np.full(N, 13.0),
    )
    (episode,) = SupplyTempOffSetpoint().fit(series).episodes(series)
    assert "G36 FC#13" in episode.detail


def test_persistent_offset_with_outputs_still() -> None:
    series = unit(supply_c=np.full(N, 23.0))  # 3 K warm, heating valve held at 40 %
    assert SupplyTempOffSetpoint().fit(series).episodes(series)


def test_quiet_on_a_healthy_unit_and_on_one_that_hunts() -> None:
    series = unit()
    assert SupplyTempOffSetpoint().fit(series).episodes(series) == []
    hunting = unit(supply_c=20.0 + np.where(np.arange(N) % 2 == 0, 2.0, -2.0))
    assert SupplyTempOffSetpoint().fit(hunting).episodes(hunting) == []


def test_quiet_while_the_loop_still_acts_or_after_a_setpoint_step() -> None:
    # 3 K cold but the heating valve opens 1 % a minute: the loop is correcting.
    acting = unit(supply_c=np.full(N, 17.0), heating_valve=np.linspace(0.1, 0.98, N))
    assert SupplyTempOffSetpoint().fit(acting).episodes(acting) == []
    setpoint = np.where(np.arange(N) % 20 < 10, 20.0, 24.0)  # a step every 10 minutes
    stepping = unit(supply_setpoint_c=setpoint)
    assert SupplyTempOffSetpoint().fit(stepping).episodes(stepping) == []


def test_quiet_unoccupied_with_the_fan_off_and_without_cooling_when_warm() -> None:
    warm = {"supply_c": np.full(N, 23.0)}
    idle = unit(occupied=np.zeros(N), **warm)
    assert SupplyTempOffSetpoint().fit(idle).episodes(idle) == []
    off = unit(fan_on=np.zeros(N), **warm)
    assert SupplyTempOffSetpoint().fit(off).episodes(off) == []
    no_cooling = unit(cooling_valve=None, heating_valve=np.zeros(N), **warm)
    assert SupplyTempOffSetpoint().fit(no_cooling).episodes(no_cooling) == []


def test_quiet_when_the_setpoint_is_missing() -> None:
    series = unit(supply_c=np.full(N, 23.0), supply_setpoint_c=None)
    assert not SupplyTempOffSetpoint().fit(series).score_samples(series).any()


def test_helpers() -> None:
    times = np.arange(5) * MINUTE
    np.testing.assert_allclose(
        trailing_mean(times, np.array([1.0, 3.0, np.nan, 5.0, 7.0]), 2 * MINUTE),
        [1.0, 2.0, 3.0, 5.0, 6.0],
    )
    np.testing.assert_array_equal(
        steady(times, np.array([20.0, 20.0, 25.0, 25.0, 25.0]), window_s=MINUTE, tolerance_k=1.0),
        [True, True, False, True, True],
    )
