"""An ingest worker: MQTT -> decode -> batch -> durable write -> acknowledge.

Threads, and what flows between them::

    mqtt (paho) -inbound-> decoder -batches (2)-> writer -durable (2)-> accountant -acks-> mqtt
                                                                       monitor, http

- The MQTT thread (:mod:`ingest.subscriber`) queues what arrives; the broker bounds how much
  is outstanding, since nothing is acknowledged before it is stored.
- The decoder decodes, resolves points and closes a batch at ``batch_size`` readings, a quarter
  of the in-flight window in messages, or ``batch_max_wait_ms`` after its first message.
- The writer makes a batch durable: births and new points, readings, dead letters.
- The accountant counts it (sequence numbers, readings per point and day, gateway status) and
  acknowledges its messages in the order they arrived. A stage of its own, so the registry's
  round trips overlap the next write to the store.
- The queues between the stages hold two batches each: decoding goes on while a write is under
  way, and a slow store holds the decoder back, then the broker.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from prometheus_client import Counter

from byggpuls.registry.accounting import Accounting
from byggpuls.registry.repository import Registry
from byggpuls.storage.port import ReadingWriter
from cli.bootstrap import open_registry_engine, open_store
from ingest.batch import Batch, Inbound, Item
from ingest.decode import (
    Decoded,
    Decoder,
    Ignored,
    MetaUpdate,
    PointCache,
    Rejected,
    StatusUpdate,
    TelemetryPack,
)
from ingest.metrics import IngestMetrics, MetricsServer, Outage
from ingest.settings import IngestSettings
from ingest.subscriber import BROKER_DROPPED_TOPIC, Subscriber
from ingest.writer import Aborted, BatchWriter, Durable, Retrier

logger = logging.getLogger(__name__)

BATCH_QUEUE_DEPTH: Final = 2
MONITOR_INTERVAL_S: Final = 1.0
SUMMARY_INTERVAL_S: Final = 60.0
PRUNE_INTERVAL_S: Final = 3600.0


def _kind(decoded: Decoded) -> str:
    if isinstance(decoded, TelemetryPack):
        return "telemetry"
    if isinstance(decoded, MetaUpdate):
        return "meta"
    if isinstance(decoded, StatusUpdate):
        return "status"
    if isinstance(decoded, Ignored):
        return "ignored"
    return "invalid"


def _total(counter: Counter) -> float:
    """A counter's value summed over its labels."""
    return float(
        sum(
            sample.value
            for metric in counter.collect()
            for sample in metric.samples
            if sample.name.endswith("_total")
        )
    )


