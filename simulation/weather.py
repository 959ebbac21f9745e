"""Outdoor weather with a Bergen-like climate, shared by every building of a portfolio.

Temperature = monthly normal (interpolated through the year) + daily cycle + weather fronts.
The fronts are an AR(1) anomaly on an hourly grid with a time constant of two and a half days,
so mild and cold spells last several days; its spread is larger in winter than in summer. The
daily cycle is small (Bergen is coastal and cloudy) and larger on clear days. Cloud cover is a
second, faster AR(1) process; humidity follows from a dew point a few kelvin below the smoothed
temperature, so relative humidity is high (~80 %) and dips in the afternoon. Global horizontal
irradiance comes from the sun's elevation at Bergen (60.39 °N, 5.32 °E) and the cloud cover.

The hourly grid is generated in day blocks, each from its own seed, from a fixed origin onwards,
so any time's weather is the same whatever order or chunks it is asked for in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from simulation.noise import FloatArray, derive_key, normal

#: Approximate 1991-2020 monthly mean temperatures (°C) at Bergen-Florida, January first.
BERGEN_MONTHLY_MEAN_C: Final = (2.4, 2.3, 3.7, 6.7, 10.2, 13.2, 15.3, 15.1, 12.3, 8.6, 5.3, 3.0)
LATITUDE_DEG: Final = 60.39
LONGITUDE_DEG: Final = 5.32
#: Outdoor CO2 concentration, ppm (urban background).
OUTDOOR_CO2_PPM: Final = 420.0

_HOURS_PER_DAY: Final = 24
_FRONT_TIME_CONSTANT_H: Final = 60.0
_CLOUD_TIME_CONSTANT_H: Final = 18.0
_DEW_TIME_CONSTANT_H: Final = 30.0
_DAYS_PER_YEAR: Final = 365.2425
_SECONDS_PER_YEAR: Final = _DAYS_PER_YEAR * 86_400.0
# Mid-month positions as fractions of the year, for interpolating the normals.
_MID_MONTH: Final = (np.arange(12) + 0.5) / 12.0


@dataclass(frozen=True, slots=True)
class WeatherSample:
    """Outdoor conditions at a set of times (arrays of one shape)."""

    temperature_c: FloatArray
    relative_humidity_pct: FloatArray
    #: Water vapour content, kg per kg of dry air.
    humidity_ratio: FloatArray
    #: Global horizontal irradiance, W/m².
    irradiance_w_m2: FloatArray
    #: Cloud cover, 0 (clear) to 1 (overcast).
    cloud: FloatArray


class Weather:
    """The weather of one portfolio: a pure function of time once created.

    ``origin_s`` is the earliest time it can tell; asking for earlier raises ``ValueError``.
    """

    def __init__(self, *, seed: int, origin_s: float) -> None:
        self.seed = seed
        self.origin_s = float(np.floor(origin_s / 3600.0) * 3600.0)
        self._key = derive_key(seed, "weather")
        # Three AR(1) processes with unit variance on the hourly grid: fronts, cloud, dew point.
        self._phi = np.exp(
            -1.0 / np.array([_FRONT_TIME_CONSTANT_H, _CLOUD_TIME_CONSTANT_H, _DEW_TIME_CONSTANT_H])
        )
        start = normal(derive_key(self._key, 0), np.arange(3))
        self._grid = start.reshape(3, 1)
        self._days = 0

    def sample(self, times_s: FloatArray) -> WeatherSample:
        """The weather at each of ``times_s`` (UTC epoch seconds)."""
        times = np.asarray(times_s, dtype=np.float64)
        if times.size and float(times.min()) < self.origin_s:
            raise ValueError(
                f"weather starts at {self.origin_s:.0f}; asked for {float(times.min()):.0f}"
            )
        hours = (times - self.origin_s) / 3600.0
        self._extend(int(np.floor(hours.max())) + 2 if times.size else 0)
        index = np.floor(hours).astype(np.int64)
        frac = hours - index
        grid = self._grid
        front, cloud_z, dew_z = (
            (1.0 - frac) * grid[i, index] + frac * grid[i, index + 1] for i in range(3)
        )

        year_frac = _year_fraction(times)
        summer = 0.5 * (1.0 - np.cos(2.0 * np.pi * (year_frac - 0.04)))  # 0 mid-Jan, 1 mid-Jul
        cloud = 1.0 / (1.0 + np.exp(-(1.2 + 1.6 * cloud_z)))
        normal = np.interp(
            year_frac,
            np.concatenate(([_MID_MONTH[-1] - 1.0], _MID_MONTH, [_MID_MONTH[0] + 1.0])),
            np.array((BERGEN_MONTHLY_MEAN_C[-1], *BERGEN_MONTHLY_MEAN_C, BERGEN_MONTHLY_MEAN_C[0])),
        )
        front_sd = 3.0 - 1.0 * summer
        # Clear winter spells are colder: couple the anomaly weakly to the cloud cover.
        smooth = normal + front_sd * front - (1.0 - summer) * 1.5 * (0.7 - cloud)
        solar_hour = np.mod(times / 3600.0 + LONGITUDE_DEG / 15.0, 24.0)
        amplitude = (1.0 + 2.5 * summer) * (1.35 - cloud)
        diurnal = amplitude * np.cos(2.0 * np.pi * (solar_hour - 15.0) / 24.0)
        temperature = smooth + diurnal
        depression = np.clip(2.2 + 1.5 * summer + 1.2 * (0.7 - cloud) + 0.8 * dew_z, 0.3, None)
        dew_point = smooth - depression
        relative = np.clip(
            100.0 * _vapour_pressure(dew_point) / _vapour_pressure(temperature), 25.0, 100.0
        )
        return WeatherSample(
            temperature_c=temperature,
            relative_humidity_pct=relative,
            humidity_ratio=humidity_ratio(temperature, relative),
            irradiance_w_m2=_irradiance(times, year_frac, cloud),
            cloud=cloud,
        )

    def _extend(self, hours_needed: int) -> None:
        while self._grid.shape[1] <= hours_needed:
            day = derive_key(self._key, 1, self._days)
            shocks = normal(day, np.arange(3 * _HOURS_PER_DAY)).reshape(3, _HOURS_PER_DAY)
            block = np.empty((3, _HOURS_PER_DAY))
            previous = self._grid[:, -1]
            scale = np.sqrt(1.0 - self._phi**2)
            for hour in range(_HOURS_PER_DAY):
                previous = self._phi * previous + scale * shocks[:, hour]
                block[:, hour] = previous
            self._grid = np.concatenate((self._grid, block), axis=1)
            self._days += 1


def _year_fraction(times_s: FloatArray) -> FloatArray:
    # Fraction of the (mean) year since 1 January; a day's error at most, irrelevant here.
    since_1970 = times_s / _SECONDS_PER_YEAR
    result: FloatArray = since_1970 - np.floor(since_1970)
    return result


def _vapour_pressure(temperature_c: FloatArray) -> FloatArray:
    """Saturation vapour pressure over water, Pa (Magnus formula)."""
    result: FloatArray = 610.94 * np.exp(17.625 * temperature_c / (temperature_c + 243.04))
    return result


def humidity_ratio(temperature_c: FloatArray, relative_humidity_pct: FloatArray) -> FloatArray:
    """Water vapour per dry air, kg/kg, at sea-level pressure."""
    vapour = relative_humidity_pct / 100.0 * _vapour_pressure(temperature_c)
    result: FloatArray = 0.622 * vapour / (101_325.0 - vapour)
    return result


def relative_humidity(temperature_c: FloatArray, ratio: FloatArray) -> FloatArray:
    """Relative humidity, %, of air at ``temperature_c`` holding ``ratio`` kg/kg of vapour."""
    vapour = ratio * 101_325.0 / (0.622 + ratio)
    result: FloatArray = np.clip(100.0 * vapour / _vapour_pressure(temperature_c), 0.0, 100.0)
    return result


def _irradiance(times_s: FloatArray, year_frac: FloatArray, cloud: FloatArray) -> FloatArray:
    declination = np.radians(23.44) * np.sin(2.0 * np.pi * (year_frac - 0.2225))
    solar_hour = np.mod(times_s / 3600.0 + LONGITUDE_DEG / 15.0, 24.0)
    hour_angle = np.radians(15.0 * (solar_hour - 12.0))
    latitude = np.radians(LATITUDE_DEG)
    sin_elevation = np.sin(latitude) * np.sin(declination) + np.cos(latitude) * np.cos(
        declination
    ) * np.cos(hour_angle)
    up = np.clip(sin_elevation, 1e-3, None)
    # Haurwitz clear-sky model, attenuated by cloud (after Kasten and Czeplak).
    clear = np.where(sin_elevation > 0.0, 1098.0 * up * np.exp(-0.057 / up), 0.0)
    result: FloatArray = clear * (1.0 - 0.8 * cloud**2.5)
    return result
