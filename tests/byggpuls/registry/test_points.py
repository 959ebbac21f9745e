"""Points: meta over telemetry, one statement per batch, and concurrent writers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from byggpuls.errors import StoreRejected
from byggpuls.reading import BuildingInfo, PointInfo
from byggpuls.registry import InvalidValue, PointSource, Registry, make_engine
from byggpuls.registry.points import Points
from tests.byggpuls.registry.conftest import SCHOOL


def _points(count: int, **overrides: Any) -> list[PointInfo]:
    fields: dict[str, Any] = {"domain": "energy", "quantity": "power", "unit": "W"}
    fields |= overrides
    return [PointInfo(point=f"meter{i:03d}.power", **fields) for i in range(count)]


def _utc_aware(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0)


def test_upsert_points_adds_and_reads_them_back(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    point = PointInfo(
        point="ahu1.supply_air_temp",
        domain="hvac",
        quantity="temperature",
        unit="Cel",
        brick_class="Supply_Air_Temperature_Sensor",
        zone="plant-room",
        interval_s=60,
        description="AHU 1 supply air",
    )
    assert (
        registry.upsert_points(building=SCHOOL.id, gateway="gw1", points=[point], source="meta")
        == 1
    )
    row = registry.point(SCHOOL.id, point.point)
    assert row is not None
    assert row.info == point
    assert (row.building, row.gateway, row.source) == (SCHOOL.id, "gw1", "meta")
    assert _utc_aware(row.first_seen)
    assert row.first_seen == row.updated_at
    assert registry.points(SCHOOL.id) == [row]
    assert registry.point_quantities(SCHOOL.id) == [(point.point, "temperature", "plant-room")]
    assert registry.point(SCHOOL.id, "nope") is None
    assert registry.point_quantities("other-building") == []
    assert registry.points("other-building") == []


def test_upsert_points_counts_only_what_changed(registry: Registry) -> None:
    points = _points(200)
    assert registry.upsert_points(building="b1", gateway="gw1", points=points, source="meta") == 200
    assert registry.upsert_points(building="b1", gateway="gw1", points=points, source="meta") == 0
    points[7] = PointInfo(point=points[7].point, domain="energy", quantity="power", unit="kW")
    assert registry.upsert_points(building="b1", gateway="gw1", points=points, source="meta") == 1
    rows = registry.points("b1")
    assert [row.point for row in rows] == sorted(point.point for point in points)
    assert rows[7].unit == "kW"
    assert rows[7].updated_at > rows[6].updated_at
    assert rows[7].first_seen == rows[6].first_seen


def test_upsert_points_takes_one_statement_for_200_points(engine: Engine) -> None:
    registry = Registry(engine)
    executions: list[tuple[str, int]] = []

    def record(  # noqa: PLR0917 (SQLAlchemy's event signature)
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        table = statement.split(maxsplit=3)[2] if statement.startswith("INSERT") else ""
        rows = len(params) if many else 1
        executions.append((f"{statement.split(maxsplit=1)[0].upper()} {table}", rows))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        registry.upsert_points(building="b1", gateway="gw1", points=_points(200), source="meta")
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    # The building placeholder, then all 200 points in one executemany; nothing read first.
    assert [entry for entry in executions if entry[0] != "BEGIN "] == [
        ("INSERT buildings", 1),
        ("INSERT points", 200),
    ]


def test_point_groups_of_several_buildings_are_upserted_together(registry: Registry) -> None:
    groups = [("b2", "gw2", _points(3)), ("b1", "gw1", _points(2)), ("b2", None, _points(1))]
    assert registry.upsert_point_groups(groups, source="telemetry") == 5
    assert [row.id for row in registry.buildings()] == ["b1", "b2"]
    assert len(registry.points("b1")) == 2
    # The last description of a point in the call wins, as with calls one after the other.
    assert [row.gateway for row in registry.points("b2")] == [None, "gw2", "gw2"]


def test_an_invalid_point_group_writes_no_group(registry: Registry) -> None:
    bad = PointInfo(point="bad point", domain="energy", quantity="power", unit="kW")
    with pytest.raises(InvalidValue):
        registry.upsert_point_groups(
            [("b1", "gw1", _points(2)), ("b2", "gw2", [bad])], source="telemetry"
        )
    assert registry.buildings() == []


def test_telemetry_for_an_unknown_building_creates_a_placeholder(registry: Registry) -> None:
    registry.upsert_points(building="b9", gateway=None, points=_points(1), source="telemetry")
    placeholder = registry.building("b9")
    assert placeholder is not None
    assert (placeholder.name, placeholder.type) == ("b9", "other")
    registry.upsert_building(BuildingInfo(id="b9", name="Idrettshall", type="sports_hall"))
    described = registry.building("b9")
    assert described is not None
    assert (described.name, described.type) == ("Idrettshall", "sports_hall")
    assert described.created_at == placeholder.created_at
    assert [row.source for row in registry.points("b9")] == ["telemetry"]


def test_telemetry_never_overwrites_what_meta_described(registry: Registry) -> None:
    meta = PointInfo(
        point="room101.temp", domain="climate", quantity="temperature", unit="Cel", zone="101"
    )
    registry.upsert_points(building="b1", gateway="gw1", points=[meta], source="meta")
    before = registry.point("b1", meta.point)
    implied = PointInfo(point=meta.point, domain="energy", quantity="temp", unit="K", zone="x")
    assert (
        registry.upsert_points(building="b1", gateway="gw2", points=[implied], source="telemetry")
        == 0
    )
    assert registry.point("b1", meta.point) == before


def test_meta_overwrites_what_telemetry_implied(registry: Registry) -> None:
    implied = PointInfo(point="room101.co2", domain="climate", quantity="co2", unit="ppm")
    registry.upsert_points(building="b1", gateway=None, points=[implied], source="telemetry")
    first = registry.point("b1", implied.point)
    assert first is not None
    assert (first.source, first.gateway) == ("telemetry", None)

    meta = PointInfo(
        point=implied.point,
        domain="climate",
        quantity="co2",
        unit="ppm",
        brick_class="CO2_Sensor",
        interval_s=300,
    )
    assert registry.upsert_points(building="b1", gateway="gw1", points=[meta], source="meta") == 1
    row = registry.point("b1", meta.point)
    assert row is not None
    assert (row.info, row.source, row.gateway) == (meta, PointSource.META, "gw1")
    assert row.first_seen == first.first_seen


def test_meta_replaces_the_whole_description(registry: Registry) -> None:
    full = PointInfo(
        point="p1", domain="water", quantity="volume", unit="m3", zone="z", description="d"
    )
    bare = PointInfo(point="p1", domain="water", quantity="volume", unit="m3")
    registry.upsert_points(building="b1", gateway="gw1", points=[full], source="meta")
    registry.upsert_points(building="b1", gateway="gw2", points=[bare], source="meta")
    row = registry.point("b1", "p1")
    assert row is not None
    assert (row.info, row.gateway) == (bare, "gw2")


def test_telemetry_fills_in_but_never_blanks_a_telemetry_point(registry: Registry) -> None:
    first = PointInfo(point="p1", domain="energy", quantity="energy", unit="kWh", zone="z1")
    registry.upsert_points(building="b1", gateway="gw1", points=[first], source="telemetry")
    later = PointInfo(point="p1", domain="energy", quantity="energy", unit="Wh")
    assert (
        registry.upsert_points(building="b1", gateway=None, points=[later], source="telemetry") == 1
    )
    row = registry.point("b1", "p1")
    assert row is not None
    assert (row.unit, row.zone, row.gateway, row.source) == ("Wh", "z1", "gw1", "telemetry")


def test_upsert_points_keeps_the_last_of_duplicate_ids(registry: Registry) -> None:
    twice = [*_points(1, unit="W"), *_points(1, unit="kW")]
    assert registry.upsert_points(building="b1", gateway="gw1", points=twice, source="meta") == 1
    assert [row.unit for row in registry.points("b1")] == ["kW"]


def test_upsert_no_points_still_records_the_building(registry: Registry) -> None:
    assert registry.upsert_points(building="b1", gateway="gw1", points=[], source="meta") == 0
    assert [row.id for row in registry.buildings()] == ["b1"]


@pytest.mark.parametrize(
    ("building", "gateway", "point", "source"),
    [
        ("B 1", "gw1", PointInfo(point="p", domain="energy", quantity="power", unit="W"), "meta"),
        ("b1", "GW 1", PointInfo(point="p", domain="energy", quantity="power", unit="W"), "meta"),
        ("b1", "gw1", PointInfo(point="p p", domain="energy", quantity="power", unit="W"), "meta"),
        ("b1", "gw1", PointInfo(point="p", domain="Energy", quantity="power", unit="W"), "meta"),
        ("b1", "gw1", PointInfo(point="p", domain="energy", quantity="Power", unit="W"), "meta"),
        ("b1", "gw1", PointInfo(point="p", domain="energy", quantity="power", unit="W"), "guess"),
        (
            "b1",
            "gw1",
            PointInfo(point="p", domain="energy", quantity="power", unit="W", interval_s=0),
            "meta",
        ),
    ],
)
def test_upsert_points_refuses_bad_values(
    registry: Registry, building: str, gateway: str, point: PointInfo, source: str
) -> None:
    with pytest.raises(InvalidValue):
        registry.upsert_points(building=building, gateway=gateway, points=[point], source=source)
    assert registry.buildings() == []


@pytest.mark.slow
def test_concurrent_upserts_of_the_same_points_do_not_fail(
    database_url: str, engine: Engine
) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def upsert(source: str) -> None:
        own = make_engine(database_url)  # a pool of its own: separate connections, real locking
        try:
            registry = Registry(own)
            start.wait()
            for round_ in range(15):
                points = _points(200, description=f"{source} {round_}")
                registry.upsert_points(building="b1", gateway="gw1", points=points, source=source)
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            own.dispose()

    threads = [threading.Thread(target=upsert, args=(source,)) for source in ("meta", "telemetry")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = Registry(engine).points("b1")
    assert len(rows) == 200
    assert {(row.source, row.description) for row in rows} == {("meta", "meta 14")}


def test_the_points_repository_works_on_its_own(engine: Engine) -> None:
    points = Points(engine)
    assert points.upsert_points(building="b1", gateway="gw1", points=_points(2), source="meta") == 2
    assert [row.point for row in points.points("b1")] == [p.point for p in _points(2)]
    assert [row.id for row in Registry(engine).buildings()] == ["b1"]


def test_a_number_the_database_cannot_hold_is_refused_as_a_rejection(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    with pytest.raises(StoreRejected, match="refused the change"):
        registry.upsert_points(
            building=SCHOOL.id,
            gateway="gw-1",
            points=_points(1, interval_s=2**70),
            source=PointSource.META,
        )
    assert registry.points(SCHOOL.id) == []


def test_all_points_reads_every_buildings_points_as_points_reads_one(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(BuildingInfo("solheim-bhg", "Solheim barnehage", "kindergarten"))
    registry.upsert_points(building=SCHOOL.id, gateway="gw1", points=_points(3), source="meta")
    registry.upsert_points(building="solheim-bhg", gateway="gw2", points=_points(2), source="meta")
    everything = registry.all_points()
    assert list(everything) == sorted([SCHOOL.id, "solheim-bhg"])
    assert [len(rows) for rows in everything.values()] == [3, 2]
    for building, rows in everything.items():
        assert rows == registry.points(building)
