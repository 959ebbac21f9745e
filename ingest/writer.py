"""Makes a batch durable, then acknowledges it: registry, readings, dead letters, accounting.

The order is what the delivery guarantee needs. Points and births first (so readings are never
stored for a point the registry lacks), then readings, then dead letters and accounting, and
only then the acknowledgements, in the order the messages arrived. A transient failure
(:class:`StoreUnavailable`) is retried with capped, jittered backoff while nothing is
acknowledged; a permanent one (:class:`StoreRejected`) is narrowed down to the packs that cause
it by bisecting the batch (writes are idempotent, so rewriting good packs is harmless), and
those are dead-lettered with the store's reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_when_event_set,
    wait_random_exponential,
)

from byggpuls.errors import StoreRejected, StoreUnavailable
from byggpuls.reading import PointInfo
from byggpuls.registry.accounting import Accounting, PackTally, day_of
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.repository import Registry
from byggpuls.storage.port import ReadingWriter
from ingest.batch import Batch, Inbound, Item
from ingest.decode import MetaUpdate, Rejected, StatusUpdate, TelemetryPack
from ingest.metrics import IngestMetrics, Outage

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: The first retry waits up to this long; each further one up to twice as long, to the cap.
RETRY_FIRST_MAX_S = 0.2
MS_PER_DAY = 86_400_000


class Aborted(Exception):
    """Retrying was given up because the worker is shutting down; nothing was acknowledged."""


class Retrier:
    """Runs a call until it stops failing transiently, or until ``abort`` is set."""

    def __init__(
        self,
        *,
        max_s: float,
        abort: threading.Event,
        metrics: IngestMetrics,
        outage: Outage,
    ) -> None:
        self._max_s = max_s
        self._abort = abort
        self._metrics = metrics
        self._outage = outage

    def __call__(self, target: str, call: Callable[[], T]) -> T:
        def before_sleep(state: RetryCallState) -> None:
            self._outage.down()
            self._metrics.retries.labels(target).inc()
            self._metrics.store_available.set(0)
            exc = state.outcome.exception() if state.outcome is not None else None
            wait_s = state.next_action.sleep if state.next_action is not None else 0.0
            logger.warning(
                "%s unavailable, retrying in %.1f s: %s",
                target,
                wait_s,
                exc,
                extra={"target": target, "attempt": state.attempt_number},
            )

        def sleep(seconds: float) -> None:
            self._abort.wait(seconds)

        retrying = Retrying(
            retry=retry_if_exception_type(StoreUnavailable),
            wait=wait_random_exponential(multiplier=RETRY_FIRST_MAX_S, max=self._max_s),
            stop=stop_when_event_set(self._abort),
            sleep=sleep,
            before_sleep=before_sleep,
        )
        try:
            result = retrying(call)
        except RetryError as exc:
            raise Aborted(f"gave up writing to the {target}: shutting down") from exc
        if self._outage.since is not None:
            logger.info("%s is available again", target)
        self._outage.up()
        self._metrics.store_available.set(1)
        return result


@dataclass(frozen=True, slots=True)
class DeadLetter:
    inbound: Inbound
    reason: str
    stage: str
    gateway: str | None = None


AckBatch = Callable[[Sequence[Inbound]], None]
Pack = tuple[Inbound, TelemetryPack]


@dataclass(frozen=True, slots=True)
class Durable:
    """A batch whose readings and dead letters are stored, not yet counted nor acknowledged."""

    batch: Batch
    written: list[Pack]
    readings: int
    dead_letters: int


class BatchWriter:
    """Writes batches and acknowledges them; used by one writing thread."""

    def __init__(
        self,
        *,
        store: ReadingWriter,
        registry: Registry,
        accounting: Accounting,
        metrics: IngestMetrics,
        retry: Retrier,
        ack: AckBatch,
    ) -> None:
        self._store = store
        self._registry = registry
        self._accounting = accounting
        self._metrics = metrics
        self._retry = retry
        self._ack = ack
        #: Missing packs per gateway after the last batch, to count new gaps.
        self._missing: dict[tuple[str, str], int] = {}

    def write(self, batch: Batch) -> Durable:
        """Store ``batch``: births and new points, readings, dead letters.

        Raises :class:`Aborted` when shutting down before it was durable (nothing acknowledged)
        and :class:`~byggpuls.errors.ConfigError` when the store refuses our credentials.
        """
        dead: list[DeadLetter] = []
        packs: list[Pack] = []
        for item in batch.items:
            decoded = item.decoded
            if isinstance(decoded, TelemetryPack):
                packs.append((item.inbound, decoded))
            elif isinstance(decoded, MetaUpdate):
                self._register_meta(item, decoded, dead)
            elif isinstance(decoded, Rejected):
                dead.append(DeadLetter(item.inbound, decoded.reason, "decode", decoded.gateway))
        self._register_new_points(packs)
        written, refused = self._write_readings(packs)
        dead.extend(refused)
        for letter in dead:
            self._dead_letter(letter)
        readings = sum(len(pack.readings) for _, pack in written)
        self._metrics.readings_written.inc(readings)
        self._metrics.batch_readings.observe(readings)
        return Durable(batch=batch, written=written, readings=readings, dead_letters=len(dead))

    def finish(self, durable: Durable) -> None:
        """Count a stored batch (accounting, gateway status), then acknowledge it in order.

        A separate step so that it can run in a thread of its own while the next batch is
        written: the registry's round trips then overlap the store's.
        """
        batch = durable.batch
        self._account(durable.written)
        for item in batch.items:
            if isinstance(item.decoded, StatusUpdate):
                self._record_status(item.decoded)
        self._ack([item.inbound for item in batch.items])
        self._metrics.batch_seconds.observe(time.monotonic() - batch.opened_s)
        logger.debug(
            "batch acknowledged",
            extra={
                "messages": len(batch),
                "readings": durable.readings,
                "dead_letters": durable.dead_letters,
            },
        )

    # -- registry -----------------------------------------------------------------------------

    def _register_meta(self, item: Item, update: MetaUpdate, dead: list[DeadLetter]) -> None:
        meta = update.meta
        try:
            self._retry("registry", lambda: self._registry.upsert_building(meta.building_info()))
            self._retry(
                "registry",
                lambda: self._registry.upsert_points(
                    building=meta.building.id,
                    gateway=update.gateway,
                    points=meta.point_infos(),
                    source="meta",
                ),
            )
        except (InvalidValue, StoreRejected) as exc:
            dead.append(DeadLetter(item.inbound, f"registry refused meta: {exc}", "registry"))

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
            self._retry("registry", partial(self._upsert_points, groups))
        except (InvalidValue, StoreRejected):
            for group in groups:
                try:
                    self._retry("registry", partial(self._upsert_points, [group]))
                except (InvalidValue, StoreRejected) as exc:
                    # The readings are still worth keeping; the point stays undescribed.
                    building, gateway, _ = group
                    logger.warning("registry refused points of %s/%s: %s", building, gateway, exc)

    def _upsert_points(self, groups: Sequence[tuple[str, str, list[PointInfo]]]) -> None:
        self._registry.upsert_point_groups(groups, source="telemetry")

    def _dead_letter(self, letter: DeadLetter) -> None:
        inbound = letter.inbound
        self._retry(
            "registry",
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

    def _write_readings(self, packs: Sequence[Pack]) -> tuple[list[Pack], list[DeadLetter]]:
        """Write the packs' readings; narrow a refusal down to the packs that cause it."""
        if not packs:
            return [], []
        readings = [reading for _, pack in packs for reading in pack.readings]
        started = time.monotonic()
        try:
            self._retry("store", lambda: self._store.write(readings))
        except StoreRejected as exc:
            if len(packs) == 1:
                inbound, pack = packs[0]
                letter = DeadLetter(inbound, f"store refused: {exc}", "store", pack.gateway)
                return [], [letter]
            middle = len(packs) // 2
            good_a, bad_a = self._write_readings(packs[:middle])
            good_b, bad_b = self._write_readings(packs[middle:])
            return good_a + good_b, bad_a + bad_b
        self._metrics.write_seconds.observe(time.monotonic() - started)
        return list(packs), []

    # -- accounting ---------------------------------------------------------------------------

    def _account(self, written: Sequence[Pack]) -> None:
        tallies = []
        for _, pack in written:
            days: Counter[tuple[str, int]] = Counter(
                (reading.point, reading.time_ms // MS_PER_DAY) for reading in pack.readings
            )
            tallies.append(
                PackTally(
                    building=pack.building,
                    gateway=pack.gateway,
                    seq=pack.seq,
                    readings={
                        (point, day_of(day * MS_PER_DAY)): count
                        for (point, day), count in days.items()
                    },
                )
            )
        if not tallies:
            return
        result = self._retry("registry", lambda: self._accounting.record(tallies))
        for row in result.gateways:
            key = (row.building, row.gateway)
            before = self._missing.get(key, 0)
            if row.missing > before:
                self._metrics.sequence_gaps.inc(row.missing - before)
            self._missing[key] = row.missing
            self._metrics.gateway_missing.labels(*key).set(row.missing)
            self._metrics.gateway_duplicates.labels(*key).set(row.duplicates)

    def _record_status(self, update: StatusUpdate) -> None:
        status = update.status
        reported_at = None if status.time is None else _utc(status.time)
        try:
            self._retry(
                "registry",
                lambda: self._accounting.record_status(
                    building=update.building,
                    gateway=update.gateway,
                    state=status.state,
                    spool_depth=status.spool_depth,
                    spool_dropped=status.spool_dropped,
                    reported_at=reported_at,
                ),
            )
        except (InvalidValue, StoreRejected) as exc:
            logger.warning("status of %s/%s not kept: %s", update.building, update.gateway, exc)
        labels = (update.building, update.gateway)
        self._metrics.gateway_online.labels(*labels).set(1 if status.state == "online" else 0)
        if status.spool_depth is not None:
            self._metrics.gateway_spool_depth.labels(*labels).set(status.spool_depth)
        if status.spool_dropped is not None:
            self._metrics.gateway_spool_dropped.labels(*labels).set(status.spool_dropped)


def _utc(time_s: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(time_s, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


__all__ = ["Aborted", "BatchWriter", "Durable", "Retrier"]
