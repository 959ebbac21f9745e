"""SQL building blocks of the registry: dialect upserts, row conversion, error translation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Final, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from byggpuls.errors import ConfigError, StoreError, StoreRejected, StoreUnavailable
from byggpuls.reading import BuildingType
from byggpuls.registry import _checks as check
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import Building, DeadLetter, Finding, Point
from byggpuls.registry.rows import (
    BuildingRow,
    DeadLetterRow,
    FindingLike,
    FindingRow,
    FindingStatus,
    PointRow,
    PointSource,
)

#: Rows per multi-row INSERT statement, so that no statement nears the bound-parameter limits
#: (SQLite 32 766, PostgreSQL 65 535).
ROWS_PER_STATEMENT: Final = 500

BUILDINGS = cast(sa.Table, Building.__table__)
POINTS = cast(sa.Table, Point.__table__)
DEAD_LETTERS = cast(sa.Table, DeadLetter.__table__)
FINDINGS = cast(sa.Table, Finding.__table__)
#: What a point's description consists of; ``meta`` sets all of it.
POINT_REQUIRED: Final = ("domain", "quantity", "unit")
POINT_OPTIONAL: Final = ("brick_class", "zone", "interval_s", "description", "gateway")
FINDING_UPDATED: Final = ("points", "end", "evidence", "waste_kwh", "waste_nok", "score")

Insert = postgresql.Insert | sqlite.Insert
_MISSING_SCHEMA: Final = "no such table"


def insert(conn: Connection, table: sa.Table) -> Insert:
    """An INSERT into ``table`` in the connection's dialect, which has ``ON CONFLICT``."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigError(f"BYGGPULS_DATABASE_URL: the registry does not support {name!r}")


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """``rows`` in slices small enough for one statement each."""
    for first in range(0, len(rows), ROWS_PER_STATEMENT):
        yield rows[first : first + ROWS_PER_STATEMENT]


def execute_counting(conn: Connection, stmt: Insert, rows: list[dict[str, Any]]) -> int:
    """Execute an upsert for ``rows``; return how many rows it inserted or updated.

    One ``executemany`` of one cached statement: sqlite3 runs it in-process, psycopg 3 sends
    it as one pipeline. A multi-row ``VALUES`` would save nothing on the wire and cost ten times
    the CPU, since SQLAlchemy compiles it afresh for every batch.
    """
    if not rows:
        return 0
    # SQLAlchemy keeps cursor.rowcount for UPDATE and DELETE only, unless asked to.
    result = conn.execute(stmt.execution_options(preserve_rowcount=True), rows)
    return max(result.rowcount, 0)


@contextmanager
def translated() -> Iterator[None]:
    """Turn database errors into :mod:`byggpuls.errors` types at this edge."""
    try:
        yield
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        raise StoreRejected(f"registry database refused the change: {exc.orig}") from exc
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        if _MISSING_SCHEMA in str(exc.orig):
            # SQLite reports a missing table as "operational"; retrying will not create it.
            raise StoreError(f"registry database has no schema ({exc.orig}): migrate it") from exc
        # Locked, deadlocked, disconnected: the same call may succeed later.
        raise StoreUnavailable(f"registry database unavailable: {exc.orig}") from exc
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise StoreUnavailable(f"registry database connection lost: {exc.orig}") from exc
        raise StoreError(f"registry database error: {exc.orig}") from exc


