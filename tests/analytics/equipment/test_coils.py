"""Simultaneous heating and cooling: a coil that works with its valve closed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from analytics.equipment.ahu import AhuSeries
from analytics.equipment.coils import SimultaneousHeatingCooling
from tests.analytics.equipment.factories import MINUTE, N, unit


def leaking_cooling_coil(**overrides: object) -> AhuSeries:
    """Heating (valve 40 %) yet the supply air 6 K below the mixed air: the cooling coil cools."""
    return unit(supply_c=np.full(N, 9.0), **overrides)


def test_fires_on_a_cooling_coil_leaking_in_heating() -> None:
    series = leaking_cooling_coil()
    rule = SimultaneousHeatingCooling().fit(series)
    scores = rule.score_samples(series)
    assert (scores[:15] == 0).all()  # settling after the fan start
    assert (scores[15:] > 0).all()
    (episode,) = rule.episodes(series)
    assert episode.kind == "simultaneous_heating_cooling"
    assert episode.faulty_s == pytest.approx((N - 15) * MINUTE)
    assert episode.energy_kwh is None  # no airflow point


def test_fires_on_a_heating_coil_leaking_in_cooling_with_energy() -> None:
    series = unit(
        heating_valve=np.zeros(N),
        cooling_valve=np.full(N, 0.5),
        mixed_c=np.full(N, 24.0),
        supply_c=np.full(N, 30.0),
        airflow_m3_s=np.full(N, 2.0),
    )
    rule = SimultaneousHeatingCooling().fit(series)
    (episode,) = rule.episodes(series)
    # (30 - 24 - fan heat 1.11 K) x 1.2 x 1.006 x 2 m3/s over 165 minutes.
    expected = (6.0 - 2.0 / 1.8) * 1.2 * 1.006 * 2.0 * (N - 15) / 60.0
    assert episode.energy_kwh == pytest.approx(expected)


def test_fires_on_both_valves_open() -> None:
    series = unit(cooling_valve=np.full(N, 0.3), supply_c=np.full(N, 16.0))
    assert SimultaneousHeatingCooling().fit(series).episodes(series)


def test_fires_on_a_stuck_cooling_valve_that_a_large_heating_coil_hides() -> None:
    # Cooling valve stuck at 34 %; the heating coil, three times its size, makes up for it at
    # 7 %: the supply air is on its setpoint, only the overlap of the valves shows the fault.
    series = unit(
        heating_valve=np.full(N, 0.07), cooling_valve=np.full(N, 0.34), mixed_c=np.full(N, 18.0)
    )
    assert SimultaneousHeatingCooling().fit(series).episodes(series)


def test_heat_added_beyond_the_warmer_stream_with_the_valves_closed() -> None:
    # Economiser, valves closed, damper closed: the air entering the coils is at most the
    # return air (22 °C). The supply air 1.9 K above that plus the fan's heat: the heating coil
    # leaks, though against the mixed-air reading (21 °C, within its 2.8 K) it would not show.
    closed = {"heating_valve": np.zeros(N), "damper": np.zeros(N), "outdoor_c": np.full(N, 15.0)}
    leak = unit(supply_c=np.full(N, 25.0), mixed_c=np.full(N, 21.0), return_c=np.full(N, 22.0),
                **closed)  # fmt: skip
    assert SimultaneousHeatingCooling().fit(leak).episodes(leak)
    fine = unit(supply_c=np.full(N, 24.3), mixed_c=np.full(N, 21.0), return_c=np.full(N, 22.0),
                **closed)  # fmt: skip
    assert SimultaneousHeatingCooling().fit(fine).episodes(fine) == []
    # Without the return air the bound is unknown: the outdoor air alone bounds nothing.
    unknown = unit(supply_c=np.full(N, 25.0), mixed_c=np.full(N, 21.0),
                   return_c=np.full(N, np.nan), **closed)  # fmt: skip
    assert SimultaneousHeatingCooling().fit(unknown).episodes(unknown) == []


def test_supply_slightly_below_the_colder_stream_is_no_fault() -> None:
    # 100 % outdoor air at 17.7 °C, the supply sensor reading 0.9 K lower: within the sensors'
    # errors once no fan heat is assumed (a unit may have none to speak of).
    series = unit(
        heating_valve=np.zeros(N),
        damper=np.ones(N),
        outdoor_c=np.full(N, 17.7),
        mixed_c=np.full(N, 17.6),
        supply_c=np.full(N, 16.8),
        return_c=np.full(N, 23.0),
    )
    assert SimultaneousHeatingCooling().fit(series).episodes(series) == []


def test_quiet_on_a_healthy_unit() -> None:
    series = unit()
    assert SimultaneousHeatingCooling().fit(series).episodes(series) == []


def test_quiet_with_the_fan_off_and_while_settling() -> None:
    fan = np.ones(N)
    fan[::40] = 0  # restarts every 40 minutes: never 30 settled faulty minutes in a row
    series = leaking_cooling_coil(fan_on=fan)
    assert SimultaneousHeatingCooling().fit(series).episodes(series) == []
    off = leaking_cooling_coil(fan_on=np.zeros(N))
    assert not SimultaneousHeatingCooling().fit(off).score_samples(off).any()


def test_quiet_when_points_are_missing() -> None:
    series = leaking_cooling_coil(mixed_c=None)
    rule = SimultaneousHeatingCooling().fit(series)
    assert not rule.score_samples(series).any()
    gappy = leaking_cooling_coil(mixed_c=np.where(np.arange(N) % 2 == 0, np.nan, 15.0))
    assert SimultaneousHeatingCooling(min_samples=100).fit(gappy).episodes(gappy) == []


def test_unit_without_cooling_coil_is_judged_on_the_heating_side_only() -> None:
    series = leaking_cooling_coil(cooling_valve=None)
    # The drop below the mixed air is still a fault (FC#5); no valve-overlap check is possible.
    assert SimultaneousHeatingCooling().fit(series).episodes(series)


def test_unfitted_rule_refuses() -> None:
    with pytest.raises(NotFittedError):
        SimultaneousHeatingCooling().score_samples(unit())


def economiser_cooling(**overrides: object) -> AhuSeries:
    """OS#3: damper fully open, cooling valve at 25 %, outdoor air 12 °C, mixed air 13 °C."""
    base: dict[str, object] = {
        "heating_valve": np.zeros(N),
        "cooling_valve": np.full(N, 0.25),
        "damper": np.ones(N),
        "outdoor_c": np.full(N, 12.0),
        "mixed_c": np.full(N, 13.0),
        "return_c": np.full(N, 21.0),
        "supply_setpoint_c": np.full(N, 16.0),
    }
    base.update(overrides)
    return unit(**base)


