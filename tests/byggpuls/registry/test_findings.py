"""Findings: upsert on (building, kind, start), filters, and the status lifecycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from byggpuls.reading import BuildingInfo
from byggpuls.registry import (
    FindingLike,
    InvalidTransition,
    InvalidValue,
    NewFinding,
    NotFound,
    Registry,
)

START = datetime(2025, 2, 3, 18, 0, tzinfo=UTC)


def _finding(**overrides: Any) -> NewFinding:
    fields: dict[str, Any] = {
        "building": "b1",
        "kind": "after_hours",
        "points": ("main.power",),
        "start": START,
        "evidence": {"baseline_kw": 12.5, "observed_kw": 30.25, "hours": [18, 19, 20]},
        "waste_kwh": 210.0,
        "waste_nok": 315.5,
        "score": 0.8,
    }
    fields |= overrides
    fields.setdefault("end", fields["start"] + timedelta(hours=12))
    return NewFinding(**fields)


def test_upsert_findings_adds_and_reads_back(registry: Registry) -> None:
    registry.upsert_building(BuildingInfo(id="b1", name="Skole", type="school"))
    new = _finding()
    assert registry.upsert_findings([new]) == 1
    (row,) = registry.findings()
    assert (row.building, row.kind, row.points, row.start, row.end) == (
        new.building,
        new.kind,
        new.points,
        new.start,
        new.end,
    )
    assert row.evidence == new.evidence
    assert (row.waste_kwh, row.waste_nok, row.score) == (210.0, 315.5, 0.8)
    assert row.status == "open"
    assert row.start.tzinfo == UTC
    assert row.created_at == row.updated_at
    assert registry.finding(row.id) == row
    assert registry.finding(row.id + 1000) is None


def test_a_rerun_updates_the_finding_and_keeps_its_status(registry: Registry) -> None:
    registry.upsert_findings([_finding(end=None)])
    (first,) = registry.findings()
    registry.set_finding_status(first.id, "acknowledged")

    # The same instant in another time zone is the same finding.
    rerun = _finding(
        start=START.astimezone(timezone(timedelta(hours=1))),
        points=("main.power", "ahu1.fan"),
        evidence={"observed_kw": 31.0},
        waste_kwh=250.0,
    )
    assert registry.upsert_findings([rerun]) == 1
    (second,) = registry.findings()
    assert second.id == first.id
    assert (second.points, second.end, second.evidence, second.waste_kwh) == (
        ("main.power", "ahu1.fan"),
        rerun.end,
        {"observed_kw": 31.0},
        250.0,
    )
    assert second.status == "acknowledged"
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at


def test_findings_for_an_unknown_building_create_a_placeholder(registry: Registry) -> None:
    registry.upsert_findings([_finding(building="b7")])
    building = registry.building("b7")
    assert building is not None
    assert (building.name, building.type) == ("b7", "other")


def test_upsert_findings_keeps_the_last_of_duplicates_and_counts_rows(registry: Registry) -> None:
    batch = [
        _finding(score=0.1),
        _finding(score=0.9),
        _finding(kind="baseload_drift"),
        _finding(start=START + timedelta(days=1)),
    ]
    assert registry.upsert_findings(batch) == 3
    assert registry.upsert_findings([]) == 0
    rows = registry.findings()
    assert len(rows) == 3
    assert {row.score for row in rows if row.kind == "after_hours" and row.start == START} == {0.9}


def test_findings_filter_by_building_and_status_latest_first(registry: Registry) -> None:
    registry.upsert_findings(
        [
            _finding(building="b1", start=START),
            _finding(building="b1", start=START + timedelta(days=2)),
            _finding(building="b2", start=START + timedelta(days=1)),
        ]
    )
    everything = registry.findings()
    assert [(row.building, row.start.day) for row in everything] == [
        ("b1", 5),
        ("b2", 4),
        ("b1", 3),
    ]
    registry.set_finding_status(everything[0].id, "acknowledged")
    assert [row.start.day for row in registry.findings(building="b1")] == [5, 3]
    assert [row.id for row in registry.findings(status="acknowledged")] == [everything[0].id]
    assert [row.start.day for row in registry.findings(building="b1", status="open")] == [3]
    assert registry.findings(building="b3") == []
    with pytest.raises(InvalidValue):
        registry.findings(status="closed")


def test_status_follows_the_lifecycle(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    (row,) = registry.findings()
    for status in ("acknowledged", "resolved", "open", "acknowledged"):
        registry.set_finding_status(row.id, status)
        current = registry.finding(row.id)
        assert current is not None
        assert current.status == status
    final = registry.finding(row.id)
    assert final is not None
    assert final.updated_at > row.updated_at


def test_an_open_finding_can_be_resolved_at_once(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    (row,) = registry.findings()
    registry.set_finding_status(row.id, "resolved", actor="Kari", comment="false alarm")
    resolved = registry.finding(row.id)
    assert resolved is not None
    assert (resolved.status, resolved.resolved_by) == ("resolved", "Kari")
    last = registry.finding_events(row.id)[-1]
    assert (last.action, last.from_status, last.to_status, last.comment) == (
        "resolve",
        "open",
        "resolved",
        "false alarm",
    )


def test_setting_the_same_status_again_does_nothing(registry: Registry) -> None:
    registry.upsert_findings([_finding()])
    (row,) = registry.findings()
    registry.set_finding_status(row.id, "open")
    assert registry.finding(row.id) == row


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        (("acknowledged",), "open"),
        (("resolved",), "acknowledged"),
        (("acknowledged", "resolved"), "acknowledged"),
    ],
)
def test_status_refuses_to_skip_or_go_back(
    registry: Registry, path: tuple[str, ...], forbidden: str
) -> None:
    registry.upsert_findings([_finding()])
    (row,) = registry.findings()
    for status in path:
        registry.set_finding_status(row.id, status)
    with pytest.raises(InvalidTransition, match=f"not {forbidden}"):
        registry.set_finding_status(row.id, forbidden)
    current = registry.finding(row.id)
    assert current is not None
    assert current.status == (path[-1] if path else "open")


def test_status_of_an_unknown_finding_or_status(registry: Registry) -> None:
    with pytest.raises(NotFound):
        registry.set_finding_status(12345, "acknowledged")
    registry.upsert_findings([_finding()])
    (row,) = registry.findings()
    with pytest.raises(InvalidValue):
        registry.set_finding_status(row.id, "closed")


@pytest.mark.parametrize(
    "overrides",
    [
        {"building": "B 1"},
        {"kind": ""},
        {"points": ("bad point",)},
        {"start": datetime(2025, 1, 1)},
        {"end": START - timedelta(seconds=1)},
        {"evidence": {"ratio": float("nan")}},
        {"evidence": {"when": START}},
        {"waste_kwh": float("inf")},
    ],
)
def test_upsert_findings_refuses_bad_values(registry: Registry, overrides: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        registry.upsert_findings([_finding(), _finding(**{"kind": "other", **overrides})])
    assert registry.findings() == []


@dataclass(frozen=True)
class _DetectorFinding:
    """A finding type of another module, with the attributes the registry reads."""

    building: str
    kind: str
    points: list[str]
    start: datetime
    end: datetime | None
    evidence: dict[str, Any]
    waste_kwh: float
    waste_nok: float
    score: float
    detector_version: str


def test_any_object_with_the_finding_attributes_is_accepted(registry: Registry) -> None:
    found: FindingLike = _DetectorFinding(
        building="b1",
        kind="flat_line",
        points=["meter1.energy"],
        start=START,
        end=None,
        evidence={"hours_flat": 30},
        waste_kwh=0.0,
        waste_nok=0.0,
        score=0.5,
        detector_version="1",
    )
    assert registry.upsert_findings([found]) == 1
    (row,) = registry.findings()
    assert (row.kind, row.points, row.evidence) == (
        "flat_line",
        ("meter1.energy",),
        {"hours_flat": 30},
    )
