"""The Norwegian calendar buildings run on: local time in Europe/Oslo and the kind of each day.

The simulator's schedules follow it, and the analytics judge operating hours by it.

Public holidays are the statutory ones (computed; tests check them against the ``holidays``
package). School and kindergarten holidays follow Bergen's pattern: autumn break in week 41,
Christmas from 21 December to 2 January, winter break in week 9, Easter from the Monday of Holy
Week to Easter Monday, the Friday after Ascension Day, and summer from 21 June to 17 August.
Kindergartens close on public holidays, Christmas Eve, New Year's Eve and in weeks 28-30 of
July. Those are typical dates, not any one year's official calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import dateutil.easter
import numpy as np
import numpy.typing as npt

TIMEZONE: Final = ZoneInfo("Europe/Oslo")
SECONDS_PER_DAY: Final = 86_400
_EPOCH_DATE: Final = dt.date(1970, 1, 1)
_AUTUMN_BREAK_WEEK: Final = 41
_WINTER_BREAK_WEEK: Final = 9
_JULY_CLOSED_WEEKS: Final = frozenset({28, 29, 30})
_HOLIDAY_WEEKS: Final = frozenset({28, 29, 30, 31})
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class LocalTime:
    """Times as the building sees them: local day number and hour of day."""

    #: Days since 1970-01-01 in local time.
    day: IntArray
    #: Local hour of the day, 0 <= hour < 24 (fractional).
    hour: FloatArray


@dataclass(frozen=True, slots=True)
class DayInfo:
    """What kind of day each time falls on (one entry per time)."""

    weekday: IntArray  # Monday = 0
    public_holiday: BoolArray
    school_holiday: BoolArray
    kindergarten_closed: BoolArray
    #: Christmas Eve and New Year's Eve: not public holidays, yet most services close.
    eve: BoolArray
    #: The Norwegian common holiday (fellesferie, weeks 28-31) and Christmas week.
    low_season: BoolArray

    @property
    def workday(self) -> BoolArray:
        """Monday to Friday and not a public holiday or an eve."""
        result: BoolArray = (self.weekday < 5) & ~self.public_holiday & ~self.eve
        return result


def local_time(times_s: FloatArray) -> LocalTime:
    """Local (Europe/Oslo) day and hour of each UTC epoch time."""
    # Offsets change only at whole UTC hours: look each hour up in its year's table.
    hours = np.floor_divide(times_s, 3600.0).astype(np.int64)
    local_s = times_s + _offsets_s(hours)
    day = np.floor_divide(local_s, SECONDS_PER_DAY).astype(np.int64)
    hour = (local_s - day * float(SECONDS_PER_DAY)) / 3600.0
    return LocalTime(day=day, hour=hour)


def _offsets_s(hours: IntArray) -> FloatArray:
    """The UTC offset, in seconds, of each UTC hour (hours since the epoch)."""
    if hours.size == 0:
        return np.zeros(hours.shape)
    first, last = int(hours.min()), int(hours.max())
    if first == last:
        return np.full(hours.shape, _utc_offset_s(first))
    years = range(_year_of_hour(first), _year_of_hour(last) + 1)
    starts = np.array([_year_start_hour(y) for y in years], dtype=np.int64)
    table = np.concatenate([_year_offsets_s(y) for y in years])
    offsets: FloatArray = table[hours - starts[0]]
    return offsets


def _year_of_hour(utc_hour: int) -> int:
    return dt.datetime.fromtimestamp(utc_hour * 3600, tz=dt.UTC).year


@lru_cache(maxsize=256)
def _year_start_hour(year: int) -> int:
    return int(dt.datetime(year, 1, 1, tzinfo=dt.UTC).timestamp()) // 3600


@lru_cache(maxsize=256)
def _year_offsets_s(year: int) -> FloatArray:
    """The UTC offset of every UTC hour of ``year``: one zoneinfo lookup per day, and per hour
    only on the days whose offset changes (the clock changes)."""
    first = _year_start_hour(year)
    hours = _year_start_hour(year + 1) - first
    table = np.empty(hours, dtype=np.float64)
    previous = _utc_offset_s(first)
    for day in range(hours // 24):
        start = first + day * 24
        end_offset = _utc_offset_s(start + 23)
        if end_offset == previous:
            table[start - first : start - first + 24] = previous
        else:
            for hour in range(24):
                table[start - first + hour] = _utc_offset_s(start + hour)
        previous = end_offset
    table.flags.writeable = False
    return table


def local_date_of_utc_hour(utc_hour: int) -> dt.date:
    """The local (Europe/Oslo) date of every moment of UTC hour ``utc_hour`` (hours since the
    epoch): offsets are whole hours and change only at whole UTC hours."""
    return date_of(int(utc_hour * 3600 + _utc_offset_s(utc_hour)) // SECONDS_PER_DAY)


@lru_cache(maxsize=65_536)
def _utc_offset_s(utc_hour: int) -> float:
    moment = dt.datetime.fromtimestamp(utc_hour * 3600, tz=TIMEZONE)
    offset = moment.utcoffset()
    return 0.0 if offset is None else offset.total_seconds()


def day_info(days: IntArray) -> DayInfo:
    """The kind of each local day (days since 1970-01-01)."""
    distinct, inverse = np.unique(days, return_inverse=True)
    table = np.array([_day_flags(int(d)) for d in distinct], dtype=np.int64).reshape(-1, 6)
    rows = table[inverse.reshape(days.shape)]
    return DayInfo(
        weekday=rows[..., 0],
        public_holiday=rows[..., 1].astype(bool),
        school_holiday=rows[..., 2].astype(bool),
        kindergarten_closed=rows[..., 3].astype(bool),
        eve=rows[..., 4].astype(bool),
        low_season=rows[..., 5].astype(bool),
    )


def date_of(day: int) -> dt.date:
    """The calendar date of a local day number."""
    return _EPOCH_DATE + dt.timedelta(days=day)


def day_number(date: dt.date) -> int:
    """The local day number of a calendar date."""
    return (date - _EPOCH_DATE).days


def local_datetime_s(date: dt.date, hour: float) -> float:
    """The UTC epoch seconds of ``hour`` o'clock local time on ``date``."""
    midnight = dt.datetime.combine(date, dt.time(), tzinfo=TIMEZONE)
    return midnight.timestamp() + hour * 3600.0


