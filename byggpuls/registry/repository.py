"""The registry: the one class services use to read and write the relational data.

Writes are single upsert statements (``INSERT ... ON CONFLICT``), never read-then-write, so two
ingest processes may describe the same points at once. Results are plain frozen rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from byggpuls.reading import BuildingInfo, PointInfo
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.db import write_options
from byggpuls.registry.errors import InvalidTransition, InvalidValue, NotFound
from byggpuls.registry.models import Building, DeadLetter, Finding, Point
from byggpuls.registry.rows import (
    FINDING_TRANSITIONS,
    BuildingRow,
    DeadLetterRow,
    FindingLike,
    FindingRow,
    FindingStatus,
    PointRow,
)

logger = logging.getLogger(__name__)


class Registry:
    """Buildings, points, dead letters and findings in the registry database.

    Give it the Engine from :func:`~byggpuls.registry.db.make_engine` (after
    :func:`~byggpuls.registry.db.migrate`) or a ``sessionmaker`` bound to one. Thread-safe: each
    call uses a session of its own. Database failures raise
    :class:`~byggpuls.errors.StoreUnavailable` (retry) or :class:`~byggpuls.errors.StoreRejected`;
    bad arguments :class:`~byggpuls.registry.errors.InvalidValue` (a ValueError).
    """

    def __init__(self, bind: Engine | sessionmaker[Session]) -> None:
        if isinstance(bind, Engine):
            bind = sessionmaker(bind)
        self._sessions = bind

    @property
    def engine(self) -> Engine:
        """The engine of the registry's database (for :class:`~byggpuls.registry.Accounting`)."""
        engine = self._sessions.kw["bind"]
        assert isinstance(engine, Engine)
        return engine

    def ping(self) -> None:
        """Check that the database answers; raises :class:`~byggpuls.errors.StoreUnavailable`."""
        with self._reading() as session:
            session.execute(sa.text("SELECT 1"))

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        with sql.translated(), self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with sql.translated(), self._sessions() as session, session.begin():
            dialect = session.get_bind().dialect.name
            yield session.connection(execution_options=write_options(dialect))

    # -- buildings ------------------------------------------------------------------------------

    def upsert_building(self, info: BuildingInfo) -> None:
        """Add a building or update its description (also of a placeholder made from data)."""
        if not info.name:
            raise InvalidValue(f"building {info.id!r} needs a name")
        now = check.now_utc()
        values = {
            "id": check.building_id(info.id),
            "name": check.text(info.name),
            "type": check.building_type(info.type),
            "floor_area_m2": check.finite(info.floor_area_m2, what="floor_area_m2"),
            "address": check.text(info.address),
            "created_at": now,
            "updated_at": now,
        }
        with self._writing() as conn:
            conn.execute(sql.building_upsert(sql.insert(conn, sql.BUILDINGS).values(values)))

    def buildings(self) -> list[BuildingRow]:
        """Every building, by id."""
        with self._reading() as session:
            rows = session.scalars(sa.select(Building).order_by(Building.id))
            return [sql.building_row(row) for row in rows]

    def building(self, id: str) -> BuildingRow | None:
        """The building ``id``, or None."""
        with self._reading() as session:
            row = session.get(Building, id)
            return None if row is None else sql.building_row(row)

    # -- points ---------------------------------------------------------------------------------

    def upsert_points(
        self, *, building: str, gateway: str | None, points: Sequence[PointInfo], source: str
    ) -> int:
        """Record points of ``building``; return how many were added or changed.

        ``source="meta"`` (a gateway's birth message) sets a point's whole description.
        ``source="telemetry"`` (data from a point without one) adds an unknown point, and may
        fill in a point that telemetry added, but never changes a point a birth message
        described. The building is created as a placeholder if it is unknown.
        """
        return self.upsert_point_groups([(building, gateway, points)], source=source)

    def upsert_point_groups(
        self, groups: Sequence[tuple[str, str | None, Sequence[PointInfo]]], *, source: str
    ) -> int:
        """:meth:`upsert_points` for several (building, gateway, points), in one transaction.

        Ingest registers the new points of a whole batch this way: one commit, not one per
        building. Nothing is written if any group is invalid.
        """
        origin = check.source(source)
        now = check.now_utc()
        by_key: dict[tuple[str, str], dict[str, Any]] = {}
        for building, gateway, points in groups:
            check.building_id(building)
            check.gateway_id(gateway)
            for info in points:
                by_key[building, check.point_id(info.point)] = {
                    "building_id": building,
                    "point_id": info.point,
                    "domain": check.domain(info.domain),
                    "quantity": check.quantity(info.quantity),
                    "unit": check.text(info.unit),
                    "brick_class": check.text(info.brick_class),
                    "zone": check.text(info.zone),
                    "interval_s": check.positive_int(info.interval_s, what="interval_s"),
                    "description": check.text(info.description),
                    "gateway": gateway,
                    "source": origin.value,
                    "first_seen": now,
                    "updated_at": now,
                }
        # One lock order for every writer, so concurrent upserts wait instead of deadlocking.
        rows = [by_key[key] for key in sorted(by_key)]
        buildings = sorted({building for building, _, _ in groups})
        with self._writing() as conn:
            sql.ensure_buildings(conn, buildings, now)
            stmt = sql.point_upsert(sql.insert(conn, sql.POINTS), origin)
            changed = sql.execute_counting(conn, stmt, rows)
        logger.debug(
            "upserted %s of %s %s points of %s", changed, len(rows), origin, ", ".join(buildings)
        )
        return changed

    def points(self, building: str) -> list[PointRow]:
        """The points of ``building``, by point id."""
        query = sa.select(Point).where(Point.building_id == building).order_by(Point.point_id)
        with self._reading() as session:
            return [sql.point_row(row) for row in session.scalars(query)]

    def point_quantities(self, building: str) -> list[tuple[str, str, str | None]]:
        """(point, quantity, zone) of every point of ``building``, by point id: what ingest
        needs to store a reading, without loading whole rows."""
        query = (
            sa.select(Point.point_id, Point.quantity, Point.zone)
            .where(Point.building_id == building)
            .order_by(Point.point_id)
        )
        with self._reading() as session:
            return [(point, quantity, zone) for point, quantity, zone in session.execute(query)]

    def point(self, building: str, point_id: str) -> PointRow | None:
        """One point, or None."""
        with self._reading() as session:
            row = session.get(Point, (building, point_id))
            return None if row is None else sql.point_row(row)

    # -- dead letters ---------------------------------------------------------------------------

    def add_dead_letter(
        self,
        *,
        topic: str,
        reason: str,
        payload: bytes,
        gateway: str | None = None,
        received_at: datetime | None = None,
    ) -> int:
        """Keep a message that could not be decoded or stored, byte for byte; return its id."""
        if received_at is None:
            received_at = check.now_utc()
        values = {
            "received_at": check.aware(received_at, what="received_at"),
            "topic": check.text(topic),
            "reason": check.text(reason),
            "payload": bytes(payload),
            # Not held to the id pattern: a dead letter may well come from a broken gateway.
            "gateway": check.text(gateway),
        }
        with self._writing() as conn:
            stmt = sa.insert(sql.DEAD_LETTERS).values(values).returning(sql.DEAD_LETTERS.c.id)
            id_: int = conn.execute(stmt).scalar_one()
        return id_

    def dead_letters(self, *, limit: int = 100) -> list[DeadLetterRow]:
        """The newest ``limit`` dead letters, newest first."""
        if limit < 0:
            raise InvalidValue(f"limit must not be negative, not {limit}")
        query = sa.select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
        with self._reading() as session:
            return [sql.dead_letter_row(row) for row in session.scalars(query)]

    def count_dead_letters(self) -> int:
        """How many dead letters are kept."""
        with self._reading() as session:
            count = session.scalar(sa.select(sa.func.count()).select_from(DeadLetter))
            return int(count or 0)

    # -- findings -------------------------------------------------------------------------------

    def upsert_findings(self, findings: Sequence[FindingLike]) -> int:
        """Record findings; return how many were added or updated.

        ``(building, kind, start)`` identifies a finding: a detector rerun updates its points,
        end, evidence, waste and score, and leaves its status alone (an acknowledged finding
        stays acknowledged). Unknown buildings are created as placeholders.
        """
        now = check.now_utc()
        by_key: dict[tuple[str, str, datetime], dict[str, Any]] = {}
        for finding in findings:
            values = sql.finding_values(finding, now)
            by_key[(values["building_id"], values["kind"], values["start"])] = values
        rows = [by_key[key] for key in sorted(by_key)]
        if not rows:
            return 0
        with self._writing() as conn:
            sql.ensure_buildings(conn, [row["building_id"] for row in rows], now)
            stmt = sql.finding_upsert(sql.insert(conn, sql.FINDINGS))
            return sql.execute_counting(conn, stmt, rows)

    def findings(
        self, *, building: str | None = None, status: str | None = None
    ) -> list[FindingRow]:
        """Findings, latest start first, optionally of one building and in one status."""
        query = sa.select(Finding).order_by(Finding.start.desc(), Finding.id.desc())
        if building is not None:
            query = query.where(Finding.building_id == building)
        if status is not None:
            query = query.where(Finding.status == check.status(status).value)
        with self._reading() as session:
            return [sql.finding_row(row) for row in session.scalars(query)]

    def finding(self, id: int) -> FindingRow | None:
        """The finding ``id``, or None."""
        with self._reading() as session:
            row = session.get(Finding, id)
            return None if row is None else sql.finding_row(row)

    def set_finding_status(self, id: int, status: str) -> None:
        """Move a finding along its lifecycle (``rows.FINDING_TRANSITIONS``).

        Setting the status it already has does nothing. Raises :class:`NotFound` for an unknown
        id and :class:`InvalidTransition` for a change the lifecycle forbids.
        """
        new = check.status(status)
        sources = [old.value for old, targets in FINDING_TRANSITIONS.items() if new in targets]
        current: str | None = None
        with self._writing() as conn:
            # One conditional UPDATE: two people clicking at once cannot skip a step.
            moved = conn.execute(
                sa.update(sql.FINDINGS)
                .where(sql.FINDINGS.c.id == id, sql.FINDINGS.c.status.in_(sources))
                .values(status=new.value, updated_at=check.now_utc())
            ).rowcount
            if not moved:
                current = conn.execute(
                    sa.select(sql.FINDINGS.c.status).where(sql.FINDINGS.c.id == id)
                ).scalar_one_or_none()
        if moved:
            return
        if current is None:
            raise NotFound(f"no finding {id}")
        if current != new.value:
            allowed = ", ".join(FINDING_TRANSITIONS[FindingStatus(current)])
            raise InvalidTransition(
                f"finding {id} is {current}: it can become {allowed}, not {new.value}"
            )
