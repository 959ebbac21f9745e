"""Mechanical cooling at 100 % outdoor air that is cold enough on its own: G36 FC#11."""

from __future__ import annotations

import numpy as np

from analytics.equipment.ahu import AhuSeries
from analytics.equipment.economiser import CoolingWithColdOutdoorAir
from tests.analytics.equipment.factories import MINUTE, N, unit


def economiser_cooling(**overrides: object) -> AhuSeries:
    """OS#3 against a 16 °C supply setpoint, outdoor air 10 °C: no cooling is needed."""
    base: dict[str, object] = {
        "heating_valve": np.zeros(N),
        "cooling_valve": np.full(N, 0.25),
        "damper": np.ones(N),
        "outdoor_c": np.full(N, 10.0),
        "mixed_c": np.full(N, 10.5),
        "supply_c": np.full(N, 16.0),
        "supply_setpoint_c": np.full(N, 16.0),
    }
    base.update(overrides)
    return unit(**base)


def test_fires_on_cooling_with_outdoor_air_cold_enough() -> None:
    # 16 - 1.11 (fan heat) - 10 = 4.9 K of margin, beyond εOAT + εSAT (2.2 K).
    series = economiser_cooling()
    rule = CoolingWithColdOutdoorAir().fit(series)
    (episode,) = rule.episodes(series)
    assert episode.kind == "cooling_with_cold_outdoor_air"
    assert episode.start_s == 15 * MINUTE
    assert "G36 FC#11" in episode.detail


def test_quiet_when_the_outdoor_air_needs_cooling() -> None:
    # 16 - 1.11 - 13 = 1.9 K: within the sensors' errors.
    series = economiser_cooling(outdoor_c=np.full(N, 13.0))
    assert CoolingWithColdOutdoorAir().fit(series).episodes(series) == []


def test_quiet_outside_os3_and_with_the_fan_off() -> None:
    free_cooling = economiser_cooling(cooling_valve=np.zeros(N))  # OS#2
    assert CoolingWithColdOutdoorAir().fit(free_cooling).episodes(free_cooling) == []
    minimum_air = economiser_cooling(damper=np.full(N, 0.2))  # OS#4
    assert CoolingWithColdOutdoorAir().fit(minimum_air).episodes(minimum_air) == []
    off = economiser_cooling(fan_on=np.zeros(N))
    assert CoolingWithColdOutdoorAir().fit(off).episodes(off) == []


def test_quiet_while_the_setpoint_moves_and_when_short() -> None:
    # A setpoint stepping 3 K every 10 minutes is never steady for the mode delay.
    ramp = np.where((np.arange(N) // 10) % 2 == 0, 16.0, 19.0)
    moving = economiser_cooling(supply_setpoint_c=ramp)
    assert CoolingWithColdOutdoorAir().fit(moving).episodes(moving) == []
    short = economiser_cooling(cooling_valve=np.where(np.arange(N) < 40, 0.25, 0.0))
    assert CoolingWithColdOutdoorAir().fit(short).episodes(short) == []


def test_band_units_use_the_cooling_setpoint_and_no_cooling_coil_is_unjudged() -> None:
    # Heating setpoint 10 °C, cooling setpoint 16 °C: the cooling one is what the coil serves.
    band = economiser_cooling(
        supply_setpoint_c=np.full(N, 10.0), supply_setpoint_high_c=np.full(N, 16.0)
    )
    assert CoolingWithColdOutdoorAir().fit(band).episodes(band)
    no_coil = economiser_cooling(cooling_valve=None)
    assert not CoolingWithColdOutdoorAir().fit(no_coil).score_samples(no_coil).any()
