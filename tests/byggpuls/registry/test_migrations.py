"""Migrations: from empty to head, idempotent, in step with the models, safe to race, and
keeping the data of a database they upgrade."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingInfo
from byggpuls.registry import NewFinding, Registry, make_engine, migrate
from byggpuls.registry.db import alembic_config, current_revision
from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.models import Base, UtcDateTime
from byggpuls.registry.rows import FindingEventRow

METADATA = Base.metadata
TABLES = {"alembic_version", *METADATA.tables}
assert {"buildings", "points", "dead_letters", "findings"} <= TABLES
REPO_ROOT = Path(__file__).resolve().parents[3]


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def _schema_diff(engine: Engine, metadata: sa.MetaData) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff: list[object] = compare_metadata(context, metadata)
        return diff


def test_migrate_builds_the_schema_from_empty(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert _tables(engine) == set()
        migrate(engine)
        assert _tables(engine) == TABLES
        with engine.connect() as conn:
            assert current_revision(conn) == _head()
    finally:
        engine.dispose()


def test_migrate_twice_changes_nothing(engine: Engine) -> None:
    Registry(engine).upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))
    migrate(engine)
    assert _tables(engine) == TABLES
    with engine.connect() as conn:
        assert current_revision(conn) == _head()
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    assert [row.id for row in Registry(engine).buildings()] == ["b1"]


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert _schema_diff(engine, METADATA) == []


def test_schema_comparison_notices_a_model_without_a_migration(engine: Engine) -> None:
    changed = sa.MetaData()
    for table in METADATA.tables.values():
        table.to_metadata(changed)
    changed.tables["points"].append_column(sa.Column("calibrated_at", sa.DateTime(timezone=True)))
    diff = _schema_diff(engine, changed)
    assert len(diff) == 1
    assert "calibrated_at" in repr(diff[0])


def test_postgresql_schema_lands_in_the_search_path_schema(postgres_url: str) -> None:
    schema = postgres_url.rsplit("%3D", 1)[1]
    engine = make_engine(postgres_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            in_schema = conn.execute(
                sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                {"s": schema},
            ).scalars()
            assert set(in_schema) == TABLES
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _tables(engine) == {"alembic_version"}
    migrate(engine)
    assert _tables(engine) == TABLES
    assert _schema_diff(engine, METADATA) == []


def test_a_database_from_a_newer_version_is_a_config_error(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigError, match=r"BYGGPULS_DATABASE_URL: .*newer version"):
        migrate(engine)


_CHILD = """
import pathlib, sys, time
from byggpuls.reading import PointInfo
from byggpuls.registry import Registry, make_engine, migrate

url, go, source = sys.argv[1:4]
engine = make_engine(url)
print("ready", flush=True)
while not pathlib.Path(go).exists():
    time.sleep(0.005)
migrate(engine)
registry = Registry(engine)
for round_ in range(10):
    points = [
        PointInfo(point=f"p{i:03d}", domain="energy", quantity="power", unit="W",
                  description=f"{source} {round_}")
        for i in range(200)
    ]
    registry.upsert_points(building="b1", gateway="gw1", points=points, source=source)
