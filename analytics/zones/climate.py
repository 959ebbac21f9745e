"""Indoor climate in a zone's occupied hours: how long, and how far, it was out of band.

The band is the one Norwegian rules ask of rooms people work or learn in: TEK17 § 13-4 and its
guidance (and the Labour Inspection Authority's advice for light work) put the operative
temperature between 19 and 26 °C, and TEK17's guidance keeps CO₂ at or below 1000 ppm. We take
the air temperature for the operative temperature: a room sensor on an inner wall reads
close to it, and no radiant temperature is measured.

Only occupied hours count, and they are the building's opening hours from
:func:`analytics.hours.in_use`, which knows the Norwegian calendar (public holidays, school
holidays, kindergartens' closed days): a night setback, a cold weekend or a school's winter
break is normal and never out of band. Nursing homes are in use around the clock.

:func:`occupied_climate` is pure: readings in, a :class:`ZoneClimate` summary out, in hours
and degree-hours so that a health score can weigh how long and how badly the band was left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from analytics.hours import in_use

FloatArray = npt.NDArray[np.float64]
SECONDS_PER_HOUR: Final = 3600.0
#: TEK17 § 13-4 guidance: operative temperature for light work, °C.
LOW_C: Final = 19.0
HIGH_C: Final = 26.0
#: TEK17 § 13-3 guidance: CO₂ at most this, ppm.
CO2_LIMIT_PPM: Final = 1000.0


@dataclass(frozen=True, slots=True)
class ZoneClimate:
    """A zone's indoor climate over its occupied hours (hours are sampled time, not counts).

    ``occupied_hours`` are the opening hours of the period, ``missing_hours`` those of them
    without a temperature reading; the other figures are over the hours with one.
    ``hours_in_band``: temperature in the band and CO₂ at or under its limit (or unknown).
    Degree-hours (K·h) add up how far below or above the band each hour was; ppm-hours how
    far above the CO₂ limit.
    """

    occupied_hours: float
    missing_hours: float
    hours_in_band: float
    hours_too_cold: float
    hours_too_warm: float
    hours_co2_high: float
    degree_hours_below: float
    degree_hours_above: float
    ppm_hours_above: float

    @property
    def measured_hours(self) -> float:
        """Occupied hours with a temperature reading."""
        return self.occupied_hours - self.missing_hours

    @property
    def share_in_band(self) -> float | None:
        """Share of the measured occupied hours in band (None: none measured)."""
        measured = self.measured_hours
        return self.hours_in_band / measured if measured > 0 else None


def occupied_climate(
    *,
    building_type: str,
    times_s: FloatArray,
    temp_c: FloatArray,
    co2_ppm: FloatArray | None = None,
    low_c: float = LOW_C,
    high_c: float = HIGH_C,
    co2_limit_ppm: float = CO2_LIMIT_PPM,
    interval_s: float | None = None,
) -> ZoneClimate:
    """The climate summary of one zone from readings at regular times (UTC epoch seconds).

    ``interval_s`` is how long each reading stands for (default: the median spacing of
    ``times_s``, an hour for a single reading). NaN marks a missing reading; a missing CO₂
    reading leaves the hour's temperature judged alone.
    """
    hours_each = _interval_s(times_s, interval_s) / SECONDS_PER_HOUR
    occupied = in_use(building_type, times_s)
    temp = np.where(occupied, temp_c, np.nan)
    measured = np.isfinite(temp)
    co2 = np.full(temp.shape, np.nan) if co2_ppm is None else np.where(measured, co2_ppm, np.nan)
    below = np.where(measured, np.maximum(low_c - temp, 0.0), 0.0)
    above = np.where(measured, np.maximum(temp - high_c, 0.0), 0.0)
    co2_above = np.where(np.isfinite(co2), np.maximum(co2 - co2_limit_ppm, 0.0), 0.0)
    cold = measured & (temp < low_c)
    warm = measured & (temp > high_c)
    stuffy = co2_above > 0.0
    in_band = measured & ~cold & ~warm & ~stuffy
    return ZoneClimate(
        occupied_hours=_hours(occupied, hours_each),
        missing_hours=_hours(occupied & ~measured, hours_each),
        hours_in_band=_hours(in_band, hours_each),
        hours_too_cold=_hours(cold, hours_each),
        hours_too_warm=_hours(warm, hours_each),
        hours_co2_high=_hours(stuffy, hours_each),
        degree_hours_below=float(below.sum()) * hours_each,
        degree_hours_above=float(above.sum()) * hours_each,
        ppm_hours_above=float(co2_above.sum()) * hours_each,
    )


def _interval_s(times_s: FloatArray, interval_s: float | None) -> float:
    if interval_s is not None:
        return float(interval_s)
    if times_s.size < 2:
        return SECONDS_PER_HOUR
    return float(np.median(np.diff(times_s)))


def _hours(flags: npt.NDArray[np.bool_], hours_each: float) -> float:
    return float(np.count_nonzero(flags)) * hours_each


__all__ = ["CO2_LIMIT_PPM", "HIGH_C", "LOW_C", "ZoneClimate", "occupied_climate"]
