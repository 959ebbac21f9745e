"""Findings: what the detectors flagged in a building, and their lifecycle.

``(building, kind, start)`` identifies a finding, so a detector rerun updates it rather than
adding another; the status (open → acknowledged → resolved) is the people's, never the detector's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.buildings import ensure_buildings
from byggpuls.registry.errors import InvalidTransition, InvalidValue, NotFound
from byggpuls.registry.models import FINDINGS, Finding
from byggpuls.registry.rows import FINDING_TRANSITIONS, FindingLike, FindingRow, FindingStatus

#: What a detector rerun may change in a finding it found before.
UPDATED: Final = ("points", "end", "evidence", "waste_kwh", "waste_nok", "score")


class Findings(sql.Repository):
    """Findings in the registry database (see :class:`~byggpuls.registry._sql.Repository`)."""

    def upsert_findings(self, findings: Sequence[FindingLike]) -> int:
        """Record findings; return how many were added or updated.

        ``(building, kind, start)`` identifies a finding: a detector rerun updates its points,
        end, evidence, waste and score, and leaves its status alone (an acknowledged finding
        stays acknowledged). Unknown buildings are created as placeholders.
        """
        now = check.now_utc()
        by_key: dict[tuple[str, str, datetime], dict[str, Any]] = {}
        for finding in findings:
            values = _values(finding, now)
            by_key[(values["building_id"], values["kind"], values["start"])] = values
        rows = [by_key[key] for key in sorted(by_key)]
        if not rows:
            return 0
        with self._writing() as conn:
            ensure_buildings(conn, [row["building_id"] for row in rows], now)
            stmt = sql.insert(conn, FINDINGS)
            upsert = stmt.on_conflict_do_update(
                index_elements=[FINDINGS.c.building_id, FINDINGS.c.kind, FINDINGS.c.start],
                set_={name: stmt.excluded[name] for name in (*UPDATED, "updated_at")},
            )
            return sql.execute_counting(conn, upsert, rows)

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
            return [_row(row) for row in session.scalars(query)]

    def finding(self, id: int) -> FindingRow | None:
        """The finding ``id``, or None."""
        with self._reading() as session:
            row = session.get(Finding, id)
            return None if row is None else _row(row)

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
                sa.update(FINDINGS)
                .where(FINDINGS.c.id == id, FINDINGS.c.status.in_(sources))
                .values(status=new.value, updated_at=check.now_utc())
            ).rowcount
            if not moved:
                current = conn.execute(
                    sa.select(FINDINGS.c.status).where(FINDINGS.c.id == id)
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


def _row(row: Finding) -> FindingRow:
    return sql.detached(FindingRow, row, {"building": "building_id"}, points=tuple(row.points))


def _values(finding: FindingLike, now: datetime) -> dict[str, Any]:
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
