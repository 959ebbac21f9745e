"""The energy ledger: each building's main meters hour by hour, with the baseline and the cost.

The analytics read each building's main meter of each carrier (electricity, district heat) as
hourly kWh, fit its baseline and price the energy; after each run they record the hours they
scored here, one row per building, carrier and UTC hour. Recording an hour again replaces it,
so a rerun over the same data changes nothing and a rerun over late data corrects the hour.
The API sums the rows into local days, weeks and months, so that it never asks the reading
store for a year of a meter.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from byggpuls.calendar import TIMEZONE, date_of
from byggpuls.registry import _checks as check
from byggpuls.registry import _sql as sql
from byggpuls.registry.errors import InvalidValue
from byggpuls.registry.models import ENERGY_CARRIERS, ENERGY_HOURS

_REPLACED: Final = ("point", "measured_kwh", "baseline_kwh", "cost_nok")
_SECONDS_PER_HOUR: Final = 3600
_SECONDS_PER_DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class EnergyHour:
    """One hour of a building's main meter of ``carrier`` (``electricity`` or ``heat``).

    ``hour`` is the hour's start, timezone-aware (UTC when read back); ``point`` the meter's
    point. ``measured_kwh`` is None where the meter said nothing, ``baseline_kwh`` where no
    trusted baseline knew the hour, and ``cost_nok`` where the energy could not be priced.
    """

    building: str
    carrier: str
    hour: datetime
    point: str
    measured_kwh: float | None
    baseline_kwh: float | None
    cost_nok: float | None


@dataclass(frozen=True, slots=True)
class EnergyTotal:
    """What a carrier's ledger of a building holds over a period, summed."""

    carrier: str
    #: Hours with a measured value, and the sum of those values.
    hours: int
    measured_kwh: float
    #: The first and the last hour with a measured value.
    first_hour: datetime
    last_hour: datetime


@dataclass(frozen=True, slots=True)
class EnergyDay:
    """A local (Europe/Oslo) day of a carrier's ledger, summed: 23, 24 or 25 hours.

    Each sum is over the hours that have its value (None where none has); ``hours``,
    ``baseline_hours`` and ``cost_hours`` say how many that is.
    """

    carrier: str
    day: date
    hours: int
    measured_kwh: float | None
    baseline_hours: int
    baseline_kwh: float | None
    cost_hours: int
    cost_nok: float | None


