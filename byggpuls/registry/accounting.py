"""Completeness accounting: which packs each gateway sent, and how many readings each point gave.

Ingest records every telemetry pack it stored, by ``(building, gateway, seq)``. One transaction
per batch does it all with atomic statements, so any number of ingest workers can share the work:

- ``pack_receipts`` holds one row per pack seen. Inserting with ``ON CONFLICT DO NOTHING`` tells
  a new pack from a repeated one (a gateway resending after a crash, or the broker redelivering
  after an ingest restart): a repeat is counted as a duplicate and its readings are not counted
  again.
- ``gateway_sequences`` keeps per gateway the packs seen, the duplicates and the lowest and
  highest sequence number; ``missing = last_seq - first_seq + 1 - packs`` (packs still in flight
  at another worker show as missing for a moment).
- ``point_day_readings`` counts readings per building, point and local (Europe/Oslo) day,
  incremented (``readings = readings + n``); :meth:`Accounting.completeness` sets them against
  what the point's ``interval_s`` promises since the registry first saw the point.
- ``gateway_states`` keeps the last ``status`` of each gateway (online/offline, spool depth and
  readings the spool dropped).

Receipts are only needed to recognise repeats; :meth:`Accounting.prune_receipts` removes old
ones (the totals stay). The tables are declared in :mod:`~byggpuls.registry.models`; the values
(:class:`PackTally`, the rows, :func:`day_of`, :func:`readings_per_day`) live in
:mod:`~byggpuls.registry.rows` and are importable from here too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.models import DAY_READINGS, POINTS, RECEIPTS, SEQUENCES, STATES
from byggpuls.registry.rows import (
    CompletenessRow,
    GatewaySequenceRow,
    GatewayStateRow,
    PackTally,
    RecordResult,
    day_of,
    local_day_bounds,
    readings_due,
    readings_per_day,
)

#: The rows call the ``building_id`` column ``building``.
_BUILDING: Final = {"building": "building_id"}

# The columns travel as comma-separated text, split by the server: psycopg dumps a list
# parameter element by element in Python, which cost ingest a microsecond per reading.
_PG_COUNT_READINGS: Final = sa.text(
    """
    INSERT INTO point_day_readings (building_id, point_id, day, readings)
    SELECT * FROM unnest(
        string_to_array(:buildings, ','), string_to_array(:points, ','),
        CAST(string_to_array(:days, ',') AS date[]),
        CAST(string_to_array(:readings, ',') AS bigint[])
    )
    ON CONFLICT (building_id, point_id, day)
    DO UPDATE SET readings = point_day_readings.readings + excluded.readings
    """
)


_SQLITE_COUNT_READINGS: Final = """
    INSERT INTO point_day_readings (building_id, point_id, day, readings) VALUES (?, ?, ?, ?)
    ON CONFLICT (building_id, point_id, day)
    DO UPDATE SET readings = point_day_readings.readings + excluded.readings
