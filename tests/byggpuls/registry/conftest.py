"""Registry fixtures: a Registry on the migrated database of each dialect (tests/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from byggpuls.registry import Registry


@pytest.fixture
def registry(engine: Engine) -> Registry:
    """A Registry on the migrated database."""
    return Registry(engine)
