"""Decoding: a SenML JSON pack, checked strictly, to resolved records (RFC 8428 section 4.6)."""

from __future__ import annotations

import json
import math
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from byggpuls.errors import SenMLError
from byggpuls.senml.model import (
    _BASE_LABELS,
    _KNOWN_LABELS,
    _MISSING,
    _NAME_RULE,
    _NO_EXTRA,
    _REGULAR_LABELS,
    _VALUE_LABELS,
    BASE_VERSION,
    RELATIVE_TIME_LIMIT_S,
    Record,
    _free_field,
    _is_base64url,
    _is_name,
    _kind,
    _Missing,
    _number,
    _string,
    _version,
)

# -- JSON -------------------------------------------------------------------------------------


class _DuplicateKeyError(Exception):
    """Raised inside the JSON parser; :func:`_parse` then says where the duplicate is."""


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKeyError
    return obj


def _reject_constant(name: str) -> None:
    raise SenMLError(f"payload is not valid SenML JSON: {name} is not a number")


_decoder: Final = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_reject_constant)
#: Objects as tuples of (key, value) pairs: turned into dicts afterwards, duplicates show as a
#: dict shorter than its pairs, without a Python call per object.
_pairs_decoder: Final = json.JSONDecoder(object_pairs_hook=tuple, parse_constant=_reject_constant)


def _duplicate_message(text: str) -> str:
    """Which record holds the first duplicate key (a second parse, on the failure path only)."""
    try:
        data = json.loads(text, object_pairs_hook=lambda pairs: pairs)
    except (ValueError, RecursionError):  # the text may break down after the duplicate
        data = None
    for index, pairs in enumerate(data if isinstance(data, list) else ()):
        labels = [pair[0] for pair in pairs if isinstance(pair, tuple)]
        for label in labels:
            if labels.count(label) > 1:
                return f"record {index}: duplicate key {label[:80]!r}"
    return "payload has a JSON object with a duplicate key"


def _parse(payload: bytes | str) -> Any:
    if isinstance(payload, str):
        text = payload
    elif isinstance(payload, bytes | bytearray | memoryview):
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SenMLError(f"payload is not valid UTF-8 (byte {exc.start})") from None
    else:
        raise TypeError(f"payload must be bytes or str, not {type(payload).__name__}")
    try:
        return _decoder.decode(text)
    except _DuplicateKeyError:
        raise SenMLError(_duplicate_message(text)) from None
    except ValueError as exc:  # JSONDecodeError, or an integer past Python's digit limit
        raise SenMLError(f"payload is not valid JSON: {exc}") from None
    except RecursionError:
        raise SenMLError("payload nests JSON arrays or objects too deeply") from None


# -- decoding ---------------------------------------------------------------------------------


class _Base:
    """The base fields in force while a pack is read (RFC 8428 section 4.1)."""

    __slots__ = ("name", "sum", "time", "unit", "value", "version")

    def __init__(self) -> None:
        self.name = ""
        self.time = 0.0
        self.unit: str | None = None
        self.value: float | None = None
        self.sum: float | None = None
        self.version = BASE_VERSION

    def update(self, index: int, obj: dict[str, Any]) -> None:
        """Take the base fields of record ``index``, checked."""
        if "bver" in obj:
            self.version = _version(index, obj["bver"], self.version, drafts=True)
        if "bn" in obj:
            name = _string(obj["bn"], "field 'bn'", index)
            # Every name starts with the base name, so a non-empty one obeys the name rules.
            if name and not _is_name(name):
                raise SenMLError(f"record {index}: base name {name[:80]!r} {_NAME_RULE}")
            self.name = name
        if "bt" in obj:
            self.time = _number(obj["bt"], "field 'bt'", index)
        if "bu" in obj:
            self.unit = _string(obj["bu"], "field 'bu'", index)
        if "bv" in obj:
            self.value = _number(obj["bv"], "field 'bv'", index)
        if "bs" in obj:
            self.sum = _number(obj["bs"], "field 'bs'", index)


def _extra_fields(index: int, obj: dict[str, Any]) -> dict[str, Any]:
    """The unknown fields of a record, which the RFC says to ignore unless they end in ``_``."""
    extra: dict[str, Any] = {}
    for label, value in obj.items():
        if label not in _KNOWN_LABELS:
            _free_field(label, value, index)
            extra[label] = value
    return extra


#: Names already found valid: a gateway sends the same few hundred names again and again, and a
#: dict lookup is cheaper than the regular expression. Bounded; cleared when full.
_valid_names: dict[str, None] = {}
_VALID_NAMES_MAX: Final = 100_000


def _name(index: int, obj: dict[str, Any], base: _Base) -> str:
    n = obj.get("n", _MISSING)
    if n is _MISSING:
        if not base.name:
            raise SenMLError(f"record {index}: has no name (no 'n' and no base name 'bn')")
        return base.name
    if type(n) is not str:
        raise SenMLError(f"record {index}: field 'n' must be a string, got {_kind(n)}")
    name = base.name + n
    if name not in _valid_names:
        if not _is_name(name):
            raise SenMLError(f"record {index}: name {name[:80]!r} {_NAME_RULE}")
        if len(_valid_names) >= _VALID_NAMES_MAX:
            _valid_names.clear()
        _valid_names[name] = None
    return name