"""


# -- the accounting -------------------------------------------------------------------------------


def _larger(new: Any, old: Any) -> sa.ColumnElement[Any]:
    # greatest()/max(a, b) differ between PostgreSQL and SQLite; CASE is the same in both.
    return sa.case((new > old, new), else_=old)


def _smaller(new: Any, old: Any) -> sa.ColumnElement[Any]:
    return sa.case((new < old, new), else_=old)


class Accounting(sql.Repository):
    """Records and answers completeness: sequence gaps, duplicates and readings per point-day.

    Thread-safe and safe across processes: every change is an atomic upsert or increment. For
    what it is given and what it raises, see :class:`~byggpuls.registry._sql.Repository`.
    """

    def record(self, packs: Sequence[PackTally], *, now: datetime | None = None) -> RecordResult:
        """Count stored packs in one transaction; a pack seen before counts as a duplicate only.

        Returns the totals of the gateways concerned, for metrics.
        """
        if not packs:
            return RecordResult(new_packs=0, duplicates=0, gateways=[])
        now = check.aware(now or check.now_utc(), what="now")
        by_key: dict[tuple[str, str, int], PackTally] = {}
        repeats_in_batch: dict[tuple[str, str], int] = defaultdict(int)
        for pack in packs:
            key = (check.building_id(pack.building), _gateway(pack.gateway), int(pack.seq))
            if key in by_key:
                repeats_in_batch[key[:2]] += 1
            else:
                by_key[key] = pack
        # One lock order for every worker, so concurrent batches wait instead of deadlocking.
        keys = sorted(by_key)
        with self._writing() as conn:
            rows = [
                {"building_id": b, "gateway": g, "seq": s, "received_at": now} for b, g, s in keys
            ]
            # executemany of one statement: compiled once, sent in bulk by the driver.
            stmt = (
                sql.insert(conn, RECEIPTS)
                .on_conflict_do_nothing(index_elements=["building_id", "gateway", "seq"])
                .returning(RECEIPTS.c.building_id, RECEIPTS.c.gateway, RECEIPTS.c.seq)
            )
            new = {(b, g, int(s)) for b, g, s in conn.execute(stmt, rows)}
            gateways = self._count_sequences(conn, keys, new, repeats_in_batch, now)
            self._count_readings(conn, [by_key[key] for key in keys if key in new])
            result = self._sequence_rows(conn, gateways)
        duplicates = len(keys) - len(new) + sum(repeats_in_batch.values())
        return RecordResult(new_packs=len(new), duplicates=duplicates, gateways=result)

    def _count_sequences(
        self,
        conn: Connection,
        keys: list[tuple[str, str, int]],
        new: set[tuple[str, str, int]],
        repeats: Mapping[tuple[str, str], int],
        now: datetime,
    ) -> list[tuple[str, str]]:
        totals: dict[tuple[str, str], dict[str, Any]] = {}
        for building, gateway, seq in keys:
            row = totals.get((building, gateway))
            if row is None:
                row = totals[(building, gateway)] = {
                    "building_id": building,
                    "gateway": gateway,
                    "packs": 0,
                    "duplicates": repeats.get((building, gateway), 0),
                    "first_seq": seq,
                    "last_seq": seq,
                    "first_seen": now,
                    "last_seen": now,
                }
            row["first_seq"] = min(row["first_seq"], seq)
            row["last_seq"] = max(row["last_seq"], seq)
            if (building, gateway, seq) in new:
                row["packs"] += 1
            else:
                row["duplicates"] += 1
        ordered = sorted(totals)
        stmt = sql.insert(conn, SEQUENCES)
        excluded = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["building_id", "gateway"],
                set_={
                    "packs": SEQUENCES.c.packs + excluded.packs,
                    "duplicates": SEQUENCES.c.duplicates + excluded.duplicates,
                    "first_seq": _smaller(excluded.first_seq, SEQUENCES.c.first_seq),
                    "last_seq": _larger(excluded.last_seq, SEQUENCES.c.last_seq),
                    "last_seen": excluded.last_seen,
                },
            ),
            [totals[key] for key in ordered],
        )
        return ordered

    def _count_readings(self, conn: Connection, packs: Sequence[PackTally]) -> None:
        counts: dict[tuple[str, str, date], int] = defaultdict(int)
        for pack in packs:
            for (point, day), readings in pack.readings.items():
                counts[(pack.building, point, day)] += readings
        if not counts:
            return
        keys = sorted(counts)
        if conn.dialect.name == "postgresql":
            # One statement over arrays: a batch holds a row per point, thousands of them, and
            # executemany would pay a round trip and SQLAlchemy's per-row work for each.
            buildings, points, days = zip(*keys, strict=True)
            for point in set(points):  # ids hold no comma; buildings were checked in record()
                check.point_id(point)
            conn.execute(
                _PG_COUNT_READINGS,
                {
                    "buildings": ",".join(buildings),
                    "points": ",".join(points),
                    "days": ",".join(map(date.isoformat, days)),
                    "readings": ",".join(map(str, map(counts.__getitem__, keys))),
                },
            )
            return
        # SQLite runs in-process: the driver's executemany, without SQLAlchemy's work per row.
        # SQLAlchemy stores a SQLite date as ISO text, which isoformat() gives.
        conn.exec_driver_sql(
            _SQLITE_COUNT_READINGS,
            [(b, p, d.isoformat(), counts[(b, p, d)]) for b, p, d in keys],
        )

    def _sequence_rows(
        self, conn: Connection, keys: Sequence[tuple[str, str]]
    ) -> list[GatewaySequenceRow]:
        if not keys:
            return []
        query = sa.select(SEQUENCES).where(
            sa.tuple_(SEQUENCES.c.building_id, SEQUENCES.c.gateway).in_(list(keys))
        )
        return [_sequence_row(row) for row in conn.execute(query)]

    def record_status(
        self,
        *,
        building: str,
        gateway: str,
        state: str,
        spool_depth: int | None = None,
        spool_dropped: int | None = None,
        reported_at: datetime | None = None,
    ) -> None:
        """Keep a gateway's latest status; an older report never replaces a newer one."""
        now = check.now_utc()
        values = {
            "building_id": check.building_id(building),
            "gateway": _gateway(gateway),
            "state": check.text(state),
            "spool_depth": spool_depth,
            "spool_dropped": spool_dropped,
            "reported_at": None
            if reported_at is None
            else check.aware(reported_at, what="reported_at"),
            "updated_at": now,
        }
        with self._writing() as conn:
            stmt = sql.insert(conn, STATES).values(values)
            excluded = stmt.excluded
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["building_id", "gateway"],
                    set_={
                        name: excluded[name]
                        for name in (
                            "state",
                            "spool_depth",
                            "spool_dropped",
                            "reported_at",
                            "updated_at",
                        )
                    },
                    # Retained and live copies of a status may arrive in any order.
                    where=sa.or_(
                        excluded.reported_at.is_(None),
                        STATES.c.reported_at.is_(None),
                        excluded.reported_at >= STATES.c.reported_at,
                    ),
                )
            )

    # -- queries ----------------------------------------------------------------------------------

    def completeness(
        self, building: str, day: date, *, now: datetime | None = None
    ) -> list[CompletenessRow]:
        """Readings received versus due for every point of ``building`` on local ``day``.

        A point owes one reading every ``interval_s`` from the later of the day's start
        (Europe/Oslo midnight: days are 23 or 25 hours long when the clocks change) and the
        time the registry first saw the point, to the earlier of the day's end and ``now``.
        So a day before a point existed owes nothing, and a gateway that was down owes the
        readings it did not send. Points without ``interval_s`` have ``expected=None``: they
        cannot be counted. Points that sent readings but are not in the registry are included
        too, equally without ``expected``.
        """
        now = check.aware(now or check.now_utc(), what="now")
        start, end = local_day_bounds(day)
        counted = sa.select(DAY_READINGS.c.point_id, DAY_READINGS.c.readings).where(
            DAY_READINGS.c.building_id == building, DAY_READINGS.c.day == day
        )
        described = sa.select(
            POINTS.c.point_id, POINTS.c.gateway, POINTS.c.interval_s, POINTS.c.first_seen
        ).where(POINTS.c.building_id == building)
        with self._reading() as session:
            points = {row.point_id: row for row in session.execute(described)}
            received = {row.point_id: int(row.readings) for row in session.execute(counted)}
        rows = []
        for point in sorted(points.keys() | received.keys()):
            described_point = points.get(point)
            gateway = None if described_point is None else described_point.gateway
            interval_s = None if described_point is None else described_point.interval_s
            expected = None
            if described_point is not None and interval_s:
                expected = readings_due(
                    start=max(start, described_point.first_seen),
                    end=min(end, now),
                    interval_s=interval_s,
                )
            rows.append(
                CompletenessRow(
                    building=building,
                    point=point,
                    gateway=gateway,
                    day=day,
                    received=received.get(point, 0),
                    interval_s=interval_s,
                    expected=expected,
                )
            )
        return rows

    def gateway_sequences(self, building: str | None = None) -> list[GatewaySequenceRow]:
        """Sequence accounting of every gateway (of ``building``), by building and gateway."""
        query = sa.select(SEQUENCES).order_by(SEQUENCES.c.building_id, SEQUENCES.c.gateway)
        if building is not None:
            query = query.where(SEQUENCES.c.building_id == building)
        with self._reading() as session:
            return [_sequence_row(row) for row in session.execute(query)]

    def missing_ranges(
        self, *, building: str, gateway: str, limit: int = 100
    ) -> list[tuple[int, int]]:
        """The first ``limit`` runs of sequence numbers of a gateway that never arrived.

        Each run is ``(first, last)``, inclusive. Only receipts not yet pruned are looked at.
        """
        following = sa.func.lead(RECEIPTS.c.seq).over(order_by=RECEIPTS.c.seq).label("following")
        steps = (
            sa.select(RECEIPTS.c.seq, following)
            .where(RECEIPTS.c.building_id == building, RECEIPTS.c.gateway == gateway)
            .subquery()
        )
        query = (
            sa.select(steps.c.seq, steps.c.following)
            .where(steps.c.following > steps.c.seq + 1)
            .order_by(steps.c.seq)
            .limit(limit)
        )
        with self._reading() as session:
            return [(int(seq) + 1, int(nxt) - 1) for seq, nxt in session.execute(query)]

    def gateway_states(self, building: str | None = None) -> list[GatewayStateRow]:
        """The last status of every gateway (of ``building``)."""
        query = sa.select(STATES).order_by(STATES.c.building_id, STATES.c.gateway)
        if building is not None:
            query = query.where(STATES.c.building_id == building)
        with self._reading() as session:
            return [sql.detached(GatewayStateRow, row, _BUILDING) for row in session.execute(query)]

    def prune_receipts(self, *, before: datetime) -> int:
        """Forget receipts of packs received before ``before``; return how many went."""
        before = check.aware(before, what="before")
        with self._writing() as conn:
            result = conn.execute(sa.delete(RECEIPTS).where(RECEIPTS.c.received_at < before))
            return max(result.rowcount, 0)


def _gateway(value: str) -> str:
    check.gateway_id(value)
    return value


def _sequence_row(row: sa.Row[Any]) -> GatewaySequenceRow:
    return sql.detached(GatewaySequenceRow, row, _BUILDING)


__all__ = [
    "Accounting",
    "CompletenessRow",
    "GatewaySequenceRow",
    "GatewayStateRow",
    "PackTally",
    "RecordResult",
    "day_of",
    "readings_per_day",
]
