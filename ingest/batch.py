"""Batches: received messages, in the order they arrived, with what they decoded to.

Every message joins a batch, also a birth, a status or a dead letter, because acknowledgements
go out in the order the messages came in, and only once the whole batch is durable. The
:class:`Batcher` decodes what the subscriber queued and closes a batch when its
:class:`ClosePolicy` says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from ingest.decode import Decoded, Decoder, Rejected, TelemetryPack, kind_of
from ingest.metrics import IngestMetrics
from ingest.retry import Aborted
from ingest.settings import IngestSettings
from ingest.subscriber import Inbound

logger = logging.getLogger(__name__)

#: How long the batcher waits for a first message before it looks whether to stop.
IDLE_POLL_S: Final = 0.2


@dataclass(frozen=True, slots=True)
class Item:
    inbound: Inbound
    decoded: Decoded


@dataclass(slots=True)
class Batch:
    """Messages whose readings are written together and then acknowledged together."""

    items: list[Item] = field(default_factory=list)
    readings: int = 0
    #: When the batch took its first message (monotonic). Not when that was received: after a
    #: stall (a slow write) the queue is full of old messages that should fill batches.
    started_s: float = 0.0

    def add(self, item: Item) -> None:
        if not self.items:
            self.started_s = time.monotonic()
        self.items.append(item)
        if isinstance(item.decoded, TelemetryPack):
            self.readings += len(item.decoded.readings)

    @property
    def opened_s(self) -> float:
        """When the oldest message of the batch was received (monotonic)."""
        return self.items[0].inbound.received_s

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class ClosePolicy:
    """When a batch is closed and written.

    At ``max_readings`` readings; at ``max_messages`` messages, so that a batch is written
    while the next fills also when packs are small; or ``max_wait_s`` after it started, which
    bounds the delay from the gateway to the store when traffic is light.
    """

    max_readings: int
    max_messages: int
    max_wait_s: float

    @classmethod
    def for_settings(cls, settings: IngestSettings) -> ClosePolicy:
        return cls(
            max_readings=settings.ingest_batch_size,
            max_messages=settings.max_messages_per_batch,
            max_wait_s=settings.ingest_batch_max_wait_ms / 1000.0,
        )

    def closes(self, batch: Batch, *, now_s: float) -> bool:
        """Whether ``batch`` is to be written at ``now_s`` (monotonic)."""
        return bool(batch.items) and (
            batch.readings >= self.max_readings
            or len(batch) >= self.max_messages
            or now_s >= self.deadline_s(batch)
        )

    def deadline_s(self, batch: Batch) -> float:
        """When ``batch`` is closed at the latest (monotonic)."""
        return batch.started_s + self.max_wait_s


class Batcher:
    """Decodes the messages the subscriber queued, in order, into closed batches; one thread."""

    def __init__(
        self,
        *,
        inbound: queue.SimpleQueue[Inbound],
        decoder: Decoder,
        policy: ClosePolicy,
        metrics: IngestMetrics,
    ) -> None:
        self._inbound = inbound
        self._decoder = decoder
        self._policy = policy
        self._metrics = metrics

    def batches(self, stopping: threading.Event) -> Iterator[Batch]:
        """Closed batches, until ``stopping`` is set.

        What is still in the open batch or the queue then stays unacknowledged and comes again.
        Raises :class:`~ingest.retry.Aborted` when shutting down while the registry is retried.
        """
        policy = self._policy
        batch = Batch()
        while not stopping.is_set():
            timeout = (
                max(policy.deadline_s(batch) - time.monotonic(), 0.0)
                if batch.items
                else IDLE_POLL_S
            )
            try:
                inbound = self._inbound.get(timeout=timeout)
            except queue.Empty:
                pass
            else:
                decoded = self._decode(inbound)
                self._metrics.messages_received.labels(kind_of(decoded)).inc()
                batch.add(Item(inbound, decoded))
            if policy.closes(batch, now_s=time.monotonic()):
                yield batch
                batch = Batch()

    def _decode(self, inbound: Inbound) -> Decoded:
        if inbound.topic_error is not None:
            return Rejected(reason=inbound.topic_error)
        try:
            return self._decoder.decode(inbound.topic, inbound.payload)
        except Aborted:
            raise
        except Exception as exc:
            # A bug must not stop the service: keep the message, say what went wrong.
            logger.exception("decoding a message on %s failed", inbound.topic[:200])
            return Rejected(reason=f"internal error while decoding: {exc!r}"[:1000])
