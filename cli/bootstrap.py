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

from byggpuls.errors import ConfigError, StoreUnavailable
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.settings import CommonSettings, redact
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.port import ReadingStore
from byggpuls.storage.sqlite import SQLiteStore

if TYPE_CHECKING:  # the API and analytics are imported by their builders: ingest needs neither
    from fastapi import FastAPI

    from analytics.service import Analytics
    from analytics.settings import AnalyticsSettings
    from api.settings import ApiSettings

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
    """The reading store: InfluxDB when ``BYGGPULS_INFLUX_URL`` is set, else embedded SQLite.

    Pinged before it is handed out, so that refused credentials or a missing database stop the
    service at its start with a :class:`ConfigError` naming the setting, not at its first
    write or health check. A store that does not answer yet is not a wrong setting: the
    services wait for it, and their health checks say that it is down.
    """
    url = settings.readings_url
    store: ReadingStore
    if url.startswith("sqlite:///"):
        setting = "BYGGPULS_DATA_DIR"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        logger.info("readings go to the embedded store %s", url)
        store = SQLiteStore.from_url(url)
    else:
        setting = "BYGGPULS_INFLUX_URL"
        logger.info("readings go to InfluxDB at %s", redact(url))
        try:
            store = InfluxStore.from_url(url)
        except ConfigError as exc:
            raise ConfigError(f"{setting}: {exc}") from None
    try:
        store.ping()
    except StoreUnavailable as exc:
        logger.warning("the reading store does not answer yet: %s", exc)
    except ConfigError as exc:
        store.close()
        raise ConfigError(f"{setting}: {exc}") from None
    except BaseException:
        store.close()
        raise
    return store


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


def build_api(settings: ApiSettings) -> Built[FastAPI]:
    """The HTTP API and dashboard over the checked store and the migrated registry."""
    from api.main import create_app
    from byggpuls.registry.accounting import Accounting

    with ExitStack() as resources:
        store, engine = _open_stores(settings, resources)
        app = create_app(
            store=store,
            registry=Registry(engine),
            accounting=Accounting(engine),
            settings=settings,
        )
        return Built(app, resources.pop_all())


def build_analytics(settings: AnalyticsSettings) -> Built[Analytics]:
    """The detectors' service over the checked store and the migrated registry."""
    from analytics.service import Analytics

    with ExitStack() as resources:
        store, engine = _open_stores(settings, resources)
        analytics = Analytics(store=store, registry=Registry(engine), settings=settings)
        return Built(analytics, resources.pop_all())


def _open_stores(settings: CommonSettings, resources: ExitStack) -> tuple[ReadingStore, Engine]:
    """The checked reading store and the migrated registry's engine, released by ``resources``.

    Should a builder fail after this, ``resources`` (its ``with``) releases both on the way out.
    """
    store = open_store(settings)
    resources.callback(store.close)
    engine = open_registry_engine(settings)
    resources.callback(engine.dispose)
    return store, engine


__all__ = [
    "Built",
    "ConfigError",
    "build_analytics",
    "build_api",
    "open_registry",
    "open_registry_engine",
    "open_store",
]