def _values(
    index: int, obj: dict[str, Any], base: _Base
) -> tuple[float | None, str | None, bool | None, str | None]:
    """The record's one value: ``v`` (+ ``bv``), ``vs``, ``vb`` or ``vd``."""
    value = string_value = bool_value = data_value = None
    count = 0
    v = obj.get("v", _MISSING)
    if v is not _MISSING:
        value = _number(v, "field 'v'", index)
        if base.value is not None:
            value = _number(value + base.value, "value bv + v", index)
        count = 1
    vs = obj.get("vs", _MISSING)
    if vs is not _MISSING:
        string_value = _string(vs, "field 'vs'", index)
        count += 1
    vb = obj.get("vb", _MISSING)
    if vb is not _MISSING:
        if type(vb) is not bool:
            raise SenMLError(f"record {index}: field 'vb' must be a boolean, got {_kind(vb)}")
        bool_value = vb
        count += 1
    vd = obj.get("vd", _MISSING)
    if vd is not _MISSING:
        data_value = _string(vd, "field 'vd'", index)
        if not _is_base64url(data_value) or len(data_value) % 4 == 1:
            raise SenMLError(f"record {index}: field 'vd' must be base64url without padding")
        count += 1
    if count != 1 and (count > 1 or "s" not in obj):
        present = ", ".join(label for label in _VALUE_LABELS if label in obj) or "none"
        raise SenMLError(
            f"record {index}: needs exactly one value field (v, vs, vb, vd) unless it has a "
            f"sum (s); it has {present}"
        )
    return value, string_value, bool_value, data_value


def _resolve(
    index: int, obj: dict[str, Any], base: _Base, now: float, extra: Mapping[str, Any]
) -> Record:
    """Record ``index`` resolved: base fields applied, time absolute (section 4.6).

    Positional parameters, unlike the house style: this runs once per record on ingest's hot
    path, where keyword arguments cost measurably.
    """
    name = _name(index, obj, base)
    t = obj.get("t", _MISSING)
    time_s = base.time if t is _MISSING else base.time + _number(t, "field 't'", index)
    if time_s < RELATIVE_TIME_LIMIT_S:
        time_s += now
    if time_s - time_s != 0.0:
        raise SenMLError(f"record {index}: time bt + t is beyond the IEEE double range")
    u = obj.get("u", _MISSING)
    unit = base.unit if u is _MISSING else _string(u, "field 'u'", index)
    value, string_value, bool_value, data_value = _values(index, obj, base)
    s = obj.get("s", _MISSING)
    total = base.sum
    if s is not _MISSING:
        total = _number(s, "field 's'", index)
        if base.sum is not None:
            total = _number(total + base.sum, "sum bs + s", index)
    ut = obj.get("ut", _MISSING)
    update_time = None if ut is _MISSING else _number(ut, "field 'ut'", index)
    return Record(
        name, time_s, value, string_value, bool_value, data_value, total, unit, update_time, extra
    )


def decode_pack(payload: bytes | str, *, now: float | None = None) -> list[Record]:
    """Decode and resolve a SenML JSON pack into records, in pack order.

    ``now`` (seconds since the epoch, default ``time.time()``) resolves relative times.
    Raises :class:`SenMLError` if the payload is not a valid pack; see the module docstring.
    """
    data = _parse(payload)
    if type(data) is not list:
        raise SenMLError(f"a SenML pack is a JSON array of records, got {_kind(data)}")
    if not data:
        raise SenMLError("empty pack: a SenML pack holds at least one record")
    if now is None:
        now = _time.time()
    elif not math.isfinite(now):
        raise ValueError(f"now must be a finite number of seconds, got {now!r}")
    base = _Base()
    records: list[Record] = []
    for index, obj in enumerate(data):
        if type(obj) is not dict:
            raise SenMLError(f"record {index}: must be a JSON object, got {_kind(obj)}")
        keys = obj.keys()
        if keys <= _REGULAR_LABELS:  # the usual record: no base fields, no unknown ones
            records.append(_resolve(index, obj, base, now, _NO_EXTRA))
            continue
        extra = _NO_EXTRA if keys <= _KNOWN_LABELS else _extra_fields(index, obj)
        if not keys.isdisjoint(_BASE_LABELS):
            base.update(index, obj)
            if keys <= _BASE_LABELS:
                continue  # base fields only: context for the records after it
        records.append(_resolve(index, obj, base, now, extra))
    return records


# -- plain packs, as columns ------------------------------------------------------------------

#: The fields of a plain record: a name, a unit, a time and a numeric value.
_PLAIN_LABELS: Final = frozenset({"n", "u", "t", "v"})
_NUMBER_TYPES: Final = frozenset({int, float})
_UNIT_TYPES: Final = frozenset({str, _Missing})


