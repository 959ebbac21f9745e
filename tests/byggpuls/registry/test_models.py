"""The models module declares the whole schema, so migrations see every table by importing it."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from byggpuls.registry.models import Base


def test_every_migrated_table_is_declared_in_the_models_module(engine: Engine) -> None:
    assert {mapper.class_.__module__ for mapper in Base.registry.mappers} == {Base.__module__}
    with engine.connect() as conn:
        migrated = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
    assert set(Base.metadata.tables) == migrated
