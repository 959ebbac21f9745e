"""Cutting the energy ledger into local periods: clock changes, ISO weeks, months, heat maps."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from api.energy import Resolution, aligned, heat_map, local_midnight, periods
from byggpuls.registry.energy import EnergyHour


@pytest.mark.parametrize(
    ("resolution", "start", "end", "labels", "hours"),
    [
        (
            Resolution.DAY,
            date(2025, 10, 25),
            date(2025, 10, 28),
            ["2025-10-25", "2025-10-26", "2025-10-27"],
            [24, 25, 24],
        ),
        (
            Resolution.WEEK,
            date(2024, 12, 31),
            date(2025, 1, 7),
            ["2025-W01", "2025-W02"],
            [168, 168],
        ),
        (
            Resolution.MONTH,
            date(2025, 10, 15),
            date(2025, 12, 2),
            ["2025-10", "2025-11", "2025-12"],
            [745, 720, 744],
        ),
    ],
)
def test_periods_are_whole_and_local(
    resolution: Resolution, start: date, end: date, labels: list[str], hours: list[int]
) -> None:
    first, last = aligned(resolution, local_midnight(start), local_midnight(end))
    cut = periods(resolution, first, last)
    assert [p.label for p in cut] == labels
    assert [p.hours for p in cut] == hours
    assert all(a.end == b.start for a, b in itertools.pairwise(cut))


def test_a_heat_map_sums_the_repeated_hour_and_leaves_the_skipped_one_empty() -> None:
    def hours(first: datetime, count: int) -> list[EnergyHour]:
        return [
            EnergyHour("b", "electricity", first + timedelta(hours=h), "el.power", 1.0, None, None)
            for h in range(count)
        ]

    spring = heat_map(
        first=date(2025, 3, 30), days=1, hours=hours(datetime(2025, 3, 29, 23, tzinfo=UTC), 23)
    )
    assert spring.kwh[0][2] is None
    assert sum(cell or 0.0 for cell in spring.kwh[0]) == 23.0
    autumn = heat_map(
        first=date(2025, 10, 26), days=1, hours=hours(datetime(2025, 10, 25, 22, tzinfo=UTC), 25)
    )
    assert autumn.kwh[0][2] == 2.0
    assert autumn.dates == [date(2025, 10, 26)]
