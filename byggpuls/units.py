"""SenML units (RFC 8428 section 12.1, RFC 8798) that Byggpuls stores, and conversions to them.

Readings are stored in SI-based SenML units. Drivers convert what a device reports (°F, Wh,
percent as a fraction) with :func:`convert` before the reading leaves the gateway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from byggpuls.errors import ConfigError

#: The quantity a point has when no ``meta`` message described it: a reasonable guess from its
#: unit, so that telemetry from an unannounced point is stored rather than lost.
DEFAULT_QUANTITY: Final[dict[str, str]] = {
    "Cel": "temperature",
    "K": "temperature",
    "kWh": "energy",
    "Wh": "energy",
    "J": "energy",
    "W": "power",
    "kW": "power",
    "ppm": "co2",
    "%RH": "relative_humidity",
    "%": "percent",
    "/": "ratio",
    "m3": "volume",
    "l": "volume",
    "m3/s": "flow",
    "l/s": "flow",
    "Pa": "pressure",
    "lx": "illuminance",
    "V": "voltage",
    "A": "current",
    "Hz": "frequency",
    "s": "duration",
    "count": "count",
    "1/min": "rotational_speed",
}

_Converter = Callable[[float], float]

#: (from, to) -> function. Units a driver may meet in the field and the SenML unit to store.
_CONVERSIONS: Final[dict[tuple[str, str], _Converter]] = {
    ("degF", "Cel"): lambda f: (f - 32.0) * 5.0 / 9.0,
    ("K", "Cel"): lambda k: k - 273.15,
    ("Wh", "kWh"): lambda wh: wh / 1000.0,
    ("MWh", "kWh"): lambda mwh: mwh * 1000.0,
    ("W", "kW"): lambda w: w / 1000.0,
    ("kW", "W"): lambda kw: kw * 1000.0,
    ("/", "%"): lambda ratio: ratio * 100.0,
    ("%", "/"): lambda percent: percent / 100.0,
    ("l", "m3"): lambda litres: litres / 1000.0,
    ("cfm", "m3/s"): lambda cfm: cfm * 0.000471947443,
    ("inH2O", "Pa"): lambda inches: inches * 249.08891,
}


def converter(source: str, target: str) -> _Converter:
    """The function that converts a value in ``source`` units to ``target`` units.

    Raises :class:`ConfigError` when no conversion is known (a driver configuration error).
    """
    if source == target:
        return float
    try:
        return _CONVERSIONS[(source, target)]
    except KeyError:
        known = ", ".join(f"{a}->{b}" for a, b in sorted(_CONVERSIONS))
        raise ConfigError(f"no conversion from {source!r} to {target!r}; known: {known}") from None


def convert(value: float, *, source: str, target: str) -> float:
    """``value`` in ``source`` units expressed in ``target`` units."""
    return converter(source, target)(value)
