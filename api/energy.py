"""The energy ledger as people read it: consumption per local hour, day, week or month.

The analytics record each building's main meters hour by hour (UTC) in the registry's energy
ledger (:mod:`byggpuls.registry.energy`), with the baseline's expected kWh and the cost of
the energy. Here those hours are cut into periods of the building's local time,
Europe/Oslo: a day runs from midnight to midnight, so the day the clocks go forward has 23
hours and the day they go back 25; a week is an ISO week, from Monday; a month a calendar
month. Days, weeks and months are summed from the database's daily sums
(:meth:`~byggpuls.registry.energy.EnergyHours.energy_days`), so that a year costs about as
much as a month. Pure functions of what the registry hands back; the routes do the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final

from byggpuls.calendar import TIMEZONE
from byggpuls.registry.energy import EnergyDay, EnergyHour, EnergyTotal

HOUR: Final = timedelta(hours=1)


class Resolution(StrEnum):
    """How long a period of the consumption table is."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class Period:
    """One period in local time: its label, and its start and end (end excluded)."""

    label: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> int:
        """How many hours the period has: a day has 23, 24 or 25."""
        return int((self.end.astimezone(UTC) - self.start.astimezone(UTC)) / HOUR)


@dataclass(slots=True)
class Sums:
    """A carrier's sums over a period (or a whole table): each over the hours that have it."""

    hours_with_data: int = 0
    measured_kwh: float = 0.0
    baseline_hours: int = 0
    baseline_kwh: float = 0.0
    cost_hours: int = 0
    cost_nok: float = 0.0

    def add(self, other: Sums) -> None:
        self.hours_with_data += other.hours_with_data
        self.measured_kwh += other.measured_kwh
        self.baseline_hours += other.baseline_hours
        self.baseline_kwh += other.baseline_kwh
        self.cost_hours += other.cost_hours
        self.cost_nok += other.cost_nok


@dataclass(frozen=True, slots=True)
class Row:
    """One carrier's consumption in one period."""

    carrier: str
    period: Period
    sums: Sums


@dataclass(frozen=True, slots=True)
class Table:
    """A building's consumption table: the rows, carrier by carrier and period by period, and
    each carrier's totals."""

    resolution: Resolution
    start: datetime
    end: datetime
    rows: list[Row]
    totals: dict[str, Sums] = field(default_factory=dict)


def local_midnight(day: date) -> datetime:
    """The start of local day ``day``, in local time."""
    return datetime.combine(day, time(), TIMEZONE)


def period_start(resolution: Resolution, moment: datetime) -> datetime:
    """The start of the period of ``resolution`` that ``moment`` falls in (local time)."""
    local = moment.astimezone(TIMEZONE)
    if resolution is Resolution.HOUR:
        utc = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return utc.astimezone(TIMEZONE)
    day = local.date()
    if resolution is Resolution.WEEK:
        day -= timedelta(days=day.weekday())
    elif resolution is Resolution.MONTH:
        day = day.replace(day=1)
    return local_midnight(day)


