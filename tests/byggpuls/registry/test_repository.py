"""The Registry bundle: every aggregate on one engine or sessionmaker, and its errors."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from byggpuls.errors import StoreError, StoreUnavailable
from byggpuls.registry import Registry, make_engine
from byggpuls.registry.accounting import Accounting
from tests.byggpuls.registry.conftest import SCHOOL


def test_registry_accepts_a_sessionmaker(engine: Engine) -> None:
    registry = Registry(sessionmaker(engine))
    registry.upsert_building(SCHOOL)
    assert [row.id for row in registry.buildings()] == [SCHOOL.id]


def test_ping_answers_on_a_migrated_database(registry: Registry) -> None:
    registry.ping()


def test_accounting_shares_the_registry_engine(engine: Engine) -> None:
    registry = Registry(sessionmaker(engine))
    assert registry.engine is engine
    assert Accounting(registry.engine).gateway_sequences() == []


def test_an_unmigrated_database_is_a_store_error_not_a_transient_one(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(StoreError) as caught:
            Registry(engine).buildings()
        assert not isinstance(caught.value, StoreUnavailable)
    finally:
        engine.dispose()
