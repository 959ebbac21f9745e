"""Registry fixtures: a Registry on the migrated database of each dialect (tests/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from byggpuls.reading import BuildingInfo
from byggpuls.registry import Registry

SCHOOL = BuildingInfo(
    id="bergen-skole-1", name="Bergen skole", type="school", floor_area_m2=4200.5, address="Gata 1"
)


@pytest.fixture
def registry(engine: Engine) -> Registry:
    """A Registry on the migrated database."""
    return Registry(engine)