def building_row(row: Building) -> BuildingRow:
    """The building as a plain row, detached from the session."""
    return BuildingRow(
        id=row.id,
        name=row.name,
        type=row.type,
        floor_area_m2=row.floor_area_m2,
        address=row.address,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def point_row(row: Point) -> PointRow:
    """The point as a plain row, detached from the session."""
    return PointRow(
        building=row.building_id,
        point=row.point_id,
        domain=row.domain,
        quantity=row.quantity,
        unit=row.unit,
        brick_class=row.brick_class,
        zone=row.zone,
        interval_s=row.interval_s,
        description=row.description,
        gateway=row.gateway,
        source=row.source,
        first_seen=row.first_seen,
        updated_at=row.updated_at,
    )


def dead_letter_row(row: DeadLetter) -> DeadLetterRow:
    """The dead letter as a plain row, detached from the session."""
    return DeadLetterRow(
        id=row.id,
        received_at=row.received_at,
        topic=row.topic,
        reason=row.reason,
        payload=bytes(row.payload),
        gateway=row.gateway,
    )


def finding_row(row: Finding) -> FindingRow:
    """The finding as a plain row, detached from the session."""
    return FindingRow(
        id=row.id,
        building=row.building_id,
        kind=row.kind,
        points=tuple(row.points),
        start=row.start,
        end=row.end,
        evidence=row.evidence,
        waste_kwh=row.waste_kwh,
        waste_nok=row.waste_nok,
        score=row.score,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _changed(columns: Sequence[str], stmt: Insert) -> sa.ColumnElement[bool]:
    """True where the proposed row differs from the stored one in any of ``columns``."""
    return sa.or_(*(POINTS.c[name].is_distinct_from(stmt.excluded[name]) for name in columns))


def point_upsert(stmt: Insert, source: PointSource) -> Insert:
    """``stmt`` (an insert of points) updating stored points as ``source`` may (see Registry)."""
    described = (*POINT_REQUIRED, *POINT_OPTIONAL)
    if source is PointSource.META:
        # A birth message is the authority: it replaces whatever was there, telemetry or meta.
        set_: dict[str, Any] = {name: stmt.excluded[name] for name in (*described, "source")}
        where = _changed((*described, "source"), stmt)
    else:
        # Data only implies a point: it may fill in a telemetry point but never touches one a
        # birth message described, and never blanks a field it does not know.
        set_ = {name: stmt.excluded[name] for name in POINT_REQUIRED}
        set_ |= {
            name: sa.func.coalesce(stmt.excluded[name], POINTS.c[name]) for name in POINT_OPTIONAL
        }
        where = sa.and_(
            POINTS.c.source == PointSource.TELEMETRY.value,
            sa.or_(
                _changed(POINT_REQUIRED, stmt),
                *(
                    sa.and_(
                        stmt.excluded[name].is_not(None),
                        POINTS.c[name].is_distinct_from(stmt.excluded[name]),
                    )
                    for name in POINT_OPTIONAL
                ),
            ),
        )
    set_["updated_at"] = stmt.excluded.updated_at
    return stmt.on_conflict_do_update(
        index_elements=[POINTS.c.building_id, POINTS.c.point_id], set_=set_, where=where
    )


def finding_values(finding: FindingLike, now: datetime) -> dict[str, Any]:
    """The column values of a new finding, checked."""
    start = check.aware(finding.start, what="finding start")
    end = None if finding.end is None else check.aware(finding.end, what="finding end")
    if end is not None and end < start:
        raise InvalidValue(f"finding {finding.kind!r} ends ({end}) before it starts ({start})")
    return {
        "building_id": check.building_id(finding.building),
        "kind": check.kind(finding.kind),
        "points": [check.point_id(point) for point in finding.points],
        "start": start,
        "end": end,
        "evidence": check.json_object(finding.evidence, what="finding evidence"),
        "waste_kwh": check.finite(finding.waste_kwh, what="waste_kwh"),
        "waste_nok": check.finite(finding.waste_nok, what="waste_nok"),
        "score": check.finite(finding.score, what="score"),
        "status": FindingStatus.OPEN.value,
        "created_at": now,
        "updated_at": now,
    }


def building_upsert(stmt: Insert) -> Insert:
    """``stmt`` (an insert of buildings) updating a building's description where it changed."""
    described = ("name", "type", "floor_area_m2", "address")
    return stmt.on_conflict_do_update(
        index_elements=[BUILDINGS.c.id],
        set_={name: stmt.excluded[name] for name in (*described, "updated_at")},
        where=sa.or_(
            *(BUILDINGS.c[name].is_distinct_from(stmt.excluded[name]) for name in described)
        ),
    )


def ensure_buildings(conn: Connection, ids: Sequence[str], now: datetime) -> None:
    """Create placeholders for buildings not in the registry yet.

    Data for a building nobody described is kept under a placeholder (named by its id, type
    ``other``) that a later :meth:`Registry.upsert_building` fills in.
    """
    rows = [
        {
            "id": id_,
            "name": id_,
            "type": BuildingType.OTHER.value,
            "created_at": now,
            "updated_at": now,
        }
        for id_ in sorted(set(ids))
    ]
    if rows:
        conn.execute(insert(conn, BUILDINGS).on_conflict_do_nothing(index_elements=["id"]), rows)


def finding_upsert(stmt: Insert) -> Insert:
    """``stmt`` (an insert of findings) updating what a detector rerun found; never the status."""
    return stmt.on_conflict_do_update(
        index_elements=[FINDINGS.c.building_id, FINDINGS.c.kind, FINDINGS.c.start],
        set_={name: stmt.excluded[name] for name in (*FINDING_UPDATED, "updated_at")},
    )
