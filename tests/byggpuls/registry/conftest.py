"""Registry fixtures: a migrated database of each dialect, and a Registry on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from byggpuls.registry import Registry, make_engine, migrate


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An Engine on a freshly migrated registry database (SQLite file or PostgreSQL schema)."""
    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def registry(engine: Engine) -> Registry:
    """A Registry on the migrated database."""
    return Registry(engine)
