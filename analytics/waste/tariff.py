"""What a building pays per kWh and per kW of peak, and how waste raises a month's peak.

A Norwegian public building on a business grid tariff pays, for electricity, the spot price of
its price area, the grid tariff's energy part per kWh, and a capacity part (effektledd) per kW
of the month's highest hourly load; for district heat, a price per kWh. All ex. VAT, in NOK.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from analytics.waste.co2 import Co2Factor
from byggpuls.calendar import local_time

if TYPE_CHECKING:
    from analytics.settings import AnalyticsSettings

FloatArray = npt.NDArray[np.float64]


class Carrier(StrEnum):
    """The energy carrier a finding wastes."""

    ELECTRICITY = "electricity"
    DISTRICT_HEAT = "district_heat"


@dataclass(frozen=True, slots=True)
class Tariff:
    """The building's prices and CO2e factors, ex. VAT."""

    #: All-in electricity price (energy, grid energy part, taxes) used without spot prices.
    flat_electricity_nok_per_kwh: float
    #: The grid tariff's energy part, charged on top of the spot price.
    grid_energy_nok_per_kwh: float
    #: The grid tariff's capacity part, per kW of the month's highest hourly load.
    capacity_nok_per_kw_month: float
    district_heat_nok_per_kwh: float
    electricity_co2e: Co2Factor
    district_heat_co2e: Co2Factor

    def __post_init__(self) -> None:
        rates = {
            "flat_electricity_nok_per_kwh": self.flat_electricity_nok_per_kwh,
            "grid_energy_nok_per_kwh": self.grid_energy_nok_per_kwh,
            "capacity_nok_per_kw_month": self.capacity_nok_per_kw_month,
            "district_heat_nok_per_kwh": self.district_heat_nok_per_kwh,
        }
        for name, rate in rates.items():
            if not (math.isfinite(rate) and rate >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, not {rate}")

    @classmethod
    def from_settings(cls, settings: AnalyticsSettings) -> Tariff:
        """The tariff the analytics service is configured with."""
        return cls(
            flat_electricity_nok_per_kwh=settings.analytics_electricity_price_nok_per_kwh,
            grid_energy_nok_per_kwh=settings.analytics_grid_energy_nok_per_kwh,
            capacity_nok_per_kw_month=settings.analytics_grid_capacity_nok_per_kw_month,
            district_heat_nok_per_kwh=settings.analytics_district_heat_nok_per_kwh,
            electricity_co2e=Co2Factor(
                settings.analytics_electricity_co2e_kg_per_kwh,
                settings.analytics_electricity_co2e_source,
            ),
            district_heat_co2e=Co2Factor(
                settings.analytics_district_heat_co2e_kg_per_kwh,
                settings.analytics_district_heat_co2e_source,
            ),
        )

    def co2e(self, carrier: Carrier) -> Co2Factor:
        """The CO2e factor of ``carrier``."""
        if carrier is Carrier.ELECTRICITY:
            return self.electricity_co2e
        return self.district_heat_co2e


@dataclass(frozen=True, slots=True)
class MonthPeak:
    """A local calendar month's highest hourly load, with and without the waste."""

    #: ``YYYY-MM`` in Europe/Oslo time, the month the grid company bills.
    month: str
    peak_kw: float
    peak_without_waste_kw: float

    @property
    def rise_kw(self) -> float:
        """How much the waste raised the month's peak (0 if it did not)."""
        return max(0.0, self.peak_kw - self.peak_without_waste_kw)


def local_months(times_s: FloatArray) -> npt.NDArray[np.str_]:
    """The local (Europe/Oslo) calendar month, ``YYYY-MM``, of each UTC epoch time."""
    days = local_time(times_s).day.astype("datetime64[D]")
    return np.datetime_as_string(days.astype("datetime64[M]"), unit="M")


def month_peaks(
    *, times_s: FloatArray, measured_kwh: FloatArray, waste_kwh: FloatArray
) -> list[MonthPeak]:
    """Per local month touched, the highest hourly kW of ``measured_kwh`` and of
    ``measured_kwh - waste_kwh`` over the hours given (energy per hour is mean kW).

    The peak is the highest over the hours given only: pass every metered hour of the month
    (waste 0 where there is none), or a night's waste may look like it set the month's peak.
    """
    if times_s.size == 0:
        return []
    months = local_months(times_s)
    without = measured_kwh - waste_kwh
    peaks = []
    for month in np.unique(months):
        in_month = months == month
        peaks.append(
            MonthPeak(
                month=str(month),
                peak_kw=float(measured_kwh[in_month].max()),
                peak_without_waste_kw=float(without[in_month].max()),
            )
        )
    return peaks
