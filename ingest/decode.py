"""From an MQTT message to what ingest does with it: readings, a birth, a status or a dead letter.

:func:`Decoder.decode` never raises for bad input: anything that breaks the wire contract comes
back as :class:`Rejected` with the reason, for the dead-letter store. The point cache maps a
building's points to their quantity and zone (from ``meta``, the registry, or guessed from the
unit for points nobody described) and collects points seen for the first time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from byggpuls import topics, wire
from byggpuls.errors import ContractError, PayloadError
from byggpuls.reading import BuildingType, PointInfo, Reading
from byggpuls.units import DEFAULT_QUANTITY

logger = logging.getLogger(__name__)

#: How far a gateway's ``seq`` may run ahead of the last one this worker took from it. A gateway
#: numbers its packs one by one and sends them in order, so even a billion packs between two
#: that one worker sees is decades of a pack a second; a number that far ahead is a fault (a
#: corrupt spool, a flipped bit) and, counted, would report that many packs as missing.
SEQUENCE_JUMP_MAX: Final = 10**9
#: The measurement of a point nobody described whose unit says nothing about its quantity.
UNKNOWN_QUANTITY: Final = "unknown"
_BUILDING_TYPES: Final = frozenset(BuildingType)


@dataclass(frozen=True, slots=True)
class TelemetryPack:
    """A decoded telemetry pack, and the points in it the registry does not know yet."""

    building: str
    domain: str
    gateway: str
    seq: int
    readings: list[Reading]
    new_points: list[PointInfo] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MetaUpdate:
    """A gateway's birth message: its building and points."""

    gateway: str
    meta: wire.Meta


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A gateway's status."""

    building: str
    gateway: str
    status: wire.Status


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that breaks the contract: the reason goes to the dead-letter store with the bytes."""

    reason: str
    gateway: str | None = None
    #: ``(building, gateway, seq)`` of a refused telemetry pack whose first record names them:
    #: once its dead letter is stored it is acknowledged, so its gateway stops resending it.
    origin: tuple[str, str, int] | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing to do (an empty retained message: a gateway's meta or status was cleared)."""

    why: str


Decoded = TelemetryPack | MetaUpdate | StatusUpdate | Rejected | Ignored


def kind_of(decoded: Decoded) -> str:
    """What a message turned out to be, for the ``kind`` label of the received messages."""
    if isinstance(decoded, TelemetryPack):
        return "telemetry"
    if isinstance(decoded, MetaUpdate):
        return "meta"
    if isinstance(decoded, StatusUpdate):
        return "status"
    if isinstance(decoded, Ignored):
        return "ignored"
    return "invalid"


#: The registry's points of a building, as (point, quantity, zone) triples.
PointLoader = Callable[[str], Iterable[tuple[str, str, str | None]]]


class PointCache:
    """Quantity and zone of every point this worker has met, filled lazily per building.

    Only the batcher thread resolves; ``meta`` updates arrive on the same thread, so the lock
    only guards against the registry loader running elsewhere.
    """

    def __init__(self, loader: PointLoader | None = None) -> None:
        self._loader = loader
        self._points: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._loaded: set[str] = set()
        self._lock = threading.Lock()

    def get(self, building: str, point: str) -> tuple[str, str | None] | None:
        if building not in self._loaded:
            self._load(building)
        return self._points.get((building, point))

    def _load(self, building: str) -> None:
        # The registry knows points from meta seen by other workers and earlier runs.
        if self._loader is not None:
            for point, quantity, zone in self._loader(building):
                self._points.setdefault((building, point), (quantity, zone))
        with self._lock:
            self._loaded.add(building)

    def put(self, building: str, point: str, quantity: str, zone: str | None) -> None:
        self._points[(building, point)] = (quantity, zone)

    def __len__(self) -> int:
        return len(self._points)


def guess_quantity(unit: str | None) -> str:
    """The quantity of a point known only from its data: from its unit, else ``unknown``."""
    if unit is None:
        return UNKNOWN_QUANTITY
    return DEFAULT_QUANTITY.get(unit, UNKNOWN_QUANTITY)


