"""Numbers, units and times as the page's reader writes them: ``1 234,5 kW`` and
``31.01.2025 07:59`` in bokmål, ``1,234.5 kW`` and ``31/01/2025 07:59`` in English.

The dashboard's templates use these as filters, in the page's language (``lang``, see
:mod:`api.i18n`); ``static/dashboard.js`` formats the charts the same way with ``Intl``
(``nb-NO`` or ``en-GB``, Europe/Oslo). Babel supplies each locale's symbols: in bokmål a
no-break space groups thousands and negative numbers take a minus sign (U+2212), as
``Intl.NumberFormat("nb-NO")`` does.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal, get_minus_sign_symbol

from api.i18n import DEFAULT_LANGUAGE, babel_locale, gettext

logger = logging.getLogger(__name__)

NBSP: Final = "\u00a0"
MINUS: Final = "\u2212"
#: What stands for a missing value, and between the ends of a range (an en dash).
DASH: Final = "\u2013"
TIME_ZONE: Final = "Europe/Oslo"
#: Date and time as each language writes it (Babel patterns); ``short`` would add a comma.
_TIME_PATTERNS: Final = {"nb": "dd.MM.yyyy HH:mm", "en": "dd/MM/yyyy HH:mm"}

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


def number(value: float | None, decimals: int = 1, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """``value`` grouped and rounded as ``lang`` writes it: ``-1234.56`` -> ``-1 234,6`` in
    bokmål (with a minus sign), ``-1,234.6`` in English."""
    if value is None or not math.isfinite(value):
        return DASH
    # Half away from zero, as Intl.NumberFormat rounds (Python and Babel round to even).
    rounded = Decimal(repr(abs(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    pattern = "#,##0." + "0" * decimals if decimals > 0 else "#,##0"
    locale = babel_locale(lang)
    text = format_decimal(rounded, format=pattern, locale=locale)
    negative = value < 0 and rounded != 0
    return f"{get_minus_sign_symbol(locale)}{text}" if negative else text


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


def reading(value: float | None, unit: str | None, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A value with its unit: ``21,4 °C``, ``812 ppm``, ``42,3 kW``."""
    if value is None:
        return DASH
    text = number(value, decimals_for(unit, value), lang=lang)
    label = unit_label(unit)
    return f"{text}{NBSP}{label}" if label else text


def value_range(low: float, high: float, unit: str | None, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A range with its unit: ``20,1-22,8 °C`` (with an en dash); one value if the ends agree."""
    decimals = decimals_for(unit, max(abs(low), abs(high)))
    first, last = number(low, decimals, lang=lang), number(high, decimals, lang=lang)
    if first == last:
        return reading(low, unit, lang=lang)
    label = unit_label(unit)
    text = f"{first}{DASH}{last}"
    return f"{text}{NBSP}{label}" if label else text


def area(floor_area_m2: float | None, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A floor area: ``5 400 m²``."""
    return DASH if floor_area_m2 is None else f"{number(floor_area_m2, 0, lang=lang)}{NBSP}m²"


def kwh(energy_kwh: float, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Energy: ``412 kWh``."""
    return f"{number(energy_kwh, 0, lang=lang)}{NBSP}kWh"


def nok(amount_nok: float, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """Money: ``1 234 kr``."""
    return f"{number(amount_nok, 0, lang=lang)}{NBSP}kr"


def _moment(value: int | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value / 1000, UTC)


def local_time(value: int | datetime | None, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A time in Norway: ``31.01.2025 07:59`` (epoch milliseconds or an aware datetime)."""
    if value is None:
        return DASH
    pattern = _TIME_PATTERNS.get(lang, _TIME_PATTERNS[DEFAULT_LANGUAGE])
    local = _moment(value).astimezone(local_zone())
    return format_datetime(local, pattern, tzinfo=local.tzinfo, locale=babel_locale(lang))


def iso_time(value: int | datetime | None) -> str:
    """A time as RFC 3339 in UTC, for ``<time datetime=...>``."""
    if value is None:
        return ""
    return _moment(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def age(
    value: int | datetime | None, *, now: datetime | None = None, lang: str = DEFAULT_LANGUAGE
) -> str:
    """How long ago, in Babel's words: ``for 5 minutter siden``, ``3 hours ago``; hours up to
    two days, then days."""
    if value is None:
        return gettext(lang, "never")
    now = now or datetime.now(UTC)
    seconds = (now - _moment(value)).total_seconds()
    if seconds < 60:
        return gettext(lang, "just now")
    return format_timedelta(
        timedelta(seconds=-seconds),
        threshold=2,
        add_direction=True,
        locale=babel_locale(lang),
    )


def label(name: str | None, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A snake_case name as words, in ``lang`` where the catalog knows them: ``nursing_home``
    -> ``Nursing home`` (``Sykehjem``), ``co2_high`` -> ``CO₂ high``, ``baseline_kw`` ->
    ``Baseline (kW)`` (``Forventet (kW)``)."""
    if not name:
        return ""
    words = [word for word in name.replace("-", "_").split("_") if word]
    unit = _UNIT_SUFFIXES.get(words[-1].lower()) if len(words) > 1 else None
    if unit is not None:
        words = words[:-1]
    words = [_WORDS.get(word.lower(), word) for word in words]
    text = " ".join(words)
    text = gettext(lang, text[:1].upper() + text[1:])
    return f"{text} ({unit})" if unit else text


#: Words written their own way.
_WORDS: Final = {
    "co2": "CO₂",
    "co2e": "CO₂e",
    "ahu": "AHU",
    "dh": "DH",
    "nok": "NOK",
    "kwh": "kWh",
    "kw": "kW",
}
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
    "kg": "kg",
}


def evidence(value: Any, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """One value of a finding's evidence: numbers as ``lang`` writes them, lists and objects
    as JSON."""
    if isinstance(value, bool):
        return gettext(lang, "yes" if value else "no")
    if isinstance(value, int):
        return number(value, 0, lang=lang)
    if isinstance(value, float):
        return number(value, decimals_for(None, value), lang=lang)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


#: The parts of a building's health, in a word each (English message ids).
_PARTS: Final = {
    "energy": "Energy",
    "indoor_climate": "Climate",
    "equipment": "Equipment",
    "data_quality": "Data",
}


def part_short(name: str, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """A part of the health in one word: ``indoor_climate`` -> ``Climate`` (``Klima``)."""
    short = _PARTS.get(name)
    return gettext(lang, short) if short else label(name, lang=lang)


#: The filters that take the page's language (``lang=``); ``api.web`` passes it in.
LOCALIZED: Final[Mapping[str, Callable[..., str]]] = {
    "number": number,
    "reading": reading,
    "value_range": value_range,
    "area": area,
    "kwh": kwh,
    "nok": nok,
    "local_time": local_time,
    "age": age,
    "label": label,
    "evidence": evidence,
    "part_short": part_short,
}
#: The filters that read the same in every language.
FILTERS: Final[Mapping[str, Callable[..., str]]] = {"unit_label": unit_label, "iso_time": iso_time}
