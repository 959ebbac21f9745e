"""Findings: what the detectors flagged in a building, and their lifecycle.

``(building, kind, start)`` identifies a finding, one episode: a detector rerun updates it
(:data:`UPDATED`) rather than adding another, so no hour's waste is counted twice. Episodes of
one building, kind and set of points are one *problem*, which may recur as several findings.

The status (open → acknowledged → resolved, open → resolved at once, and resolved → open again:
``rows.FINDING_TRANSITIONS``) is the people's: they move it with
:meth:`Findings.set_finding_status`, and a rerun leaves it alone. The analytics (actor
``analytics``) change it on their own in two cases only:

- **It closes itself** (:meth:`Findings.close_quiet_findings`): an open or acknowledged finding
  whose episode ended more than ``quiet_days`` ago is resolved when its problem has stopped
  recurring, that is when no episode of the same problem ended since, or is going on. A problem
  that comes back every night so keeps its findings open, rather than each closing a week after
  its night and being reopened by the next. An ongoing finding (no end) never closes itself.
- **It reopens when the problem recurs** (:meth:`Findings.upsert_findings`): a resolved finding
  is open again when a rerun finds that its episode went on past the end stored (ongoing counts
  as later than any end), or when a new finding of the same problem starts within
  ``recurrence_days`` after its end; the event names that new finding, which is open itself.
  A new episode looks only at the latest episode of its problem before it: when that one is
  open or acknowledged, the problem is in hand and nothing older is reopened.

Every change is an event of the finding's audit trail (:meth:`Findings.finding_events`): when,
who (a person's name, ``system`` when nobody is named, or ``analytics``), what (``detect``,
``acknowledge``, ``resolve``, ``reopen``), from and to which status, and why. A resolved finding
carries ``resolved_at`` and ``resolved_by``, so a list tells one that closed itself
(``resolved_by == "analytics"``) from one a person resolved without reading the trail.

Lists are filtered, sorted and paged in the database (:meth:`Findings.finding_page`): by
building, kind, status and the period an episode overlaps, newest start or largest waste first,
with the count and waste of everything that matches, so a portfolio's years of findings never
pass through Python to show a page of them.

Writers hold the rows they may change from the first read to the commit (row locks on
PostgreSQL, taken in key order; SQLite's write lock), so two runs and a person at once neither
skip a step nor record a change twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.buildings import ensure_buildings
from byggpuls.registry.errors import InvalidTransition, InvalidValue, NotFound
from byggpuls.registry.models import FINDING_EVENTS, FINDINGS, Finding, FindingEvent
from byggpuls.registry.rows import (
    ANALYTICS_ACTOR,
    FINDING_TRANSITIONS,
    SYSTEM_ACTOR,
    FindingAction,
    FindingEventRow,
    FindingLike,
    FindingRow,
    FindingStatus,
)

#: What a detector rerun may change in a finding it found before.
UPDATED: Final = ("points", "end", "evidence", "waste_kwh", "waste_nok", "score")
#: A new finding of a resolved finding's problem starting this long after its end reopens it.
RECURRENCE_DAYS: Final = 14.0
#: An episode that ended this long ago, its problem quiet since, closes itself.
QUIET_DAYS: Final = 7.0
#: The longest actor name accepted.
ACTOR_LENGTH: Final = 200
#: How the event of a finding the analytics reopened begins.
REOPENED: Final = "recurred after it was resolved"

Key = tuple[str, str, datetime]
Problem = tuple[str, str, frozenset[str]]
_ACTION_TO: Final = {
    FindingStatus.ACKNOWLEDGED: FindingAction.ACKNOWLEDGE,
    FindingStatus.RESOLVED: FindingAction.RESOLVE,
    FindingStatus.OPEN: FindingAction.REOPEN,
}
#: What a status change sets besides the time.
_MOVED: Final = ("status", "resolved_at", "resolved_by")
_UNRESOLVED: Final = (FindingStatus.OPEN.value, FindingStatus.ACKNOWLEDGED.value)
_F = FINDINGS.c

#: How a list of findings is ordered: ``start``, the latest first; ``waste``, the most NOK first.
FindingSort = Literal["start", "waste"]
_ORDER: Final = {
    "start": (_F.start.desc(), _F.id.desc()),
    "waste": (_F.waste_nok.desc(), _F.start.desc(), _F.id.desc()),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingFilter:
    """Which findings a list is of. A criterion left None lets every finding pass; an empty
    one none (an empty set of buildings is a scope without buildings, not the whole portfolio).

    ``start`` and ``end`` select the episodes that overlap ``[start, end)``: those that start
    before ``end`` and end after ``start``, or go on.
    """

    buildings: Collection[str] | None = None
    kinds: Collection[str] | None = None
    statuses: Collection[str] | None = None
    start: datetime | None = None
    end: datetime | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        """The conditions in SQL; the values checked."""
        conditions: list[sa.ColumnElement[bool]] = []
        if self.buildings is not None:
            conditions.append(_F.building_id.in_(sorted(set(self.buildings))))
        if self.kinds is not None:
            conditions.append(_F.kind.in_(sorted(set(self.kinds))))
        if self.statuses is not None:
            conditions.append(_F.status.in_(sorted({check.status(s).value for s in self.statuses})))
        if self.end is not None:
            conditions.append(_F.start < check.aware(self.end, what="end"))
        if self.start is not None:
            start = check.aware(self.start, what="start")
            conditions.append(sa.or_(_F.end.is_(None), _F.end > start))
        return conditions


@dataclass(frozen=True, slots=True)
class FindingPage:
    """One page of a list of findings, and what all that match the filter add up to."""

    items: list[FindingRow]
    count: int
    waste_kwh: float
    waste_nok: float


@dataclass(frozen=True, slots=True)
class UnresolvedTally:
    """A building's open and acknowledged findings, and the waste they add up to."""

    building: str
    open: int
    acknowledged: int
    waste_kwh: float
    waste_nok: float


