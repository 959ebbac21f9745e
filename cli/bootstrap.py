"""The composition root: adapters are chosen from settings here, and nowhere else.

Each ``build_*`` function builds one service from its settings and returns it in a
:class:`Built`: the service, and one exit stack that releases, in reverse order, everything
that was opened for it. Every command calls one of them; nothing else wires adapters.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

from byggpuls.errors import ConfigError
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.settings import CommonSettings, redact
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.port import ReadingStore
from byggpuls.storage.sqlite import SQLiteStore

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


__all__ = ["ConfigError", "open_registry", "open_registry_engine", "open_store"]
