"""Byggpuls' payloads on the wire: telemetry packs (SenML), birth (``meta``) and ``status``.

Telemetry is a SenML pack per message on ``byggpuls/v1/{building}/{domain}``::

    [{"bn": "skole-01:", "bt": 1764201600, "gw": "gw-skole-01", "seq": 42,
      "n": "ahu1.supply_air_temp", "u": "Cel", "v": 18.2},
     {"n": "el.energy", "u": "kWh", "v": 120344.5, "t": 900}]

- the base name is the building id and ``:``, so a resolved name is ``{building}:{point}``;
- times are absolute seconds since the epoch (relative SenML times are refused: a redelivered
  pack must resolve to the same instants, or deduplication fails);
- the first record carries the gateway id ``gw`` and the per-gateway sequence number ``seq``,
  which generic SenML receivers ignore (they do not end in ``_``);
- values are numbers (``v``) or booleans (``vb``, stored as 0/1);
- a pack holds one value per point and millisecond: a reading is identified by its building,
  point and time, so a second value would overwrite the first in the store while being counted
  as a reading of its own. A gateway never sends that; a pack that does is refused whole;
- ``seq`` is at most :data:`SEQUENCE_MAX`, the largest integer every JSON reader holds exactly.

``meta`` and ``status`` are JSON objects, retained; see :class:`Meta` and :class:`Status`.

Acknowledgements go the other way, from ingest to a gateway on
``byggpuls/v1/{building}/ack/{gateway}``: ``{"seq": [[first, last], ...]}``, the inclusive
ranges of that gateway's sequence numbers that are now durable (stored, or kept as a dead
letter). See :func:`encode_ack`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from byggpuls import senml
from byggpuls.errors import PayloadError
from byggpuls.reading import (
    ID_PATTERN,
    POINT_PATTERN,
    QUANTITY_PATTERN,
    BuildingInfo,
    PointInfo,
    Reading,
    is_id,
    is_point_id,
)
from byggpuls.topics import MetaTopic

SENML_VERSION: Final = 26
GATEWAY_FIELD: Final = "gw"
SEQUENCE_FIELD: Final = "seq"
#: 2**53 - 1: the largest integer every JSON reader keeps exactly (RFC 7493, I-JSON); the API
#: hands sequence numbers and counts on to JavaScript, which would round anything larger.
SEQUENCE_MAX: Final = 2**53 - 1
#: Bounds on one telemetry message, far below the broker's max_packet_size (1 MiB): a pack this
#: size costs the gateway little to resend and the broker little to queue.
PACK_MAX_RECORDS: Final = 500
PACK_MAX_BYTES: Final = 64 * 1024
#: SenML times below this are relative to "now" (RFC 8428 section 4.5.3).
_RELATIVE_TIME_LIMIT: Final = 2.0**28

#: Resolves a point of the building to its (quantity, zone), given the unit it was sent with.
QuantityResolver = Callable[[str, str | None], tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class Telemetry:
    """One decoded telemetry pack."""

    building: str
    gateway: str
    seq: int
    readings: list[Reading]


def encode_telemetry(
    readings: Sequence[Reading], *, building: str, gateway: str, seq: int
) -> bytes:
    """Encode ``readings`` of ``building`` as one SenML pack carrying ``gateway`` and ``seq``."""
    if not readings:
        raise PayloadError("a telemetry pack needs at least one reading")
    prefix = f"{building}:"
    records = []
    for index, reading in enumerate(readings):
        if reading.building != building:
            raise PayloadError(f"reading of {reading.building!r} in a pack for {building!r}")
        extra = {GATEWAY_FIELD: gateway, SEQUENCE_FIELD: seq} if index == 0 else {}
        records.append(
            senml.Record(
                name=prefix + reading.point,
                time=reading.time_ms / 1000.0,
                value=reading.value,
                unit=reading.unit,
                extra=extra,
            )
        )
    # Version 26 = 10 + feature 4 (RFC 9100): our packs use secondary units such as kWh (RFC 8798).
    return senml.encode_pack(
        records, base_name=prefix, base_time=records[0].time, version=SENML_VERSION
    )


def decode_telemetry(payload: bytes, *, building: str, resolve: QuantityResolver) -> Telemetry:
    """Decode a telemetry pack published for ``building``.

    Raises :class:`~byggpuls.errors.SenMLError` for invalid SenML and :class:`PayloadError` for
    valid SenML that breaks the rules above; both say why, for the dead-letter record.
    """
    # Packs as gateways send them decode in bulk; anything else, and every fault, goes the
    # record-by-record way, which words the error.
    columns = senml.decode_columns(payload) if type(payload) is bytes else None
    if columns is not None:
        telemetry = _telemetry_of_columns(columns, building, resolve)
        if telemetry is not None:
            return telemetry
    return _telemetry_of_records(payload, building, resolve)


def _telemetry_of_records(payload: bytes, building: str, resolve: QuantityResolver) -> Telemetry:
    """:func:`decode_telemetry` record by record: for any pack, and the words of every error."""
    # now=0 leaves relative times below 2**28 after resolution, so they can be told apart.
    records = senml.decode_pack(payload, now=0.0)  # never empty: SenML refuses empty packs
    first = records[0].extra
    gateway = first.get(GATEWAY_FIELD)
    seq = first.get(SEQUENCE_FIELD)
    if not isinstance(gateway, str) or not is_id(gateway):
        raise PayloadError(f"first record lacks a valid gateway id {GATEWAY_FIELD!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise PayloadError(f"first record lacks a non-negative integer {SEQUENCE_FIELD!r}")
    if seq > SEQUENCE_MAX:
        raise PayloadError(
            f"first record: {SEQUENCE_FIELD!r} {seq} is above 2**53 - 1, "
            "the largest integer JSON carries exactly"
        )
    prefix = f"{building}:"
    readings = []
    # Packs repeat the same few dozen points: check each name, and look up its quantity, once.
    points: dict[tuple[str, str | None], tuple[str, str, str | None]] = {}
    for index, record in enumerate(records):
        key = (record.name, record.unit)
        known = points.get(key)
        if known is None:
            point = _point_of(index, record.name, prefix)
            known = points[key] = (point, *resolve(point, record.unit))
        if record.time < _RELATIVE_TIME_LIMIT:
            raise PayloadError(
                f"record {index}: relative or missing time; Byggpuls needs absolute times"
            )
        time_ms = record.time * 1000.0
        if not math.isfinite(time_ms):
            raise PayloadError(
                f"record {index} ({known[0]}): time {record.time!r} s is out of range"
            )
        if record.value is not None:
            value = record.value
        elif record.bool_value is not None:
            value = 1.0 if record.bool_value else 0.0
        else:
            raise PayloadError(
                f"record {index} ({known[0]}): no numeric value; Byggpuls stores 'v' or 'vb' only"
            )
        # Positional: a named tuple is made fastest that way, and this runs once per reading.
        readings.append(
            Reading(
                building, known[0], known[1], round(time_ms), value, record.unit,
                known[2],
            )
        )  # fmt: skip
    if len({(reading.point, reading.time_ms) for reading in readings}) != len(readings):
        raise PayloadError(_second_value_message(readings))
    return Telemetry(building=building, gateway=gateway, seq=seq, readings=readings)


def _second_value_message(readings: Sequence[Reading]) -> str:
    """Which record repeats the point and time of an earlier one; the caller found that one
    does, so the loop always stops at it."""
    first_of: dict[tuple[str, int], int] = {}
    for index, reading in enumerate(readings):
        first = first_of.setdefault((reading.point, reading.time_ms), index)
        if first != index:
            break
    return (
        f"record {index} ({reading.point}): a second value for time {reading.time_ms} ms, "
        f"first given in record {first}; a pack holds one value per point and millisecond"
    )


def _telemetry_of_columns(
    columns: senml.Columns, building: str, resolve: QuantityResolver
) -> Telemetry | None:
    """:func:`decode_telemetry` of a plain pack, a column at a time; None at the first doubt.

    Gives what the record-by-record path gives (``tests/byggpuls/test_wire.py`` checks it on
    generated packs) with a few Python calls per pack instead of per reading.
    """
    gateway = columns.extra.get(GATEWAY_FIELD)
    seq = columns.extra.get(SEQUENCE_FIELD)
    if (
        type(gateway) is not str
        or not is_id(gateway)
        or type(seq) is not int
        or not 0 <= seq <= SEQUENCE_MAX
    ):
        return None
    prefix = f"{building}:"
    start = len(prefix)
    keys = list(zip(columns.names, columns.units, strict=True))
    # Point, quantity and zone of each (name, unit), resolved in the order they first occur.
    known: dict[tuple[str, str | None], tuple[str, str, str | None]] = {}
    for name, unit in dict.fromkeys(keys):
        point = name[start:]
        if not name.startswith(prefix) or not is_point_id(point):
            return None
        known[name, unit] = (point, *resolve(point, unit))
    points, quantities, zones = zip(*map(known.__getitem__, keys), strict=True)
    scaled_ms = [time_s * 1000.0 for time_s in columns.times]
    if not math.isfinite(sum(scaled_ms)):  # a time beyond any clock: the other path says which
        return None
    times_ms = list(map(round, scaled_ms))
    if len(set(zip(points, times_ms, strict=True))) != len(times_ms):
        return None  # two values for one point and time: the other path says which
    fields = zip(
        repeat(building), points, quantities, times_ms, columns.values, columns.units, zones
    )
    readings: list[Reading] = list(map(_new_tuple, repeat(Reading), fields))
    return Telemetry(building=building, gateway=gateway, seq=seq, readings=readings)


#: ``_new_tuple(Reading, fields)`` makes a Reading without its keyword-handling ``__new__``.
_new_tuple: Final = tuple.__new__


def _point_of(index: int, name: str, prefix: str) -> str:
    """The point id of a resolved record name, which must be under the topic's building."""
    if not name.startswith(prefix):
        raise PayloadError(
            f"record {index}: name {name[:80]!r} is not under {prefix!r} "
            "(the building of the topic)"
        )
    point = name[len(prefix) :]
    if not is_point_id(point):
        raise PayloadError(f"record {index}: invalid point id {point[:80]!r}")
    return point


