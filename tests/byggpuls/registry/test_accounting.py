"""Completeness accounting in the registry database, on SQLite and PostgreSQL.

(It lives in byggpuls/registry/accounting.py; ingest is its writer.)
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from byggpuls.reading import PointInfo
from byggpuls.registry import Registry
from byggpuls.registry.accounting import Accounting, PackTally, day_of

DAY = date(2025, 11, 24)


def tally(seq: int, *, gateway: str = "gw-1", readings: int = 4, point: str = "p1") -> PackTally:
    return PackTally(
        building="skole-01", gateway=gateway, seq=seq, readings={(point, DAY): readings}
    )


def test_day_of_is_the_utc_day() -> None:
    assert day_of(0) == date(1970, 1, 1)
    assert day_of(1_763_942_400_000 + 86_399_999) == date(2025, 11, 24)
    assert day_of(-1) == date(1969, 12, 31)


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
    Registry(engine).upsert_points(
        building="skole-01",
        gateway="gw-1",
        points=[
            PointInfo(
                point="p1", domain="climate", quantity="temperature", unit="Cel", interval_s=60
            ),
            PointInfo(point="p2", domain="climate", quantity="co2", unit="ppm"),
        ],
        source="meta",
    )
    accounting = Accounting(engine)
    accounting.record([tally(1, readings=700), tally(2, readings=20, point="stray")])

    noon = datetime(2025, 11, 24, 12, tzinfo=UTC)
    rows = {row.point: row for row in accounting.completeness("skole-01", DAY, now=noon)}

    assert set(rows) == {"p1", "p2", "stray"}
    assert (rows["p1"].received, rows["p1"].expected) == (700, 720)
    assert rows["p1"].ratio == pytest.approx(700 / 720)
    assert (rows["p2"].received, rows["p2"].expected, rows["p2"].ratio) == (0, None, None)
    assert rows["stray"].received == 20
    past = accounting.completeness("skole-01", DAY, now=noon + timedelta(days=3))
    assert {row.point: row.expected for row in past}["p1"] == 1440


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