engine.dispose()
print("done", flush=True)
"""


@pytest.mark.slow
def test_two_processes_migrate_and_upsert_at_once(database_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, database_url, str(go), source],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for source in ("meta", "telemetry")
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        go.touch()
        outcomes = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    for child, (out, err) in zip(children, outcomes, strict=True):
        assert (child.returncode, out.strip(), err) == (0, "done", "")

    engine = make_engine(database_url)
    try:
        assert _tables(engine) == TABLES
        points = Registry(engine).points("b1")
    finally:
        engine.dispose()
    assert len(points) == 200
    # Telemetry never overwrites a birth message, whichever process got there first.
    assert {(point.source, point.description) for point in points} == {("meta", "meta 9")}


_FINDINGS_0002 = sa.table(
    "findings",
    sa.column("building_id", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("points", sa.JSON()),
    sa.column("start", UtcDateTime()),
    sa.column("end", UtcDateTime()),
    sa.column("evidence", sa.JSON()),
    sa.column("waste_kwh", sa.Double()),
    sa.column("waste_nok", sa.Double()),
    sa.column("score", sa.Double()),
    sa.column("status", sa.String()),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
)


def test_upgrading_keeps_the_findings_and_starts_their_audit_trail(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0002")
        Registry(engine).upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))
        start = datetime(2025, 2, 3, 18, 0, tzinfo=UTC)
        created = datetime(2025, 2, 4, 6, 30, 15, 123456, tzinfo=UTC)
        with engine.begin() as conn:
            conn.execute(
                _FINDINGS_0002.insert(),
                [
                    {
                        "building_id": "b1",
                        "kind": kind,
                        "points": ["main.power"],
                        "start": start,
                        "end": start + timedelta(hours=12),
                        "evidence": {"hours": 12},
                        "waste_kwh": 40.0,
                        "waste_nok": 52.0,
                        "score": 0.5,
                        "status": status,
                        "created_at": created,
                        "updated_at": created + timedelta(days=1),
                    }
                    for kind, status in (("after_hours", "resolved"), ("co2_high", "acknowledged"))
                ],
            )

        migrate(engine)

        registry = Registry(engine)
        rows = {row.kind: row for row in registry.findings()}
        assert {kind: row.status for kind, row in rows.items()} == {
            "after_hours": "resolved",
            "co2_high": "acknowledged",
        }
        for row in rows.values():
            assert (row.start, row.end, row.points, row.evidence, row.waste_nok) == (
                start,
                start + timedelta(hours=12),
                ("main.power",),
                {"hours": 12},
                52.0,
            )
            assert (row.created_at, row.resolved_at, row.resolved_by) == (created, None, None)
            assert registry.finding_events(row.id) == [
                FindingEventRow(
                    id=registry.finding_events(row.id)[0].id,
                    finding=row.id,
                    occurred_at=created,
                    actor="analytics",
                    action="detect",
                    from_status=None,
                    to_status="open",
                    comment=None,
                )
            ]
        # The lifecycle goes on from where the rows were.
        registry.set_finding_status(rows["co2_high"].id, "resolved", actor="Ola")
        registry.upsert_findings(
            [
                NewFinding(
                    building="b1",
                    kind="after_hours",
                    points=("main.power",),
                    start=start,
                    end=start + timedelta(hours=14),
                )
            ]
        )
        assert {row.kind: (row.status, row.resolved_by) for row in registry.findings()} == {
            "after_hours": ("open", None),
            "co2_high": ("resolved", "Ola"),
        }

        # Down to the previous revision and up again keeps the findings; their trail starts
        # anew, with their detection.
        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
        migrate(engine)
        for row in registry.findings():
            assert [event.action for event in registry.finding_events(row.id)] == ["detect"]
        assert len(registry.findings()) == 2
    finally:
        engine.dispose()


USER_TABLES = {"users", "user_buildings", "api_keys", "sessions", "audit_events"}
PARTNER_TABLES = {"grants", "grant_buildings", "broker_clients"}
#: Tables of the revisions after 0005.
LATER_TABLES = {"energy_hours", *PARTNER_TABLES}


def test_users_come_with_0005_and_go_without_touching_the_rest(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0004")
        assert _tables(engine) == TABLES - USER_TABLES - LATER_TABLES
        Registry(engine).upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))

        migrate(engine)
        registry = Registry(engine)
        registry.create_user("kari", role="manager", buildings=["b1"], actor="cli:root")
        assert registry.building_scope(registry.user("kari")) == {"b1"}  # type: ignore[arg-type]

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0004")
        assert _tables(engine) == TABLES - USER_TABLES - LATER_TABLES
        assert [row.id for row in Registry(engine).buildings()] == ["b1"]
    finally:
        engine.dispose()


def test_the_energy_ledger_comes_with_0006_and_goes_without_touching_the_rest(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0005")
        assert _tables(engine) == TABLES - LATER_TABLES
        Registry(engine).upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))

        migrate(engine)
        registry = Registry(engine)
        hour = datetime(2025, 3, 30, 0, tzinfo=UTC)
        registry.record_energy_hours([EnergyHour("b1", "heat", hour, "dh.power", 12.0, None, 12.0)])
        assert [
            row.measured_kwh
            for row in registry.energy_hours("b1", since=hour, until=hour + timedelta(hours=1))
        ] == [12.0]

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0005")
        assert _tables(engine) == TABLES - LATER_TABLES
        assert [row.id for row in Registry(engine).buildings()] == ["b1"]
    finally:
        engine.dispose()


def test_grants_and_broker_logins_come_with_0007_and_go_without_touching_the_rest(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "0006")
        assert _tables(engine) == TABLES - PARTNER_TABLES
        Registry(engine).upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))

        migrate(engine)
        registry = Registry(engine)
        registry.create_user("forsker", role="partner", actor="cli:root")
        expires = datetime.now(UTC) + timedelta(days=1)
        registry.create_grant(
            "forsker", buildings=["b1"], domains=["energy"], expires_at=expires, actor="cli:root"
        )
        assert registry.partner_pairs("forsker", datetime.now(UTC)) == {("b1", "energy")}

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")
        assert _tables(engine) == TABLES - PARTNER_TABLES
        assert [row.username for row in Registry(engine).users()] == ["forsker"]
    finally:
        engine.dispose()
