"""Hourly spot prices of a price area: the series, the port that supplies it, and the fallback.

A :class:`PriceSeries` holds one price per whole UTC hour (NOK/kWh ex. VAT), keyed by the
hour's start in epoch seconds: an hour is an hour whatever the local clock does, so the clock
changes of Europe/Oslo need no special case here. Feeds that give 15-minute prices (the
Nordic day-ahead market since 1 October 2025) are brought to the hour by :func:`hourly_mean`.

A :class:`PriceSource` is the port (adapters in :mod:`analytics.waste.sources`);
:func:`electricity_prices` asks it for a finding's hours and, when it cannot answer, says so
in a :class:`PricedWith` that prices with the flat default instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Final, Protocol

import numpy as np
import numpy.typing as npt

from analytics.waste.errors import PriceError, PriceUnavailable

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
SECONDS_PER_HOUR: Final = 3600.0
#: The Norwegian bidding zones of the Nordic day-ahead market.
PRICE_AREAS: Final = ("NO1", "NO2", "NO3", "NO4", "NO5")
NO_SOURCE: Final = "no spot price source is configured"


def check_area(area: str) -> str:
    """``area`` as a price area (``NO1`` .. ``NO5``, any case); a ValueError says what to set."""
    normalised = area.strip().upper()
    if normalised not in PRICE_AREAS:
        raise ValueError(
            f"use the price area the building's meter is in, one of {', '.join(PRICE_AREAS)}"
            f" (Bergen is NO5), not {area!r}"
        )
    return normalised


def utc_text(time_s: float) -> str:
    """An epoch time as ISO 8601 UTC, for messages."""
    return dt.datetime.fromtimestamp(time_s, dt.UTC).isoformat(timespec="minutes")


def hourly_mean(times_s: FloatArray, nok_per_kwh: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Prices at any resolution (15 minutes, an hour) as one price per UTC hour: the mean of
    the prices whose start falls in the hour. Returns the hours' starts, sorted, and the means.
    """
    if times_s.shape != nok_per_kwh.shape or times_s.ndim != 1:
        raise ValueError("times and prices must be 1-D arrays of the same length")
    hours_s = np.floor(times_s / SECONDS_PER_HOUR) * SECONDS_PER_HOUR
    starts, inverse = np.unique(hours_s, return_inverse=True)
    sums = np.bincount(inverse, weights=nok_per_kwh, minlength=starts.size)
    counts = np.bincount(inverse, minlength=starts.size)
    means: FloatArray = sums / counts
    return starts.astype(np.float64), means


@dataclass(frozen=True, slots=True, eq=False)
class PriceSeries:
    """Hourly spot prices of one price area, NOK/kWh ex. VAT.

    ``times_s`` are whole-hour starts (UTC epoch seconds), strictly increasing; ``origin``
    says where the prices came from (``file /path`` or the URL template) for the evidence.
    """

    area: str
    times_s: FloatArray
    nok_per_kwh: FloatArray
    origin: str

    def __post_init__(self) -> None:
        check_area(self.area)
        if self.times_s.shape != self.nok_per_kwh.shape or self.times_s.ndim != 1:
            raise ValueError("times and prices must be 1-D arrays of the same length")
        if not (np.all(np.isfinite(self.times_s)) and np.all(np.isfinite(self.nok_per_kwh))):
            raise ValueError("times and prices must be finite")
        if np.any(self.times_s % SECONDS_PER_HOUR != 0):
            raise ValueError("price times must be whole-hour starts (use hourly_mean)")
        if np.any(np.diff(self.times_s) <= 0):
            raise ValueError("price times must be strictly increasing")

    @property
    def source(self) -> str:
        """What the evidence names as the prices used."""
        return f"spot {self.area} from {self.origin}"

    def at(self, times_s: FloatArray) -> FloatArray:
        """The price of each hour starting at ``times_s``; PriceUnavailable names the first
        hour the series lacks."""
        index = np.searchsorted(self.times_s, times_s)
        found = index < self.times_s.size
        found[found] = self.times_s[index[found]] == times_s[found]
        if not np.all(found):
            missing = float(times_s[~found][0])
            raise PriceUnavailable(
                f"no {self.area} spot price for the hour from {utc_text(missing)}"
                f" in {self.origin} ({int(np.count_nonzero(~found))} hours missing)"
            )
        prices: FloatArray = self.nok_per_kwh[index]
        return prices

    def between(self, start_s: float, end_s: float) -> PriceSeries:
        """The hours starting in ``[start_s, end_s)``; PriceUnavailable if any is missing."""
        first = np.floor(start_s / SECONDS_PER_HOUR) * SECONDS_PER_HOUR
        wanted = np.arange(first, end_s, SECONDS_PER_HOUR, dtype=np.float64)
        return PriceSeries(
            area=self.area, times_s=wanted, nok_per_kwh=self.at(wanted), origin=self.origin
        )


class PriceSource(Protocol):
    """Where hourly spot prices come from (a file, a day-ahead feed over HTTP)."""

    def prices(self, area: str, start_s: float, end_s: float) -> PriceSeries:
        """Every hour starting in ``[start_s, end_s)`` of ``area``; raises PriceUnavailable if
        the source lacks one and PriceMalformed if what it holds is not in its format."""
        ...


@dataclass(frozen=True, slots=True)
class PricedWith:
    """The electricity prices a finding is priced with: a spot series, or (``spot`` None) the
    flat all-in default, with ``because`` saying why."""

    spot: PriceSeries | None = None
    because: str = ""

    @classmethod
    def flat(cls, because: str) -> PricedWith:
        """The flat default, because of ``because`` (a sentence for the evidence)."""
        return cls(spot=None, because=because)

    @property
    def source(self) -> str:
        """``spot NO5 from <origin>`` or ``flat default``."""
        return "flat default" if self.spot is None else self.spot.source


def electricity_prices(
    source: PriceSource | None, *, area: str, times_s: FloatArray, waste_kwh: FloatArray
) -> PricedWith:
    """The spot prices of the hours with waste, or the flat default and why: no source is
    configured, or the source could not give them (any :class:`PriceError`, logged).

    A bad ``area`` raises ValueError: that is a configuration error, not a missing price.
    """
    area = check_area(area)
    if source is None:
        return PricedWith.flat(NO_SOURCE)
    hours_s = np.asarray(times_s, dtype=np.float64)[np.asarray(waste_kwh) > 0]
    if hours_s.size == 0:
        return PricedWith.flat("no hour has waste to price")
    try:
        series = source.prices(area, float(hours_s.min()), float(hours_s.max()) + SECONDS_PER_HOUR)
        series.at(hours_s)  # an adapter that returns less than asked for is caught here
    except PriceError as exc:
        logger.warning("pricing with the flat default: %s", exc)
        return PricedWith.flat(f"spot prices unavailable: {exc}")
    return PricedWith(spot=series)
