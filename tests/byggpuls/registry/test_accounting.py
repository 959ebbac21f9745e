"""Completeness accounting in the registry database, on SQLite and PostgreSQL (ingest writes it)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from byggpuls.calendar import TIMEZONE
from byggpuls.reading import PointInfo
from byggpuls.registry import Registry
from byggpuls.registry.accounting import Accounting, PackTally, readings_per_day
from byggpuls.registry.models import POINTS

DAY = date(2025, 11, 24)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TIMEZONE)


def describe(
    engine: Engine, points: dict[str, int | None], *, at: datetime, gateway: str = "gw-1"
) -> None:
    """Describe ``points`` (point -> interval_s) of skole-01 as a birth message did at ``at``."""
    Registry(engine).upsert_points(
        building="skole-01",
        gateway=gateway,
        points=[
            PointInfo(point=p, domain="energy", quantity="power", unit="kW", interval_s=interval)
            for p, interval in points.items()
        ],
        source="meta",
    )
    # The registry stamps a point with the time it first saw it; the tests choose that time.
    with engine.begin() as conn:
        conn.execute(sa.update(POINTS).where(POINTS.c.point_id.in_(points)).values(first_seen=at))


def samples_ms(start: datetime, end: datetime, interval_s: int) -> Iterator[int]:
    """Every sampling instant of a point in ``[start, end)``, as a gateway takes them."""
    step_ms = interval_s * 1000
    first_ms = -(-int(start.timestamp() * 1000) // step_ms) * step_ms
    yield from range(first_ms, int(end.timestamp() * 1000), step_ms)


def packs(
    readings: Iterable[tuple[str, int]], *, gateway: str = "gw-1", first_seq: int = 1
) -> list[PackTally]:
    """The (point, time_ms) readings as packs of at most 500, the way ingest counts them."""
    listed = sorted(readings, key=lambda reading: reading[1])
    return [
        PackTally(
            building="skole-01",
            gateway=gateway,
            seq=first_seq + n,
            readings=readings_per_day(listed[offset : offset + 500]),
        )
        for n, offset in enumerate(range(0, len(listed), 500))
    ]


def tally(seq: int, *, gateway: str = "gw-1", readings: int = 4, point: str = "p1") -> PackTally:
    return PackTally(
        building="skole-01", gateway=gateway, seq=seq, readings={(point, DAY): readings}
    )


def test_repeats_are_duplicates_and_gaps_are_missing(engine: Engine) -> None:
    accounting = Accounting(engine)
    first = accounting.record([tally(1), tally(2), tally(5)])
    assert (first.new_packs, first.duplicates) == (3, 0)
    (row,) = first.gateways
    assert (row.packs, row.first_seq, row.last_seq, row.missing) == (3, 1, 5, 2)

    # A gateway resends 2 after a crash; 3 arrives late; 5 comes twice in one batch.
    second = accounting.record([tally(2), tally(3), tally(5), tally(5)])
    assert (second.new_packs, second.duplicates) == (1, 3)
    (row,) = accounting.gateway_sequences("skole-01")
    assert (row.packs, row.duplicates, row.missing) == (4, 3, 1)
    assert accounting.missing_ranges(building="skole-01", gateway="gw-1") == [(4, 4)]

    # Readings of repeated packs are not counted again.
    (point,) = accounting.completeness("skole-01", DAY)
    assert point.received == 4 * 4


def test_completeness_sets_readings_against_the_interval(engine: Engine) -> None:
    describe(engine, {"p1": 60, "p2": None}, at=local(DAY, 0) - timedelta(days=30))
    accounting = Accounting(engine)
    accounting.record([tally(1, readings=700), tally(2, readings=20, point="stray")])

    noon = local(DAY, 12)
    rows = {row.point: row for row in accounting.completeness("skole-01", DAY, now=noon)}

    assert set(rows) == {"p1", "p2", "stray"}
    assert (rows["p1"].received, rows["p1"].expected, rows["p1"].missing) == (700, 720, 20)
    assert rows["p1"].ratio == pytest.approx(700 / 720)
    # Without an interval a point is not countable: nothing is guessed for it.
    assert (rows["p2"].received, rows["p2"].expected, rows["p2"].ratio) == (0, None, None)
    assert not rows["p2"].countable
    assert rows["p2"].missing is None
    assert (rows["stray"].received, rows["stray"].expected) == (20, None)
    past = accounting.completeness("skole-01", DAY, now=noon + timedelta(days=3))
    assert {row.point: row.expected for row in past}["p1"] == 1440


def test_a_day_with_every_reading_stored_is_complete(engine: Engine) -> None:
    intervals = {"p1": 60, "p2": 300, "p3": 7}
    describe(engine, intervals, at=local(DAY, 0) - timedelta(days=1))
    start, end = local(DAY, 0), local(DAY + timedelta(days=1), 0)
    accounting = Accounting(engine)
    # The local day starts at 23:00 UTC the day before: those readings belong to this day too.
    accounting.record(
        packs((p, t) for p, interval in intervals.items() for t in samples_ms(start, end, interval))
    )

    rows = accounting.completeness("skole-01", DAY, now=end + timedelta(hours=1))

    assert {row.point: (row.received, row.expected) for row in rows} == {
        "p1": (1440, 1440),
        "p2": (288, 288),
        "p3": (12_342, 12_342),  # 7 s does not divide a day: 12 342 instants fall in this one
    }
    assert all(row.ratio == 1.0 and row.missing == 0 for row in rows)
    # Neither neighbouring day got any of them.
    for other in (DAY - timedelta(days=1), DAY + timedelta(days=1)):
        assert [row.received for row in accounting.completeness("skole-01", other)] == [0, 0, 0]


def test_a_point_described_at_noon_owes_half_the_day(engine: Engine) -> None:
    describe(engine, {"p1": 60}, at=local(DAY, 12))
    accounting = Accounting(engine)
    accounting.record(packs(("p1", t) for t in samples_ms(local(DAY, 12), local(DAY, 24 - 1), 60)))

    (row,) = accounting.completeness("skole-01", DAY, now=local(DAY, 23, 30))
    assert (row.expected, row.received, row.missing) == (690, 660, 30)
    (row,) = accounting.completeness("skole-01", DAY, now=local(DAY, 12) + timedelta(days=2))
    assert (row.expected, row.missing) == (720, 60)
    # The days before the point existed owe nothing, so they have no ratio either.
    (row,) = accounting.completeness("skole-01", DAY - timedelta(days=1))
    assert (row.expected, row.missing, row.ratio) == (0, 0, None)


def test_a_gateway_down_for_ten_minutes_misses_those_readings(engine: Engine) -> None:
    describe(engine, {"p1": 60, "p2": 300}, at=local(DAY, 0), gateway="gw-1")
    describe(engine, {"q1": 60}, at=local(DAY, 0), gateway="gw-2")
    start, end = local(DAY, 0), local(DAY + timedelta(days=1), 0)
    down, up = local(DAY, 10, 0), local(DAY, 10, 10)
    sent = [
        (p, t)
        for p, interval in (("p1", 60), ("p2", 300))
        for t in samples_ms(start, end, interval)
        if not down.timestamp() * 1000 <= t < up.timestamp() * 1000
    ]
    accounting = Accounting(engine)
    accounting.record(packs(sent, gateway="gw-1"))
    accounting.record(packs((("q1", t) for t in samples_ms(start, end, 60)), gateway="gw-2"))

    rows = accounting.completeness("skole-01", DAY, now=end)

    # Ten minutes: ten readings of a point reporting every minute, two of one every five.
    assert {row.point: row.missing for row in rows} == {"p1": 10, "p2": 2, "q1": 0}
    assert {row.point: row.expected for row in rows} == {"p1": 1440, "p2": 288, "q1": 1440}
    assert {row.point: row.gateway for row in rows} == {"p1": "gw-1", "p2": "gw-1", "q1": "gw-2"}
    # The gateway numbered no packs while it was down: its sequence shows no gap.
    assert [row.missing for row in accounting.gateway_sequences("skole-01")] == [0, 0]


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 6, 1), 24)],
    ids=["spring-forward", "fall-back", "summer"],
)
def test_a_local_day_is_as_long_as_the_clocks_make_it(
    engine: Engine, day: date, hours: int
) -> None:
    describe(engine, {"p1": 60, "p2": 900}, at=local(day, 0) - timedelta(days=1))
    start, end = local(day, 0), local(day + timedelta(days=1), 0)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours)
    accounting = Accounting(engine)
    accounting.record(
        packs(
            (p, t)
            for p, interval in (("p1", 60), ("p2", 900))
            for t in samples_ms(start, end, interval)
        )
    )

    rows = {row.point: row for row in accounting.completeness("skole-01", day, now=end)}

    assert (rows["p1"].expected, rows["p1"].received) == (hours * 60, hours * 60)
    assert (rows["p2"].expected, rows["p2"].received) == (hours * 4, hours * 4)
    assert rows["p1"].ratio == rows["p2"].ratio == 1.0


def test_workers_racing_count_every_pack_once(engine: Engine) -> None:
    accounting = Accounting(engine)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for start in range(0, 60, 6):
                # Both workers see every pack (overlapping batches), in different orders.
                batch = [tally(seq) for seq in range(start, start + 6)]
                accounting.record(batch[offset:] + batch[:offset])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    (row,) = accounting.gateway_sequences()
    assert (row.packs, row.duplicates, row.missing) == (60, 60, 0)
    (point,) = accounting.completeness("skole-01", DAY)
    assert point.received == 60 * 4


def test_status_keeps_the_newest_report(engine: Engine) -> None:
    accounting = Accounting(engine)
    t0 = datetime(2025, 11, 24, 8, tzinfo=UTC)
    accounting.record_status(
        building="skole-01", gateway="gw-1", state="online", spool_depth=5, reported_at=t0
    )
    accounting.record_status(
        building="skole-01",
        gateway="gw-1",
        state="offline",
        reported_at=t0 - timedelta(minutes=1),
    )
    (state,) = accounting.gateway_states("skole-01")
    assert (state.state, state.spool_depth, state.reported_at) == ("online", 5, t0)
    accounting.record_status(building="skole-01", gateway="gw-1", state="offline")
    assert accounting.gateway_states()[0].state == "offline"


def test_pruning_forgets_receipts_but_keeps_totals(engine: Engine) -> None:
    accounting = Accounting(engine)
    accounting.record([tally(1), tally(2)], now=datetime(2025, 1, 1, tzinfo=UTC))
    accounting.record([tally(3)])
    assert accounting.prune_receipts(before=datetime(2025, 6, 1, tzinfo=UTC)) == 2
    assert accounting.gateway_sequences()[0].packs == 3
