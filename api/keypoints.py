"""Which points a facility manager looks at first: electricity, district heating, rooms, CO₂.

Points are recognised from their Brick class, quantity, domain and the words in their id and
description, since gateways name points in their own way (``el.power``, ``hovedmaaler_el``,
``dh.power``, ``fjernvarme.effekt``).
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Final

from byggpuls.registry.rows import PointRow


class KeyKind(IntEnum):
    """Kinds of key point, in the order the dashboard shows them."""

    ELECTRICITY_POWER = 0
    HEATING_POWER = 1
    ZONE_TEMPERATURE = 2
    CO2 = 3
    OTHER = 9


LABELS: Final = {
    KeyKind.ELECTRICITY_POWER: "Electricity",
    KeyKind.HEATING_POWER: "District heating",
    KeyKind.ZONE_TEMPERATURE: "Room temperature",
    KeyKind.CO2: "CO₂",
    KeyKind.OTHER: "Other",
}

_ELECTRIC_WORDS: Final = frozenset({"el", "elec", "electric", "electricity", "strom", "strøm"})
_HEATING_WORDS: Final = frozenset(
    {"dh", "district", "heating", "heat", "fjernvarme", "fv", "varme", "thermal"}
)
_MAIN_WORDS: Final = frozenset({"main", "total", "hoved", "hovedmaaler", "hovedmåler", "sum"})
#: Temperatures that are not of a room.
_NOT_ROOM_WORDS: Final = frozenset(
    {
        "supply",
        "return",
        "outside",
        "outdoor",
        "ute",
        "water",
        "discharge",
        "exhaust",
        "mixed",
        "tilluft",
        "avtrekk",
        "tur",
        "retur",
        "setpoint",
    }
)
_ROOM_WORDS: Final = frozenset({"zone", "room", "indoor", "rom", "space", "classroom"})


#: Indoor climate limits the dashboard marks (TEK17): 19-26 °C operative temperature, and CO₂
#: at most 1000 ppm. (kind, unit) -> (lowest, highest) allowed.
BANDS: Final[dict[tuple[KeyKind, str], tuple[float | None, float | None]]] = {
    (KeyKind.ZONE_TEMPERATURE, "Cel"): (19.0, 26.0),
    (KeyKind.CO2, "ppm"): (None, 1000.0),
}


def out_of_band(kind: KeyKind, unit: str, value: float) -> bool:
    """Whether ``value`` breaks the indoor climate limits of its kind (see :data:`BANDS`)."""
    low, high = BANDS.get((kind, unit), (None, None))
    return (low is not None and value < low) or (high is not None and value > high)


def _words(point: PointRow) -> set[str]:
    text = " ".join(filter(None, (point.point, point.brick_class, point.description)))
    # Brick classes are Snake_Case words: split them as well as ids.
    return {word for word in re.split(r"[^a-zæøå0-9]+", text.lower()) if word}


def classify(point: PointRow) -> KeyKind:
    """The kind of key point ``point`` is, or :attr:`KeyKind.OTHER`."""
    words = _words(point)
    if point.quantity == "co2" or "co2" in words:
        return KeyKind.CO2
    if point.quantity == "power":
        if words & _ELECTRIC_WORDS:
            return KeyKind.ELECTRICITY_POWER
        if words & _HEATING_WORDS:
            return KeyKind.HEATING_POWER
        return KeyKind.OTHER
    room = words & _ROOM_WORDS or (point.domain == "climate" and point.zone)
    if point.quantity == "temperature" and room and not words & _NOT_ROOM_WORDS:
        return KeyKind.ZONE_TEMPERATURE
    return KeyKind.OTHER


def is_main(point: PointRow) -> bool:
    """Whether the point calls itself a main or total meter."""
    return bool(_words(point) & _MAIN_WORDS)


def sort_key(point: PointRow) -> tuple[int, bool, str]:
    """Key points first (main meters before sub-meters), the rest by id."""
    return (classify(point), not is_main(point), point.point)
