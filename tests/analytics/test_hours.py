"""Opening hours by building type and the Norwegian calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.hours import in_use

OSLO = ZoneInfo("Europe/Oslo")


def at(*args: int) -> np.ndarray:
    return np.array([dt.datetime(*args, tzinfo=OSLO).timestamp()])


@pytest.mark.parametrize(
    ("building_type", "moment", "expected"),
    [
        ("school", (2026, 5, 12, 10), True),  # an ordinary Tuesday morning
        ("school", (2026, 5, 12, 20), False),  # the same evening
        ("school", (2027, 5, 17, 10), False),  # Constitution Day
        ("school", (2026, 7, 8, 10), False),  # summer holiday
        ("office", (2026, 7, 8, 10), True),  # offices stay open in July
        ("office", (2026, 5, 16, 10), False),  # Saturday
        ("kindergarten", (2026, 7, 15, 10), False),  # closed in week 29
        ("sports_hall", (2026, 5, 16, 21), True),  # Saturday evening
        ("sports_hall", (2026, 5, 16, 2), False),
        ("nursing_home", (2026, 12, 25, 3), True),  # always in use
    ],
)
def test_opening_hours(building_type: str, moment: tuple[int, ...], expected: bool) -> None:
    assert bool(in_use(building_type, at(*moment))[0]) is expected
