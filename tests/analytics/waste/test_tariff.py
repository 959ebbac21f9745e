"""The tariff, and how much waste raises each local month's peak."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.settings import AnalyticsSettings
from analytics.waste.co2 import Co2Factor
from analytics.waste.tariff import Carrier, Tariff, local_months, month_peaks

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600.0


def at(*args: int) -> float:
    return dt.datetime(*args, tzinfo=OSLO).timestamp()


def hours_from(start_s: float, count: int) -> np.ndarray:
    return start_s + HOUR * np.arange(count, dtype=np.float64)


def test_months_are_local_not_utc() -> None:
    # 00:00 on 1 November in Oslo is 23:00 UTC on 31 October (winter time, UTC+1).
    times = np.array([at(2025, 10, 31, 23), at(2025, 11, 1, 0)])
    assert local_months(times).tolist() == ["2025-10", "2025-11"]


def test_night_waste_below_the_day_peak_does_not_raise_it() -> None:
    times = hours_from(at(2025, 10, 6, 0), 24)
    measured = np.full(24, 20.0)
    measured[8:16] = 60.0  # the working day sets the peak
    waste = np.zeros(24)
    waste[0:6] = 15.0  # ventilation left on at night: 20 kW instead of 5
    (peak,) = month_peaks(times_s=times, measured_kwh=measured, waste_kwh=waste)
    assert peak.month == "2025-10"
    assert (peak.peak_kw, peak.peak_without_waste_kw, peak.rise_kw) == (60.0, 60.0, 0.0)


def test_waste_in_the_peak_hour_raises_the_peak_to_the_next_highest_hour() -> None:
    times = hours_from(at(2025, 10, 6, 0), 4)
    measured = np.array([40.0, 70.0, 55.0, 30.0])
    waste = np.array([0.0, 20.0, 2.0, 0.0])
    (peak,) = month_peaks(times_s=times, measured_kwh=measured, waste_kwh=waste)
    # Without the waste the highest hour would have been 55 - 2 = 53 kW.
    assert peak.peak_kw == 70.0
    assert peak.peak_without_waste_kw == 53.0
    assert peak.rise_kw == pytest.approx(17.0)


def test_each_month_has_its_own_peak() -> None:
    # Two hours either side of midnight local time, 31 October to 1 November.
    times = hours_from(at(2025, 10, 31, 22), 4)
    measured = np.array([50.0, 45.0, 80.0, 60.0])
    waste = np.array([10.0, 0.0, 30.0, 0.0])
    october, november = month_peaks(times_s=times, measured_kwh=measured, waste_kwh=waste)
    assert (october.month, october.rise_kw) == ("2025-10", 5.0)  # 50 against 45
    assert (november.month, november.rise_kw) == ("2025-11", 20.0)  # 80 against 60


def test_no_hours_no_peaks() -> None:
    empty = np.empty(0)
    assert month_peaks(times_s=empty, measured_kwh=empty, waste_kwh=empty) == []


def tariff(**changes: float) -> Tariff:
    values = {
        "flat_electricity_nok_per_kwh": 1.25,
        "grid_energy_nok_per_kwh": 0.05,
        "capacity_nok_per_kw_month": 60.0,
        "district_heat_nok_per_kwh": 1.0,
    } | changes
    return Tariff(
        **values,
        electricity_co2e=Co2Factor(0.136, "NS 3720"),
        district_heat_co2e=Co2Factor(0.03, "network"),
    )


@pytest.mark.parametrize("field", ["grid_energy_nok_per_kwh", "capacity_nok_per_kw_month"])
@pytest.mark.parametrize("bad", [-0.01, float("nan"), float("inf")])
def test_tariff_refuses_negative_or_non_finite_rates(field: str, bad: float) -> None:
    with pytest.raises(ValueError, match=field):
        tariff(**{field: bad})


def test_tariff_from_settings_and_its_co2e_per_carrier(tmp_path: Path) -> None:
    settings = AnalyticsSettings(
        data_dir=tmp_path,
        analytics_grid_energy_nok_per_kwh=0.11,
        analytics_district_heat_co2e_kg_per_kwh=0.012,
        analytics_district_heat_co2e_source="fjernkontrollen.no, Bergen 2024",
    )
    built = Tariff.from_settings(settings)
    assert built.flat_electricity_nok_per_kwh == 1.25
    assert built.grid_energy_nok_per_kwh == 0.11
    assert built.co2e(Carrier.ELECTRICITY).kg_per_kwh == 0.136
    assert built.co2e(Carrier.DISTRICT_HEAT) == Co2Factor(0.012, "fjernkontrollen.no, Bergen 2024")
