"""Waste priced the way a Norwegian public building is billed, in NOK ex. VAT and kg CO2e.

Per finding, the analytics service calls::

    priced_with = electricity_prices(source, area=area, times_s=times_s, waste_kwh=waste_kwh)
    cost = price_waste(carrier=Carrier.ELECTRICITY, area=area, times_s=times_s,
                       waste_kwh=waste_kwh, measured_kwh=measured_kwh, tariff=tariff,
                       prices=priced_with)
    cost.total_nok, cost.co2e_kg, cost.evidence()

with ``source = price_source_from(settings)`` (None: the flat default) and
``tariff = Tariff.from_settings(settings)`` built once. ``prices`` (the series, the port, the
fallback) and ``tariff`` (rates, peaks) are pure; ``sources`` holds the adapters, the only
modules here that do I/O. See ``docs/pricing.md``.
"""

from __future__ import annotations

from analytics.waste.co2 import Co2Factor
from analytics.waste.cost import WasteCost, price_waste
from analytics.waste.errors import PriceError, PriceMalformed, PriceUnavailable
from analytics.waste.prices import (
    PRICE_AREAS,
    PricedWith,
    PriceSeries,
    PriceSource,
    check_area,
    electricity_prices,
    hourly_mean,
)
from analytics.waste.sources import FilePrices, HttpPrices, price_source_from
from analytics.waste.tariff import Carrier, MonthPeak, Tariff, month_peaks

__all__ = [
    "PRICE_AREAS",
    "Carrier",
    "Co2Factor",
    "FilePrices",
    "HttpPrices",
    "MonthPeak",
    "PriceError",
    "PriceMalformed",
    "PriceSeries",
    "PriceSource",
    "PriceUnavailable",
    "PricedWith",
    "Tariff",
    "WasteCost",
    "check_area",
    "electricity_prices",
    "hourly_mean",
    "month_peaks",
    "price_source_from",
    "price_waste",
]
