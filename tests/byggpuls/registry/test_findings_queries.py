"""Findings lists: filters, order, pages and totals in SQL; the unresolved tally per building."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from byggpuls.registry import InvalidValue, NewFinding, Registry
from byggpuls.registry.findings import FindingFilter, UnresolvedTally

START = datetime(2025, 2, 3, 18, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _finding(**overrides: Any) -> NewFinding:
    fields: dict[str, Any] = {
        "building": "b1",
        "kind": "after_hours_operation",
        "points": ("main.power",),
        "start": START,
        "waste_kwh": 10.0,
        "waste_nok": 13.0,
    }
    fields |= overrides
    fields.setdefault("end", fields["start"] + timedelta(hours=12))
    return NewFinding(**fields)


@pytest.fixture
def ids(registry: Registry) -> dict[str, int]:
    """Five findings: b1 on days 0-2 (day 1 acknowledged, day 2 resolved, ongoing on day 4)
    and b2 on day 1; ids by name."""
    registry.upsert_findings(
        [
            _finding(start=START, waste_kwh=100.0, waste_nok=50.0),
            _finding(start=START + DAY, kind="baseload_drift", waste_kwh=20.0, waste_nok=300.0),
            _finding(start=START + 2 * DAY, waste_kwh=30.0, waste_nok=40.0),
            _finding(start=START + 4 * DAY, end=None, kind="meter_fault", waste_kwh=0.0),
            _finding(building="b2", start=START + DAY, waste_kwh=5.0, waste_nok=7.0),
        ]
    )
    by_start = {(row.building, row.start): row.id for row in registry.findings()}
    found = {
        "day0": by_start[("b1", START)],
        "day1": by_start[("b1", START + DAY)],
        "day2": by_start[("b1", START + 2 * DAY)],
        "ongoing": by_start[("b1", START + 4 * DAY)],
        "b2": by_start[("b2", START + DAY)],
    }
    registry.set_finding_status(found["day1"], "acknowledged")
    registry.set_finding_status(found["day2"], "resolved")
    return found


def _page_ids(registry: Registry, where: FindingFilter, **kwargs: Any) -> list[int]:
    return [row.id for row in registry.finding_page(where, **kwargs).items]


def test_everything_latest_first_with_totals(registry: Registry, ids: dict[str, int]) -> None:
    page = registry.finding_page(FindingFilter())
    # Two findings start at once: the later id comes first.
    tied = sorted([ids["b2"], ids["day1"]], reverse=True)
    expected = [ids["ongoing"], ids["day2"], *tied, ids["day0"]]
    assert [row.id for row in page.items] == expected
    assert (page.count, page.waste_kwh, page.waste_nok) == (5, 155.0, 410.0)


def test_filters(registry: Registry, ids: dict[str, int]) -> None:
    assert _page_ids(registry, FindingFilter(buildings=["b2"])) == [ids["b2"]]
    assert _page_ids(registry, FindingFilter(buildings=[])) == []
    assert set(_page_ids(registry, FindingFilter(kinds=["baseload_drift", "meter_fault"]))) == {
        ids["day1"],
        ids["ongoing"],
    }
    unresolved = FindingFilter(buildings=["b1"], statuses=["open", "acknowledged"])
    assert _page_ids(registry, unresolved) == [ids["ongoing"], ids["day1"], ids["day0"]]
    with pytest.raises(InvalidValue, match="closed"):
        registry.finding_page(FindingFilter(statuses=["closed"]))


def test_period_overlap_counts_ongoing_findings(registry: Registry, ids: dict[str, int]) -> None:
    # Day 2's episode runs 18:00 to 06:00: a period ending at its start leaves it out, one
    # starting just before its end takes it in.
    day2 = START + 2 * DAY
    where = FindingFilter(buildings=["b1"], start=day2 + timedelta(hours=11), end=day2 + DAY)
    assert _page_ids(registry, where) == [ids["day2"]]
    assert _page_ids(registry, FindingFilter(buildings=["b1"], end=day2)) == [
        ids["day1"],
        ids["day0"],
    ]
    far = FindingFilter(start=START + 30 * DAY)
    assert _page_ids(registry, far) == [ids["ongoing"]]
    with pytest.raises(InvalidValue, match="start"):
        registry.finding_page(FindingFilter(start=datetime(2025, 1, 1)))


def test_sort_by_waste_and_pages(registry: Registry, ids: dict[str, int]) -> None:
    by_waste = _page_ids(registry, FindingFilter(), sort="waste")
    assert by_waste == [ids["day1"], ids["day0"], ids["day2"], ids["ongoing"], ids["b2"]]
    first = registry.finding_page(FindingFilter(), sort="waste", limit=2)
    second = registry.finding_page(FindingFilter(), sort="waste", limit=2, offset=2)
    beyond = registry.finding_page(FindingFilter(), sort="waste", limit=2, offset=10)
    assert [row.id for row in first.items + second.items] == by_waste[:4]
    # The totals are of every match, whichever page.
    assert first.count == second.count == beyond.count == 5
    assert beyond.items == []
    assert beyond.waste_nok == first.waste_nok
    with pytest.raises(InvalidValue, match="sort"):
        registry.finding_page(FindingFilter(), sort="size")  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="negative"):
        registry.finding_page(FindingFilter(), offset=-1)


def test_nothing_matches(registry: Registry) -> None:
    page = registry.finding_page(FindingFilter(kinds=["window_open"]))
    assert (page.items, page.count, page.waste_kwh, page.waste_nok) == ([], 0, 0.0, 0.0)


def test_unresolved_tallies_per_building(registry: Registry, ids: dict[str, int]) -> None:
    assert registry.unresolved_tallies() == [
        UnresolvedTally("b1", open=2, acknowledged=1, waste_kwh=120.0, waste_nok=363.0),
        UnresolvedTally("b2", open=1, acknowledged=0, waste_kwh=5.0, waste_nok=7.0),
    ]
    registry.set_finding_status(ids["b2"], "resolved")
    assert [tally.building for tally in registry.unresolved_tallies()] == ["b1"]
