"""Prometheus metrics of an ingest worker, the HTTP endpoint that serves them with /healthz and
/readyz, and the summary it logs every minute.

Each worker has a registry of its own (not prometheus_client's global one), so several workers
can live in one process (tests) and a scrape shows only this worker's figures. The help text of
each metric below is its documentation.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

logger = logging.getLogger(__name__)

_PREFIX = "byggpuls_ingest_"
SUMMARY_INTERVAL_S: Final = 60.0


class IngestMetrics:
    """The figures an operator watches: throughput, failures, backlog and gateway health."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages_received = Counter(
            f"{_PREFIX}messages_received",
            "MQTT messages received, by kind (telemetry, meta, status, invalid)",
            ["kind"],
            registry=r,
        )
        self.readings_written = Counter(
            f"{_PREFIX}readings_written", "Readings durably written to the store", registry=r
        )
        self.messages_acked = Counter(
            f"{_PREFIX}messages_acknowledged", "Messages acknowledged to the broker", registry=r
        )
        self.acks_dropped = Counter(
            f"{_PREFIX}acks_dropped",
            "Acknowledgements not sent because the connection changed (the broker redelivers)",
            registry=r,
        )
        self.acks_published = Counter(
            f"{_PREFIX}gateway_acks_published",
            "End-to-end acknowledgements published to gateways (each covers one or more packs)",
            registry=r,
        )
        self.packs_acknowledged = Counter(
            f"{_PREFIX}gateway_packs_acknowledged",
            "Packs acknowledged to their gateway as durable (stored, or kept as dead letters)",
            registry=r,
        )
        self.messages_shed = Counter(
            f"{_PREFIX}messages_shed",
            "Telemetry taken off the broker and dropped because the worker already held its "
            "bound of unacknowledged messages; the gateway resends it, as it is not acknowledged",
            registry=r,
        )
        self.dead_lettered = Counter(
            f"{_PREFIX}dead_lettered",
            "Messages kept in the dead-letter store, by stage (decode, store, registry)",
            ["stage"],
            registry=r,
        )
        self.retries = Counter(
            f"{_PREFIX}write_retries",
            "Retries of a failed write, by target (store, registry)",
            ["target"],
            registry=r,
        )
        self.batch_seconds = Histogram(
            f"{_PREFIX}batch_seconds",
            "From the first message of a batch received to the batch acknowledged",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.write_seconds = Histogram(
            f"{_PREFIX}write_seconds",
            "Writing one batch's readings to the store, retries included",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
            registry=r,
        )
        self.batch_readings = Histogram(
            f"{_PREFIX}batch_readings",
            "Readings per written batch",
            buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000),
            registry=r,
        )
        self.inflight = Gauge(
            f"{_PREFIX}inflight_messages",
            "Messages received and not yet acknowledged",
            registry=r,
        )
        self.inflight_max = Gauge(
            f"{_PREFIX}inflight_messages_max",
            "The most messages this worker has held unacknowledged at once since it started",
            registry=r,
        )
        self.held_bytes = Gauge(
            f"{_PREFIX}held_bytes",
            "Payload bytes of the messages received and not yet acknowledged",
            registry=r,
        )
        self.held_bytes_max = Gauge(
            f"{_PREFIX}held_bytes_max",
            "The most payload bytes this worker has held unacknowledged at once since it started "
            "(bounded by BYGGPULS_INGEST_MAX_HELD_MB)",
            registry=r,
        )
        self.oldest_unacked_age = Gauge(
            f"{_PREFIX}oldest_unacknowledged_age_seconds",
            "Age of the oldest message received and not yet acknowledged",
            registry=r,
        )
        self.gateway_missing = Gauge(
            f"{_PREFIX}gateway_missing_packs",
            "Packs missing between a gateway's lowest and highest sequence number",
            ["building", "gateway"],
            registry=r,
        )
        self.gateway_duplicates = Gauge(
            f"{_PREFIX}gateway_duplicate_packs",
            "Packs of a gateway received more than once (resent or redelivered)",
            ["building", "gateway"],
            registry=r,
        )
        self.sequence_gaps = Counter(
            f"{_PREFIX}sequence_gaps",
            "Increases of a gateway's missing packs seen by this worker",
            registry=r,
        )
        self.gateway_online = Gauge(
            f"{_PREFIX}gateway_online",
            "1 while a gateway's last status is online",
            ["building", "gateway"],
            registry=r,
        )
        self.gateway_spool_depth = Gauge(
            f"{_PREFIX}gateway_spool_depth",
            "Readings in a gateway's disk spool not yet acknowledged by ingest",
            ["building", "gateway"],
            registry=r,
        )
        self.gateway_unacked_packs = Gauge(
            f"{_PREFIX}gateway_unacknowledged_packs",
            "Packs a gateway has published and ingest has not acknowledged yet (its status)",
            ["building", "gateway"],
            registry=r,
        )
        self.gateway_oldest_unacked_age = Gauge(
            f"{_PREFIX}gateway_oldest_unacknowledged_age_seconds",
            "Age of a gateway's oldest published pack not acknowledged yet (its status)",
            ["building", "gateway"],
            registry=r,
        )
        self.gateway_spool_dropped = Gauge(
            f"{_PREFIX}gateway_spool_dropped",
            "Readings a gateway's spool dropped because it was full",
            ["building", "gateway"],
            registry=r,
        )
        self.broker_dropped = Gauge(
            f"{_PREFIX}broker_dropped_messages",
            "The broker's $SYS/broker/publish/messages/dropped: messages it dropped",
            registry=r,
        )
        self.broker_connected = Gauge(
            f"{_PREFIX}broker_connected", "1 while connected to the broker", registry=r
        )
        self.store_available = Gauge(
            f"{_PREFIX}store_available",
            "1 once a write to the reading store succeeded, 0 while one is being retried",
            registry=r,
        )
        self.registry_available = Gauge(
            f"{_PREFIX}registry_available",
            "1 once a call to the registry database succeeded, 0 while one is being retried",
            registry=r,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


HealthCheck = Callable[[], tuple[bool, dict[str, Any]]]


class MetricsServer:
    """``/metrics`` (Prometheus text format), ``/healthz`` and ``/readyz`` (200 or 503, JSON).

    ``/healthz`` fails once the broker, the store or the registry has been unreachable longer
    than the threshold (restart me); ``/readyz`` until the worker is subscribed and the store
    and the registry answer (do not send me traffic yet). :mod:`ingest.health` answers both.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        metrics: IngestMetrics,
        health: HealthCheck,
        ready: HealthCheck,
    ) -> None:
        self._metrics = metrics
        self._health = health
        handler = _handler(metrics, {"/healthz": health, "/readyz": ready})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="ingest-metrics", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


def _handler(
    metrics: IngestMetrics, checks: dict[str, HealthCheck]
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, metrics.render())
            elif path in checks:
                healthy, detail = checks[path]()
                body = json.dumps({"status": "ok" if healthy else "failing", **detail})
                self._send(200 if healthy else 503, "application/json", body.encode())
            else:
                self._send(404, "text/plain", b"not found: try /metrics, /healthz or /readyz\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Scrapes every few seconds would drown the log.
            return

    return Handler


class SummaryLog:
    """Logs the worker's totals every minute, for whoever reads logs rather than metrics."""

    def __init__(
        self,
        metrics: IngestMetrics,
        *,
        inflight: Callable[[], int],
        points_cached: Callable[[], int],
        start_s: float,
    ) -> None:
        self._metrics = metrics
        self._inflight = inflight
        self._points_cached = points_cached
        self._next_s = start_s + SUMMARY_INTERVAL_S

    def tick(self, now_s: float) -> None:
        """Log the summary if it is time to."""
        if now_s < self._next_s:
            return
        self._next_s = now_s + SUMMARY_INTERVAL_S
        m = self._metrics
        logger.info(
            "ingest summary",
            extra={
                "messages_received": _total(m.messages_received),
                "readings_written": _total(m.readings_written),
                "dead_lettered": _total(m.dead_lettered),
                "retries": _total(m.retries),
                "inflight": self._inflight(),
                "points_cached": self._points_cached(),
            },
        )


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