@dataclass(frozen=True, slots=True)
class _Change:
    """A status change to record: the finding's new status and the event that says why."""

    finding: int
    from_status: str | None
    to_status: FindingStatus
    action: FindingAction
    actor: str = ANALYTICS_ACTOR
    comment: str | None = None


class Findings(sql.Repository):
    """Findings in the registry database (see :class:`~byggpuls.registry._sql.Repository`)."""

    def upsert_findings(
        self, findings: Sequence[FindingLike], *, recurrence_days: float = RECURRENCE_DAYS
    ) -> int:
        """Record findings; return how many were added or updated.

        ``(building, kind, start)`` identifies a finding: a detector rerun updates its points,
        end, evidence, waste and score, and leaves its status alone (an acknowledged finding
        stays acknowledged), unless it is resolved and the problem recurred (see the module
        docstring). Unknown buildings are created as placeholders.
        """
        now = check.now_utc()
        recurrence = _days(recurrence_days, what="recurrence_days")
        by_key: dict[Key, dict[str, Any]] = {}
        for finding in findings:
            values = _values(finding, now)
            by_key[(values["building_id"], values["kind"], values["start"])] = values
        rows = [by_key[key] for key in sorted(by_key)]
        if not rows:
            return 0
        with self._writing() as conn:
            ensure_buildings(conn, [row["building_id"] for row in rows], now)
            near = _in_reach(rows, recurrence)
            # Locks what this call may reopen before the upsert locks the rest: one order for all.
            stored = conn.execute(
                sa.select(_F.id, _F.building_id, _F.kind, _F.start, _F.points, _F.end, _F.status)
                .where(near)
                .order_by(_F.building_id, _F.kind, _F.start)
                .with_for_update()
            ).all()
            stmt = sql.insert(conn, FINDINGS)
            upsert = stmt.on_conflict_do_update(
                index_elements=[_F.building_id, _F.kind, _F.start],
                set_={name: stmt.excluded[name] for name in (*UPDATED, "updated_at")},
            )
            count = sql.execute_counting(conn, upsert, rows)
            # created_at is this call's own instant only in the rows this call inserted.
            added = conn.execute(
                sa.select(_F.id, _F.building_id, _F.kind, _F.start).where(
                    near, _F.created_at == now
                )
            ).all()
            new = {(row.building_id, row.kind, row.start): row.id for row in added}
            changes = [
                _Change(id, None, FindingStatus.OPEN, FindingAction.DETECT)
                for _, id in sorted(new.items())
            ]
            changes += _recurrences(stored, by_key=by_key, new=new, recurrence=recurrence)
            _record(conn, changes, now)
        return count

    def findings(
        self, *, building: str | None = None, status: str | None = None
    ) -> list[FindingRow]:
        """Findings, latest start first, optionally of one building and in one status."""
        where = FindingFilter(
            buildings=None if building is None else [building],
            statuses=None if status is None else [status],
        )
        query = sa.select(Finding).where(*where.where()).order_by(*_ORDER["start"])
        with self._reading() as session:
            return [_row(row) for row in session.scalars(query)]

    def finding_page(
        self,
        where: FindingFilter,
        *,
        sort: FindingSort = "start",
        limit: int | None = None,
        offset: int = 0,
    ) -> FindingPage:
        """The findings that pass ``where``, sorted by ``sort``, ``offset`` skipped and at most
        ``limit`` (None: all) given; with the count and waste of all that pass.

        Two statements in one transaction, both filtered by the database: the totals and the
        page agree even while the analytics write.
        """
        if sort not in _ORDER:
            raise InvalidValue(f"sort {sort!r} is not one of {', '.join(_ORDER)}")
        if offset < 0 or (limit is not None and limit < 0):
            raise InvalidValue(f"limit ({limit}) and offset ({offset}) must not be negative")
        conditions = where.where()
        totals = sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(_F.waste_kwh), 0.0),
            sa.func.coalesce(sa.func.sum(_F.waste_nok), 0.0),
        ).where(*conditions)
        page = (
            sa.select(Finding)
            .where(*conditions)
            .order_by(*_ORDER[sort])
            .offset(offset)
            .limit(limit)
        )
        with self._reading() as session:
            count, waste_kwh, waste_nok = session.execute(totals).one()
            items = [_row(row) for row in session.scalars(page)] if count > offset else []
        return FindingPage(items, int(count), float(waste_kwh), float(waste_nok))

    def unresolved_tallies(self) -> list[UnresolvedTally]:
        """Per building with open or acknowledged findings, how many and their waste; by id."""
        open_ = sa.case((_F.status == FindingStatus.OPEN.value, 1), else_=0)
        query = (
            sa.select(
                _F.building_id,
                sa.func.sum(open_),
                sa.func.count(),
                sa.func.sum(_F.waste_kwh),
                sa.func.sum(_F.waste_nok),
            )
            .where(_F.status.in_(_UNRESOLVED))
            .group_by(_F.building_id)
            .order_by(_F.building_id)
        )
        with self._reading() as session:
            return [
                UnresolvedTally(building, int(opened), int(count - opened), float(kwh), float(nok))
                for building, opened, count, kwh, nok in session.execute(query)
            ]

    def finding(self, id: int) -> FindingRow | None:
        """The finding ``id``, or None."""
        with self._reading() as session:
            row = session.get(Finding, id)
            return None if row is None else _row(row)

    def finding_events(self, id: int) -> list[FindingEventRow]:
        """The audit trail of finding ``id``, first event first; empty for an unknown id."""
        query = sa.select(FindingEvent).where(FindingEvent.finding_id == id)
        with self._reading() as session:
            return [
                sql.detached(FindingEventRow, row, {"finding": "finding_id"})
                for row in session.scalars(query.order_by(FindingEvent.id))
            ]

    def set_finding_status(
        self, id: int, status: str, *, actor: str = SYSTEM_ACTOR, comment: str | None = None
    ) -> None:
        """Move a finding along its lifecycle (``rows.FINDING_TRANSITIONS``) and record who did.

        ``actor`` names who moves it (a person's name; ``system`` when nobody is named),
        ``comment`` why. Setting the status it already has does nothing and records nothing.
        Raises :class:`NotFound` for an unknown id and :class:`InvalidTransition` for a change
        the lifecycle forbids.
        """
        new = check.status(status)
        who, why = _actor(actor), _comment(comment)
        with self._writing() as conn:
            # Holding the row until the commit: two people clicking at once take turns, so
            # neither skips a step, and each change is recorded once.
            current = conn.execute(
                sa.select(_F.status).where(_F.id == id).with_for_update()
            ).scalar_one_or_none()
            allowed = current is not None and new in FINDING_TRANSITIONS[FindingStatus(current)]
            if allowed:
                change = _Change(id, current, new, _ACTION_TO[new], actor=who, comment=why)
                _record(conn, [change], check.now_utc())
        if current is None:
            raise NotFound(f"no finding {id}")
        if not allowed and current != new.value:
            targets = ", ".join(sorted(FINDING_TRANSITIONS[FindingStatus(current)]))
            raise InvalidTransition(
                f"finding {id} is {current}: it can become {targets}, not {new.value}"
            )

    def close_quiet_findings(self, *, now: datetime, quiet_days: float = QUIET_DAYS) -> int:
        """Resolve open and acknowledged findings whose problem stopped recurring; return how many.

        A finding closes itself when its episode ended more than ``quiet_days`` before ``now``
        and no episode of the same building, kind and points has ended since then or is going
        on. Its event (actor ``analytics``) says it stopped recurring; ``resolved_by`` is
        ``analytics``. Findings without an end are going on and stay as they are.
        """
        now = check.aware(now, what="now")
        cutoff = now - _days(quiet_days, what="quiet_days")
        with self._writing() as conn:
            stale = conn.execute(
                sa.select(_F.id, _F.building_id, _F.kind, _F.points, _F.status)
                .where(_F.status.in_(_UNRESOLVED), _F.end < cutoff)
                .order_by(_F.building_id, _F.kind, _F.start)
                .with_for_update()
            ).all()
            if not stale:
                return 0
            recent = conn.execute(
                sa.select(_F.building_id, _F.kind, _F.points).where(
                    sa.or_(_F.end.is_(None), _F.end >= cutoff)
                )
            ).all()
            recurring = {_problem(row.building_id, row.kind, row.points) for row in recent}
            why = (
                f"stopped recurring: no episode of it in the {quiet_days:g} days before"
                f" {now:%Y-%m-%d %H:%M} UTC"
            )
            resolved, resolve = FindingStatus.RESOLVED, FindingAction.RESOLVE
            changes = [
                _Change(row.id, row.status, resolved, resolve, comment=why)
                for row in stale
                if _problem(row.building_id, row.kind, row.points) not in recurring
            ]
            _record(conn, changes, check.now_utc())
        return len(changes)


