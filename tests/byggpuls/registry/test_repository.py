"""Registry: buildings, points (meta over telemetry), dead letters, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from byggpuls.errors import StoreError, StoreUnavailable
from byggpuls.reading import BuildingInfo, PointInfo
from byggpuls.registry import InvalidValue, PointSource, Registry, make_engine

SCHOOL = BuildingInfo(
    id="bergen-skole-1", name="Bergen skole", type="school", floor_area_m2=4200.5, address="Gata 1"
)


def _points(count: int, **overrides: Any) -> list[PointInfo]:
    fields: dict[str, Any] = {"domain": "energy", "quantity": "power", "unit": "W"}
    fields |= overrides
    return [PointInfo(point=f"meter{i:03d}.power", **fields) for i in range(count)]


def _utc_aware(value: datetime) -> bool:
    return value.utcoffset() == timedelta(0)


# -- buildings ------------------------------------------------------------------------------


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


def test_registry_accepts_a_sessionmaker(engine: Engine) -> None:
    registry = Registry(sessionmaker(engine))
    registry.upsert_building(SCHOOL)
    assert [row.id for row in registry.buildings()] == [SCHOOL.id]


# -- points ---------------------------------------------------------------------------------


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


# -- dead letters ---------------------------------------------------------------------------


def test_dead_letters_are_kept_newest_first(registry: Registry) -> None:
    when = datetime(2025, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))
    first = registry.add_dead_letter(
        topic="byggpuls/v1/b1/energy", reason="not SenML", payload=b"{", received_at=when
    )
    second = registry.add_dead_letter(
        topic="byggpuls/v1/b1/meta/gw1", reason="unknown unit", payload=b"[]", gateway="gw1"
    )
    assert second > first
    assert registry.count_dead_letters() == 2
    newest, oldest = registry.dead_letters()
    assert (newest.id, newest.gateway, newest.payload) == (second, "gw1", b"[]")
    assert _utc_aware(newest.received_at)
    assert (oldest.id, oldest.topic, oldest.reason, oldest.gateway) == (
        first,
        "byggpuls/v1/b1/energy",
        "not SenML",
        None,
    )
    assert oldest.received_at == when
    assert oldest.received_at.tzinfo == UTC
    assert [row.id for row in registry.dead_letters(limit=1)] == [second]
    assert registry.dead_letters(limit=0) == []


def test_dead_letter_text_with_nul_characters_is_kept(registry: Registry) -> None:
    registry.add_dead_letter(topic="bad\x00topic", reason="nul\x00", payload=b"\x00")
    (row,) = registry.dead_letters()
    assert (row.topic, row.reason, row.payload) == ("bad\ufffdtopic", "nul\ufffd", b"\x00")


def test_dead_letter_refuses_a_naive_time(registry: Registry) -> None:
    with pytest.raises(InvalidValue):
        registry.add_dead_letter(
            topic="t",
            reason="r",
            payload=b"",
            received_at=datetime(2025, 1, 1),
        )
    assert registry.count_dead_letters() == 0


@settings(
    max_examples=40,
    deadline=None,
    # The database is shared between examples on purpose: each example adds and reads its own row.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(payload=st.binary(max_size=4096))
def test_dead_letter_payload_round_trips_any_bytes(registry: Registry, payload: bytes) -> None:
    id_ = registry.add_dead_letter(topic="t", reason="r", payload=payload)
    (row,) = registry.dead_letters(limit=1)
    assert row.id == id_
    assert row.payload == payload
    assert type(row.payload) is bytes


def test_dead_letter_payload_round_trips_every_byte_value_and_a_large_message(
    registry: Registry,
) -> None:
    every_byte = bytes(range(256)) * 4
    large = bytes(range(256)) * 8192  # 2 MiB
    for payload in (b"", every_byte, large):
        registry.add_dead_letter(topic="t", reason="r", payload=payload)
        assert registry.dead_letters(limit=1)[0].payload == payload


# -- errors ---------------------------------------------------------------------------------


def test_an_unmigrated_database_is_a_store_error_not_a_transient_one(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(StoreError) as caught:
            Registry(engine).buildings()
        assert not isinstance(caught.value, StoreUnavailable)
    finally:
        engine.dispose()
