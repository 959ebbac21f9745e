"""How a real building departs from its timetable: meter and occupant noise, drift, daylight.

None of it is a fault, and all of it is what a detector must not call one:

- **Meter and occupant noise**: electricity and district heat are multiplied by a factor near 1
  made of two auto-correlated parts, hour to hour (people, equipment cycling, hot water draws;
  time constant two hours) and day to day (busier and quieter days; two days). It is scaled so
  that *hourly* energy has the building's relative standard deviation (drawn from 5-15 % for
  each meter). The factor is applied to the power before the counters integrate it, so
  counters stay monotone and agree with the power readings.
- **Temperature wander**: zone temperature readings wander slowly around the zone's physical
  temperature (a door, a group of people, a sun patch near the sensor), a few tenths of a kelvin.
- **Base-load drift**: equipment (plug loads and the constant load) changes by a few per cent a
  month, a slow random walk pulled back towards the building's normal over about four months.
- **Daylight**: lights in use are dimmed by daylight, so daytime electricity follows the season
  and the sky as the weather has it.

Every random value is a counter-based draw keyed by the building's seed and a fixed knot grid
(hours, days, weeks since the epoch), and the auto-correlation comes from a truncated moving
average of those draws, never from a running state: a value depends on the time alone, not on
how the run was cut into calls. Sums run in a fixed order so the bits do not depend on it either.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

import numpy as np

from simulation.activities import ALL_ACTIVITIES
from simulation.model import BuildingModel, Variability
from simulation.noise import FloatArray, derive_key, draws, normal

#: Ranges a building's noise and drift are drawn from when the configuration does not set them.
ELECTRICITY_NOISE_RANGE: Final = (0.05, 0.15)
HEAT_NOISE_RANGE: Final = (0.05, 0.15)
TEMPERATURE_NOISE_K_RANGE: Final = (0.1, 0.3)
DRIFT_PER_MONTH_RANGE: Final = (0.01, 0.04)

_HOUR_S: Final = 3600.0
_DAY_S: Final = 86_400.0
_WEEK_S: Final = 7 * _DAY_S
#: Share of the noise variance that varies hour to hour; the rest varies day to day.
_FAST_SHARE: Final = 0.6
_FAST_TIME_CONSTANT_H: Final = 2.0
_SLOW_TIME_CONSTANT_D: Final = 2.0
_WANDER_TIME_CONSTANT_H: Final = 1.5
#: Drift: time constant of the pull back to normal, in weeks (about four months).
_DRIFT_TIME_CONSTANT_W: Final = 120.0 / 7.0
#: Moving-average terms per time constant: exp(-5) is where the weights stop mattering.
_TERMS_PER_TIME_CONSTANT: Final = 5
#: A noise factor never goes below this (a meter does not run backwards).
_FLOOR: Final = 0.2
#: Daylight: lights in use dim by up to this share when the sun gives this much light (W/m²).
DAYLIGHT_DIMMING: Final = 0.35
DAYLIGHT_FULL_W_M2: Final = 300.0


@dataclass(frozen=True, slots=True)
class VariabilityConfig:
    """The variability a building should have; ``None``: draw it from the default range."""

    electricity_noise: float | None = None
    heat_noise: float | None = None
    temperature_noise_k: float | None = None
    drift_per_month: float | None = None
    activities: frozenset[str] = field(default_factory=lambda: ALL_ACTIVITIES)
    daylight: bool = True

    @classmethod
    def off(cls) -> VariabilityConfig:
        """No noise, no drift, no legitimate use outside hours, no daylight: the clean series."""
        return cls(0.0, 0.0, 0.0, 0.0, frozenset(), False)


def resolve(config: VariabilityConfig, *, seed: int) -> Variability:
    """The building's variability: ``config`` with what it leaves open drawn from ``seed``.

    All four ranges are drawn every time, in a fixed order, so that setting one of them does
    not change the others.
    """
    rng = draws(seed, "variability")
    drawn = [
        rng.uniform(*bounds)
        for bounds in (
            ELECTRICITY_NOISE_RANGE,
            HEAT_NOISE_RANGE,
            TEMPERATURE_NOISE_K_RANGE,
            DRIFT_PER_MONTH_RANGE,
        )
    ]
    given = (
        config.electricity_noise,
        config.heat_noise,
        config.temperature_noise_k,
        config.drift_per_month,
    )
    el, heat, temperature, drift = (
        round(d, 4) if g is None else float(g) for g, d in zip(given, drawn, strict=True)
    )
    return Variability(
        electricity_noise=el,
        heat_noise=heat,
        temperature_noise_k=temperature,
        drift_per_month=drift,
        activities=frozenset(config.activities),
        daylight=config.daylight,
    )


@lru_cache(maxsize=32)
def _weights(time_constant: float) -> tuple[tuple[float, ...], float]:
    """Moving-average weights of an AR(1) with this time constant (in knots), normalised to
    unit variance, and the correlation of neighbouring knots they give."""
    terms = math.ceil(_TERMS_PER_TIME_CONSTANT * time_constant)
    phi = math.exp(-1.0 / time_constant)
    raw = [phi**j for j in range(terms + 1)]
    norm = math.sqrt(sum(w * w for w in raw))
    weights = tuple(w / norm for w in raw)
    rho = sum(a * b for a, b in itertools.pairwise(weights))
    return weights, rho


def smooth_normal(
    key: int, times_s: FloatArray, *, knot_s: float, time_constant: float
) -> FloatArray:
    """Standard normal values at ``times_s`` that are auto-correlated in time.

    On knots every ``knot_s`` seconds since the epoch the values are an AR(1) process with
    ``time_constant`` (in knots), made as a moving average of hashed draws so that each knot's
    value depends only on its index; between knots they are interpolated linearly, and rescaled
    so that the variance is one everywhere.
    """
    times = np.asarray(times_s, dtype=np.float64)
    if not times.size:
        return np.zeros(times.shape)
    weights, rho = _weights(time_constant)
    terms = len(weights) - 1
    position = times / knot_s
    index = np.floor(position).astype(np.int64)
    frac = position - index
    low, high = int(index.min()), int(index.max()) + 1
    count = high - low + 1
    shocks = normal(key, np.arange(low - terms, high + 1, dtype=np.int64))
    knots = np.zeros(count)
    # knot[i] = sum_j w_j shock[i - j], summed in the same order whatever the range asked for.
    for j, weight in enumerate(weights):
        knots += weight * shocks[terms - j : terms - j + count]
    below = knots[index - low]
    above = knots[index - low + 1]
    spread = np.sqrt((1.0 - frac) ** 2 + frac**2 + 2.0 * rho * frac * (1.0 - frac))
    result: FloatArray = ((1.0 - frac) * below + frac * above) / spread
    return result


@lru_cache(maxsize=8)
def _hourly_scale(time_constant_h: float) -> float:
    """What the noise's standard deviation is multiplied by so that *hourly means* of it have
    the building's standard deviation (averaging within the hour removes a little of the
    hour-to-hour part). Exact for the 5-minute steps of the physics."""
    _, rho = _weights(time_constant_h)
    f = (np.arange(12) + 0.5) / 12.0
    spread = np.sqrt((1.0 - f) ** 2 + f**2 + 2.0 * rho * f * (1.0 - f))
    a, b = (1.0 - f) / spread, f / spread
    covariance = np.outer(a, a) + np.outer(b, b) + rho * (np.outer(a, b) + np.outer(b, a))
    hourly_variance = _FAST_SHARE * float(covariance.mean()) + (1.0 - _FAST_SHARE)
    return 1.0 / math.sqrt(hourly_variance)


def _meter_factor(key: int, times_s: FloatArray, relative_sd: float) -> FloatArray:
    fast = smooth_normal(key, times_s, knot_s=_HOUR_S, time_constant=_FAST_TIME_CONSTANT_H)
    slow = smooth_normal(key ^ 1, times_s, knot_s=_DAY_S, time_constant=_SLOW_TIME_CONSTANT_D)
    z = math.sqrt(_FAST_SHARE) * fast + math.sqrt(1.0 - _FAST_SHARE) * slow
    scale = relative_sd * _hourly_scale(_FAST_TIME_CONSTANT_H)
    result: FloatArray = np.maximum(1.0 + scale * z, _FLOOR)
    return result


def electricity_factor(model: BuildingModel, times_s: FloatArray) -> FloatArray | None:
    """What the building's electricity is multiplied by at ``times_s``; None: nothing."""
    sd = model.variability.electricity_noise
    if not sd:
        return None
    return _meter_factor(derive_key(model.seed, "noise", "electricity"), times_s, sd)


