"""Buildings: added, described again, listed, and bad descriptions refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from byggpuls.reading import BuildingInfo
from byggpuls.registry import InvalidValue, Registry
from byggpuls.registry.buildings import Buildings
from tests.byggpuls.registry.conftest import SCHOOL


def _utc_aware(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0)


def test_upsert_building_adds_then_updates(registry: Registry) -> None:
    assert registry.building(SCHOOL.id) is None
    registry.upsert_building(SCHOOL)
    first = registry.building(SCHOOL.id)
    assert first is not None
    assert first.info == SCHOOL
    assert _utc_aware(first.created_at)
    assert first.created_at == first.updated_at

    moved = BuildingInfo(id=SCHOOL.id, name="Bergen skole", type="school", address="Veien 2")
    registry.upsert_building(moved)
    second = registry.building(SCHOOL.id)
    assert second is not None
    assert second.info == moved
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at


def test_upsert_building_without_change_keeps_updated_at(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    before = registry.building(SCHOOL.id)
    registry.upsert_building(SCHOOL)
    assert registry.building(SCHOOL.id) == before


def test_buildings_are_listed_by_id(registry: Registry) -> None:
    for id_ in ("c", "a", "b"):
        registry.upsert_building(BuildingInfo(id=id_, name=id_.upper(), type="office"))
    assert [(row.id, row.name) for row in registry.buildings()] == [
        ("a", "A"),
        ("b", "B"),
        ("c", "C"),
    ]


@pytest.mark.parametrize(
    "info",
    [
        BuildingInfo(id="Bad Id", name="x", type="school"),
        BuildingInfo(id="b1", name="x", type="castle"),
        BuildingInfo(id="b1", name="", type="school"),
        BuildingInfo(id="b1", name="x", type="school", floor_area_m2=float("nan")),
    ],
)
def test_upsert_building_refuses_bad_values(registry: Registry, info: BuildingInfo) -> None:
    with pytest.raises(InvalidValue):
        registry.upsert_building(info)
    assert registry.buildings() == []


def test_the_buildings_repository_works_on_its_own(engine: Engine) -> None:
    buildings = Buildings(engine)
    buildings.upsert_building(SCHOOL)
    assert [row.info for row in buildings.buildings()] == [SCHOOL]
    assert Registry(engine).building(SCHOOL.id) == buildings.building(SCHOOL.id)
