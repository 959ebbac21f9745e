"""Each building's health per local day: what the analytics scored, kept for the trend.

The analytics compute the score (a pure function of the building's findings, energy, indoor
climate and data quality) and record it here once per day and building; recording a day again
replaces it, so a rerun over the same data changes nothing. The dashboard reads the newest day
of every building for the portfolio, and a building's days for its trend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import sqlalchemy as sa

from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import HEALTH, BuildingHealthDay

#: The rows call the ``building_id`` column ``building``.
_BUILDING: Final = {"building": "building_id"}
_REPLACED: Final = ("score", "band", "parts", "computed_at")


@dataclass(frozen=True, slots=True)
class HealthDay:
    """A building's health on one local day: 0-100 and its band, or None while unknown."""

    building: str
    day: date
    score: float | None
    band: str | None
    #: The breakdown: per part its score, weight and the reasons it lost points.
    parts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class HealthDayRow:
    """A recorded day of a building's health."""

    building: str
    day: date
    score: float | None
    band: str | None
    parts: Mapping[str, Any]
    computed_at: datetime


class HealthDays(sql.Repository):
    """The buildings' daily health (see :class:`~byggpuls.registry._sql.Repository`)."""

    def record_health(self, days: Sequence[HealthDay]) -> int:
        """Record (or replace) each building's health on each given day; returns how many."""
        now = check.now_utc()
        rows = [_values(day, now) for day in days]
        with self._writing() as conn:
            stmt = sql.insert(conn, HEALTH)
            stmt = stmt.on_conflict_do_update(
                index_elements=[HEALTH.c.building_id, HEALTH.c.day],
                set_={name: stmt.excluded[name] for name in _REPLACED},
            )
            return sql.execute_counting(conn, stmt, rows)

    def health_days(
        self, building: str, *, since: date | None = None, until: date | None = None
    ) -> list[HealthDayRow]:
        """``building``'s recorded days from ``since`` to ``until`` (both included), oldest
        first."""
        query = sa.select(BuildingHealthDay).where(BuildingHealthDay.building_id == building)
        if since is not None:
            query = query.where(BuildingHealthDay.day >= since)
        if until is not None:
            query = query.where(BuildingHealthDay.day <= until)
        with self._reading() as session:
            rows = session.scalars(query.order_by(BuildingHealthDay.day))
            return [sql.detached(HealthDayRow, row, _BUILDING) for row in rows]

    def latest_health(self) -> dict[str, HealthDayRow]:
        """Per building, its newest recorded day (buildings never scored are absent)."""
        newest = (
            sa.select(
                BuildingHealthDay.building_id, sa.func.max(BuildingHealthDay.day).label("day")
            )
            .group_by(BuildingHealthDay.building_id)
            .subquery()
        )
        # Plain rows, not ORM objects: the portfolio reads a thousand of them per request.
        query = sa.select(*HEALTH.c).join(
            newest,
            (HEALTH.c.building_id == newest.c.building_id) & (HEALTH.c.day == newest.c.day),
        )
        with self._reading() as session:
            rows = session.execute(query.order_by(HEALTH.c.building_id))
            return {row.building_id: sql.detached(HealthDayRow, row, _BUILDING) for row in rows}


def _values(day: HealthDay, now: datetime) -> dict[str, Any]:
    score = check.finite(day.score, what="score")
    if score is not None and not 0.0 <= score <= 100.0:
        raise InvalidValue(f"health score {score} of {day.building!r} is not within 0-100")
    if (score is None) != (day.band is None):
        raise InvalidValue(f"health of {day.building!r}: a score needs a band, and only a score")
    return {
        "building_id": check.building_id(day.building),
        "day": day.day,
        "score": score,
        "band": check.text(day.band),
        "parts": check.json_object(day.parts, what="parts"),
        "computed_at": now,
    }
