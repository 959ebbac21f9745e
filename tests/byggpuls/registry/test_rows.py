"""Rows: the registry's values, built on the descriptions gateways and ingest share."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from byggpuls.calendar import TIMEZONE
from byggpuls.reading import BuildingInfo, PointInfo
from byggpuls.registry.rows import (
    BuildingRow,
    CompletenessRow,
    PointRow,
    day_of,
    local_day_bounds,
    readings_due,
    readings_per_day,
)

NOW = datetime(2025, 11, 24, 12, tzinfo=UTC)


def test_day_of_is_the_day_in_oslo() -> None:
    assert day_of(0) == date(1970, 1, 1)
    # 2025-11-24 in Oslo runs from 23:00 UTC the day before to 23:00 UTC that day.
    assert day_of(1_763_938_800_000) == date(2025, 11, 24)
    assert day_of(1_763_938_800_000 - 1) == date(2025, 11, 23)
    assert day_of(1_763_942_400_000 + 82_799_999) == date(2025, 11, 24)
    assert day_of(1_763_942_400_000 + 82_800_000) == date(2025, 11, 25)
    # In summer the offset is two hours.
    assert day_of(int(datetime(2026, 6, 1, 22, tzinfo=UTC).timestamp() * 1000)) == date(2026, 6, 2)
    assert day_of(int(datetime(2026, 6, 1, 21, 59, tzinfo=UTC).timestamp() * 1000)) == date(
        2026, 6, 1
    )


def test_readings_are_counted_per_point_and_local_day() -> None:
    late = int(datetime(2025, 11, 24, 22, 59, tzinfo=UTC).timestamp() * 1000)
    assert readings_per_day([("p1", late), ("p1", late + 60_000), ("p2", late), ("p1", late)]) == {
        ("p1", date(2025, 11, 24)): 2,
        ("p1", date(2025, 11, 25)): 1,
        ("p2", date(2025, 11, 24)): 1,
    }


def test_a_local_day_runs_from_midnight_to_midnight_in_oslo() -> None:
    start, end = local_day_bounds(date(2026, 3, 29))
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert local_day_bounds(date(2026, 10, 25))[1] == datetime(2026, 10, 25, 23, tzinfo=UTC)


def test_readings_due_are_the_sampling_instants_in_the_window() -> None:
    noon = datetime(2025, 11, 24, 12, tzinfo=TIMEZONE)
    assert readings_due(start=noon, end=noon + timedelta(hours=12), interval_s=60) == 720
    # Described a moment after a sampling instant: the next one is the first due.
    later = noon + timedelta(microseconds=1)
    assert readings_due(start=later, end=noon + timedelta(minutes=10), interval_s=60) == 9
    assert readings_due(start=noon, end=noon + timedelta(seconds=59), interval_s=60) == 1
    assert readings_due(start=noon, end=noon, interval_s=60) == 0
    assert readings_due(start=noon, end=noon - timedelta(days=1), interval_s=60) == 0


def test_a_building_row_is_its_description_with_timestamps() -> None:
    info = BuildingInfo(id="b1", name="Skole", type="school", floor_area_m2=900.0)
    row = BuildingRow(**dataclasses.asdict(info), created_at=NOW, updated_at=NOW)
    assert isinstance(row, BuildingInfo)
    assert row.info == info
    assert type(row.info) is BuildingInfo


def test_a_point_row_is_its_description_with_its_origin() -> None:
    info = PointInfo(point="p1", domain="energy", quantity="power", unit="kW", interval_s=60)
    row = PointRow(
        **dataclasses.asdict(info),
        building="b1",
        gateway="gw1",
        source="meta",
        first_seen=NOW,
        updated_at=NOW,
    )
    assert row.info == info
    assert type(row.info) is PointInfo


def test_nothing_expected_yet_has_no_ratio() -> None:
    # A day that has only just begun: no reading is due, so no share of them can be given.
    row = CompletenessRow(
        building="b1",
        point="p1",
        gateway="gw1",
        day=NOW.date(),
        received=3,
        interval_s=60,
        expected=0,
    )
    assert row.ratio is None
    assert (row.countable, row.missing) == (True, 0)


def test_a_point_without_an_interval_is_not_countable() -> None:
    row = CompletenessRow(
        building="b1",
        point="p1",
        gateway=None,
        day=NOW.date(),
        received=3,
        interval_s=None,
        expected=None,
    )
    assert (row.countable, row.missing, row.ratio) == (False, None, None)
