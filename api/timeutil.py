"""Conversions between the stores' epoch milliseconds and timezone-aware datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def from_ms(time_ms: int) -> datetime:
    """The UTC datetime of ``time_ms`` milliseconds since the Unix epoch."""
    seconds, millis = divmod(int(time_ms), 1000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)


def now_ms() -> int:
    """The current time in milliseconds since the Unix epoch."""
    return int(datetime.now(UTC).timestamp() * 1000)
