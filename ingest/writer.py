"""Makes a batch durable: births and new points, readings, dead letters.

The order is what the delivery guarantee needs: points and births first (so readings are never
stored for a point the registry lacks), then readings, then dead letters. Counting the batch and
acknowledging it is the next stage's (:mod:`ingest.accountant`). A transient failure
(:class:`StoreUnavailable`) is retried by the target's retrier while nothing is acknowledged; a
permanent one (:class:`StoreRejected`) is narrowed down to the packs that cause it by bisecting
the batch (writes are idempotent, so rewriting good packs is harmless), and those are
dead-lettered with the store's reason.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from byggpuls.errors import StoreRejected
from byggpuls.reading import PointInfo
from byggpuls.registry import InvalidValue, Registry
from byggpuls.storage.port import ReadingWriter
from ingest.batch import Batch, Item
from ingest.decode import MetaUpdate, Rejected, TelemetryPack
from ingest.metrics import IngestMetrics
from ingest.retry import Retrier
from ingest.subscriber import Inbound

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PendingDeadLetter:
    """A message refused at ``stage``, on its way to the registry's dead letters."""

    inbound: Inbound
    reason: str
    stage: str
    gateway: str | None = None


#: A telemetry pack and the message it came in.
Pack = tuple[Inbound, TelemetryPack]


@dataclass(frozen=True, slots=True)
class Durable:
    """A batch whose readings and dead letters are stored, not yet counted nor acknowledged."""

    batch: Batch
    written: list[Pack]
    readings: int
    dead_letters: int


class BatchWriter:
    """Makes batches durable; used by one writing thread."""

    def __init__(
        self,
        *,
        store: ReadingWriter,
        registry: Registry,
        metrics: IngestMetrics,
        store_retry: Retrier,
        registry_retry: Retrier,
    ) -> None:
        self._store = store
        self._registry = registry
        self._metrics = metrics
        self._store_retry = store_retry
        self._registry_retry = registry_retry

    def write(self, batch: Batch) -> Durable:
        """Store ``batch``: births and new points, readings, dead letters.

        Raises :class:`Aborted` when shutting down before it was durable (nothing acknowledged)
        and :class:`~byggpuls.errors.ConfigError` when the store refuses our credentials.
        """
        dead: list[PendingDeadLetter] = []
        packs: list[Pack] = []
        for item in batch.items:
            decoded = item.decoded
            if isinstance(decoded, TelemetryPack):
                packs.append((item.inbound, decoded))
            elif isinstance(decoded, MetaUpdate):
                self._register_meta(item, decoded, dead)
            elif isinstance(decoded, Rejected):
                letter = PendingDeadLetter(item.inbound, decoded.reason, "decode", decoded.gateway)
                dead.append(letter)
        self._register_new_points(packs)
        written, refused = self._write_readings(packs)
        dead.extend(refused)
        for letter in dead:
            self._dead_letter(letter)
        readings = sum(len(pack.readings) for _, pack in written)
        self._metrics.readings_written.inc(readings)
        self._metrics.batch_readings.observe(readings)
        return Durable(batch=batch, written=written, readings=readings, dead_letters=len(dead))

    # -- registry -----------------------------------------------------------------------------

    def _register_meta(self, item: Item, update: MetaUpdate, dead: list[PendingDeadLetter]) -> None:
        meta = update.meta
        try:
            self._registry_retry(lambda: self._registry.upsert_building(meta.building_info()))
            self._registry_retry(
                lambda: self._registry.upsert_points(
                    building=meta.building.id,
                    gateway=update.gateway,
                    points=meta.point_infos(),
                    source="meta",
                ),
            )
        except (InvalidValue, StoreRejected) as exc:
            reason = f"registry refused meta: {exc}"
            dead.append(PendingDeadLetter(item.inbound, reason, "registry"))

    def _register_new_points(self, packs: Sequence[Pack]) -> None:
        by_origin: dict[tuple[str, str], dict[str, PointInfo]] = defaultdict(dict)
        for _, pack in packs:
            for info in pack.new_points:
                by_origin[(pack.building, pack.gateway)][info.point] = info
        if not by_origin:
            return
        groups = [
            (building, gateway, list(points.values()))
            for (building, gateway), points in by_origin.items()
        ]
        try:
            # One transaction for the batch; a commit per building would hold the writer up.
            self._registry_retry(partial(self._upsert_points, groups))
        except (InvalidValue, StoreRejected):
            for group in groups:
                try:
                    self._registry_retry(partial(self._upsert_points, [group]))
                except (InvalidValue, StoreRejected) as exc:
                    # The readings are still worth keeping; the point stays undescribed.
                    building, gateway, _ = group
                    logger.warning("registry refused points of %s/%s: %s", building, gateway, exc)

    def _upsert_points(self, groups: Sequence[tuple[str, str, list[PointInfo]]]) -> None:
        self._registry.upsert_point_groups(groups, source="telemetry")

    def _dead_letter(self, letter: PendingDeadLetter) -> None:
        inbound = letter.inbound
        self._registry_retry(
            lambda: self._registry.add_dead_letter(
                topic=inbound.topic,
                reason=letter.reason,
                payload=inbound.payload,
                gateway=letter.gateway,
            ),
        )
        self._metrics.dead_lettered.labels(letter.stage).inc()
        logger.warning(
            "dead-lettered a message on %s: %s",
            inbound.topic[:200],
            letter.reason[:300],
            extra={"stage": letter.stage, "payload_bytes": len(inbound.payload)},
        )

    # -- readings -----------------------------------------------------------------------------

    def _write_readings(self, packs: Sequence[Pack]) -> tuple[list[Pack], list[PendingDeadLetter]]:
        """Write the packs' readings; narrow a refusal down to the packs that cause it."""
        if not packs:
            return [], []
        readings = [reading for _, pack in packs for reading in pack.readings]
        started = time.monotonic()
        try:
            self._store_retry(lambda: self._store.write(readings))
        except StoreRejected as exc:
            if len(packs) == 1:
                inbound, pack = packs[0]
                letter = PendingDeadLetter(inbound, f"store refused: {exc}", "store", pack.gateway)
                return [], [letter]
            middle = len(packs) // 2
            good_a, bad_a = self._write_readings(packs[:middle])
            good_b, bad_b = self._write_readings(packs[middle:])
            return good_a + good_b, bad_a + bad_b
        self._metrics.write_seconds.observe(time.monotonic() - started)
        return list(packs), []


__all__ = ["BatchWriter", "Durable", "Pack", "PendingDeadLetter"]
