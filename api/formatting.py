"""Numbers, units and times as Norwegians write them: ``1 234,5 kW``, ``31.01.2025 07:59``.

The dashboard's templates use these as filters; ``static/dashboard.js`` formats the chart the
same way with ``Intl`` (``nb-NO``, Europe/Oslo). Grouping uses a no-break space and negative
numbers a minus sign, as ``Intl.NumberFormat("nb-NO")`` does.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

logger = logging.getLogger(__name__)

NBSP: Final = "\u00a0"
MINUS: Final = "\u2212"
#: What stands for a missing value, and between the ends of a range (an en dash).
DASH: Final = "\u2013"
TIME_ZONE: Final = "Europe/Oslo"

#: SenML units as a person writes them.
UNIT_LABELS: Final = {
    "Cel": "°C",
    "K": "K",
    "%RH": "% RH",
    "/": "",
    "m3": "m³",
    "m3/s": "m³/s",
    "m3/h": "m³/h",
    "count": "",
    "1/min": "rpm",
    "lx": "lx",
}
#: Decimals worth showing per unit; others get 2, 1 or 0 by magnitude.
_DECIMALS: Final = {
    "Cel": 1,
    "K": 1,
    "ppm": 0,
    "%RH": 0,
    "%": 0,
    "kW": 1,
    "W": 0,
    "kWh": 0,
    "Wh": 0,
    "Pa": 0,
    "lx": 0,
    "count": 0,
}


@functools.cache
def local_zone() -> tzinfo:
    """Europe/Oslo, or UTC on a machine without time zone data."""
    try:
        return ZoneInfo(TIME_ZONE)
    except ZoneInfoNotFoundError:
        logger.warning("no time zone data for %s: the dashboard shows UTC", TIME_ZONE)
        return UTC


def number(value: float | None, decimals: int = 1) -> str:
    """``value`` with a decimal comma and grouped thousands: ``-1234.56`` -> ``-1 234,6``
    (with a minus sign)."""
    if value is None or not math.isfinite(value):
        return DASH
    # Half away from zero, as Intl.NumberFormat rounds (Python's own format rounds to even).
    rounded = Decimal(repr(abs(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{rounded:,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    negative = value < 0 and any(digit not in "0," for digit in text.replace(NBSP, ""))
    return f"{MINUS}{text}" if negative else text


def decimals_for(unit: str | None, value: float) -> int:
    """How many decimals a value in ``unit`` deserves."""
    if unit in _DECIMALS:
        return _DECIMALS[unit]
    magnitude = abs(value)
    if magnitude >= 100:
        return 0
    if magnitude >= 10:
        return 1
    return 2


def unit_label(unit: str | None) -> str:
    """A SenML unit as people write it: ``Cel`` -> ``°C``."""
    if unit is None:
        return ""
    return UNIT_LABELS.get(unit, unit)


def reading(value: float | None, unit: str | None) -> str:
    """A value with its unit: ``21,4 °C``, ``812 ppm``, ``42,3 kW``."""
    if value is None:
        return DASH
    text = number(value, decimals_for(unit, value))
    label = unit_label(unit)
    return f"{text}{NBSP}{label}" if label else text


def value_range(low: float, high: float, unit: str | None) -> str:
    """A range with its unit: ``20,1-22,8 °C`` (with an en dash); one value if the ends agree."""
    decimals = decimals_for(unit, max(abs(low), abs(high)))
    if number(low, decimals) == number(high, decimals):
        return reading(low, unit)
    label = unit_label(unit)
    text = f"{number(low, decimals)}{DASH}{number(high, decimals)}"
    return f"{text}{NBSP}{label}" if label else text


def area(floor_area_m2: float | None) -> str:
    """A floor area: ``5 400 m²``."""
    return DASH if floor_area_m2 is None else f"{number(floor_area_m2, 0)}{NBSP}m²"


def kwh(energy_kwh: float) -> str:
    """Energy: ``412 kWh``."""
    return f"{number(energy_kwh, 0)}{NBSP}kWh"


def nok(amount_nok: float) -> str:
    """Money: ``1 234 kr``."""
    return f"{number(amount_nok, 0)}{NBSP}kr"


def _moment(value: int | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value / 1000, UTC)


def local_time(value: int | datetime | None) -> str:
    """A time in Norway: ``31.01.2025 07:59`` (epoch milliseconds or an aware datetime)."""
    if value is None:
        return DASH
    return _moment(value).astimezone(local_zone()).strftime("%d.%m.%Y %H:%M")


def iso_time(value: int | datetime | None) -> str:
    """A time as RFC 3339 in UTC, for ``<time datetime=...>``."""
    if value is None:
        return ""
    return _moment(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def age(value: int | datetime | None, *, now: datetime | None = None) -> str:
    """How long ago: ``just now``, ``5 min ago``, ``3 h ago``, ``2 days ago``."""
    if value is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - _moment(value)).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3_600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86_400:
        return f"{int(seconds // 3_600)} h ago"
    return f"{int(seconds // 86_400)} days ago"


def label(name: str | None) -> str:
    """A snake_case name as words: ``nursing_home`` -> ``Nursing home``, ``co2_high`` ->
    ``CO₂ high``, ``baseline_kw`` -> ``Baseline (kW)``."""
    if not name:
        return ""
    words = [word for word in name.replace("-", "_").split("_") if word]
    unit = _UNIT_SUFFIXES.get(words[-1].lower()) if len(words) > 1 else None
    if unit is not None:
        words = words[:-1]
    words = [_WORDS.get(word.lower(), word) for word in words]
    text = " ".join(words)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


#: Words written their own way.
_WORDS: Final = {"co2": "CO₂", "ahu": "AHU", "dh": "DH", "nok": "NOK", "kwh": "kWh", "kw": "kW"}
#: Name endings that are units, as in ``baseline_kw`` or ``waste_nok``.
_UNIT_SUFFIXES: Final = {
    "kw": "kW",
    "kwh": "kWh",
    "w": "W",
    "wh": "Wh",
    "nok": "NOK",
    "c": "°C",
    "cel": "°C",
    "ppm": "ppm",
    "pct": "%",
    "percent": "%",
    "pa": "Pa",
    "s": "s",
    "h": "h",
    "m2": "m²",
}


def evidence(value: Any) -> str:
    """One value of a finding's evidence: numbers Norwegian, lists and objects as JSON."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return number(value, 0)
    if isinstance(value, float):
        return number(value, decimals_for(None, value))
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


#: The parts of a building's health, in a word each.
_PARTS: Final = {
    "energy": "Energy",
    "indoor_climate": "Climate",
    "equipment": "Equipment",
    "data_quality": "Data",
}


def part_short(name: str) -> str:
    """A part of the health in one word: ``indoor_climate`` -> ``Climate``."""
    return _PARTS.get(name) or label(name)


FILTERS: Final = {
    "number": number,
    "reading": reading,
    "value_range": value_range,
    "unit_label": unit_label,
    "area": area,
    "kwh": kwh,
    "nok": nok,
    "local_time": local_time,
    "iso_time": iso_time,
    "age": age,
    "label": label,
    "evidence": evidence,
    "part_short": part_short,
}
