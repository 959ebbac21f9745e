"""Daily health: one row per building and local day, replaced when recorded again; the newest day
of each building for the portfolio, a building's days for its trend."""

from __future__ import annotations

from datetime import date

import pytest

from byggpuls.reading import BuildingInfo
from byggpuls.registry import HealthDay, InvalidValue, Registry
from tests.byggpuls.registry.conftest import SCHOOL

OFFICE = BuildingInfo(id="bergen-kontor-1", name="Bergen kontor", type="office")
PARTS = {"energy": {"score": 72.5, "weight": 0.4, "reasons": [{"text_en": "ventilation on"}]}}


def day(building: str, on: date, score: float | None, band: str | None) -> HealthDay:
    return HealthDay(building=building, day=on, score=score, band=band, parts=PARTS)


def test_days_are_kept_per_building_and_replaced_when_recorded_again(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    recorded = registry.record_health(
        [
            day(SCHOOL.id, date(2026, 3, 2), 81.0, "good"),
            day(SCHOOL.id, date(2026, 3, 3), 64.0, "watch"),
            day(OFFICE.id, date(2026, 3, 2), None, None),
        ]
    )
    assert recorded == 3
    registry.record_health([day(SCHOOL.id, date(2026, 3, 3), 58.5, "act")])
    trend = registry.health_days(SCHOOL.id)
    assert [(d.day, d.score, d.band) for d in trend] == [
        (date(2026, 3, 2), 81.0, "good"),
        (date(2026, 3, 3), 58.5, "act"),
    ]
    assert trend[0].parts == PARTS
    assert trend[0].computed_at.tzinfo is not None
    since = registry.health_days(SCHOOL.id, since=date(2026, 3, 3))
    assert [d.day for d in since] == [date(2026, 3, 3)]
    until = registry.health_days(SCHOOL.id, until=date(2026, 3, 2))
    assert [d.day for d in until] == [date(2026, 3, 2)]


def test_latest_gives_each_buildings_newest_day(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    registry.record_health(
        [
            day(SCHOOL.id, date(2026, 3, 2), 81.0, "good"),
            day(SCHOOL.id, date(2026, 3, 4), 40.0, "act"),
            day(OFFICE.id, date(2026, 3, 3), None, None),
        ]
    )
    latest = registry.latest_health()
    assert sorted(latest) == [OFFICE.id, SCHOOL.id]
    assert (latest[SCHOOL.id].day, latest[SCHOOL.id].score) == (date(2026, 3, 4), 40.0)
    # Unknown stays unknown: never a score of 100 for a building with no data.
    assert (latest[OFFICE.id].score, latest[OFFICE.id].band) == (None, None)


@pytest.mark.parametrize(
    ("score", "band", "says"),
    [
        (100.5, "good", "within 0-100"),
        (-1.0, "act", "within 0-100"),
        (float("nan"), "good", "finite"),
        (50.0, None, "needs a band"),
        (None, "good", "needs a band"),
    ],
)
def test_a_bad_score_is_refused(
    registry: Registry, score: float | None, band: str | None, says: str
) -> None:
    registry.upsert_building(SCHOOL)
    with pytest.raises(InvalidValue, match=says):
        registry.record_health([day(SCHOOL.id, date(2026, 3, 2), score, band)])
    assert registry.health_days(SCHOOL.id) == []


def test_an_unknown_building_has_no_days(registry: Registry) -> None:
    registry.upsert_building(SCHOOL)
    registry.record_health([day(SCHOOL.id, date(2026, 3, 2), 81.0, "good")])
    assert registry.health_days("no-such-building") == []
    assert registry.health_days(SCHOOL.id)[0].building == SCHOOL.id
