"""The resolved record, the constants of RFC 8428 and 9100, and checks shared by both directions."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from byggpuls.errors import SenMLError

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
    """A string field that UTF-8 can carry (no lone surrogates, as ``\\ud800`` would give)
    and without U+0000, which C receivers take for the end and PostgreSQL text cannot hold."""
    if type(value) is not str:
        raise SenMLError(f"{_at(what, index)} must be a string, got {_kind(value)}")
    if "\x00" in value:
        raise SenMLError(f"{_at(what, index)} holds a NUL character (U+0000)")
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


def _version(index: int, value: object, current: int, *, drafts: bool = False) -> int:
    """A checked ``bver``; ``drafts`` accepts the versions below 10 of RFC 8428's drafts.

    RFC 9100 reads ``bver`` as a feature bitmap whose bits 1 and 3 (10) are always set; a
    version below 10 predates that (RFC 9100 section 2.2) and, by RFC 8428 section 4.4, is not
    larger than what this codec understands, so a decoder reads it as plain RFC 8428: the
    ``"bver":5`` of the RFC's own example 5.1.2. The encoder writes bitmaps only.
    """
    if type(value) is float and value.is_integer():  # JSON has no integer type: 10.0 is 10
        value = int(value)
    if type(value) is not int or not 0 < value < _EXACT_INTEGER_LIMIT:
        raise SenMLError(
            f"record {index}: field 'bver' must be a positive integer below 2**53, "
            f"got {_kind(value)} {value!r:.40}"
        )
    if value >= BASE_VERSION or not drafts:
        _check_feature_bits(index, value)
    if index > 0 and value != current:
        raise SenMLError(
            f"record {index}: bver={value} differs from version {current} of the records "
            "before it; all records of a pack have one version"
        )
    return value


def _check_feature_bits(index: int, value: int) -> None:
    """Refuse a version bitmap with bits this codec does not know or without version 10's."""
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
