"""Readings as InfluxDB line protocol, the body of a ``/write?precision=ms`` request.

One reading is one line::

    <quantity>,building=<building>,point=<point>[,zone=<zone>] value=<float> <time_ms>

Tags are in key order (building < point < zone), which InfluxDB recommends because it sorts them
anyway; ``value`` is always a float literal, so a measurement never flips to an integer field.
This runs on ingest's hot path, so each series' prefix is escaped and checked once per batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from byggpuls.errors import StoreRejected
from byggpuls.reading import Reading

#: Measurement names: commas and spaces are escaped (an equals sign is literal there).
_MEASUREMENT_ESCAPES: Final = str.maketrans({",": r"\,", " ": r"\ "})
#: Tag values: commas, equals signs and spaces are escaped.
_TAG_ESCAPES: Final = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_NEEDS_ESCAPE: Final = re.compile(r"[ ,=]")
# A backslash cannot be written unambiguously: InfluxDB 1.6 keeps "\\" as two characters (no
# way to write one before a space or comma) and reads a trailing one as escaping the separator
# after it. A line break ends the line whatever precedes it.
_UNWRITABLE: Final = re.compile(r"[\\\n\r]")


def _checked(kind: str, text: str) -> str:
    if not text:
        raise StoreRejected(f"InfluxDB line protocol has no empty {kind}")
    if _UNWRITABLE.search(text) is not None:
        raise StoreRejected(
            f"{kind} {text!r} has a backslash or line break: not writable to InfluxDB"
        )
    return text


def escape_measurement(name: str) -> str:
    """Escape a measurement name for line protocol; reject what cannot be written at all."""
    _checked("measurement", name)
    if name.startswith("#"):
        # A line starting with "#" is a comment: the reading would vanish without an error.
        raise StoreRejected(f"measurement {name!r} starts with '#': not writable to InfluxDB")
    if _NEEDS_ESCAPE.search(name) is None:
        return name
    return name.translate(_MEASUREMENT_ESCAPES)


def escape_tag_value(value: str, *, key: str = "tag") -> str:
    """Escape a tag value for line protocol; reject what cannot be written at all."""
    _checked(f"{key} tag", value)
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return value.translate(_TAG_ESCAPES)


def series_prefix(*, quantity: str, building: str, point: str, zone: str | None) -> str:
    """The part of a line before the value: measurement, sorted tags and ``value=``."""
    prefix = (
        f"{escape_measurement(quantity)},building={escape_tag_value(building, key='building')}"
        f",point={escape_tag_value(point, key='point')}"
    )
    # An empty zone is "no zone": InfluxDB 1.x cannot store an empty tag value.
    if zone:
        prefix += f",zone={escape_tag_value(zone, key='zone')}"
    return prefix + " value="


def encode_lines(readings: Iterable[Reading]) -> list[str]:
    """Encode readings as line-protocol lines (no trailing newlines), in the order given.

    Raises :class:`StoreRejected` for a value InfluxDB refuses (see :func:`float_value`) or a
    name that cannot be written; then nothing of ``readings`` should be sent.
    """
    lines: list[str] = []
    append = lines.append
    prefixes: dict[tuple[str, str, str, str | None], str] = {}
    isfinite = math.isfinite
    for reading in readings:
        key = (reading.quantity, reading.building, reading.point, reading.zone)
        prefix = prefixes.get(key)
        if prefix is None:
            prefix = series_prefix(
                quantity=reading.quantity,
                building=reading.building,
                point=reading.point,
                zone=reading.zone,
            )
            prefixes[key] = prefix
        value = reading.value
        if type(value) is not float or not isfinite(value):
            value = float_value(reading)
        append(f"{prefix}{value!r} {int(reading.time_ms)}")
    return lines


def encode(readings: Iterable[Reading]) -> bytes:
    """Encode readings as one ``/write`` body (UTF-8, one line each)."""
    return "\n".join(encode_lines(readings)).encode()


def chunked_bodies(lines: Sequence[str], *, max_lines: int) -> Iterator[bytes]:
    """Split encoded lines into ``/write`` bodies of at most ``max_lines`` lines each."""
    if max_lines < 1:
        raise ValueError(f"max_lines must be at least 1, not {max_lines}")
    for start in range(0, len(lines), max_lines):
        yield "\n".join(lines[start : start + max_lines]).encode()


def float_value(reading: Reading) -> float:
    """A reading's value as a plain, finite float, as InfluxDB stores it (every adapter does).

    Ints, bools and numpy scalars become floats; text, NaN and infinity raise
    :class:`StoreRejected`.
    """
    value: object = reading.value
    if isinstance(value, str | bytes | bytearray):
        # float() would parse text; a reading carrying text is a bug upstream.
        raise StoreRejected(f"value {value!r} of {_name(reading)} is no number")
    try:
        # repr() of a plain float is the shortest text that reads back as the same double;
        # repr() of a numpy scalar is not.
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise StoreRejected(f"value {value!r} of {_name(reading)} is no number") from exc
    if not math.isfinite(number):
        raise StoreRejected(f"value {number!r} of {_name(reading)}: InfluxDB stores no NaN or inf")
    return number


def _name(reading: Reading) -> str:
    return f"{reading.building}/{reading.point} at {reading.time_ms} ms"