def test_os3_judges_the_rise_against_the_outdoor_air() -> None:
    # 16.5 °C supply: 3.5 K above the mixed air (within its 3.0 K + fan heat), but 3.4 K above
    # the outdoor air plus the fan's heat: a heating coil heats behind the cooling coil.
    leaking = economiser_cooling(supply_c=np.full(N, 16.5))
    (episode,) = SimultaneousHeatingCooling().fit(leaking).episodes(leaking)
    assert episode.start_s == 15 * MINUTE
    healthy = economiser_cooling(supply_c=np.full(N, 11.0))
    assert SimultaneousHeatingCooling().fit(healthy).episodes(healthy) == []


def test_os3_outdoor_check_needs_the_mixed_air_to_agree() -> None:
    # Mixed air 6 K above the outdoor air: the damper does not give 100 % outdoor air (the
    # damper rule's business), so the outdoor air is not the air entering the coils.
    series = economiser_cooling(mixed_c=np.full(N, 18.0), supply_c=np.full(N, 17.0))
    assert SimultaneousHeatingCooling().fit(series).episodes(series) == []


def test_os3_outdoor_check_stays_quiet_outside_os3() -> None:
    # The same temperatures with the damper at its minimum (OS#4): judged against the mixed
    # and return air only, within tolerance.
    series = economiser_cooling(damper=np.full(N, 0.2), supply_c=np.full(N, 16.5))
    assert SimultaneousHeatingCooling().fit(series).episodes(series) == []
    off = economiser_cooling(supply_c=np.full(N, 16.5), fan_on=np.zeros(N))
    assert SimultaneousHeatingCooling().fit(off).episodes(off) == []