# -- meta ------------------------------------------------------------------------------------


#: 2**31 - 1 s (68 years), the most the registry's integer ``interval_s`` column holds: a
#: larger interval is refused here, with the field named, not by the database.
INTERVAL_MAX_S: Final = 2**31 - 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*")
    @classmethod
    def _refuse_nul(cls, value: object) -> object:
        """Refuse U+0000 anywhere: PostgreSQL text cannot hold it, and a registry that
        replaced it would keep a string the gateway never sent."""
        if _holds_nul(value):
            raise ValueError("holds a NUL character (U+0000), which Byggpuls does not store")
        return value


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(map(_holds_nul, value))
    return False


class MetaPoint(_Model):
    point: str = Field(pattern=f"^{POINT_PATTERN.pattern}$")
    domain: str = Field(pattern=f"^{ID_PATTERN.pattern}$")
    quantity: str = Field(pattern=f"^{QUANTITY_PATTERN.pattern}$")
    unit: str = Field(min_length=1, max_length=32)
    brick_class: str | None = Field(default=None, max_length=128)
    zone: str | None = Field(default=None, pattern=f"^{ID_PATTERN.pattern}$")
    interval_s: int | None = Field(default=None, gt=0, le=INTERVAL_MAX_S)
    description: str | None = Field(default=None, max_length=500)