def _in_reach(rows: Sequence[dict[str, Any]], recurrence: timedelta) -> sa.ColumnElement[bool]:
    """Where the stored findings are that a batch of ``rows`` updates, or whose status its new
    episodes depend on: of its buildings and kinds, those that start in its time or ended at
    most ``recurrence`` before, and those going on."""
    earliest = min(row["start"] for row in rows)
    return sa.and_(
        _F.building_id.in_(sorted({row["building_id"] for row in rows})),
        _F.kind.in_(sorted({row["kind"] for row in rows})),
        sa.or_(_F.start >= earliest, _F.end >= earliest - recurrence, _F.end.is_(None)),
    )


@dataclass(slots=True)
class _Episode:
    """A finding of a problem as it is after the upsert: when, which, and its status."""

    start: datetime
    end: datetime | None
    id: int
    status: str

    def order(self) -> tuple[bool, datetime, int]:
        """Sorts by end, going on last."""
        return (self.end is None, self.end or self.start, self.id)


def _recurrences(
    stored: Iterable[sa.Row[*tuple[Any, ...]]],
    *,
    by_key: dict[Key, dict[str, Any]],
    new: dict[Key, int],
    recurrence: timedelta,
) -> list[_Change]:
    """The resolved findings among ``stored`` that the upsert of ``by_key`` (which added
    ``new``) reopens: those whose episode went on past the end stored; then, for each new
    episode, the latest episode of its problem before it, when that one is resolved and ended
    at most ``recurrence`` before the new one started."""
    changes = []
    episodes: dict[Problem, list[_Episode]] = {}
    for row in stored:
        key = (row.building_id, row.kind, row.start)
        update = by_key.get(key, {"end": row.end, "points": row.points})
        status = row.status
        if status == FindingStatus.RESOLVED and _later(update["end"], row.end):
            changes.append(_reopen(row.id, REOPENED))
            status = FindingStatus.OPEN.value
        problem = _problem(row.building_id, row.kind, update["points"])
        episodes.setdefault(problem, []).append(_Episode(row.start, update["end"], row.id, status))
    for key, id in new.items():
        problem = _problem(key[0], key[1], by_key[key]["points"])
        episodes.setdefault(problem, []).append(
            _Episode(key[2], by_key[key]["end"], id, FindingStatus.OPEN.value)
        )
    for key, id in sorted(new.items()):
        start = key[2]
        problem = _problem(key[0], key[1], by_key[key]["points"])
        before = [episode for episode in episodes[problem] if episode.start < start]
        if not before:
            continue
        last = max(before, key=_Episode.order)
        if last.status != FindingStatus.RESOLVED or last.end is None:
            continue
        if last.end <= start <= last.end + recurrence:
            comment = f"{REOPENED}: as finding {id}, from {start:%Y-%m-%d %H:%M} UTC"
            changes.append(_reopen(last.id, comment))
            last.status = FindingStatus.OPEN.value
    return changes


