"""Counts a durable batch and acknowledges it: the last stage of the pipeline.

The :class:`Accountant` records what the batch's packs mean for completeness (sequence numbers,
readings per point and day) and its gateways' status in the registry, and only then
acknowledges its packs to their gateways (:mod:`ingest.acker`: stored ones, repeats and dead
letters alike, so that no gateway resends what is durable) and its messages to the broker, in
the order they arrived. A stage of its own, in a thread of its
own, so that the registry's round trips overlap the next write to the store. The
:class:`ReceiptPruner` forgets pack receipts once they are too old to matter for duplicates.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from byggpuls.errors import StoreRejected
from byggpuls.registry import InvalidValue
from byggpuls.registry.accounting import Accounting, PackTally, readings_per_day
from ingest.acker import Origin
from ingest.decode import Rejected, StatusUpdate, TelemetryPack
from ingest.metrics import IngestMetrics
from ingest.retry import Retrier
from ingest.subscriber import Inbound
from ingest.writer import Durable, Pack

logger = logging.getLogger(__name__)

#: After start, the first pruning waits this long; then one follows every PRUNE_INTERVAL_S.
PRUNE_FIRST_AFTER_S: Final = 60.0
PRUNE_INTERVAL_S: Final = 3600.0

AckBatch = Callable[[Sequence[Inbound]], None]
#: Tells gateways that these ``(building, gateway, seq)`` are durable.
AckPacks = Callable[[Iterable[Origin]], None]


class Accountant:
    """Counts durable batches, then acknowledges them; used by one thread."""

    def __init__(
        self,
        *,
        accounting: Accounting,
        metrics: IngestMetrics,
        retry: Retrier,
        ack: AckBatch,
        ack_packs: AckPacks,
    ) -> None:
        self._accounting = accounting
        self._metrics = metrics
        self._retry = retry
        self._ack = ack
        self._ack_packs = ack_packs
        #: Missing packs per gateway after the last batch, to count new gaps.
        self._missing: dict[tuple[str, str], int] = {}

    def account(self, durable: Durable) -> None:
        """Count a stored batch (accounting, gateway status), then acknowledge it in order.

        Raises :class:`~ingest.retry.Aborted` when shutting down before it was counted (then
        nothing of it is acknowledged, and the broker delivers it again).
        """
        batch = durable.batch
        self._tally(durable.written)
        durable_packs: list[Origin] = []
        for item in batch.items:
            decoded = item.decoded
            if isinstance(decoded, StatusUpdate):
                self._record_status(decoded)
            elif isinstance(decoded, TelemetryPack):
                # Written, or (refused by the store) a dead letter: durable either way.
                durable_packs.append((decoded.building, decoded.gateway, decoded.seq))
            elif isinstance(decoded, Rejected) and decoded.origin is not None:
                durable_packs.append(decoded.origin)
        self._ack_packs(durable_packs)
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

    def _tally(self, written: Sequence[Pack]) -> None:
        tallies = []
        for _, pack in written:
            tallies.append(
                PackTally(
                    building=pack.building,
                    gateway=pack.gateway,
                    seq=pack.seq,
                    readings=readings_per_day(
                        (reading.point, reading.time_ms) for reading in pack.readings
                    ),
                )
            )
        if not tallies:
            return
        result = self._retry(lambda: self._accounting.record(tallies))
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
        detail = status.detail or {}
        for key, gauge in (
            ("unacked_packs", self._metrics.gateway_unacked_packs),
            ("oldest_unacked_age_s", self._metrics.gateway_oldest_unacked_age),
        ):
            value = detail.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                gauge.labels(*labels).set(value)


class ReceiptPruner:
    """Prunes pack receipts older than ``retention_days`` once an hour, so the table stays small.

    A pack repeated after its receipt was pruned is counted again (see the retention setting).
    """

    def __init__(self, accounting: Accounting, *, retention_days: float, start_s: float) -> None:
        self._accounting = accounting
        self._retention = timedelta(days=retention_days)
        self._next_s = start_s + PRUNE_FIRST_AFTER_S

    def tick(self, now_s: float) -> None:
        """Prune if it is time to."""
        if now_s < self._next_s:
            return
        self._next_s = now_s + PRUNE_INTERVAL_S
        self.prune()

    def prune(self) -> int:
        """Forget the receipts older than the retention; how many. Failing only logs: the
        next hour tries again."""
        try:
            pruned = self._accounting.prune_receipts(before=datetime.now(UTC) - self._retention)
        except Exception as exc:
            logger.warning("pruning pack receipts failed: %s", exc)
            return 0
        if pruned:
            logger.info("pruned %d pack receipts", pruned, extra={"pruned": pruned})
        return pruned


def _utc(time_s: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(time_s, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


__all__ = ["Accountant", "AckBatch", "AckPacks", "ReceiptPruner"]
