"""Tells each gateway which of its packs are durable: the end-to-end acknowledgement.

A gateway keeps a pack in its disk spool until this acknowledgement covers it, and sends it
again when none comes (see :mod:`gateway.publisher`), so the broker only routes: a pack the
broker lost (a crash, a subscriber that was not ingest, a worker that died with it in flight)
comes again, and one stored twice is a repeat that the store and the accounting recognise.

The :class:`Acker` gets the ``(building, gateway, seq)`` of every pack the accountant has
counted (stored, or kept as a dead letter) and publishes them, as ranges
(:func:`byggpuls.wire.encode_ack`), on ``byggpuls/v1/{building}/ack/{gateway}``, QoS 1. Per
gateway it sends at most one message every ``interval_s`` (5 a second by default): the first
packs after a quiet spell go out at once, the rest of a busy spell are gathered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final

from byggpuls import topics, wire
from byggpuls.errors import ContractError
from byggpuls.mqtt import Session
from ingest.metrics import IngestMetrics

logger = logging.getLogger(__name__)

#: Shortest time between two acknowledgements to one gateway.
ACK_INTERVAL_S: Final = 0.2

#: ``(building, gateway, seq)`` of a durable pack.
Origin = tuple[str, str, int]


class Acker:
    """Gathers durable packs per gateway and acknowledges them; thread-safe.

    :meth:`run` is the loop of a thread of its own; :meth:`flush` sends what is due (all of
    it with ``everything``).
    """

    def __init__(
        self,
        session: Session,
        *,
        metrics: IngestMetrics,
        interval_s: float = ACK_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._metrics = metrics
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        #: Sequence numbers waiting to be acknowledged, per (building, gateway).
        self._pending: dict[tuple[str, str], set[int]] = {}
        #: When each gateway was last sent an acknowledgement.
        self._sent_s: dict[tuple[str, str], float] = {}

    @property
    def pending(self) -> int:
        """Packs durable and not acknowledged yet."""
        with self._lock:
            return sum(len(seqs) for seqs in self._pending.values())

    def add(self, origins: Iterable[Origin]) -> None:
        """Acknowledge these packs soon."""
        added = False
        with self._lock:
            for building, gateway, seq in origins:
                self._pending.setdefault((building, gateway), set()).add(seq)
                added = True
        if added:
            self._wake.set()

    def flush(self, *, everything: bool = False) -> float | None:
        """Send the acknowledgements that are due (``everything``: all of them); seconds until
        the next one is, ``None`` when nothing waits."""
        now = self._clock()
        due: list[tuple[tuple[str, str], set[int]]] = []
        next_in: float | None = None
        with self._lock:
            for key in list(self._pending):
                wait = self._sent_s.get(key, -self._interval_s) + self._interval_s - now
                if everything or wait <= 0:
                    due.append((key, self._pending.pop(key)))
                    self._sent_s[key] = now
                else:
                    next_in = wait if next_in is None else min(next_in, wait)
            # Gateways quiet for longer than the interval need no memory of their last send.
            for key in [k for k, sent in self._sent_s.items() if now - sent > self._interval_s]:
                if key not in self._pending:
                    del self._sent_s[key]
        for (building, gateway), seqs in due:
            self._send(building, gateway, seqs)
        return next_in

    def _send(self, building: str, gateway: str, seqs: set[int]) -> None:
        try:
            topic = topics.ack(building, gateway)
        except ContractError:  # both ids were checked on decode: a bug if it ever happens
            logger.exception("no acknowledgement topic for %r/%r", building, gateway)
            return
        for payload in wire.encode_ack(seqs):
            # QoS 1: kept by the broker for a gateway that is reconnecting. One lost anyway
            # costs a resend, which is a repeat, not new data.
            self._session.publish(topic, payload, qos=1)
            self._metrics.acks_published.inc()
        self._metrics.packs_acknowledged.inc(len(seqs))

    def run(self, stopping: threading.Event) -> None:
        """Send acknowledgements as they fall due until ``stopping``; then send the rest."""
        while not stopping.is_set():
            next_in = self.flush()
            self._wake.wait(self._interval_s if next_in is None else max(next_in, 0.001))
            self._wake.clear()
        self.flush(everything=True)


__all__ = ["ACK_INTERVAL_S", "Acker", "Origin"]