class EnergyHours(sql.Repository):
    """The buildings' energy ledger (see :class:`~byggpuls.registry._sql.Repository`)."""

    def record_energy_hours(self, rows: Sequence[EnergyHour]) -> int:
        """Record (or replace) each building's hours of each carrier; returns how many.

        One statement for all of them: the analytics record a building's run at once.
        """
        values = [_values(row) for row in rows]
        with self._writing() as conn:
            stmt = sql.insert(conn, ENERGY_HOURS)
            stmt = stmt.on_conflict_do_update(
                index_elements=[
                    ENERGY_HOURS.c.building_id,
                    ENERGY_HOURS.c.carrier,
                    ENERGY_HOURS.c.hour,
                ],
                set_={name: stmt.excluded[name] for name in _REPLACED},
            )
            return sql.execute_counting(conn, stmt, values)

    def energy_hours(
        self, building: str, *, since: datetime, until: datetime, carrier: str | None = None
    ) -> list[EnergyHour]:
        """``building``'s recorded hours that start from ``since`` (included) to ``until``
        (excluded), of ``carrier`` or of every carrier; oldest first (by carrier within an
        hour)."""
        carriers = ENERGY_CARRIERS if carrier is None else (_carrier(carrier),)
        table = ENERGY_HOURS.c
        # Carrier as a list rather than left out, so both databases range-scan the primary key.
        query = (
            sa.select(
                table.carrier,
                table.hour,
                table.point,
                table.measured_kwh,
                table.baseline_kwh,
                table.cost_nok,
            )
            .where(
                table.building_id == building,
                table.carrier.in_(carriers),
                table.hour >= check.aware(since, what="since"),
                table.hour < check.aware(until, what="until"),
            )
            .order_by(table.hour, table.carrier)
        )
        with self._reading() as session:
            return [EnergyHour(building, *row) for row in session.execute(query)]

    def energy_totals(
        self, building: str, *, since: datetime, until: datetime
    ) -> dict[str, EnergyTotal]:
        """Per carrier with measured hours from ``since`` (included) to ``until`` (excluded):
        how many there are and what they sum to. Summed by the database, for a year as fast
        as for a day."""
        return self._totals(since=since, until=until, building=building).get(building, {})

    def energy_totals_by_building(
        self, *, since: datetime, until: datetime
    ) -> dict[str, dict[str, EnergyTotal]]:
        """:meth:`energy_totals` of every building at once (building -> carrier -> total), in
        one grouped query: what a portfolio sorted by energy per m² needs."""
        return self._totals(since=since, until=until)

    def _totals(
        self, *, since: datetime, until: datetime, building: str | None = None
    ) -> dict[str, dict[str, EnergyTotal]]:
        table = ENERGY_HOURS.c
        query = (
            sa.select(
                table.building_id,
                table.carrier,
                sa.func.count(table.measured_kwh),
                sa.func.sum(table.measured_kwh),
                sa.func.min(table.hour),
                sa.func.max(table.hour),
            )
            .where(
                table.carrier.in_(ENERGY_CARRIERS),
                table.hour >= check.aware(since, what="since"),
                table.hour < check.aware(until, what="until"),
                table.measured_kwh.is_not(None),
            )
            .group_by(table.building_id, table.carrier)
            .order_by(table.building_id, table.carrier)
        )
        if building is not None:
            query = query.where(table.building_id == building)
        found: dict[str, dict[str, EnergyTotal]] = {}
        with self._reading() as session:
            for row_building, carrier, hours, kwh, first, last in session.execute(query):
                found.setdefault(row_building, {})[carrier] = EnergyTotal(
                    carrier, int(hours), float(kwh), first, last
                )
        return found

    def energy_days(
        self, building: str, *, since: date, until: date, carrier: str | None = None
    ) -> list[EnergyDay]:
        """``building``'s ledger summed per local (Europe/Oslo) day from ``since`` to ``until``
        (both included), of ``carrier`` or of every carrier; days without a recorded hour are
        left out. Oldest first, by carrier within a day.

        Summed by the database, so that a year costs little more than a day: each hour's
        local day is its UTC epoch plus the zone's offset then, which changes only at the
        clock changes found here.
        """
        carriers = ENERGY_CARRIERS if carrier is None else (_carrier(carrier),)
        start = datetime.combine(since, time(), TIMEZONE).astimezone(UTC)
        end = datetime.combine(until + timedelta(days=1), time(), TIMEZONE).astimezone(UTC)
        table = ENERGY_HOURS.c
        with self._reading() as session:
            local_s = _epoch_s(session, table.hour) + _offset_s(table.hour, start, end)
            day = (local_s // _SECONDS_PER_DAY).label("day")
            query = (
                sa.select(
                    table.carrier,
                    day,
                    sa.func.count(table.measured_kwh),
                    sa.func.sum(table.measured_kwh),
                    sa.func.count(table.baseline_kwh),
                    sa.func.sum(table.baseline_kwh),
                    sa.func.count(table.cost_nok),
                    sa.func.sum(table.cost_nok),
                )
                .where(
                    table.building_id == building,
                    table.carrier.in_(carriers),
                    table.hour >= start,
                    table.hour < end,
                )
                .group_by(day, table.carrier)
                .order_by(day, table.carrier)
            )
            return [_day(row) for row in session.execute(query)]


def offset_stretches(start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The stretches of constant Europe/Oslo UTC offset from ``start`` to ``end``: each one's
    first moment and its offset in seconds, the first at ``start``.

    One zone lookup per day, and per hour only on a day whose offset changes; the offset
    changes at whole UTC hours, and never twice in a day.
    """

    def offset_s(moment: datetime) -> int:
        offset = moment.astimezone(TIMEZONE).utcoffset()
        return 0 if offset is None else int(offset.total_seconds())

    stretches = [(start, offset_s(start))]
    moment = start
    while moment < end:
        following = min(moment + timedelta(days=1), end)
        if offset_s(following) != stretches[-1][1]:
            changed = moment.replace(minute=0, second=0, microsecond=0)
            while offset_s(changed) == stretches[-1][1]:
                changed += timedelta(hours=1)
            stretches.append((changed, offset_s(changed)))
        moment = following
    return stretches


def _offset_s(column: Any, start: datetime, end: datetime) -> Any:
    """The UTC offset (seconds) at each ``column`` time from ``start`` to ``end``, as SQL."""
    stretches = offset_stretches(start, end)
    if len(stretches) == 1:
        return sa.literal(stretches[0][1], sa.Integer)
    whens = [
        (column < begins, offset) for (_, offset), (begins, _) in itertools.pairwise(stretches)
    ]
    return sa.case(*whens, else_=stretches[-1][1])


def _epoch_s(session: Session, column: Any) -> Any:
    """Whole seconds since the Unix epoch of a timestamp column, as SQL of the dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.extract("epoch", column), sa.BigInteger)
    # SQLite keeps UTC text, which strftime reads (fractions of a second included).
    return sa.cast(sa.func.strftime("%s", column), sa.Integer)


def _day(row: sa.Row[Any]) -> EnergyDay:
    carrier, number, hours, measured, baseline_hours, baseline, cost_hours, cost = tuple(row)
    return EnergyDay(
        carrier=carrier,
        day=date_of(int(number)),
        hours=int(hours),
        measured_kwh=_float(measured),
        baseline_hours=int(baseline_hours),
        baseline_kwh=_float(baseline),
        cost_hours=int(cost_hours),
        cost_nok=_float(cost),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _carrier(value: str) -> str:
    if value not in ENERGY_CARRIERS:
        raise InvalidValue(f"energy carrier {value!r} is not one of {', '.join(ENERGY_CARRIERS)}")
    return value


def _values(row: EnergyHour) -> dict[str, Any]:
    hour = check.aware(row.hour, what="hour")
    if hour.timestamp() % _SECONDS_PER_HOUR:
        raise InvalidValue(f"energy hour {hour.isoformat()} is not the start of an hour")
    return {
        "building_id": check.building_id(row.building),
        "carrier": _carrier(row.carrier),
        "hour": hour,
        "point": check.point_id(row.point),
        "measured_kwh": check.finite(row.measured_kwh, what="measured_kwh"),
        "baseline_kwh": check.finite(row.baseline_kwh, what="baseline_kwh"),
        "cost_nok": check.finite(row.cost_nok, what="cost_nok"),
    }