class MetaBuilding(_Model):
    """A building as a gateway describes it (in its birth message and its configuration)."""

    id: str = Field(pattern=f"^{ID_PATTERN.pattern}$")
    name: str = Field(min_length=1, max_length=200)
    type: str = Field(pattern=f"^{ID_PATTERN.pattern}$")
    floor_area_m2: float | None = Field(default=None, gt=0)
    address: str | None = Field(default=None, max_length=300)

    def info(self) -> BuildingInfo:
        return BuildingInfo(**self.model_dump())


class Meta(_Model):
    """A gateway's birth certificate: its building and the points it publishes."""

    gateway: str = Field(pattern=f"^{ID_PATTERN.pattern}$")
    time: float
    building: MetaBuilding
    points: list[MetaPoint]

    def building_info(self) -> BuildingInfo:
        return self.building.info()

    def point_infos(self) -> list[PointInfo]:
        return [PointInfo(**point.model_dump()) for point in self.points]


def encode_meta(
    *, gateway: str, building: BuildingInfo, points: Sequence[PointInfo], time_s: float
) -> bytes:
    """The retained ``meta`` payload of ``gateway``.

    Raises :class:`~byggpuls.errors.PayloadError` for a description the contract refuses (a
    field too long, a NUL, an interval the registry cannot hold), as ingest would.
    """
    try:
        meta = Meta(
            gateway=gateway,
            time=time_s,
            building=MetaBuilding(**dataclasses.asdict(building)),
            points=[MetaPoint(**dataclasses.asdict(point)) for point in points],
        )
    except ValidationError as exc:
        raise PayloadError(f"invalid meta: {_validation_reason(exc)}") from None
    return meta.model_dump_json(exclude_none=True).encode()


def _validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def decode_meta(payload: bytes, *, topic: MetaTopic) -> Meta:
    """Decode and validate a ``meta`` payload received on ``topic``."""
    try:
        meta = Meta.model_validate_json(payload)
    except ValidationError as exc:
        raise PayloadError(f"invalid meta: {_validation_reason(exc)}") from None
    if meta.gateway != topic.gateway or meta.building.id != topic.building:
        raise PayloadError(
            f"meta for {meta.building.id}/{meta.gateway} on the topic of "
            f"{topic.building}/{topic.gateway}"
        )
    return meta