def heat_factor(model: BuildingModel, times_s: FloatArray) -> FloatArray | None:
    """What the building's district heat is multiplied by at ``times_s``; None: nothing."""
    sd = model.variability.heat_noise
    if not sd:
        return None
    return _meter_factor(derive_key(model.seed, "noise", "heat"), times_s, sd)


def base_load_factor(model: BuildingModel, times_s: FloatArray) -> FloatArray | None:
    """What the equipment base load (plug and constant loads) is multiplied by; None: 1."""
    monthly = model.variability.drift_per_month
    if not monthly:
        return None
    # An Ornstein-Uhlenbeck process changes by sd * sqrt(2 (1 - exp(-dt/tau))) over dt.
    tau_days = 7.0 * _DRIFT_TIME_CONSTANT_W
    sd = monthly / math.sqrt(2.0 * (1.0 - math.exp(-30.0 / tau_days)))
    z = smooth_normal(
        derive_key(model.seed, "drift"),
        times_s,
        knot_s=_WEEK_S,
        time_constant=_DRIFT_TIME_CONSTANT_W,
    )
    result: FloatArray = np.exp(sd * z - 0.5 * sd * sd)  # mean one
    return result


def daylight_dimming(model: BuildingModel, irradiance_w_m2: FloatArray) -> FloatArray | None:
    """What lights in use are multiplied by in daylight; None: 1."""
    if not model.variability.daylight:
        return None
    light = np.clip(irradiance_w_m2 / DAYLIGHT_FULL_W_M2, 0.0, 1.0)
    result: FloatArray = 1.0 - DAYLIGHT_DIMMING * light
    return result


def temperature_wander(model: BuildingModel, times_s: FloatArray) -> FloatArray | None:
    """How far each zone's temperature reading is off its air temperature, (zones, times), K."""
    sd = model.variability.temperature_noise_k
    if not sd:
        return None
    rows = [
        sd
        * smooth_normal(
            derive_key(model.seed, "wander", zone.id),
            times_s,
            knot_s=_HOUR_S,
            time_constant=_WANDER_TIME_CONSTANT_H,
        )
        for zone in model.zones
    ]
    return np.vstack(rows)
