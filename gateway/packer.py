"""How readings become telemetry packs: one domain each, within the wire's bounds, as SenML.

The spool stores and hands out packs as opaque bytes; what is in them is decided here. A pack
holds readings of one domain (the domain chooses the topic), at most
:data:`~byggpuls.wire.PACK_MAX_RECORDS` records and :data:`~byggpuls.wire.PACK_MAX_BYTES`
bytes, and carries the gateway's id and the pack's sequence number in its first record
(:func:`byggpuls.wire.encode_telemetry`). The spool numbers packs in its own transaction, so it
asks for the encoding with the number it is about to give.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Final

from byggpuls import wire
from byggpuls.reading import Reading
from gateway.errors import SpoolError


@dataclass(frozen=True, slots=True)
class Cut:
    """Readings grouped for packing: ``(domain, readings)`` in order of first appearance, each
    group at most :data:`~byggpuls.wire.PACK_MAX_RECORDS` long; and how many were unfit."""

    groups: list[tuple[str, list[Reading]]]
    #: Readings left out: no SenML pack can carry them (a value that is not finite, a unit with
    #: a NUL character), or a later reading of the same point and time replaced them.
    rejected: int


#: A reading's point and time (fields 1 and 3 of the named tuple).
_POINT_AND_TIME: Final = itemgetter(1, 3)
_UNIT: Final = itemgetter(5)


class Packer:
    """Packs readings of ``building`` as gateway ``gateway``'s SenML telemetry."""

    def __init__(self, *, building: str, gateway: str) -> None:
        self.building = building
        self.gateway = gateway

    def cut(self, readings: Sequence[Reading], *, domain_of: Mapping[str, str]) -> Cut:
        """Group ``readings`` by the domain of their point, leaving out what no pack can carry.

        Two readings of one point at one time (a CSV export repeating the hour the clocks go
        back, a driver polled twice) cannot both be stored, and ingest refuses a pack that
        holds both: the later one takes the earlier one's place, which counts as rejected.

        Raises :class:`SpoolError` for a reading of another building, or of a point without a
        domain: a driver that did not declare it.
        """
        groups: dict[str, list[Reading]] = {}
        # Where each (point, time) is in its group, to put a later value in its place; kept
        # only when some (point, time) repeats (a set of them, built in C, says so cheaply).
        repeats = len(set(map(_POINT_AND_TIME, readings))) < len(readings)
        # The SenML encoder refuses a NUL (U+0000) in a unit; checked once per distinct unit.
        unfit_units = {u for u in set(map(_UNIT, readings)) if u is not None and "\x00" in u}
        placed: dict[tuple[str, int], int] = {}
        rejected = 0
        for reading in readings:
            if not math.isfinite(reading.value) or (unfit_units and reading.unit in unfit_units):
                rejected += 1
                continue
            if reading.building != self.building:
                raise SpoolError(
                    f"reading of building {reading.building!r} offered to the spool of "
                    f"{self.building!r}"
                )
            try:
                domain = domain_of[reading.point]
            except KeyError:
                raise SpoolError(
                    f"point {reading.point!r} has no domain: the driver did not declare it"
                ) from None
            group = groups.setdefault(domain, [])
            if repeats:
                key = (reading.point, reading.time_ms)
                earlier = placed.get(key)
                if earlier is not None:
                    group[earlier] = reading
                    rejected += 1
                    continue
                placed[key] = len(group)
            group.append(reading)
        chunks = [
            (domain, group[start : start + wire.PACK_MAX_RECORDS])
            for domain, group in groups.items()
            for start in range(0, len(group), wire.PACK_MAX_RECORDS)
        ]
        return Cut(groups=chunks, rejected=rejected)

    def encode(self, readings: Sequence[Reading], *, seq: int) -> list[tuple[bytes, int]]:
        """``readings`` as one or more payloads within the byte bound, numbered from ``seq``:
        ``(payload, readings in it)`` each."""
        payload = wire.encode_telemetry(
            readings, building=self.building, gateway=self.gateway, seq=seq
        )
        if len(payload) <= wire.PACK_MAX_BYTES or len(readings) == 1:
            return [(payload, len(readings))]
        half = len(readings) // 2
        first = self.encode(readings[:half], seq=seq)
        return first + self.encode(readings[half:], seq=seq + len(first))

    def trim(self, payload: bytes, *, oldest: int, seq: int) -> tuple[bytes, int]:
        """Pack ``seq`` without its ``oldest`` records, under the same number: the payload and
        the readings left in it. Raises :class:`~byggpuls.errors.ContractError` for a payload
        that is not a pack of this gateway's."""
        readings = wire.decode_telemetry(
            payload, building=self.building, resolve=lambda point, unit: ("spooled", None)
        ).readings
        kept = readings[oldest:]
        trimmed = wire.encode_telemetry(kept, building=self.building, gateway=self.gateway, seq=seq)
        return trimmed, len(kept)


__all__ = ["Cut", "Packer"]
