"""The AHU series, its G36 operating modes and the settling gate."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.equipment.ahu import AhuSeries, Mode, coil_energy_kwh, operating_modes, settled

MINUTE = 60.0


def points(n: int = 60, **overrides: object) -> dict[str, object]:
    """A healthy unit heating at 1-minute samples."""
    base: dict[str, object] = {
        "times_s": np.arange(n) * MINUTE,
        "supply_c": np.full(n, 20.0),
        "mixed_c": np.full(n, 15.0),
        "return_c": np.full(n, 21.0),
        "outdoor_c": np.full(n, 0.0),
        "supply_setpoint_c": np.full(n, 20.0),
        "heating_valve": np.full(n, 0.4),
        "cooling_valve": np.zeros(n),
        "damper": np.full(n, 0.2),
        "fan_on": np.ones(n),
    }
    base.update(overrides)
    return base


def test_from_points_fills_missing_required_and_leaves_optional_none() -> None:
    raw = points()
    del raw["mixed_c"], raw["cooling_valve"]
    series = AhuSeries.from_points(raw)  # type: ignore[arg-type]
    assert np.isnan(series.mixed_c).all()
    assert series.cooling_valve is None
    assert series.fan_on.dtype == np.bool_
    assert series.fan_on.all()
    np.testing.assert_array_equal(series.cooling, np.zeros(60))


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="supply_c"):
        AhuSeries.from_points(points(supply_c=np.zeros(3)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("heating", "cooling", "damper", "fan", "mode"),
    [
        (0.5, 0.0, 0.2, 1, Mode.HEATING),
        (0.0, 0.0, 0.6, 1, Mode.ECONOMISER),
        (0.0, 0.5, 1.0, 1, Mode.ECONOMISER_COOLING),
        (0.0, 0.5, 0.2, 1, Mode.COOLING),
        (0.5, 0.5, 0.2, 1, Mode.OTHER),
        (0.5, 0.0, 0.2, 0, Mode.OFF),
    ],
)
def test_operating_modes(
    heating: float, cooling: float, damper: float, fan: int, mode: Mode
) -> None:
    series = AhuSeries.from_points(
        points(  # type: ignore[arg-type]
            heating_valve=np.full(60, heating),
            cooling_valve=np.full(60, cooling),
            damper=np.full(60, damper),
            fan_on=np.full(60, fan),
        )
    )
    assert set(operating_modes(series).tolist()) == {int(mode)}


def test_settled_waits_after_a_mode_change_and_after_a_gap() -> None:
    times = np.arange(60) * MINUTE
    modes = np.where(np.arange(60) < 30, int(Mode.HEATING), int(Mode.ECONOMISER))
    keep = settled(times, modes, delay_s=15 * MINUTE)
    assert not keep[:15].any()
    assert keep[15:30].all()
    assert not keep[30:45].any()
    assert keep[45:].all()
    gap = times.copy()
    gap[40:] += 3600.0
    assert not settled(gap, np.full(60, int(Mode.HEATING)), delay_s=15 * MINUTE)[40:55].any()


def test_coil_energy_is_none_without_airflow_and_rho_cp_flow_dt_with_it() -> None:
    series = AhuSeries.from_points(points())  # type: ignore[arg-type]
    mask = np.ones(60, dtype=bool)
    assert coil_energy_kwh(series, np.full(60, 2.0), mask=mask, interval_s=MINUTE) is None
    with_flow = AhuSeries.from_points(points(airflow_m3_s=np.full(60, 1.0)))  # type: ignore[arg-type]
    energy = coil_energy_kwh(with_flow, np.full(60, 2.0), mask=mask, interval_s=MINUTE)
    # 1.2 kg/m3 x 1.006 kJ/kgK x 1 m3/s x 2 K = 2.4144 kW for one hour.
    assert energy == pytest.approx(2.4144)
