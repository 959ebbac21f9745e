"""Argument checks of the registry: refuse bad values before they reach the database."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from byggpuls.reading import BuildingType, is_id, is_point_id, is_quantity
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import ID_LENGTH
from byggpuls.registry.rows import FindingStatus, PointSource


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def building_id(value: str) -> str:
    """``value`` if it is a valid building id."""
    if not is_id(value):
        raise InvalidValue(f"building id {value!r} does not match [a-z0-9][a-z0-9_-]{{0,63}}")
    return value


def gateway_id(value: str | None) -> str | None:
    """``value`` if it is None or a valid gateway id."""
    if value is not None and not is_id(value):
        raise InvalidValue(f"gateway id {value!r} does not match [a-z0-9][a-z0-9_-]{{0,63}}")
    return value


def point_id(value: str) -> str:
    """``value`` if it is a valid point id."""
    if not is_point_id(value):
        raise InvalidValue(f"point id {value!r} does not match [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}")
    return value


def domain(value: str) -> str:
    """``value`` if it is a valid domain."""
    if not is_id(value):
        raise InvalidValue(f"domain {value!r} does not match [a-z0-9][a-z0-9_-]{{0,63}}")
    return value


def quantity(value: str) -> str:
    """``value`` if it is a valid quantity."""
    if not is_quantity(value):
        raise InvalidValue(f"quantity {value!r} does not match [a-z][a-z0-9_]{{0,63}}")
    return value


def kind(value: str) -> str:
    """``value`` if it can name a kind of finding."""
    if not value or len(value) > ID_LENGTH:
        raise InvalidValue(f"finding kind {value!r} must have 1 to {ID_LENGTH} characters")
    return value


def building_type(value: str) -> str:
    """``value`` if it is one of :class:`BuildingType`."""
    if value not in BuildingType.__members__.values():
        allowed = ", ".join(BuildingType)
        raise InvalidValue(f"building type {value!r} is not one of {allowed}")
    return value


def source(value: str) -> PointSource:
    """``value`` as a :class:`PointSource`."""
    try:
        return PointSource(value)
    except ValueError:
        raise InvalidValue(f"point source {value!r} is not 'meta' or 'telemetry'") from None


def status(value: str) -> FindingStatus:
    """``value`` as a :class:`FindingStatus`."""
    try:
        return FindingStatus(value)
    except ValueError:
        allowed = ", ".join(FindingStatus)
        raise InvalidValue(f"finding status {value!r} is not one of {allowed}") from None


def aware(value: datetime, *, what: str) -> datetime:
    """``value`` in UTC; a naive datetime is refused rather than guessed at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{what} {value.isoformat()} has no time zone")
    return value.astimezone(UTC)


def finite(value: float | None, *, what: str) -> float | None:
    """``value`` as a float if it is None or finite."""
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise InvalidValue(f"{what} must be a finite number, not {value!r}")
    return number


def positive_int(value: int | None, *, what: str) -> int | None:
    """``value`` if it is None or a positive integer."""
    if value is not None and (isinstance(value, bool) or int(value) != value or value <= 0):
        raise InvalidValue(f"{what} must be a positive whole number, not {value!r}")
    return None if value is None else int(value)


def json_object(value: Mapping[str, Any], *, what: str) -> dict[str, Any]:
    """``value`` as a plain dict, if it is valid JSON (strict: no NaN or infinity)."""
    plain = dict(value)
    try:
        json.dumps(plain, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidValue(f"{what} is not valid JSON: {exc}") from None
    return plain


def text(value: str | None) -> str | None:
    """``value`` with NUL characters replaced, which PostgreSQL text cannot hold."""
    return None if value is None else value.replace("\x00", "\ufffd")
