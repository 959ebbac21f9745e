"""The composition root: adapters are chosen from settings here, and nowhere else.

Each ``build_*`` function builds one service from its settings and returns it in a
:class:`Built`: the service, and one exit stack that releases, in reverse order, everything
that was opened for it. Every command calls one of them; nothing else wires adapters.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy.engine import Engine

from byggpuls.errors import ConfigError
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.settings import CommonSettings, redact
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.port import ReadingStore
from byggpuls.storage.sqlite import SQLiteStore

if TYPE_CHECKING:
    from ingest.service import IngestService
    from ingest.settings import IngestSettings

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Built(Generic[T]):
    """A service built from its settings, and what to release when it is done.

    ``with built.resources:`` (or ``built.resources.close()``) closes what the builder opened.
    """

    service: T
    resources: ExitStack = field(default_factory=ExitStack)


def open_store(settings: CommonSettings) -> ReadingStore:
    """The reading store: InfluxDB when ``BYGGPULS_INFLUX_URL`` is set, else embedded SQLite."""
    url = settings.readings_url
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("readings go to the embedded store %s", url)
        return SQLiteStore.from_url(url)
    logger.info("readings go to InfluxDB at %s", redact(url))
    return InfluxStore.from_url(url)


def open_registry_engine(settings: CommonSettings) -> Engine:
    """The registry database's engine, migrated to the current schema; dispose of it at the end.

    For :class:`Registry` and :class:`~byggpuls.registry.accounting.Accounting` alike.
    """
    url = settings.registry_url
    if url.startswith("sqlite:///"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    logger.info("registry database at %s is up to date", redact(url))
    return engine


def open_registry(settings: CommonSettings) -> Registry:
    """The registry, on a migrated database."""
    return Registry(open_registry_engine(settings))


def build_ingest(settings: IngestSettings) -> Built[IngestService]:
    """An ingest worker on the store, registry (migrated) and broker that ``settings`` name.

    Start the service and stop it; then close the resources (store, registry engine).
    """
    # Here, not at the top: a gateway's command must not import the ingest service.
    from byggpuls.mqtt import MqttSession, check_settings
    from byggpuls.registry.accounting import Accounting
    from ingest.metrics import IngestMetrics
    from ingest.service import IngestService
    from ingest.subscriber import Subscriber

    check_settings(settings)
    with ExitStack() as resources:
        store = open_store(settings)
        resources.callback(store.close)
        engine = open_registry_engine(settings)
        resources.callback(engine.dispose)
        metrics = IngestMetrics()
        # Persistent, so the broker keeps what arrives while the worker is away; acknowledged
        # only once stored; the Receive Maximum bounds what the worker holds unacknowledged.
        session = MqttSession(
            settings=settings,
            client_id=settings.ingest_client_id,
            persistent=True,
            manual_ack=True,
            receive_maximum=settings.ingest_receive_maximum,
        )
        service = IngestService(
            settings,
            store=store,
            registry=Registry(engine),
            accounting=Accounting(engine),
            subscriber=Subscriber(settings, session=session, metrics=metrics),
            metrics=metrics,
        )
        return Built(service, resources.pop_all())


__all__ = ["ConfigError", "build_ingest", "open_registry", "open_registry_engine", "open_store"]
