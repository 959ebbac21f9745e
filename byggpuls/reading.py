"""The reading model: one measured value of one point of one building at one instant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, NamedTuple

#: Building, gateway and domain ids: lower-case, safe in MQTT topics, InfluxDB tags and URLs.
ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: Point ids: as ids, plus "." for hierarchy (``ahu1.supply_air_temp``) and upper case.
POINT_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: Quantities become InfluxDB measurement names: snake_case.
QUANTITY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")


def is_id(value: str) -> bool:
    """Whether ``value`` is a valid building, gateway or domain id."""
    return ID_PATTERN.fullmatch(value) is not None


def is_point_id(value: str) -> bool:
    """Whether ``value`` is a valid point id."""
    return POINT_PATTERN.fullmatch(value) is not None


def is_quantity(value: str) -> bool:
    """Whether ``value`` is a valid quantity (snake_case measurement name)."""
    return QUANTITY_PATTERN.fullmatch(value) is not None


class BuildingType(StrEnum):
    """The kinds of building in the portfolio."""

    SCHOOL = "school"
    KINDERGARTEN = "kindergarten"
    NURSING_HOME = "nursing_home"
    OFFICE = "office"
    SPORTS_HALL = "sports_hall"
    OTHER = "other"


class Reading(NamedTuple):
    """One value of one point at the sensor's own timestamp.

    ``(building, point, time_ms)`` identifies a reading: writing it again overwrites it, which is
    what makes redelivery harmless. ``quantity`` is the InfluxDB measurement; ``zone`` a tag.
    An immutable named tuple rather than a frozen dataclass: ingest makes one per reading, and a
    frozen dataclass costs three times as much to create.
    """

    building: str
    point: str
    quantity: str
    time_ms: int
    value: float
    unit: str | None = None
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class PointInfo:
    """What a gateway says about one of its points in its birth (``meta``) message."""

    point: str
    domain: str
    quantity: str
    unit: str
    brick_class: str | None = None
    zone: str | None = None
    #: Seconds between readings, so completeness can be counted against it.
    interval_s: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class BuildingInfo:
    """A building as the registry and the gateways describe it."""

    id: str
    name: str
    type: str
    floor_area_m2: float | None = None
    address: str | None = None
