"""Findings' lifecycle: the audit trail, closing itself, and reopening when the problem recurs."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from byggpuls.registry import InvalidTransition, InvalidValue, NewFinding, Registry, make_engine
from byggpuls.registry.findings import REOPENED
from byggpuls.registry.rows import FindingEventRow, FindingRow

START = datetime(2025, 2, 3, 18, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _finding(**overrides: Any) -> NewFinding:
    fields: dict[str, Any] = {
        "building": "b1",
        "kind": "after_hours",
        "points": ("main.power",),
        "start": START,
        "waste_kwh": 40.0,
    }
    fields |= overrides
    fields.setdefault("end", fields["start"] + timedelta(hours=12))
    return NewFinding(**fields)


def _nights(first: int, last: int, **overrides: Any) -> list[NewFinding]:
    """One after-hours episode a night, from night ``first`` to ``last``."""
    return [_finding(start=START + night * DAY, **overrides) for night in range(first, last + 1)]


def _one(registry: Registry, start: datetime = START, kind: str = "after_hours") -> FindingRow:
    (row,) = [row for row in registry.findings() if row.start == start and row.kind == kind]
    return row


def _trail(registry: Registry, id: int) -> list[tuple[str, str, str | None, str]]:
    return [
        (event.actor, event.action, event.from_status, event.to_status)
        for event in registry.finding_events(id)
    ]


def _resolve(registry: Registry, id: int, actor: str = "kari") -> None:
    registry.set_finding_status(id, "acknowledged", actor=actor)
    registry.set_finding_status(id, "resolved", actor=actor)


# -- audit trail ----------------------------------------------------------------------------------


def test_each_status_change_is_an_event_with_who_and_why(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    registry.set_finding_status(row.id, "acknowledged", actor="Kari Nordmann")
    registry.set_finding_status(row.id, "resolved", actor="Ola", comment=" Timer fixed. ")
    registry.set_finding_status(row.id, "open")

    events = registry.finding_events(row.id)
    assert _trail(registry, row.id) == [
        ("analytics", "detect", None, "open"),
        ("Kari Nordmann", "acknowledge", "open", "acknowledged"),
        ("Ola", "resolve", "acknowledged", "resolved"),
        ("system", "reopen", "resolved", "open"),
    ]
    assert [event.comment for event in events] == [None, None, "Timer fixed.", None]
    assert {event.finding for event in events} == {row.id}
    assert events[0].occurred_at == row.created_at
    times = [event.occurred_at for event in events]
    assert times == sorted(times)
    assert all(event.occurred_at.tzinfo == UTC for event in events)
    assert registry.finding_events(row.id + 1000) == []


def test_resolving_says_who_and_when_until_it_is_reopened(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    assert (row.resolved_at, row.resolved_by, row.closed_itself) == (None, None, False)
    _resolve(registry, row.id, actor="Ola")
    resolved = _one(registry)
    last = registry.finding_events(row.id)[-1]
    assert (resolved.resolved_at, resolved.resolved_by) == (last.occurred_at, "Ola")
    assert resolved.updated_at == last.occurred_at
    assert not resolved.closed_itself
    registry.set_finding_status(row.id, "open", actor="Ola")
    reopened = _one(registry)
    assert (reopened.status, reopened.resolved_at, reopened.resolved_by) == ("open", None, None)


def test_no_change_and_a_refused_change_record_nothing(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    registry.set_finding_status(row.id, "open", actor="Ola")
    registry.set_finding_status(row.id, "acknowledged", actor="Ola")
    acknowledged = _one(registry)
    with pytest.raises(InvalidTransition, match="not open"):
        registry.set_finding_status(row.id, "open", actor="Ola")
    assert _trail(registry, row.id) == [
        ("analytics", "detect", None, "open"),
        ("Ola", "acknowledge", "open", "acknowledged"),
    ]
    assert _one(registry) == acknowledged


@pytest.mark.parametrize("actor", ["", "   ", "x" * 201])
def test_an_actor_needs_a_name(registry: Registry, actor: str) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    with pytest.raises(InvalidValue, match="actor"):
        registry.set_finding_status(row.id, "acknowledged", actor=actor)
    assert _one(registry).status == "open"


def test_text_postgresql_cannot_hold_is_replaced(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    registry.set_finding_status(row.id, "acknowledged", actor="Ola\x00", comment="a\x00b")
    event = registry.finding_events(row.id)[-1]
    assert (event.actor, event.comment) == ("Ola\ufffd", "a\ufffdb")


def test_a_rerun_records_no_event(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    registry.upsert_findings([_finding(waste_kwh=50.0, end=START + timedelta(hours=13))])
    assert len(registry.finding_events(row.id)) == 1


# -- closing itself -------------------------------------------------------------------------------


def test_a_finding_quiet_for_long_enough_closes_itself(registry: Registry) -> None:
    registry.upsert_findings(
        [
            _finding(kind="quiet"),
            _finding(kind="quiet_acknowledged"),
            _finding(kind="recent", start=START + 5 * DAY),
            _finding(kind="ongoing", end=None),
            _finding(kind="resolved"),
        ]
    )
    registry.set_finding_status(_one(registry, kind="quiet_acknowledged").id, "acknowledged")
    _resolve(registry, _one(registry, kind="resolved").id)
    resolved_before = _one(registry, kind="resolved")

    now = START + timedelta(hours=12) + 7 * DAY + timedelta(minutes=1)
    assert registry.close_quiet_findings(now=now) == 2

    status = {row.kind: row.status for row in registry.findings()}
    assert status == {
        "quiet": "resolved",
        "quiet_acknowledged": "resolved",
        "recent": "open",
        "ongoing": "open",
        "resolved": "resolved",
    }
    for kind, before in (("quiet", "open"), ("quiet_acknowledged", "acknowledged")):
        closed = _one(registry, kind=kind)
        assert (closed.resolved_by, closed.closed_itself) == ("analytics", True)
        event = registry.finding_events(closed.id)[-1]
        assert (event.actor, event.action, event.from_status, event.to_status) == (
            "analytics",
            "resolve",
            before,
            "resolved",
        )
        assert event.comment is not None
        assert "stopped recurring" in event.comment
        assert closed.resolved_at == event.occurred_at
    assert _one(registry, kind="resolved") == resolved_before
    assert registry.close_quiet_findings(now=now) == 0
    assert registry.close_quiet_findings(now=now + 365 * DAY, quiet_days=400) == 0


def test_a_problem_that_keeps_recurring_keeps_its_findings_open(registry: Registry) -> None:
    registry.upsert_findings(_nights(0, 20))
    last_end = START + 20 * DAY + timedelta(hours=12)
    assert registry.close_quiet_findings(now=last_end + DAY) == 0
    # Another meter's episodes are another problem, and so is another kind.
    other_meter = _finding(points=("ahu1.power",), start=START + timedelta(hours=1))
    registry.upsert_findings([other_meter, _finding(kind="co2_high")])
    assert registry.close_quiet_findings(now=last_end + DAY) == 2
    assert {row.kind for row in registry.findings(status="resolved")} == {"after_hours", "co2_high"}
    assert all(
        row.points == ("ahu1.power",) or row.kind == "co2_high"
        for row in registry.findings(status="resolved")
    )
    # Once the problem is quiet, all its findings close.
    assert registry.close_quiet_findings(now=last_end + 8 * DAY) == 21
    assert registry.findings(status="open") == []


def test_an_ongoing_episode_keeps_its_problem_open(registry: Registry) -> None:
    registry.upsert_findings([_finding(), _finding(start=START + 30 * DAY, end=None)])
    assert registry.close_quiet_findings(now=START + 60 * DAY) == 0


@pytest.mark.parametrize(
    ("now", "quiet_days"),
    [(datetime(2025, 3, 1), 7.0), (START, -1.0), (START, float("nan"))],
)
def test_close_quiet_findings_refuses_bad_values(
    registry: Registry, now: datetime, quiet_days: float
) -> None:
    registry.upsert_findings([_finding()])
    with pytest.raises(InvalidValue):
        registry.close_quiet_findings(now=now, quiet_days=quiet_days)
    assert _one(registry).status == "open"


# -- reopening when the problem recurs ------------------------------------------------------------


def test_a_resolved_episode_that_went_on_is_open_again(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    row = _one(registry)
    _resolve(registry, row.id)
    # The same end, or an earlier one, is no news.
    registry.upsert_findings([_finding(end=START + timedelta(hours=12))])
    assert _one(registry).status == "resolved"
    registry.upsert_findings([_finding(end=START + timedelta(hours=11))])
    assert _one(registry).status == "resolved"

    registry.upsert_findings([_finding(end=START + timedelta(hours=14))])
    reopened = _one(registry)
    assert (reopened.status, reopened.resolved_by, reopened.end) == (
        "open",
        None,
        START + timedelta(hours=14),
    )
    event = registry.finding_events(row.id)[-1]
    assert (event.actor, event.action, event.from_status, event.to_status, event.comment) == (
        "analytics",
        "reopen",
        "resolved",
        "open",
        REOPENED,
    )


def test_going_on_counts_as_later_than_any_end(registry: Registry) -> None:
    registry.upsert_findings([_finding(), _finding(kind="ongoing", end=None)])
    for kind in ("after_hours", "ongoing"):
        _resolve(registry, _one(registry, kind=kind).id)
    registry.upsert_findings([_finding(end=None), _finding(kind="ongoing", end=None)])
    assert _one(registry).status == "open"
    # Still going on is what was known when it was resolved.
    assert _one(registry, kind="ongoing").status == "resolved"


def test_a_rerun_leaves_open_and_acknowledged_findings_as_they_are(registry: Registry) -> None:
    registry.upsert_findings([_finding(), _finding(kind="seen")])
    registry.set_finding_status(_one(registry, kind="seen").id, "acknowledged")
    registry.upsert_findings([_finding(end=None), _finding(kind="seen", end=None)])
    assert {row.kind: row.status for row in registry.findings()} == {
        "after_hours": "open",
        "seen": "acknowledged",
    }
    assert len(registry.finding_events(_one(registry, kind="seen").id)) == 2


def test_a_finding_that_closed_itself_reopens_when_it_went_on(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    assert registry.close_quiet_findings(now=START + 10 * DAY) == 1
    assert _one(registry).closed_itself
    registry.upsert_findings([_finding(end=START + 2 * DAY)])
    row = _one(registry)
    assert (row.status, row.closed_itself) == ("open", False)
    assert _trail(registry, row.id)[-2:] == [
        ("analytics", "resolve", "open", "resolved"),
        ("analytics", "reopen", "resolved", "open"),
    ]


def test_a_new_episode_of_a_resolved_problem_reopens_it(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    first = _one(registry)
    _resolve(registry, first.id)

    later = START + 3 * DAY
    registry.upsert_findings([_finding(start=later)])
    second = _one(registry, later)
    assert (_one(registry).status, second.status) == ("open", "open")
    event = registry.finding_events(first.id)[-1]
    assert (event.actor, event.action, event.from_status, event.to_status) == (
        "analytics",
        "reopen",
        "resolved",
        "open",
    )
    assert event.comment == f"{REOPENED}: as finding {second.id}, from 2025-02-06 18:00 UTC"
    assert _trail(registry, second.id) == [("analytics", "detect", None, "open")]

    # The second episode is no longer new: its rerun reopens nothing a person resolves again.
    _resolve(registry, first.id)
    registry.upsert_findings([_finding(start=later, waste_kwh=45.0)])
    assert _one(registry).status == "resolved"


@pytest.mark.parametrize(
    ("overrides", "recurrence_days", "reopens"),
    [
        ({"start": START + 14 * DAY}, 14, True),
        ({"start": START + 15 * DAY}, 14, False),
        ({"start": START + 15 * DAY}, 30, True),
        ({"start": START + DAY, "points": ("main.power", "ahu1.fan")}, 14, False),
        ({"start": START + DAY, "kind": "baseload_drift"}, 14, False),
        ({"start": START + DAY, "building": "b2"}, 14, False),
        # Starting before the resolved episode ended is not recurring after it.
        ({"start": START + timedelta(hours=6)}, 14, False),
    ],
)
def test_which_new_findings_reopen_a_resolved_one(
    registry: Registry, overrides: dict[str, Any], recurrence_days: float, reopens: bool
) -> None:
    registry.upsert_findings([_finding(points=("main.power",))])
    first = _one(registry)
    _resolve(registry, first.id)
    registry.upsert_findings([_finding(**overrides)], recurrence_days=recurrence_days)
    assert len(registry.findings()) == 2
    assert _one(registry).status == ("open" if reopens else "resolved")


def test_points_in_another_order_are_the_same_problem(registry: Registry) -> None:
    registry.upsert_findings([_finding(points=("a.power", "b.power"))])
    _resolve(registry, _one(registry).id)
    registry.upsert_findings([_finding(start=START + DAY, points=("b.power", "a.power"))])
    assert _one(registry).status == "open"


def test_of_several_resolved_findings_the_last_to_end_reopens(registry: Registry) -> None:
    registry.upsert_findings(_nights(0, 2))
    for row in registry.findings():
        _resolve(registry, row.id)
    registry.upsert_findings(_nights(3, 4))
    status = {row.start: row.status for row in registry.findings()}
    assert [status[START + night * DAY] for night in range(5)] == [
        "resolved",
        "resolved",
        "open",
        "open",
        "open",
    ]
    (reopening,) = [
        event
        for event in registry.finding_events(_one(registry, START + 2 * DAY).id)
        if event.action == "reopen"
    ]
    assert reopening.comment is not None
    assert f"as finding {_one(registry, START + 3 * DAY).id}," in reopening.comment


def test_a_problem_in_hand_reopens_nothing_older(registry: Registry) -> None:
    registry.upsert_findings(_nights(0, 1))
    _resolve(registry, _one(registry).id)
    registry.set_finding_status(_one(registry, START + DAY).id, "acknowledged")
    registry.upsert_findings(_nights(2, 2))
    assert [row.status for row in registry.findings()] == ["open", "acknowledged", "resolved"]
    # Nor do later runs: each new night follows one that is open.
    registry.upsert_findings(_nights(3, 3))
    registry.upsert_findings(_nights(4, 4))
    assert _one(registry).status == "resolved"


def test_one_batch_reopens_a_finding_once(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    _resolve(registry, _one(registry).id)
    # The resolved episode went on, and a new one followed: one reopening, not two.
    registry.upsert_findings([_finding(end=START + timedelta(hours=13)), *_nights(1, 1)])
    reopenings = [e for e in registry.finding_events(_one(registry).id) if e.action == "reopen"]
    assert [event.comment for event in reopenings] == [REOPENED]


def test_recurrence_days_must_be_a_number_of_days(registry: Registry) -> None:
    with pytest.raises(InvalidValue, match="recurrence_days"):
        registry.upsert_findings([_finding()], recurrence_days=-1)
    assert registry.findings() == []


# -- several writers at once ----------------------------------------------------------------------


def _consistent(events: list[FindingEventRow], status: str) -> bool:
    """Whether a trail is one unbroken chain of statuses ending in ``status``."""
    chain = [events[0].from_status] + [event.to_status for event in events]
    return (
        chain[0] is None
        and all(event.from_status == before for event, before in zip(events, chain, strict=False))
        and chain[-1] == status
    )


@pytest.mark.slow
def test_runs_and_people_at_once_keep_one_unbroken_trail(database_url: str, engine: Engine) -> None:
    registry = Registry(engine)
    registry.upsert_findings(_nights(0, 9))
    ids = [row.id for row in registry.findings()]
    errors: list[BaseException] = []
    go = threading.Barrier(3)

    def in_thread(work: Any) -> None:
        own = make_engine(database_url)  # a pool of its own: separate connections, real locking
        try:
            go.wait()
            work(Registry(own))
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            own.dispose()

    def analytics(own: Registry) -> None:
        for round_ in range(8):
            own.upsert_findings(_nights(0, 12, end=None) if round_ % 2 else _nights(0, 12))
            own.close_quiet_findings(now=START + 40 * DAY)

    def person(own: Registry) -> None:
        for _ in range(8):
            for id in ids:
                row = own.finding(id)
                assert row is not None
                target = {"open": "acknowledged", "acknowledged": "resolved"}.get(row.status)
                # Someone else may have moved it first: then the lifecycle refuses the skip.
                with contextlib.suppress(InvalidTransition):
                    own.set_finding_status(id, target or "open", actor="Ola")

    threads = [
        threading.Thread(target=in_thread, args=(work,)) for work in (analytics, analytics, person)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = registry.findings()
    assert len(rows) == 13
    for row in rows:
        events = registry.finding_events(row.id)
        assert [event.action for event in events].count("detect") == 1
        assert _consistent(events, row.status), [
            (e.actor, e.action, e.from_status, e.to_status) for e in events
        ]
