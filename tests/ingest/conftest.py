"""Ingest fixtures: a worker's settings, its metrics, a subscriber not yet connected, a reading
store, a registry database nobody answers for, and factories of retriers and messages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from byggpuls.mqtt import MqttSession
from byggpuls.storage.sqlite import SQLiteStore
from ingest.health import Outage
from ingest.metrics import IngestMetrics
from ingest.retry import Retrier
from ingest.settings import IngestSettings
from ingest.subscriber import Inbound, Subscriber
from sandbox.servers import free_port


@pytest.fixture
def settings(tmp_path: Path) -> IngestSettings:
    """A worker's settings; nothing listens at its broker's address."""
    return IngestSettings(
        mqtt_url=f"mqtt://127.0.0.1:{free_port()}",
        data_dir=tmp_path,
        ingest_client_id="ingest-unit",
        ingest_metrics_port=0,
        ingest_retry_max_s=0.01,
    )


@pytest.fixture
def metrics() -> IngestMetrics:
    return IngestMetrics()


@pytest.fixture
def subscriber(settings: IngestSettings, metrics: IngestMetrics) -> Subscriber:
    """A subscriber on a session that is never started: not connected, not subscribed."""
    session = MqttSession(
        settings=settings,
        client_id=settings.ingest_client_id,
        manual_ack=True,
        receive_maximum=settings.ingest_receive_maximum,
    )
    return Subscriber(settings, session=session, metrics=metrics)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """An embedded reading store of the test's own."""
    store = SQLiteStore(tmp_path / "readings.sqlite3")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def unreachable_engine() -> Iterator[Engine]:
    """An Engine on a PostgreSQL address nothing listens at: every call fails transiently."""
    engine = sa.create_engine(f"postgresql+psycopg://root@127.0.0.1:{free_port()}/test")
    try:
        yield engine
    finally:
        engine.dispose()


def retrier(
    target: str,
    metrics: IngestMetrics,
    *,
    outage: Outage | None = None,
    abort: threading.Event | None = None,
) -> Retrier:
    """A retrier of ``target`` ("store" or "registry") with the worker's metrics of it."""
    available = {"store": metrics.store_available, "registry": metrics.registry_available}
    return Retrier(
        target,
        max_s=0.01,
        abort=abort or threading.Event(),
        outage=outage or Outage(),
        retries=metrics.retries.labels(target),
        available=available[target],
    )


class Acks:
    """Acknowledges as the subscriber would, and remembers the message ids, in order; and, as
    the acker would, the ``(building, gateway, seq)`` acknowledged to gateways (:meth:`packs`)."""

    def __init__(self) -> None:
        self.mids: list[int] = []
        self.origins: list[tuple[str, str, int]] = []

    def __call__(self, messages: Sequence[Inbound]) -> None:
        self.mids.extend(message.mid for message in messages)

    def packs(self, origins: Iterable[tuple[str, str, int]]) -> None:
        self.origins.extend(origins)


def inbound(mid: int, topic: str, payload: bytes = b"") -> Inbound:
    """A message as the subscriber queues it."""
    return Inbound(
        topic=topic, payload=payload, mid=mid, qos=1, generation=1, received_s=time.monotonic()
    )
