"""What a finding's waste costs, in NOK and kg CO2e, with the evidence to recompute it.

Electricity, with spot prices::

    energy_nok       = sum over hours of waste_kwh x spot price of the hour
    grid_energy_nok  = waste_kwh x grid energy part
    capacity_nok     = capacity part x sum over local months of the kW the waste raised the peak

Electricity without spot prices: ``energy_nok = waste_kwh x flat all-in price`` (which holds
the grid energy part and taxes, so ``grid_energy_nok`` is 0); the capacity part is added as
above, as a per-kWh average cannot say whether a waste raised a peak. District heat:
``energy_nok = waste_kwh x district-heat price``. CO2e is ``waste_kwh x factor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from analytics.waste.co2 import Co2Factor
from analytics.waste.prices import NO_SOURCE, SECONDS_PER_HOUR, PricedWith, check_area
from analytics.waste.tariff import Carrier, MonthPeak, Tariff, month_peaks

FloatArray = npt.NDArray[np.float64]
#: How far the waste of an hour may exceed the measured energy (rounding), kWh.
_TOLERANCE_KWH: Final = 1e-6
DISTRICT_HEAT_SOURCE: Final = "district-heat tariff"
ELECTRICITY_FORMULA: Final = (
    "total_nok = waste_kwh * energy_nok_per_kwh + waste_kwh * grid_energy_nok_per_kwh"
    " + capacity_nok_per_kw_month * sum(peak_rise_kw)"
)
DISTRICT_HEAT_FORMULA: Final = "total_nok = waste_kwh * district_heat_nok_per_kwh"


@dataclass(frozen=True, slots=True)
class WasteCost:
    """A finding's waste priced: its parts in NOK ex. VAT, its CO2e, and what it was priced
    with (:meth:`evidence`)."""

    carrier: Carrier
    area: str
    energy_kwh: float
    #: Hours with waste.
    hours: int
    #: Spot (or the flat all-in price, or district heat) times the waste.
    energy_nok: float
    grid_energy_nok: float
    capacity_nok: float
    co2e_kg: float
    #: ``spot NO5 from <origin>``, ``flat default`` or ``district-heat tariff``.
    price_source: str
    #: Why the flat default was used; empty otherwise.
    price_note: str
    #: ``energy_nok / energy_kwh``: the spot prices weighted by each hour's waste, or the flat or
    #: district-heat rate.
    energy_nok_per_kwh: float
    #: The plain mean of the spot prices over the hours with waste (None without spot prices).
    mean_spot_nok_per_kwh: float | None
    grid_energy_nok_per_kwh: float
    capacity_nok_per_kw_month: float
    peaks: tuple[MonthPeak, ...]
    co2e: Co2Factor

    @property
    def total_nok(self) -> float:
        return self.energy_nok + self.grid_energy_nok + self.capacity_nok

    def evidence(self) -> dict[str, Any]:
        """The numbers a person needs to recompute :attr:`total_nok` (JSON-able, rounded:
        enough decimals to recompute the NOK to the øre)."""
        found: dict[str, Any] = {
            "carrier": self.carrier.value,
            "waste_kwh": round(self.energy_kwh, 4),
            "waste_hours": self.hours,
            "price_source": self.price_source,
        }
        if self.price_note:
            found["price_note"] = self.price_note
        if self.carrier is Carrier.DISTRICT_HEAT:
            found["district_heat_nok_per_kwh"] = round(self.energy_nok_per_kwh, 6)
            formula = DISTRICT_HEAT_FORMULA
        else:
            found["area"] = self.area
            found["energy_nok_per_kwh"] = round(self.energy_nok_per_kwh, 6)
            if self.mean_spot_nok_per_kwh is not None:
                found["mean_spot_nok_per_kwh"] = round(self.mean_spot_nok_per_kwh, 6)
            found["grid_energy_nok_per_kwh"] = round(self.grid_energy_nok_per_kwh, 6)
            found["capacity_nok_per_kw_month"] = round(self.capacity_nok_per_kw_month, 6)
            found["peak_rise_kw"] = {peak.month: round(peak.rise_kw, 4) for peak in self.peaks}
            found["peak_kw"] = {
                peak.month: {
                    "measured": round(peak.peak_kw, 4),
                    "without_waste": round(peak.peak_without_waste_kw, 4),
                }
                for peak in self.peaks
            }
            formula = ELECTRICITY_FORMULA
        found |= {
            "energy_nok": round(self.energy_nok, 2),
            "grid_energy_nok": round(self.grid_energy_nok, 2),
            "capacity_nok": round(self.capacity_nok, 2),
            "total_nok": round(self.total_nok, 2),
            "formula": formula,
            "co2e_kg_per_kwh": self.co2e.kg_per_kwh,
            "co2e_source": self.co2e.source,
            "co2e_kg": round(self.co2e_kg, 3),
        }
        return found


def price_waste(
    *,
    carrier: Carrier,
    area: str,
    times_s: FloatArray,
    waste_kwh: FloatArray,
    measured_kwh: FloatArray,
    tariff: Tariff,
    prices: PricedWith | None = None,
) -> WasteCost:
    """Price the waste of one finding, hour by hour.

    ``times_s`` are the hours' starts (UTC epoch seconds, whole hours, increasing), ``waste_kwh``
    the waste (>= 0) and ``measured_kwh`` the meter's energy in each hour. For electricity's
    capacity part, pass every metered hour of the months the finding touches, with waste 0
    outside it (:func:`~analytics.waste.tariff.month_peaks`). ``prices`` comes from
    :func:`~analytics.waste.prices.electricity_prices`; None prices with the flat default.
    District heat ignores ``prices``.

    Raises ValueError on inconsistent input and PriceUnavailable if ``prices`` lacks a
    waste hour (which :func:`~analytics.waste.prices.electricity_prices` never returns).
    """
    area = check_area(area)
    times_s, waste_kwh, measured_kwh = _checked(times_s, waste_kwh, measured_kwh)
    wasteful = waste_kwh > 0
    energy_kwh = float(waste_kwh.sum())
    hours = int(np.count_nonzero(wasteful))
    factor = tariff.co2e(carrier)
    if carrier is Carrier.DISTRICT_HEAT:
        rate = tariff.district_heat_nok_per_kwh
        return WasteCost(
            carrier=carrier,
            area=area,
            energy_kwh=energy_kwh,
            hours=hours,
            energy_nok=energy_kwh * rate,
            grid_energy_nok=0.0,
            capacity_nok=0.0,
            co2e_kg=factor.co2e_kg(energy_kwh),
            price_source=DISTRICT_HEAT_SOURCE,
            price_note="",
            energy_nok_per_kwh=rate,
            mean_spot_nok_per_kwh=None,
            grid_energy_nok_per_kwh=0.0,
            capacity_nok_per_kw_month=0.0,
            peaks=(),
            co2e=factor,
        )
    priced_with = prices if prices is not None else PricedWith.flat(NO_SOURCE)
    if priced_with.spot is not None:
        if priced_with.spot.area != area:
            raise ValueError(f"spot prices of {priced_with.spot.area} given for {area}")
        spot = priced_with.spot.at(times_s[wasteful])
        energy_nok = float(np.dot(waste_kwh[wasteful], spot))
        mean_spot: float | None = float(spot.mean()) if spot.size else None
        grid_rate = tariff.grid_energy_nok_per_kwh
        energy_rate = energy_nok / energy_kwh if energy_kwh > 0 else 0.0
    else:
        energy_rate = tariff.flat_electricity_nok_per_kwh
        energy_nok = energy_kwh * energy_rate
        mean_spot = None
        grid_rate = 0.0  # the flat price holds it
    peaks = tuple(month_peaks(times_s=times_s, measured_kwh=measured_kwh, waste_kwh=waste_kwh))
    capacity_rate = tariff.capacity_nok_per_kw_month
    return WasteCost(
        carrier=carrier,
        area=area,
        energy_kwh=energy_kwh,
        hours=hours,
        energy_nok=energy_nok,
        grid_energy_nok=energy_kwh * grid_rate,
        capacity_nok=capacity_rate * sum(peak.rise_kw for peak in peaks),
        co2e_kg=factor.co2e_kg(energy_kwh),
        price_source=priced_with.source,
        price_note=priced_with.because,
        energy_nok_per_kwh=energy_rate,
        mean_spot_nok_per_kwh=mean_spot,
        grid_energy_nok_per_kwh=grid_rate,
        capacity_nok_per_kw_month=capacity_rate,
        peaks=peaks,
        co2e=factor,
    )


def _checked(
    times_s: FloatArray, waste_kwh: FloatArray, measured_kwh: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The three arrays as float64, or a ValueError saying what is wrong with them."""
    times = np.asarray(times_s, dtype=np.float64)
    waste = np.asarray(waste_kwh, dtype=np.float64)
    measured = np.asarray(measured_kwh, dtype=np.float64)
    if times.ndim != 1 or times.shape != waste.shape or times.shape != measured.shape:
        raise ValueError("times_s, waste_kwh and measured_kwh must be 1-D and of one length")
    if not (np.all(np.isfinite(times)) and np.all(np.isfinite(waste))):
        raise ValueError("times_s and waste_kwh must be finite")
    if not np.all(np.isfinite(measured)):
        raise ValueError("measured_kwh must be finite (leave out hours the meter missed)")
    if np.any(times % SECONDS_PER_HOUR != 0) or np.any(np.diff(times) <= 0):
        raise ValueError("times_s must be whole-hour starts, strictly increasing")
    if np.any(waste < 0):
        raise ValueError("waste_kwh must be >= 0")
    if np.any(waste > measured + _TOLERANCE_KWH):
        raise ValueError("waste_kwh exceeds measured_kwh in some hour: the meter used less")
    return times, waste, measured
