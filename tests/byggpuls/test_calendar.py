from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from byggpuls.calendar import (
    TIMEZONE,
    day_info,
    day_number,
    is_school_holiday,
    local_date_of_utc_hour,
    local_datetime_s,
    local_time,
)


@pytest.mark.parametrize(
    ("date", "closed"),
    [
        (dt.date(2026, 5, 18), False),  # an ordinary Monday in May
        (dt.date(2026, 5, 12), False),  # an ordinary Tuesday
        (dt.date(2027, 5, 17), True),  # Constitution Day on a Monday
        (dt.date(2026, 7, 8), True),  # summer holiday
        (dt.date(2026, 6, 22), True),
        (dt.date(2026, 8, 14), True),
        (dt.date(2026, 8, 19), False),  # school has started again
        (dt.date(2026, 2, 25), True),  # week 9: Bergen's winter break
        (dt.date(2026, 10, 7), True),  # week 41: autumn break
        (dt.date(2026, 3, 30), True),  # Monday of Holy Week
        (dt.date(2026, 4, 6), True),  # Easter Monday
        (dt.date(2026, 4, 7), False),
        (dt.date(2026, 5, 15), True),  # the Friday after Ascension Day
        (dt.date(2026, 12, 22), True),  # Christmas
        (dt.date(2027, 1, 4), False),
    ],
)
def test_bergen_school_holidays(date: dt.date, closed: bool) -> None:
    assert is_school_holiday(date) is closed


def test_day_info_marks_holidays_and_kindergarten_summer_closure() -> None:
    dates = [dt.date(2026, 5, 17), dt.date(2026, 7, 14), dt.date(2026, 12, 24), dt.date(2026, 3, 3)]
    info = day_info(np.array([day_number(d) for d in dates]))
    assert info.public_holiday.tolist() == [True, False, False, False]
    assert info.kindergarten_closed.tolist() == [True, True, True, False]
    assert info.eve.tolist() == [False, False, True, False]
    assert info.workday.tolist() == [False, True, False, True]  # 17 May 2026 is a Sunday


def test_local_time_follows_daylight_saving() -> None:
    winter = local_datetime_s(dt.date(2026, 1, 15), 8.0)
    summer = local_datetime_s(dt.date(2026, 7, 15), 8.0)
    local = local_time(np.array([winter, summer]))
    assert local.hour.tolist() == [8.0, 8.0]
    assert winter % 86_400 == 7 * 3600  # UTC+1
    assert summer % 86_400 == 6 * 3600  # UTC+2
    assert local.day.tolist() == [
        day_number(dt.date(2026, 1, 15)),
        day_number(dt.date(2026, 7, 15)),
    ]


@pytest.mark.parametrize("year", range(1996, 2061))
def test_public_holidays_match_the_holidays_package(year: int) -> None:
    import holidays

    from byggpuls.calendar import is_public_holiday

    expected = set(holidays.country_holidays("NO", years=year))
    days = [dt.date(year, 1, 1) + dt.timedelta(days=d) for d in range(366)]
    computed = {day for day in days if day.year == year and is_public_holiday(day)}
    assert computed == expected


@pytest.mark.parametrize(
    ("utc", "local"),
    [
        ("2026-03-28T22:00:00+00:00", "2026-03-28"),  # 23:00 CET
        ("2026-03-28T23:00:00+00:00", "2026-03-29"),  # midnight CET, the night the clocks go on
        ("2026-06-30T21:00:00+00:00", "2026-06-30"),  # 23:00 CEST
        ("2026-06-30T22:00:00+00:00", "2026-07-01"),  # midnight CEST
    ],
)
def test_the_local_date_of_a_utc_hour_follows_oslo_summer_time(utc: str, local: str) -> None:
    utc_hour = int(dt.datetime.fromisoformat(utc).timestamp()) // 3600
    assert local_date_of_utc_hour(utc_hour) == dt.date.fromisoformat(local)


def test_local_time_matches_zoneinfo_hour_by_hour_over_years() -> None:
    """Every UTC hour of three years, clock changes included, against zoneinfo itself."""
    start = dt.datetime(2024, 12, 31, 20, tzinfo=dt.UTC).timestamp()
    times = start + np.arange(3 * 8784) * 3600.0 + 1800.0
    local = local_time(times)
    expected = [dt.datetime.fromtimestamp(t, TIMEZONE) for t in times]
    days = [(d.date() - dt.date(1970, 1, 1)).days for d in expected]
    hours = [d.hour + d.minute / 60 for d in expected]
    assert local.day.tolist() == days
    assert np.allclose(local.hour, hours)