class IngestService:
    """One ingest worker. :meth:`start`, then :meth:`stop` (or wait for :attr:`failed`)."""

    def __init__(
        self,
        settings: IngestSettings,
        *,
        store: ReadingWriter,
        registry: Registry,
        accounting: Accounting,
        metrics: IngestMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or IngestMetrics()
        self._store = store
        self._registry = registry
        self._accounting = accounting
        #: Set when the worker cannot go on (refused credentials, a bug); see :attr:`error`.
        self.failed = threading.Event()
        self.error: str | None = None
        self._stopping = threading.Event()
        self._abort = threading.Event()
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=BATCH_QUEUE_DEPTH)
        self._durable: queue.Queue[Durable | None] = queue.Queue(maxsize=BATCH_QUEUE_DEPTH)
        self.broker_outage = Outage()
        self.store_outage = Outage()
        self._last_write_s = time.monotonic()
        self._retry = Retrier(
            max_s=settings.ingest_retry_max_s,
            abort=self._abort,
            metrics=self.metrics,
            outage=self.store_outage,
        )
        self.subscriber = Subscriber(settings, metrics=self.metrics)
        #: The worker's MQTT connection.
        self.session = self.subscriber.session
        self._cache = PointCache(self._load_points)
        self._decoder = Decoder(self._cache)
        self._writer = BatchWriter(
            store=store,
            registry=registry,
            accounting=accounting,
            metrics=self.metrics,
            retry=self._retry,
            ack=self.subscriber.ack,
        )
        self._http: MetricsServer | None = None
        self._threads: list[threading.Thread] = []
        self._resources: list[Callable[[], None]] = []

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> IngestService:
        """A worker on the store and registry ``settings`` name (migrated); :meth:`close` them."""
        store = open_store(settings)
        try:
            engine = open_registry_engine(settings)
        except BaseException:
            store.close()
            raise
        service = cls(
            settings, store=store, registry=Registry(engine), accounting=Accounting(engine)
        )
        service._resources = [store.close, engine.dispose]
        return service

    def close(self) -> None:
        """Release what :meth:`from_settings` opened."""
        for release in self._resources:
            release()
        self._resources = []

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve metrics, start the threads and connect to the broker."""
        s = self.settings
        self._http = MetricsServer(
            host=s.ingest_metrics_host,
            port=s.ingest_metrics_port,
            metrics=self.metrics,
            health=self.health,
            ready=self.ready,
        )
        self._http.start()
        self.broker_outage.down()
        for name, target in (
            ("ingest-decoder", self._decode_loop),
            ("ingest-writer", self._write_loop),
            ("ingest-accountant", self._finish_loop),
            ("ingest-monitor", self._monitor_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self.session.start()
        logger.info(
            "ingest worker %s started; metrics on http://%s:%d/metrics",
            s.ingest_client_id,
            s.ingest_metrics_host,
            self.metrics_port,
            extra={
                "client_id": s.ingest_client_id,
                "batch_size": s.ingest_batch_size,
                "batch_max_wait_ms": s.ingest_batch_max_wait_ms,
                "receive_maximum": s.ingest_receive_maximum,
                "shared": s.ingest_shared_subscription,
            },
        )

    @property
    def metrics_port(self) -> int:
        return 0 if self._http is None else self._http.port

    def stop(self) -> None:
        """Write what was received for up to the grace period, then disconnect.

        What is not written by then is not acknowledged, so the broker delivers it again.
        """
        self._stopping.set()
        decoder, writer, accountant, monitor = self._threads or (None, None, None, None)
        if decoder is not None:
            decoder.join()
        if writer is not None and accountant is not None:
            deadline = time.monotonic() + self.settings.ingest_shutdown_grace_s
            writer.join(self.settings.ingest_shutdown_grace_s)
            accountant.join(max(deadline - time.monotonic(), 0.0))
            if accountant.is_alive():
                logger.warning("giving up writing at shutdown; the broker will redeliver")
            self._abort.set()
            writer.join()
            accountant.join()
        self._abort.set()
        if monitor is not None:
            monitor.join()
        self.session.stop()
        if self._http is not None:
            self._http.stop()
        self._threads = []
        logger.info("ingest worker %s stopped", self.settings.ingest_client_id)

    def _fail(self, message: str) -> None:
        self.error = message
        self.failed.set()
        self._stopping.set()

    # -- decoder thread -------------------------------------------------------------------------

    def _decode_loop(self) -> None:
        try:
            self._decode_until_stopped()
        except Aborted:
            pass
        except Exception as exc:
            logger.exception("decoder failed")
            self._fail(f"decoder failed: {exc!r}")
        finally:
            self._put_batch(None)

    def _decode_until_stopped(self) -> None:
        s = self.settings
        max_wait_s = s.ingest_batch_max_wait_ms / 1000.0
        max_messages = s.max_messages_per_batch
        batch = Batch()
        # From when the batch took its first message, not from when that was received: after
        # a stall (a slow write) the queue is full of old messages that should fill batches.
        deadline = 0.0
        while not self._stopping.is_set():
            timeout = max(deadline - time.monotonic(), 0.0) if batch.items else 0.2
            try:
                inbound = self.subscriber.inbound.get(timeout=timeout)
            except queue.Empty:
                inbound = None
            if inbound is not None:
                decoded = self._decode(inbound)
                self.metrics.messages_received.labels(_kind(decoded)).inc()
                if not batch.items:
                    deadline = time.monotonic() + max_wait_s
                batch.add(Item(inbound, decoded))
            if batch.items and (
                batch.readings >= s.ingest_batch_size
                or len(batch) >= max_messages
                or time.monotonic() >= deadline
            ):
                self._put_batch(batch)
                batch = Batch()
        # Anything still in the batch or the queue stays unacknowledged and comes again.

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

    def _put_batch(self, batch: Batch | None) -> None:
        self._put(self._batches, batch)

    def _put(self, into: queue.Queue[Any], value: Any) -> None:
        while True:
            try:
                into.put(value, timeout=0.2)
                return
            except queue.Full:
                if self._abort.is_set():
                    return

    def _load_points(self, building: str) -> list[tuple[str, str, str | None]]:
        return self._retry("registry", lambda: self._registry.point_quantities(building))

    # -- writer thread --------------------------------------------------------------------------

    def _write_loop(self) -> None:
        try:
            while True:
                batch = self._batches.get()
                if batch is None:
                    return
                self._last_write_s = time.monotonic()
                self._put(self._durable, self._writer.write(batch))
        except Aborted:
            logger.info("stopped before a batch was durable; it was not acknowledged")
        except Exception as exc:
            logger.exception("writer failed")
            self._fail(f"writer failed: {exc}")
        finally:
            self._put(self._durable, None)

    def _finish_loop(self) -> None:
        try:
            while True:
                durable = self._durable.get()
                if durable is None:
                    return
                self._writer.finish(durable)
        except Aborted:
            logger.info("stopped before a batch was counted; it was not acknowledged")
        except Exception as exc:
            logger.exception("accounting failed")
            self._fail(f"accounting failed: {exc}")

    # -- monitor thread -------------------------------------------------------------------------

    def _monitor_loop(self) -> None:
        next_summary = time.monotonic() + SUMMARY_INTERVAL_S
        next_prune = time.monotonic() + 60.0
        while not self._abort.wait(MONITOR_INTERVAL_S):
            if self.session.fatal_error is not None and not self.failed.is_set():
                self._fail(self.session.fatal_error)
            connected = self.session.connected
            self.metrics.broker_connected.set(1 if connected else 0)
            if connected:
                self.broker_outage.up()
            else:
                self.broker_outage.down()
            self.metrics.inflight.set(self.subscriber.inflight)
            self.metrics.oldest_unacked_age.set(self.subscriber.oldest_unacked_age_s())
            self._probe_store()
            now = time.monotonic()
            if now >= next_summary:
                next_summary = now + SUMMARY_INTERVAL_S
                self._log_summary()
            if now >= next_prune:
                next_prune = now + PRUNE_INTERVAL_S
                self._prune()

    def _probe_store(self) -> None:
        """When idle, ask the store whether it answers, so /healthz knows without traffic."""
        ping = getattr(self._store, "ping", None)
        idle_s = time.monotonic() - self._last_write_s
        if ping is None or idle_s < self.settings.ingest_health_threshold_s / 2:
            return
        self._last_write_s = started = time.monotonic()
        try:
            ping()
        except Exception as exc:  # the store's own errors, translated or not
            self.store_outage.down(seen_at=started)
            logger.warning("store does not answer: %s", exc)
        else:
            self.store_outage.up()

    def _log_summary(self) -> None:
        m = self.metrics
        logger.info(
            "ingest summary",
            extra={
                "messages_received": _total(m.messages_received),
                "readings_written": _total(m.readings_written),
                "dead_lettered": _total(m.dead_lettered),
                "retries": _total(m.retries),
                "inflight": self.subscriber.inflight,
                "points_cached": len(self._cache),
            },
        )

    def _prune(self) -> None:
        retention = timedelta(days=self.settings.ingest_receipt_retention_days)
        try:
            pruned = self._accounting.prune_receipts(before=datetime.now(UTC) - retention)
        except Exception as exc:
            logger.warning("pruning pack receipts failed: %s", exc)
            return
        if pruned:
            logger.info("pruned %d pack receipts", pruned, extra={"pruned": pruned})

    # -- health ---------------------------------------------------------------------------------

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until :meth:`ready` (or ``timeout_s``); whether it is."""
        deadline = time.monotonic() + timeout_s
        while not self.ready()[0]:
            if time.monotonic() > deadline or self.failed.is_set():
                return False
            time.sleep(0.02)
        return True

    def ready(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker takes telemetry now: subscribed, and the store answering.

        Unlike :meth:`health`, which tolerates short outages, this is what to wait for before
        sending a worker traffic (a gateway, a test, the demo).
        """
        subscribed = self.subscriber.subscribed
        store_up = self.store_outage.since is None
        problems = []
        if not subscribed:
            problems.append("not subscribed yet")
        if not store_up:
            problems.append("store unreachable")
        return not problems, {"subscribed": subscribed, "problems": problems}

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Whether the worker is healthy, and why not."""
        threshold = self.settings.ingest_health_threshold_s
        broker_s = self.broker_outage.seconds()
        store_s = self.store_outage.seconds()
        problems = []
        if self.error is not None:
            problems.append(self.error)
        if broker_s > threshold:
            problems.append(f"broker unreachable for {broker_s:.0f} s")
        if store_s > threshold:
            problems.append(f"store unreachable for {store_s:.0f} s")
        detail = {
            "broker_connected": self.session.connected,
            "broker_down_s": round(broker_s, 1),
            "store_down_s": round(store_s, 1),
            "inflight": self.subscriber.inflight,
            "problems": problems,
        }
        return not problems, detail


__all__ = ["BROKER_DROPPED_TOPIC", "IngestService"]
