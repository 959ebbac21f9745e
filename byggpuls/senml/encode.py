"""Encoding: resolved records to a compact SenML JSON pack, shortened by base fields."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Final

from byggpuls.errors import SenMLError
from byggpuls.senml.model import (
    _EXACT_INTEGER_LIMIT,
    _NAME_RULE,
    BASE_VERSION,
    RELATIVE_TIME_LIMIT_S,
    Record,
    _free_field,
    _is_base64url,
    _is_name,
    _number,
    _string,
    _version,
)

_encoder: Final = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":")
)


# -- encoding ---------------------------------------------------------------------------------


def _compact(number: float) -> float | int:
    """``number`` as JSON writes it shortest: an integral double without ".0" (same double)."""
    if (
        number.is_integer()
        and -_EXACT_INTEGER_LIMIT < number < _EXACT_INTEGER_LIMIT
        and (number != 0.0 or math.copysign(1.0, number) > 0.0)  # -0.0 stays -0.0
    ):
        return int(number)
    return number


def _fits(time_s: float, base_s: float) -> bool:
    """Whether decoding's ``base_s + t`` with ``t = time_s - base_s`` gives ``time_s`` exactly.

    Always so within a factor of two (Sterbenz), so for any sensible base time; checked anyway.
    """
    return base_s + (time_s - base_s) == time_s


def _offset(time_s: float, base_s: float) -> float:
    """``time_s - base_s`` as the shortest decimal of a few tried that adds back exactly.

    The exact difference of two millisecond times is often a long decimal (52.57699990272522);
    a rounded one that gives the same sum is as exact for the decoder and shorter on the wire.
    """
    offset = time_s - base_s
    for digits in (3, 6):
        short = round(offset, digits)
        if base_s + short == time_s:
            return short
    return offset


def _encode_values(index: int, record: Record, obj: dict[str, Any]) -> None:
    """Write the value, sum and update time of a record, which must carry one value or a sum."""
    count = 0
    if record.value is not None:
        obj["v"] = _compact(_number(record.value, "value", index))
        count += 1
    if record.string_value is not None:
        obj["vs"] = _string(record.string_value, "string_value", index)
        count += 1
    if record.bool_value is not None:
        if type(record.bool_value) is not bool:
            raise SenMLError(
                f"record {index}: bool_value must be a bool, got {record.bool_value!r:.40}"
            )
        obj["vb"] = record.bool_value
        count += 1
    if record.data_value is not None:
        data = _string(record.data_value, "data_value", index)
        if not _is_base64url(data) or len(data) % 4 == 1:
            raise SenMLError(f"record {index}: data_value must be base64url without padding")
        obj["vd"] = data
        count += 1
    if record.sum is not None:
        obj["s"] = _compact(_number(record.sum, "sum", index))
    if count > 1 or (count == 0 and record.sum is None):
        raise SenMLError(f"record {index}: needs exactly one value, or none and a sum; has {count}")
    if record.update_time is not None:
        obj["ut"] = _compact(_number(record.update_time, "update_time", index))


class _PackWriter:
    """The base fields in force while a pack is written, chosen so that it decodes exactly."""

    __slots__ = ("base_name", "base_time", "base_unit", "name", "time", "unit", "unit_from")

    def __init__(
        self,
        records: Sequence[Record],
        *,
        base_name: str | None,
        base_time: float | None,
        base_unit: str | None,
    ) -> None:
        if base_name is not None and base_name and not _is_name(_string(base_name, "base_name")):
            raise SenMLError(f"base_name {base_name[:80]!r} {_NAME_RULE}")
        self.base_name = base_name or ""
        self.base_time = None if base_time is None else _number(base_time, "base_time")
        self.base_unit = None if base_unit is None else _string(base_unit, "base_unit")
        # "bu" cannot be unset, so it starts after the last record without a unit.
        self.unit_from = 0
        for index, record in enumerate(records):
            if record.unit is None:
                self.unit_from = index + 1
        self.name = ""
        self.time: float | None = None
        self.unit: str | None = None

    def _time_base(self, time_s: float, base_time: float) -> float:
        """The base time to write ``time_s`` against: the caller's, else the one in force.

        Where neither gives the time back exactly, the record's own time becomes the base.
        """
        if _fits(time_s, base_time):
            return base_time
        if self.time is not None and _fits(time_s, self.time):
            return self.time
        return time_s

    def write(self, index: int, record: Record) -> dict[str, Any]:
        """Record ``index`` as a JSON object: base fields where they change, then its own."""
        obj: dict[str, Any] = {}
        name = _string(record.name, "name", index)
        if not _is_name(name):
            raise SenMLError(f"record {index}: name {name[:80]!r} {_NAME_RULE}")
        name_base = self.base_name if name.startswith(self.base_name) else ""
        if name_base != self.name:
            obj["bn"] = self.name = name_base
        time_s = _number(record.time, "time", index)
        if time_s < RELATIVE_TIME_LIMIT_S:
            raise SenMLError(
                f"record {index}: time {time_s!r} is below 2**28 and would read as relative"
            )
        if self.base_time is not None:
            time_base = self._time_base(time_s, self.base_time)
            if time_base != self.time:
                obj["bt"] = _compact(time_base)
                self.time = time_base
        if index == self.unit_from and self.base_unit is not None:
            obj["bu"] = self.unit = self.base_unit

        if name != self.name:
            obj["n"] = name[len(self.name) :]
        if record.unit is not None and _string(record.unit, "unit", index) != self.unit:
            obj["u"] = record.unit
        if self.time is None:
            obj["t"] = _compact(time_s)
        elif time_s != self.time:
            obj["t"] = _compact(_offset(time_s, self.time))
        _encode_values(index, record, obj)
        for label, value in record.extra.items():
            _free_field(label, value, index)
            obj[label] = value
        return obj


def encode_pack(
    records: Sequence[Record],
    *,
    base_name: str | None = None,
    base_time: float | None = None,
    base_unit: str | None = None,
    version: int = BASE_VERSION,
) -> bytes:
    """Encode resolved records as a compact SenML JSON pack (UTF-8), shortened by base fields.

    Names starting with ``base_name`` are written relative to it, times relative to
    ``base_time`` where that gives them back exactly (always for times within a factor of two
    of it; elsewhere the record's own time becomes the base), and units equal to ``base_unit``
    are left out from the first record after the last one without a unit. Each record's
    ``extra`` fields are written into it. ``decode_pack(encode_pack(rs)) == rs``.
    ``version`` is written as ``bver`` unless it is the default 10: a pack whose units include
    RFC 8798 secondary units (such as ``kWh``) says so with 26 (RFC 9100 feature 4).

    Raises :class:`SenMLError` for records no valid pack can carry: none at all, bad names or
    labels, numbers that are not finite, times below 2**28 (they would read as relative), no
    value and no sum, more than one value, or a ``version`` this codec does not support.
    """
    if not records:
        raise SenMLError("cannot encode an empty pack: a SenML pack holds at least one record")
    version = _version(0, version, BASE_VERSION)
    writer = _PackWriter(records, base_name=base_name, base_time=base_time, base_unit=base_unit)
    pack = [writer.write(index, record) for index, record in enumerate(records)]
    if version != BASE_VERSION:
        pack[0] = {"bver": version, **pack[0]}
    return _encoder.encode(pack).encode("utf-8")