def next_start(resolution: Resolution, start: datetime) -> datetime:
    """The start of the period after the one that starts at ``start``."""
    if resolution is Resolution.HOUR:
        return (start.astimezone(UTC) + HOUR).astimezone(TIMEZONE)
    day = start.astimezone(TIMEZONE).date()
    if resolution is Resolution.DAY:
        return local_midnight(day + timedelta(days=1))
    if resolution is Resolution.WEEK:
        return local_midnight(day + timedelta(days=7))
    return local_midnight(date(day.year + day.month // 12, day.month % 12 + 1, 1))


def aligned(resolution: Resolution, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """``start`` back to the start of its period, ``end`` on to the end of its period (unless
    it is one's start already): so that every row of a table is a whole period."""
    first = period_start(resolution, start)
    last = period_start(resolution, end)
    if last.astimezone(UTC) != end.astimezone(UTC):
        last = next_start(resolution, last)
    return first, last


def periods(resolution: Resolution, start: datetime, end: datetime) -> list[Period]:
    """The periods from ``start`` to ``end``, both period starts (see :func:`aligned`)."""
    found = []
    moment, stop = start, end.astimezone(UTC)
    while moment.astimezone(UTC) < stop:
        following = next_start(resolution, moment)
        found.append(Period(_label(resolution, moment), moment, following))
        moment = following
    return found


def _label(resolution: Resolution, start: datetime) -> str:
    if resolution is Resolution.HOUR:
        return start.isoformat(timespec="minutes")
    if resolution is Resolution.DAY:
        return start.date().isoformat()
    if resolution is Resolution.WEEK:
        year, week, _ = start.date().isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")


def table_of_days(
    *,
    resolution: Resolution,
    start: datetime,
    end: datetime,
    days: Iterable[EnergyDay],
    carriers: Sequence[str] = (),
) -> Table:
    """The table of the daily sums ``days`` in periods of a day, a week or a month."""
    if resolution is Resolution.HOUR:
        raise ValueError("hours are summed from the ledger's hours: use table_of_hours")
    cut = periods(resolution, start, end)
    index = {period.start.date(): number for number, period in enumerate(cut)}
    sums: dict[str, list[Sums]] = {carrier: _empty(cut) for carrier in carriers}
    for day in days:
        key = period_start(resolution, local_midnight(day.day)).date()
        if key not in index:
            continue
        per_period = sums.get(day.carrier) or sums.setdefault(day.carrier, _empty(cut))
        per_period[index[key]].add(
            Sums(
                hours_with_data=day.hours,
                measured_kwh=day.measured_kwh or 0.0,
                baseline_hours=day.baseline_hours,
                baseline_kwh=day.baseline_kwh or 0.0,
                cost_hours=day.cost_hours,
                cost_nok=day.cost_nok or 0.0,
            )
        )
    return _table(resolution, start, end, cut, sums)


def table_of_hours(
    *, start: datetime, end: datetime, hours: Iterable[EnergyHour], carriers: Sequence[str] = ()
) -> Table:
    """The table of the ledger's ``hours``, one row per local hour and carrier."""
    cut = periods(Resolution.HOUR, start, end)
    first = start.astimezone(UTC)
    sums: dict[str, list[Sums]] = {carrier: _empty(cut) for carrier in carriers}
    for hour in hours:
        number = int((hour.hour - first) / HOUR)
        if not 0 <= number < len(cut):
            continue
        per_period = sums.get(hour.carrier) or sums.setdefault(hour.carrier, _empty(cut))
        per_period[number].add(
            Sums(
                hours_with_data=int(hour.measured_kwh is not None),
                measured_kwh=hour.measured_kwh or 0.0,
                baseline_hours=int(hour.baseline_kwh is not None),
                baseline_kwh=hour.baseline_kwh or 0.0,
                cost_hours=int(hour.cost_nok is not None),
                cost_nok=hour.cost_nok or 0.0,
            )
        )
    return _table(Resolution.HOUR, start, end, cut, sums)


def _empty(cut: list[Period]) -> list[Sums]:
    return [Sums() for _ in cut]


def _table(
    resolution: Resolution,
    start: datetime,
    end: datetime,
    cut: list[Period],
    sums: dict[str, list[Sums]],
) -> Table:
    rows = []
    totals = {}
    for carrier in sorted(sums):
        total = Sums()
        for period, period_sums in zip(cut, sums[carrier], strict=True):
            rows.append(Row(carrier, period, period_sums))
            total.add(period_sums)
        totals[carrier] = total
    return Table(resolution=resolution, start=start, end=end, rows=rows, totals=totals)


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Measured kWh per local date (rows) and hour of the day, 0-23 (columns); None where the
    ledger has no hour. The day the clocks go back has two hours that read 02:00 on the clock:
    their cell holds both; the day they go forward has none, and its 02:00 cell is None."""

    dates: list[date]
    kwh: list[list[float | None]]


def heat_map(*, first: date, days: int, hours: Iterable[EnergyHour]) -> HeatMap:
    """The heat map of ``days`` local dates from ``first`` out of the ledger's ``hours``."""
    cells: list[list[float | None]] = [[None] * 24 for _ in range(days)]
    for hour in hours:
        if hour.measured_kwh is None:
            continue
        local = hour.hour.astimezone(TIMEZONE)
        row = (local.date() - first).days
        if 0 <= row < days:
            cell = cells[row][local.hour]
            cells[row][local.hour] = hour.measured_kwh + (cell or 0.0)
    return HeatMap(dates=[first + timedelta(days=n) for n in range(days)], kwh=cells)


#: Hours in a year, to scale a shorter record of a carrier up to one.
YEAR_HOURS: Final = 365 * 24


def annual_kwh(total: EnergyTotal) -> float:
    """A carrier's measured kWh scaled up to a year from the hours it was measured."""
    return total.measured_kwh * YEAR_HOURS / total.hours


def kwh_m2_year(totals: Mapping[str, EnergyTotal], floor_area_m2: float | None) -> float | None:
    """All carriers' kWh per m² heated floor area and year (each scaled up to a year); None
    without a floor area or without measurements."""
    if not floor_area_m2 or not totals:
        return None
    return sum(annual_kwh(total) for total in totals.values()) / floor_area_m2