def pack_origin(payload: bytes) -> tuple[str, int] | None:
    """The ``(gateway, seq)`` a telemetry payload claims in its first record, if it can be read,
    whether or not the rest of the pack is valid: a refused pack is acknowledged too, once its
    dead letter is stored, so that its gateway stops sending it."""
    try:
        records = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(records, list) or not records or not isinstance(records[0], dict):
        return None
    gateway = records[0].get(GATEWAY_FIELD)
    seq = records[0].get(SEQUENCE_FIELD)
    if not isinstance(gateway, str) or not is_id(gateway):
        return None
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= SEQUENCE_MAX:
        return None
    return gateway, seq


# -- acknowledgements --------------------------------------------------------------------

#: Ranges in one acknowledgement message; more go in further messages (see :func:`encode_ack`).
ACK_MAX_RANGES: Final = 1000
ACK_FIELD: Final = "seq"


def seq_ranges(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """``seqs`` as sorted, inclusive, non-adjacent ``(first, last)`` ranges."""
    ranges: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if ranges and seq == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], seq)
        else:
            ranges.append((seq, seq))
    return ranges


def encode_ack(seqs: Iterable[int]) -> list[bytes]:
    """The acknowledgement messages that say ``seqs`` are durable: one per
    :data:`ACK_MAX_RANGES` ranges, so that no message grows without bound."""
    ranges = seq_ranges(seqs)
    return [
        json.dumps({ACK_FIELD: ranges[i : i + ACK_MAX_RANGES]}, separators=(",", ":")).encode()
        for i in range(0, len(ranges), ACK_MAX_RANGES)
    ]


def decode_ack(payload: bytes) -> list[tuple[int, int]]:
    """The ranges of an acknowledgement; raises :class:`PayloadError` saying what is wrong."""
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PayloadError(f"invalid acknowledgement: not JSON: {exc}") from None
    ranges = document.get(ACK_FIELD) if isinstance(document, dict) else None
    if not isinstance(ranges, list) or len(ranges) > ACK_MAX_RANGES:
        raise PayloadError(
            f"invalid acknowledgement: {ACK_FIELD!r} must be a list of at most "
            f"{ACK_MAX_RANGES} [first, last] ranges"
        )
    out: list[tuple[int, int]] = []
    for item in ranges:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in item)
            or not 0 <= item[0] <= item[1] <= SEQUENCE_MAX
        ):
            raise PayloadError(
                f"invalid acknowledgement: range {str(item)[:40]} is not [first, last] with "
                f"0 <= first <= last <= 2**53 - 1"
            )
        out.append((item[0], item[1]))
    return out


# -- status ----------------------------------------------------------------------------------

#: 9999-12-31T23:59:59Z, the last second a Python datetime (and so the registry) holds. A status
#: beyond it, or with a count above :data:`SEQUENCE_MAX`, is refused rather than kept in part.
STATUS_TIME_MAX_S: Final = 253_402_300_799.0


class Status(_Model):
    """A gateway's retained status: ``online`` at birth and while running, ``offline`` as Will."""

    state: Literal["online", "offline"]
    #: Seconds since the epoch; bounded to what the registry's timestamp holds.
    time: float | None = Field(default=None, ge=0.0, le=STATUS_TIME_MAX_S, allow_inf_nan=False)
    #: Readings in the gateway's disk spool not yet acknowledged by the broker.
    spool_depth: int | None = Field(default=None, ge=0, le=SEQUENCE_MAX)
    #: Readings the spool dropped (oldest first) because it was full; never silently.
    spool_dropped: int | None = Field(default=None, ge=0, le=SEQUENCE_MAX)
    detail: dict[str, Any] | None = None


def encode_status(status: Status) -> bytes:
    return status.model_dump_json(exclude_none=True).encode()


#: The Last Will: the broker publishes it when the gateway vanishes.
OFFLINE: Final = encode_status(Status(state="offline"))


def decode_status(payload: bytes) -> Status:
    try:
        return Status.model_validate_json(payload)
    except ValidationError as exc:
        raise PayloadError(f"invalid status: {_validation_reason(exc)}") from None


__all__ = [
    "ACK_MAX_RANGES",
    "INTERVAL_MAX_S",
    "OFFLINE",
    "PACK_MAX_BYTES",
    "PACK_MAX_RECORDS",
    "SEQUENCE_MAX",
    "STATUS_TIME_MAX_S",
    "Meta",
    "Status",
    "Telemetry",
    "decode_ack",
    "decode_meta",
    "decode_status",
    "decode_telemetry",
    "encode_ack",
    "encode_meta",
    "encode_status",
    "encode_telemetry",
    "pack_origin",
    "seq_ranges",
]