def _reopen(id: int, comment: str) -> _Change:
    resolved = FindingStatus.RESOLVED.value
    return _Change(id, resolved, FindingStatus.OPEN, FindingAction.REOPEN, comment=comment)


def _record(conn: Connection, changes: Sequence[_Change], now: datetime) -> None:
    """Apply status changes to rows this transaction holds, and add their events."""
    moves = [change for change in changes if change.from_status is not None]
    if moves:
        moved = {name: sa.bindparam(f"new_{name}", type_=_F[name].type) for name in _MOVED}
        update = sa.update(FINDINGS).where(_F.id == sa.bindparam("finding_id"))
        conn.execute(update.values(updated_at=now, **moved), [_moved(c, now) for c in moves])
    if changes:
        conn.execute(sa.insert(FINDING_EVENTS), [_event(c, now) for c in changes])


def _moved(change: _Change, now: datetime) -> dict[str, Any]:
    """A finding's new status; who resolved it and when only while it is resolved."""
    resolved = change.to_status == FindingStatus.RESOLVED
    return {
        "finding_id": change.finding,
        "new_status": change.to_status.value,
        "new_resolved_at": now if resolved else None,
        "new_resolved_by": change.actor if resolved else None,
    }


def _event(change: _Change, now: datetime) -> dict[str, Any]:
    return {
        "finding_id": change.finding,
        "occurred_at": now,
        "actor": change.actor,
        "action": change.action.value,
        "from_status": change.from_status,
        "to_status": change.to_status.value,
        "comment": change.comment,
    }


def _later(end: datetime | None, than: datetime | None) -> bool:
    """Whether an episode ending at ``end`` went on past ``than``; None means still going on."""
    if than is None:
        return False
    return end is None or end > than


def _problem(building: str, kind: str, points: Iterable[str]) -> Problem:
    """What episodes of one problem share: building, kind and points (in any order)."""
    return (building, kind, frozenset(points))


def _days(value: float, *, what: str) -> timedelta:
    days = check.finite(value, what=what)
    if days is None or days < 0:
        raise InvalidValue(f"{what} must be a number of days, 0 or more, not {value!r}")
    return timedelta(days=days)


def _actor(value: str) -> str:
    actor = (check.text(value) or "").strip()
    if not actor or len(actor) > ACTOR_LENGTH:
        raise InvalidValue(f"actor {value!r} must have 1 to {ACTOR_LENGTH} characters")
    return actor


def _comment(value: str | None) -> str | None:
    comment = check.text(value)
    return comment.strip() or None if comment is not None else None


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