class Decoder:
    """Decodes messages for one worker; not thread-safe (the batcher thread)."""

    def __init__(
        self,
        cache: PointCache,
        *,
        counted_seq: Callable[[], Mapping[tuple[str, str], int]] | None = None,
    ) -> None:
        self.cache = cache
        #: The ``seq`` of the last pack taken from each (building, gateway). It begins with
        #: what ``counted_seq()`` says the registry counted, asked at the first pack (from the
        #: batcher, like the point cache), so that the jump check holds across restarts; a
        #: gateway new to the registry is checked against :data:`wire.SEQUENCE_MAX` alone.
        self._last_seq: dict[tuple[str, str], int] = {}
        self._counted_seq = counted_seq

    def decode(self, topic: str, payload: bytes) -> Decoded:
        """What ``payload`` on ``topic`` means. Never raises for bad input."""
        try:
            return self._decode(topic, payload)
        except ContractError as exc:
            return _rejected(str(exc), topic, payload)

    def _decode(self, topic: str, payload: bytes) -> Decoded:
        where = topics.parse(topic)
        if isinstance(where, topics.TelemetryTopic):
            return self._telemetry(where, payload)
        if isinstance(where, topics.AckTopic):
            # Not subscribed to: only a wrongly configured broker bridge delivers one here.
            raise PayloadError(f"{topic[:120]} is an acknowledgement to a gateway, not input")
        if not payload:
            return Ignored(why=f"retained message on {topic} cleared")
        if isinstance(where, topics.MetaTopic):
            meta = wire.decode_meta(payload, topic=where)
            if meta.building.type not in _BUILDING_TYPES:
                allowed = ", ".join(sorted(_BUILDING_TYPES))
                raise PayloadError(
                    f"invalid meta: building.type {meta.building.type!r} is not one of {allowed}"
                )
            for point in meta.points:
                self.cache.put(where.building, point.point, point.quantity, point.zone)
            return MetaUpdate(gateway=where.gateway, meta=meta)
        status = wire.decode_status(payload)
        return StatusUpdate(building=where.building, gateway=where.gateway, status=status)

    def _telemetry(self, where: topics.TelemetryTopic, payload: bytes) -> TelemetryPack | Rejected:
        if len(payload) > wire.PACK_MAX_BYTES:
            raise PayloadError(
                f"pack of {len(payload)} bytes is larger than {wire.PACK_MAX_BYTES} bytes"
            )
        building = where.building
        cache = self.cache
        new: dict[str, PointInfo] = {}

        def resolve(point: str, unit: str | None) -> tuple[str, str | None]:
            known = cache.get(building, point)
            if known is not None:
                return known
            info = new.get(point)
            if info is None:
                info = PointInfo(
                    point=point,
                    domain=where.domain,
                    quantity=guess_quantity(unit),
                    unit=unit or "",
                )
                new[point] = info
            return info.quantity, None

        pack = wire.decode_telemetry(payload, building=building, resolve=resolve)
        if len(pack.readings) > wire.PACK_MAX_RECORDS:
            raise PayloadError(
                f"pack of {len(pack.readings)} readings has more than {wire.PACK_MAX_RECORDS}"
            )
        if self._counted_seq is not None:
            self._last_seq = {**self._counted_seq(), **self._last_seq}
            self._counted_seq = None
        origin = (building, pack.gateway)
        last_seq = self._last_seq.get(origin)
        if last_seq is not None and pack.seq - last_seq > SEQUENCE_JUMP_MAX:
            reason = (
                f"'seq' {pack.seq} is {pack.seq - last_seq} ahead of {last_seq}, the last pack "
                f"of {pack.gateway}; more than {SEQUENCE_JUMP_MAX} packs ahead is a fault"
            )
            return Rejected(reason=reason, gateway=pack.gateway, origin=(*origin, pack.seq))
        self._last_seq[origin] = pack.seq
        # Only a pack that decoded whole introduces points.
        for info in new.values():
            cache.put(building, info.point, info.quantity, None)
        return TelemetryPack(
            building=building,
            domain=where.domain,
            gateway=pack.gateway,
            seq=pack.seq,
            readings=pack.readings,
            new_points=list(new.values()),
        )


def _rejected(reason: str, topic: str, payload: bytes) -> Rejected:
    """A refusal, with the gateway the topic names (meta, status) or the pack claims
    (telemetry), for the dead-letter record and the acknowledgement."""
    try:
        where = topics.parse(topic)
    except ContractError:
        return Rejected(reason=reason)
    if not isinstance(where, topics.TelemetryTopic):
        return Rejected(reason=reason, gateway=where.gateway)
    claimed = wire.pack_origin(payload)
    if claimed is None:
        return Rejected(reason=reason)
    gateway, seq = claimed
    return Rejected(reason=reason, gateway=gateway, origin=(where.building, gateway, seq))
