"""Which points a facility manager looks at first: electricity, district heating, rooms, CO₂.

Points are recognised by their role (:mod:`byggpuls.roles`, the rules the detectors use too).
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache
from typing import Final

import numpy as np

from byggpuls.hours import in_use
from byggpuls.reading import PointInfo
from byggpuls.registry.rows import PointRow
from byggpuls.roles import Role, is_main, role_of


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


def in_opening_hours(building_type: str, time_ms: int) -> bool:
    """Whether a reading taken at ``time_ms`` falls in the building's opening hours, when its
    indoor climate limits apply (a room at 17 °C at night is a setback, not a fault)."""
    return bool(in_use(building_type, np.array([time_ms / 1000.0]))[0])


def climate_alert(
    kind: KeyKind, unit: str, value: float, *, building_type: str, time_ms: int
) -> bool:
    """Whether a reading breaks its indoor climate limits while the building is in use."""
    return out_of_band(kind, unit, value) and in_opening_hours(building_type, time_ms)


def classify(point: PointRow) -> KeyKind:
    """The kind of key point ``point`` is (by its role, :mod:`byggpuls.roles`), or
    :attr:`KeyKind.OTHER`. Meters count by their power: that is what a chart of a day shows."""
    return _classified(_described(point))


_Described = tuple[str, str, str, str, str | None, str | None, str | None]


def _described(point: PointRow) -> _Described:
    return (
        point.point,
        point.domain,
        point.quantity,
        point.unit,
        point.brick_class,
        point.zone,
        point.description,
    )


@lru_cache(maxsize=65_536)
def _classified(described: _Described) -> KeyKind:
    # Cached by what describes the point (not its registry timestamps): a portfolio's pages
    # classify the same few thousand points on every request.
    name, domain, quantity, unit, brick_class, zone, description = described
    point = PointInfo(
        point=name,
        domain=domain,
        quantity=quantity,
        unit=unit,
        brick_class=brick_class,
        zone=zone,
        description=description,
    )
    role = role_of(point)
    if role is Role.CO2:
        return KeyKind.CO2
    if role is Role.ZONE_TEMPERATURE:
        return KeyKind.ZONE_TEMPERATURE
    if point.quantity == "power":
        if role is Role.ELECTRICITY:
            return KeyKind.ELECTRICITY_POWER
        if role is Role.HEAT:
            return KeyKind.HEATING_POWER
    return KeyKind.OTHER


def sort_key(point: PointRow) -> tuple[int, bool, str]:
    """Key points first (main meters before sub-meters), the rest by id."""
    return (classify(point), not is_main(point), point.point)
