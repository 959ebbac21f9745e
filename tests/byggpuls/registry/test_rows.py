"""Rows: the registry's values, built on the descriptions gateways and ingest share."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from byggpuls.reading import BuildingInfo, PointInfo
from byggpuls.registry.rows import (
    BuildingRow,
    CompletenessRow,
    PointRow,
    day_of,
)

NOW = datetime(2025, 11, 24, 12, tzinfo=UTC)


def test_day_of_is_the_utc_day() -> None:
    assert day_of(0) == date(1970, 1, 1)
    assert day_of(1_763_942_400_000 + 86_399_999) == date(2025, 11, 24)
    assert day_of(-1) == date(1969, 12, 31)


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
        building="b1", point="p1", day=NOW.date(), received=3, interval_s=60, expected=0
    )
    assert row.ratio is None
