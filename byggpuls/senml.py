"""The SenML JSON codec (RFC 8428, versions per RFC 9100): packs to resolved records and back.

``decode_pack`` checks a pack strictly and resolves it (RFC 8428 section 4.6): base fields
applied, names concatenated and checked, relative times made absolute; records keep pack order.
``encode_pack`` writes resolved records as a compact pack; ``decode_pack(encode_pack(rs)) == rs``.
Every fault raises :class:`SenMLError` naming the record and the reason.

Where the RFC leaves room, this codec decides:

- ``[]`` is invalid: a pack holds one or more records (sections 3 and 11).
- A record of known base fields only (``bn bt bu bv bs bver``) sets them for the records after
  it and resolves to nothing, as in the RFC's actuator example (5.1.7). Any other record
  carries exactly one of ``v vs vb vd``, or none if it carries ``s`` (4.2). ``bv`` is added to
  ``v`` only, so no record gets two values; ``bs`` gives every record a sum (4.5.4).
- Duplicate keys in an object are rejected: parsers disagree on which one wins. So are NaN,
  Infinity, numbers beyond the IEEE double range and sums that overflow it, and ``null``,
  arrays or objects as field values (the CDDL of section 11 allows none of them).
- ``bver`` is a feature bitmap (RFC 9100) and the same in every record (4.4). Accepted are 10
  (RFC 8428) and 26 (plus feature 4, Secondary Units: units pass through as text and are never
  converted, so RFC 8798 secondary unit names need nothing more). Other versions set feature
  bits this codec does not know and are rejected, the ``"bver":5`` of example 5.1.2 included.
- Unknown labels ending in ``_`` (must-understand) are rejected. Other unknown labels must
  follow the label grammar of section 11 and land in :attr:`Record.extra` of their record;
  an unknown base label too, as its resolution is unknown.
- ``vd`` must be unpadded base64url, and strings valid UTF-8 (no lone surrogates).
"""

from __future__ import annotations

import json
import math
import re
import time as _time
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from byggpuls.errors import SenMLError

__all__ = ["Record", "SenMLError", "decode_pack", "encode_pack"]

#: Resolved times below this are relative to "now" (RFC 8428 section 4.5.3).
RELATIVE_TIME_LIMIT_S: Final = float(2**28)
#: The version of RFC 8428: feature bits Reserved1 and Reserved3 set (RFC 9100 section 3).
BASE_VERSION: Final = 10
#: RFC 9100 feature 4, Secondary Units: RFC 8798 secondary unit names may appear in ``u``.
SECONDARY_UNITS_BIT: Final = 1 << 4
#: The feature bits this codec understands; ``bver`` must set all of ``BASE_VERSION``'s.
SUPPORTED_VERSION_BITS: Final = BASE_VERSION | SECONDARY_UNITS_BIT

_is_name = re.compile(r"[A-Za-z0-9][-:./_A-Za-z0-9]*").fullmatch
# Section 11: base labels start with "b", regular labels with another letter or a digit.
_is_label = re.compile(r"[A-Zac-z0-9][-_:.A-Za-z0-9]*|b[-_:.A-Za-z0-9]+").fullmatch
_is_base64url = re.compile(r"[A-Za-z0-9_-]*").fullmatch
_NAME_RULE: Final = "is not a SenML name (A-Z a-z 0-9 - : . / _, first a letter or digit)"

_BASE_LABELS: Final = frozenset({"bn", "bt", "bu", "bv", "bs", "bver"})
_REGULAR_LABELS: Final = frozenset({"n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"})
_KNOWN_LABELS: Final = _BASE_LABELS | _REGULAR_LABELS
_VALUE_LABELS: Final = ("v", "vs", "vb", "vd")
# Integral doubles below this are written without ".0" and read back as the same double.
_EXACT_INTEGER_LIMIT: Final = 2**53


class _Missing:
    """The absence of a field, so that a JSON ``null`` is never taken for it."""


_MISSING: Final = _Missing()


#: The ``extra`` of a record without unknown fields: shared, so it must not be mutable.
_NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})