@lru_cache(maxsize=4_096)
def _day_flags(day: int) -> tuple[int, int, int, int, int, int]:
    date = date_of(day)
    public = date in _public_holidays(date.year)
    eve = (date.month, date.day) in {(12, 24), (12, 31)}
    school = is_school_holiday(date)
    week = date.isocalendar().week
    kindergarten = public or eve or week in _JULY_CLOSED_WEEKS
    christmas_week = (date.month == 12 and date.day >= 24) or (date.month == 1 and date.day <= 1)
    low = week in _HOLIDAY_WEEKS or christmas_week
    return (date.weekday(), int(public), int(school), int(kindergarten), int(eve), int(low))


#: Days after Easter Sunday of the movable public holidays (helligdagsloven, 1995): Maundy
#: Thursday, Good Friday, Easter Sunday and Monday, Ascension Day, Whit Sunday and Monday.
_EASTER_OFFSETS_DAYS: Final = (-3, -2, 0, 1, 39, 49, 50)
#: The fixed ones: New Year's Day, 1 May, 17 May, Christmas Day and Boxing Day.
_FIXED_HOLIDAYS: Final = ((1, 1), (5, 1), (5, 17), (12, 25), (12, 26))


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    # Computed here rather than taken from the `holidays` package, which costs a gateway about
    # 45 MB of memory to import; tests check these dates against that package.
    easter = dateutil.easter.easter(year)
    movable = {easter + dt.timedelta(days=offset) for offset in _EASTER_OFFSETS_DAYS}
    fixed = {dt.date(year, month, day) for month, day in _FIXED_HOLIDAYS}
    return frozenset(movable | fixed)


def is_public_holiday(date: dt.date) -> bool:
    """Whether ``date`` is a Norwegian public holiday (not counting ordinary Sundays)."""
    return date in _public_holidays(date.year)


def is_school_holiday(date: dt.date) -> bool:
    """Whether Bergen's schools are closed for a holiday on ``date`` (weekends not included)."""
    if date.weekday() >= 5:
        return False
    if is_public_holiday(date):
        return True
    month_day = (date.month, date.day)
    week = date.isocalendar().week
    easter = dateutil.easter.easter(date.year)
    ascension = easter + dt.timedelta(days=39)
    return (
        week in (_AUTUMN_BREAK_WEEK, _WINTER_BREAK_WEEK)
        or month_day >= (12, 21)
        or month_day <= (1, 2)
        or easter - dt.timedelta(days=6) <= date <= easter + dt.timedelta(days=1)
        or date == ascension + dt.timedelta(days=1)
        or (6, 21) <= month_day <= (8, 17)
    )
