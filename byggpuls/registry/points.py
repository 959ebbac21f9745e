"""The points of each building: described by birth messages, or implied by telemetry.

Writes are single upsert statements (``INSERT ... ON CONFLICT``), never read-then-write, so two
ingest processes may describe the same points at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import sqlalchemy as sa

from byggpuls.reading import PointInfo
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.buildings import ensure_buildings
from byggpuls.registry.models import POINTS, Point
from byggpuls.registry.rows import PointRow, PointSource

logger = logging.getLogger(__name__)

#: What a point's description consists of; ``meta`` sets all of it.
REQUIRED: Final = ("domain", "quantity", "unit")
OPTIONAL: Final = ("brick_class", "zone", "interval_s", "description", "gateway")


class Points(sql.Repository):
    """Points in the registry database (see :class:`~byggpuls.registry._sql.Repository`)."""

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
            ensure_buildings(conn, buildings, now)
            stmt = _upsert(sql.insert(conn, POINTS), origin)
            changed = sql.execute_counting(conn, stmt, rows)
        logger.debug(
            "upserted %s of %s %s points of %s", changed, len(rows), origin, ", ".join(buildings)
        )
        return changed

    def points(self, building: str) -> list[PointRow]:
        """The points of ``building``, by point id."""
        query = sa.select(Point).where(Point.building_id == building).order_by(Point.point_id)
        with self._reading() as session:
            return [_row(row) for row in session.scalars(query)]

    def all_points(self) -> dict[str, list[PointRow]]:
        """Every building's points, by building and point id, in one query: the portfolio's
        list needs them all, and a query per building costs a thousand round trips."""
        # Plain rows, not ORM objects: building six thousand objects costs more than the query.
        query = sa.select(*Point.__table__.columns).order_by(Point.building_id, Point.point_id)
        found: dict[str, list[PointRow]] = {}
        with self._reading() as session:
            for row in session.execute(query):
                found.setdefault(row.building_id, []).append(_row(row))
        return found

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
            return None if row is None else _row(row)


def _row(row: Point | sa.Row[Any]) -> PointRow:
    return sql.detached(PointRow, row, {"building": "building_id", "point": "point_id"})


def _changed(columns: Sequence[str], stmt: sql.Insert) -> sa.ColumnElement[bool]:
    """True where the proposed row differs from the stored one in any of ``columns``."""
    return sa.or_(*(POINTS.c[name].is_distinct_from(stmt.excluded[name]) for name in columns))


def _upsert(stmt: sql.Insert, source: PointSource) -> sql.Insert:
    """``stmt`` (an insert of points) updating stored points as ``source`` may (see above)."""
    described = (*REQUIRED, *OPTIONAL)
    if source is PointSource.META:
        # A birth message is the authority: it replaces whatever was there, telemetry or meta.
        set_: dict[str, Any] = {name: stmt.excluded[name] for name in (*described, "source")}
        where = _changed((*described, "source"), stmt)
    else:
        # Data only implies a point: it may fill in a telemetry point but never touches one a
        # birth message described, and never blanks a field it does not know.
        set_ = {name: stmt.excluded[name] for name in REQUIRED}
        set_ |= {name: sa.func.coalesce(stmt.excluded[name], POINTS.c[name]) for name in OPTIONAL}
        where = sa.and_(
            POINTS.c.source == PointSource.TELEMETRY.value,
            sa.or_(
                _changed(REQUIRED, stmt),
                *(
                    sa.and_(
                        stmt.excluded[name].is_not(None),
                        POINTS.c[name].is_distinct_from(stmt.excluded[name]),
                    )
                    for name in OPTIONAL
                ),
            ),
        )
    set_["updated_at"] = stmt.excluded.updated_at
    return stmt.on_conflict_do_update(
        index_elements=[POINTS.c.building_id, POINTS.c.point_id], set_=set_, where=where
    )
