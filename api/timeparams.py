"""Time parameters of the API: instants (RFC 3339 or epoch seconds) and durations (``15m``).

Instants: an RFC 3339 timestamp with a time zone (``2025-01-31T06:00:00Z``,
``2025-01-31T07:00:00+01:00``) or a number of seconds since the Unix epoch (``1738303200``,
fractions allowed). A timestamp without a zone is refused rather than guessed at: Norway
changes between UTC+1 and UTC+2.

Durations: a number and a unit, ``s``, ``m``, ``h``, ``d`` or ``w``, repeated largest first
(``15m``, ``1h30m``, ``7d``), or an ISO 8601 duration of weeks, days, hours, minutes and seconds
(``PT15M``, ``P1D``, ``P1DT12H``). Years and months are refused: their length varies.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Final

#: The instants the API accepts: readings exist neither before 1970 nor in the 23rd century,
#: and InfluxDB's nanosecond timestamps end in 2262.
MIN_TIME_MS: Final = 0
MAX_TIME_MS: Final = int(datetime(2200, 1, 1, tzinfo=UTC).timestamp() * 1000)
MIN_EVERY_S: Final = 1
MAX_EVERY_S: Final = 366 * 86_400

_UNIT_S: Final = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
_NUMBER: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_COMPACT: Final = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_ISO: Final = re.compile(
    r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:[.,]\d+)?)S)?)?"
)
_ISO_CALENDAR: Final = re.compile(r"P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T.*)?")


def parse_instant(text: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 timestamp or a number of epoch seconds.

    Raises ValueError with a message for the client.
    """
    text = text.strip()
    if _NUMBER.fullmatch(text):
        seconds = float(text)
        time_ms = round(seconds * 1000)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                "not a time: use RFC 3339 with a time zone (2025-01-31T06:00:00Z) or epoch seconds"
            ) from None
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("the time has no time zone: add Z for UTC or an offset such as +01:00")
        time_ms = round(moment.timestamp() * 1000)
    if not MIN_TIME_MS <= time_ms <= MAX_TIME_MS:
        hint = ""
        if _NUMBER.fullmatch(text) and MIN_TIME_MS <= time_ms // 1000 <= MAX_TIME_MS:
            hint = ": give seconds since the epoch, not milliseconds"
        raise ValueError(f"the time must lie between 1970 and 2200{hint}")
    return time_ms


def parse_duration(text: str) -> int:
    """Seconds of a duration (``15m``, ``1h30m``, ``PT15M``, ``P1D``).

    Raises ValueError with a message for the client.
    """
    text = text.strip()
    if not text:
        raise ValueError("empty duration: use e.g. 15m, 1h, 1d or PT15M")
    if text[0] in "Pp":
        seconds = _iso_seconds(text.upper())
    else:
        match = _COMPACT.fullmatch(text.lower())
        if match is None or not any(match.groups()):
            raise ValueError(
                f"{text!r} is not a duration: use a number and a unit (s, m, h, d, w), e.g. 15m,"
                " 1h30m, 7d, or ISO 8601 such as PT15M"
            )
        seconds = sum(
            int(count) * _UNIT_S[unit]
            for count, unit in zip(match.groups(), "wdhms", strict=True)
            if count
        )
    if seconds < MIN_EVERY_S:
        raise ValueError(f"the duration must be at least {MIN_EVERY_S} s")
    if seconds > MAX_EVERY_S:
        raise ValueError("the duration must be at most 366 days")
    return seconds


def _iso_seconds(text: str) -> int:
    match = _ISO.fullmatch(text)
    if match is None or not any(match.groups()):
        calendar = _ISO_CALENDAR.fullmatch(text)
        if calendar is not None and (calendar.group(1) or calendar.group(2)):
            raise ValueError("years and months vary in length; use days or weeks")
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as PT15M, PT1H or P1D")
    weeks, days, hours, minutes, seconds = match.groups()
    total = float((seconds or "0").replace(",", "."))
    total += int(weeks or 0) * 604_800 + int(days or 0) * 86_400
    total += int(hours or 0) * 3_600 + int(minutes or 0) * 60
    if total != math.floor(total):
        raise ValueError("the duration must be a whole number of seconds")
    return int(total)


def format_duration(seconds: int) -> str:
    """The compact form of a duration: ``900`` -> ``15m``, ``5400`` -> ``1h30m``."""
    if seconds <= 0:
        raise ValueError(f"a duration is positive, not {seconds}")
    parts = []
    for unit, size in _UNIT_S.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def bucket_count(*, start_ms: int, end_ms: int, every_ms: int) -> int:
    """How many epoch-aligned buckets of ``every_ms`` the range ``[start_ms, end_ms)`` touches."""
    if end_ms <= start_ms:
        return 0
    return (end_ms - 1) // every_ms - start_ms // every_ms + 1


#: Steps a chart or a client reads easily, smallest first: what ``every`` defaults to and what a
#: too-many-points problem suggests.
NICE_STEPS_S: Final = (
    60,
    300,
    900,
    1_800,
    3_600,
    3 * 3_600,
    6 * 3_600,
    12 * 3_600,
    86_400,
    7 * 86_400,
    28 * 86_400,
)


def nice_step(*, start_ms: int, end_ms: int, max_buckets: int) -> int:
    """The smallest step of :data:`NICE_STEPS_S` (seconds) giving at most ``max_buckets``.

    Past the largest nice step, whole days are used.
    """
    for step_s in NICE_STEPS_S:
        if bucket_count(start_ms=start_ms, end_ms=end_ms, every_ms=step_s * 1000) <= max_buckets:
            return step_s
    days = math.ceil((end_ms - start_ms) / 86_400_000 / max(max_buckets - 1, 1))
    return max(days, 1) * 86_400
