"""Point roles: which of a building's points is its electricity meter, its heat meter, its
outdoor temperature, a room's temperature, a room's CO₂.

One set of rules for every service: the detectors declare the roles they need and find them
here, and the API shows the same points first. A point is recognised from its Brick class
first (https://brickschema.org), then from its quantity, domain and the words in its id and
description, since gateways name points in their own way (``el.power``, ``hovedmaaler_el``,
``dh.power``, ``fjernvarme.effekt``, ``ute_temp``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import IntEnum
from functools import lru_cache
from typing import Final, TypeVar

from byggpuls.reading import PointInfo

P = TypeVar("P", bound=PointInfo)


class Role(IntEnum):
    """What a point is for a building, in the order a dashboard shows them."""

    #: Electric power (kW) or energy (kWh) of the building's supply.
    ELECTRICITY = 0
    #: Heating power or energy: district heating, a heat meter on a boiler or heat pump.
    HEAT = 1
    ZONE_TEMPERATURE = 2
    CO2 = 3
    OUTDOOR_TEMPERATURE = 4
    OTHER = 9


#: Brick classes (and their usual subclasses) that say a role outright.
_BRICK: Final[dict[str, Role]] = {
    "Electric_Power_Sensor": Role.ELECTRICITY,
    "Electric_Energy_Sensor": Role.ELECTRICITY,
    "Electrical_Meter": Role.ELECTRICITY,
    "Building_Electrical_Meter": Role.ELECTRICITY,
    "Heating_Thermal_Power_Sensor": Role.HEAT,
    "Thermal_Power_Sensor": Role.HEAT,
    "Thermal_Energy_Sensor": Role.HEAT,
    "Heat_Meter": Role.HEAT,
    "Thermal_Energy_Meter": Role.HEAT,
    "Zone_Air_Temperature_Sensor": Role.ZONE_TEMPERATURE,
    "CO2_Sensor": Role.CO2,
    "CO2_Level_Sensor": Role.CO2,
    "Zone_CO2_Level_Sensor": Role.CO2,
    "Outside_Air_Temperature_Sensor": Role.OUTDOOR_TEMPERATURE,
}

_ELECTRIC_WORDS: Final = frozenset({"el", "elec", "electric", "electricity", "strom", "strøm"})
_HEATING_WORDS: Final = frozenset(
    {"dh", "district", "heating", "heat", "fjernvarme", "fv", "varme", "thermal"}
)
_MAIN_WORDS: Final = frozenset({"main", "total", "hoved", "hovedmaaler", "hovedmåler", "sum"})
_OUTDOOR_WORDS: Final = frozenset({"outside", "outdoor", "ute", "utetemp", "uteluft", "weather"})
#: Temperatures that are not of a room.
_NOT_ROOM_WORDS: Final = frozenset(
    {
        "supply",
        "return",
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
    | _OUTDOOR_WORDS
)
_ROOM_WORDS: Final = frozenset({"zone", "room", "indoor", "rom", "space", "classroom"})
#: Quantities a meter of energy carriers is read in.
_METER_QUANTITIES: Final = frozenset({"power", "energy"})


def _words(point: PointInfo) -> frozenset[str]:
    """The words of a point's id, Brick class and description: ``room12`` is ``room12`` and
    ``room`` (ids number their rooms), ``co2`` stays ``co2``."""
    return _words_of(point.point, point.brick_class, point.description)


@lru_cache(maxsize=16_384)
def _words_of(point: str, brick_class: str | None, description: str | None) -> frozenset[str]:
    # Cached: a portfolio's pages classify the same few thousand points on every request.
    text = " ".join(filter(None, (point, brick_class, description)))
    # Brick classes are Snake_Case words: split them as well as ids.
    tokens = [token for token in re.split(r"[^a-zæøå0-9]+", text.lower()) if token]
    letters = [part for token in tokens for part in re.findall(r"[a-zæøå]+", token)]
    return frozenset({*tokens, *letters})


def role_of(point: PointInfo) -> Role:
    """The role ``point`` plays, or :attr:`Role.OTHER`."""
    by_brick = _BRICK.get(point.brick_class or "")
    if by_brick is not None:
        return by_brick
    words = _words(point)
    if point.quantity == "co2" or "co2" in words:
        return Role.CO2
    if point.quantity in _METER_QUANTITIES:
        return _meter_role(words)
    if point.quantity == "temperature":
        return _temperature_role(point, words)
    return Role.OTHER


def _meter_role(words: frozenset[str]) -> Role:
    if words & _ELECTRIC_WORDS:
        return Role.ELECTRICITY
    if words & _HEATING_WORDS:
        return Role.HEAT
    return Role.OTHER


def _temperature_role(point: PointInfo, words: frozenset[str]) -> Role:
    if words & _OUTDOOR_WORDS:
        return Role.OUTDOOR_TEMPERATURE
    room = words & _ROOM_WORDS or (point.domain == "climate" and point.zone)
    if room and not words & _NOT_ROOM_WORDS:
        return Role.ZONE_TEMPERATURE
    return Role.OTHER


def is_main(point: PointInfo) -> bool:
    """Whether the point calls itself a main or total meter."""
    return bool(_words(point) & _MAIN_WORDS)


def main_point(points: Iterable[P], role: Role, *, quantity: str | None = None) -> P | None:
    """The building's point of ``role`` (of ``quantity``, if given): one that calls itself the
    main meter before a sub-meter, then by id; ``None`` without one."""
    candidates: Sequence[P] = [
        p for p in points if role_of(p) is role and (quantity is None or p.quantity == quantity)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (not is_main(p), p.point))


__all__ = ["Role", "is_main", "main_point", "role_of"]
