"""An ingest worker: MQTT -> decode -> batch -> durable write -> count and acknowledge.

Threads, and what flows between them::

    mqtt (paho) -inbound-> batcher -batches (2)-> writer -durable (2)-> accountant -acks-> mqtt
                                                                             |
                                                                  acker -gateway acks-> mqtt
                                                                        monitor, http

- :mod:`ingest.subscriber` (the MQTT thread) queues what arrives; the broker bounds how much
  is outstanding, since nothing is acknowledged before it is stored.
- :mod:`ingest.batch` decodes (:mod:`ingest.decode`) and closes batches by its policy.
- :mod:`ingest.writer` makes a batch durable: births and new points, readings, dead letters.
- :mod:`ingest.accountant` counts it and acknowledges its messages in the order they arrived.
- :mod:`ingest.acker` tells each gateway which of its packs are now durable, a few times a
  second at most: only that lets a gateway delete a pack from its spool.
- The queues between the stages hold two batches each: decoding goes on while a write is under
  way, and a slow store holds the batcher back, then the broker.
- The monitor ticks, once a second, what watches the worker: :mod:`ingest.health`, the
  subscriber's backlog gauges, the summary log and the receipt pruner.

This module only runs that: the composition root (``cli.bootstrap.build_ingest``) builds the
adapters it is given.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Final, Protocol, TypeVar

from prometheus_client import Gauge

from byggpuls.mqtt import Session
from byggpuls.registry import Registry
from byggpuls.registry.accounting import Accounting
from byggpuls.storage.port import ReadingWriter
from ingest.accountant import Accountant, ReceiptPruner
from ingest.acker import Acker
from ingest.batch import Batch, Batcher, ClosePolicy
from ingest.decode import Decoder, PointCache
from ingest.health import Health, Outage
from ingest.metrics import IngestMetrics, MetricsServer, SummaryLog
from ingest.retry import Aborted, Retrier
from ingest.settings import IngestSettings
from ingest.subscriber import Subscriber
from ingest.writer import BatchWriter, Durable

logger = logging.getLogger(__name__)

BATCH_QUEUE_DEPTH: Final = 2
MONITOR_INTERVAL_S: Final = 1.0
#: How often a stage waiting for work, or to hand it on, looks whether the worker gave up.
QUEUE_POLL_S: Final = 0.2

T = TypeVar("T")


class Periodic(Protocol):
    """What the monitor thread runs once a second."""

    def tick(self, now_s: float) -> None: ...


class IngestService:
    """One ingest worker. :meth:`start`, then :meth:`stop` (or wait for :attr:`failed`)."""

    def __init__(
        self,
        settings: IngestSettings,
        *,
        store: ReadingWriter,
        registry: Registry,
        accounting: Accounting,
        subscriber: Subscriber,
        metrics: IngestMetrics,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.subscriber = subscriber
        self._stopping = threading.Event()
        #: Set once the worker gives up what it has not written: retries and hand-overs stop.
        self._abort = threading.Event()
        self._batches: queue.Queue[Batch | None] = queue.Queue(maxsize=BATCH_QUEUE_DEPTH)
        self._durable: queue.Queue[Durable | None] = queue.Queue(maxsize=BATCH_QUEUE_DEPTH)
        self.health = Health(
            settings, subscriber=subscriber, store=store, registry=registry, metrics=metrics
        )
        store_retry = self._retrier("store", self.health.store_outage, metrics.store_available)
        registry_retry = self._retrier(
            "registry", self.health.registry_outage, metrics.registry_available
        )
        cache = PointCache(
            lambda building: registry_retry(partial(registry.point_quantities, building))
        )
        self._batcher = Batcher(
            inbound=subscriber.inbound,
            decoder=Decoder(
                cache,
                counted_seq=lambda: {
                    (row.building, row.gateway): row.last_seq
                    for row in registry_retry(accounting.gateway_sequences)
                },
            ),
            policy=ClosePolicy.for_settings(settings),
            metrics=metrics,
        )
        self._writer = BatchWriter(
            store=store,
            registry=registry,
            metrics=metrics,
            store_retry=store_retry,
            registry_retry=registry_retry,
        )
        self._acker = Acker(subscriber.session, metrics=metrics)
        self._accountant = Accountant(
            accounting=accounting,
            metrics=metrics,
            retry=registry_retry,
            ack=subscriber.ack,
            ack_packs=self._acker.add,
        )
        self._acker_stop = threading.Event()
        self._acker_thread: threading.Thread | None = None
        now_s = time.monotonic()
        self._periodic: list[Periodic] = [
            subscriber,
            self.health,
            SummaryLog(
                metrics,
                inflight=lambda: subscriber.inflight,
                points_cached=lambda: len(cache),
                start_s=now_s,
            ),
            ReceiptPruner(
                accounting, retention_days=settings.ingest_receipt_retention_days, start_s=now_s
            ),
        ]
        self._http: MetricsServer | None = None
        #: The batcher, writer and accountant threads, in data order.
        self._pipeline: list[threading.Thread] = []
        self._monitor: threading.Thread | None = None

    def _retrier(self, target: str, outage: Outage, available: Gauge) -> Retrier:
        return Retrier(
            target,
            max_s=self.settings.ingest_retry_max_s,
            abort=self._abort,
            outage=outage,
            retries=self.metrics.retries.labels(target),
            available=available,
        )

    @property
    def session(self) -> Session:
        """The worker's MQTT connection."""
        return self.subscriber.session

    @property
    def failed(self) -> threading.Event:
        """Set when the worker cannot go on; :attr:`error` says why."""
        return self.health.failed

    @property
    def error(self) -> str | None:
        return self.health.error

    @property
    def wrong_setting(self) -> bool:
        """Whether :attr:`error` names a setting to change (a broker that ignores ``$share``)."""
        return self.health.wrong_setting

    @property
    def metrics_port(self) -> int:
        return 0 if self._http is None else self._http.port

    def wait_ready(self, timeout_s: float) -> bool:
        """Block until the worker takes telemetry (or ``timeout_s``); whether it does."""
        return self.health.wait_ready(timeout_s)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve metrics, start the threads and connect to the broker."""
        s = self.settings
        self._http = MetricsServer(
            host=s.ingest_metrics_host,
            port=s.ingest_metrics_port,
            metrics=self.metrics,
            health=self.health.health,
            ready=self.health.ready,
        )
        self._http.start()
        self.health.broker_outage.down()
        self._pipeline = [
            self._thread("ingest-batcher", self._batch_loop),
            self._thread("ingest-writer", self._write_loop),
            self._thread("ingest-accountant", self._account_loop),
        ]
        self._acker_stop.clear()
        self._acker_thread = self._thread("ingest-acker", self._acker_loop)
        self._monitor = self._thread("ingest-monitor", self._monitor_loop)
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

    @staticmethod
    def _thread(name: str, target: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        """Write what was received for up to the grace period, then disconnect.

        What is not written by then is not acknowledged, so the broker delivers it again.
        """
        self._stopping.set()
        deadline = time.monotonic() + self.settings.ingest_shutdown_grace_s
        for thread in self._pipeline:
            thread.join(max(deadline - time.monotonic(), 0.0))
        if any(thread.is_alive() for thread in self._pipeline):
            logger.warning("giving up writing at shutdown; the broker will redeliver")
        self._abort.set()
        for thread in self._pipeline:
            thread.join()
        if self._monitor is not None:
            self._monitor.join()
        # After the accountant: what it counted last is acknowledged to its gateways too.
        self._acker_stop.set()
        if self._acker_thread is not None:
            self._acker_thread.join()
            self._acker_thread = None
        self.session.stop()
        if self._http is not None:
            self._http.stop()
        self._pipeline = []
        self._monitor = None
        logger.info("ingest worker %s stopped", self.settings.ingest_client_id)

    def _fail(self, message: str) -> None:
        self.health.fail(message)
        self._stopping.set()

    # -- the stages' threads --------------------------------------------------------------------

    def _batch_loop(self) -> None:
        def work() -> None:
            for batch in self._batcher.batches(self._stopping):
                self._put(self._batches, batch)

        self._run(
            "batcher",
            work,
            given_up="stopped while decoding; nothing of it was acknowledged",
            downstream=self._batches,
        )

    def _write_loop(self) -> None:
        def work() -> None:
            for batch in self._take(self._batches):
                self._put(self._durable, self._writer.write(batch))

        self._run(
            "writer",
            work,
            given_up="stopped before a batch was durable; it was not acknowledged",
            downstream=self._durable,
        )

    def _account_loop(self) -> None:
        def work() -> None:
            for durable in self._take(self._durable):
                self._accountant.account(durable)

        self._run(
            "accountant",
            work,
            given_up="stopped before a batch was counted; it was not acknowledged",
            downstream=None,
        )

    def _acker_loop(self) -> None:
        try:
            self._acker.run(self._acker_stop)
        except Exception as exc:
            logger.exception("acker failed")
            self._fail(f"acker failed: {exc}")

    def _run(
        self,
        stage: str,
        work: Callable[[], None],
        *,
        given_up: str,
        downstream: queue.Queue[Any] | None,
    ) -> None:
        """Run a stage's ``work`` until it is done; however it ends, tell the next stage."""
        try:
            work()
        except Aborted:
            logger.info(given_up)
        except Exception as exc:
            logger.exception("%s failed", stage)
            self._fail(f"{stage} failed: {exc}")
        finally:
            if downstream is not None:
                self._put(downstream, None)

    def _take(self, source: queue.Queue[T | None]) -> Iterator[T]:
        """What the stage before hands on, until it is done or the worker gives up."""
        while not self._abort.is_set():
            try:
                value = source.get(timeout=QUEUE_POLL_S)
            except queue.Empty:
                continue
            if value is None:
                return
            yield value

    def _put(self, into: queue.Queue[Any], value: Any) -> None:
        """Hand ``value`` on to the next stage, unless the worker gives up first."""
        while not self._abort.is_set():
            try:
                into.put(value, timeout=QUEUE_POLL_S)
                return
            except queue.Full:
                continue

    def _monitor_loop(self) -> None:
        while not self._abort.wait(MONITOR_INTERVAL_S):
            fatal = self.session.fatal_error
            if fatal is not None and not self.failed.is_set():
                self._fail(fatal)
            now_s = time.monotonic()
            for periodic in self._periodic:
                periodic.tick(now_s)


__all__ = ["IngestService"]