@dataclass(frozen=True, slots=True)
class Columns:
    """A plain pack resolved, as columns: record ``i`` is ``names[i]``, ``times[i]``, ...

    What :func:`decode_pack` gives for the same pack, in the shape a bulk consumer wants:
    every record has a numeric value ``v``, no string, boolean, data, sum or update time, and
    only the first record may carry extra fields.
    """

    names: list[str]
    #: Absolute seconds since the epoch (a plain pack has no relative times).
    times: list[float]
    values: list[float]
    units: list[str | None]
    #: The first record's :attr:`Record.extra`.
    extra: Mapping[str, Any]


class _NotPlain(Exception):
    """Raised inside :func:`decode_columns`: the pack is for :func:`decode_pack` to judge."""


def decode_columns(payload: bytes) -> Columns | None:
    """Decode a plain pack in bulk, or return None if the pack is not plain or not valid.

    A pack is plain when its first record has base fields (not ``bv`` nor ``bs``), extra fields
    and a numeric value, and every later record only ``n``, ``u``, ``t`` and ``v``, with
    absolute times: what a Byggpuls gateway sends. Such a pack is checked column by column with
    few Python calls per record. None means "use :func:`decode_pack`", which decides whether
    the pack is valid and says why not; when this returns columns, they are exactly the
    records :func:`decode_pack` resolves.
    """
    try:
        objects = _objects(payload)
        record, base = _plain_first(objects[0])
        names, times, values, units = _plain_rest(objects[1:], base)
    except (_NotPlain, SenMLError):
        return None
    return Columns(
        names=[record.name, *names],
        times=[record.time, *times],
        values=[record.value, *values],  # type: ignore[list-item]
        units=[record.unit, *units],
        extra=record.extra,
    )


def _objects(payload: bytes) -> list[dict[str, Any]]:
    """The pack's records as dicts, if it is a non-empty array of objects without duplicate
    keys; parsed by the C scanner without a Python call per object."""
    try:
        data = _pairs_decoder.decode(payload.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise _NotPlain from exc
    if type(data) is not list or not data or set(map(type, data)) != {tuple}:
        raise _NotPlain
    objects: list[dict[str, Any]] = list(map(dict, data))
    if list(map(len, objects)) != list(map(len, data)):
        raise _NotPlain  # a duplicate key
    return objects


def _plain_first(obj: dict[str, Any]) -> tuple[Record, _Base]:
    """The first record of a plain pack resolved, with the base fields it sets."""
    keys = obj.keys()
    regular = keys & _REGULAR_LABELS
    if "v" not in regular or not regular <= _PLAIN_LABELS:
        raise _NotPlain
    extra = _NO_EXTRA if keys <= _KNOWN_LABELS else _extra_fields(0, obj)
    base = _Base()
    if not keys.isdisjoint(_BASE_LABELS):
        base.update(0, obj)
    if base.value is not None or base.sum is not None:
        raise _NotPlain
    record = _resolve(0, obj, base, 0.0, extra)
    if record.time < RELATIVE_TIME_LIMIT_S:
        raise _NotPlain
    return record, base


def _plain_rest(
    rest: list[dict[str, Any]], base: _Base
) -> tuple[list[str], list[float], list[float], list[str | None]]:
    """Names, times, values and units of the records after the first, checked by column."""
    if not all(map(_PLAIN_LABELS.issuperset, rest)):
        raise _NotPlain
    # A field that is null, or missing but for n (the base name), t (bt) and u (bu), has the
    # wrong type here; a missing n is "", since the name is then the base name, if valid.
    short_names: list[Any] = [obj.get("n", "") for obj in rest]
    raw_values: list[Any] = [obj.get("v") for obj in rest]
    raw_times: list[Any] = [obj.get("t", 0) for obj in rest]
    raw_units: list[Any] = [obj.get("u", _MISSING) for obj in rest]
    unit_types = set(map(type, raw_units))
    if (
        not set(map(type, short_names)) <= {str}
        or not set(map(type, raw_values)) <= _NUMBER_TYPES
        or not set(map(type, raw_times)) <= _NUMBER_TYPES
        or not unit_types <= _UNIT_TYPES
    ):
        raise _NotPlain
    bt = base.time
    try:
        values: list[float] = list(map(float, raw_values))
        times: list[float] = [bt + t for t in raw_times]
    except OverflowError as exc:  # an integer beyond the double range
        raise _NotPlain from exc
    if not all(map(math.isfinite, values)) or not all(map(math.isfinite, times)):
        raise _NotPlain
    if times and min(times) < RELATIVE_TIME_LIMIT_S:
        raise _NotPlain
    bn = base.name
    names = [bn + n for n in short_names]
    for name in set(names):
        if name not in _valid_names:
            if not _is_name(name):
                raise _NotPlain
            if len(_valid_names) >= _VALID_NAMES_MAX:
                _valid_names.clear()
            _valid_names[name] = None
    units: list[str | None] = raw_units
    if _Missing in unit_types:
        bu = base.unit
        units = [bu if unit is _MISSING else unit for unit in raw_units]
    if not all(unit is None or (unit.isascii() and "\x00" not in unit) for unit in set(units)):
        raise _NotPlain  # the general path checks what UTF-8 can carry, and says why not
    return names, times, values, units