class Record(NamedTuple):
    """A resolved SenML record (RFC 8428 section 4.6): base fields applied, absolute time.

    An immutable named tuple rather than a frozen dataclass: ingest decodes one per reading, and
    a frozen dataclass costs three times as much to create.
    """

    name: str
    #: Seconds since the Unix epoch: ``bt + t``, relative times resolved against "now".
    time: float
    #: ``v`` (+ ``bv``).
    value: float | None = None
    #: ``vs``.
    string_value: str | None = None
    #: ``vb``.
    bool_value: bool | None = None
    #: ``vd``: unpadded base64url, kept as the string.
    data_value: str | None = None
    #: ``s`` (+ ``bs``).
    sum: float | None = None
    #: ``u``, else ``bu``.
    unit: str | None = None
    #: ``ut``: the longest time in seconds before the sensor reports again.
    update_time: float | None = None
    #: Fields the codec does not know and may ignore, e.g. ``{"gw": "gw-1", "seq": 42}``.
    extra: Mapping[str, Any] = _NO_EXTRA


# -- checks shared by decoding and encoding ---------------------------------------------------


def _kind(value: object) -> str:
    """The JSON type of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _at(what: str, index: int | None) -> str:
    """Where a fault is, for messages: built only once there is a fault."""
    return what if index is None else f"record {index}: {what}"


def _number(value: object, what: str, index: int | None = None) -> float:
    """A number field as a finite double; JSON booleans are not numbers."""
    if type(value) is float:
        number = value
    elif type(value) is int:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        raise SenMLError(f"{_at(what, index)} must be a number, got {_kind(value)}")
    if number - number != 0.0:
        raise SenMLError(f"{_at(what, index)} is beyond the IEEE double range")
    return number


def _string(value: object, what: str, index: int | None = None) -> str:
    """A string field that UTF-8 can carry (no lone surrogates, as ``\\ud800`` would give)."""
    if type(value) is not str:
        raise SenMLError(f"{_at(what, index)} must be a string, got {_kind(value)}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise SenMLError(
                f"{_at(what, index)} holds a lone surrogate, which UTF-8 cannot carry"
            ) from None
    return value


def _free_field(label: object, value: object, index: int) -> None:
    """Check a field this codec does not know: ignorable, well-named, a plain value."""
    if type(label) is not str:
        raise SenMLError(f"record {index}: extra label {label!r:.80} is not a string")
    if label in _KNOWN_LABELS:
        raise SenMLError(f"record {index}: extra label {label!r} is a field of the record itself")
    if label.endswith("_"):
        raise SenMLError(
            f"record {index}: field {label[:80]!r} must be understood (it ends in '_') "
            "and this codec does not know it"
        )
    if not _is_label(label):
        raise SenMLError(f"record {index}: {label[:80]!r} is not a SenML label")
    if type(value) is str:
        _string(value, f"field {label!r}", index)
    elif type(value) is not bool:
        if type(value) is not int and type(value) is not float:
            raise SenMLError(
                f"record {index}: field {label!r} must be a string, number or boolean, "
                f"got {_kind(value)}"
            )
        _number(value, f"field {label!r}", index)


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
_encoder: Final = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, allow_nan=False, separators=(",", ":")
)


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
            self.version = _version(index, obj["bver"], self.version)
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


def _version(index: int, value: object, current: int) -> int:
    if type(value) is float and value.is_integer():  # JSON has no integer type: 10.0 is 10
        value = int(value)
    if type(value) is not int or not 0 < value < _EXACT_INTEGER_LIMIT:
        raise SenMLError(
            f"record {index}: field 'bver' must be a positive integer below 2**53, "
            f"got {_kind(value)} {value!r:.40}"
        )
    unknown_bits = value & ~SUPPORTED_VERSION_BITS
    unknown = [bit for bit in range(unknown_bits.bit_length()) if unknown_bits >> bit & 1]
    if unknown or value & BASE_VERSION != BASE_VERSION:
        reason = (
            f"sets feature bits {unknown} that this codec does not know"
            if unknown
            else f"lacks the feature bits of version {BASE_VERSION} (RFC 8428)"
        )
        raise SenMLError(
            f"record {index}: unsupported SenML version bver={value}: it {reason}; "
            f"supported are {BASE_VERSION} and {SUPPORTED_VERSION_BITS}"
        )
    if index > 0 and value != current:
        raise SenMLError(
            f"record {index}: bver={value} differs from version {current} of the records "
            "before it; all records of a pack have one version"
        )
    return value


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
