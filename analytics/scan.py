"""Reading a building's own CSV export (an energy portal's, a BMS's) into what the analysis needs.

``byggpuls analytics scan`` reads the file with :func:`read_export` and runs
:func:`analytics.pipeline.analyse` on it, so that a facility manager sees what the platform
would find in their building before a gateway is installed. The format is in README.md ("Try it
on your own data"); which column is the electricity meter, the heat meter and the outdoor
temperature comes from the names (:mod:`byggpuls.roles`) unless the person names them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from analytics.pipeline import BuildingData, Carrier, Meter, Readings, hour_grid, hourly
from analytics.scoring import MIN_HISTORY_HOURS, monday_s, week_of
from byggpuls.calendar import TIMEZONE
from byggpuls.errors import ConfigError
from byggpuls.reading import BuildingType, PointInfo
from byggpuls.roles import Role, main_point, role_of
from byggpuls.units import converter

FloatArray = npt.NDArray[np.float64]
#: A row of the file: its line number and its cells.
Row = tuple[int, list[str]]
Kind = Literal["energy", "power", "counter", "temperature"]
SECONDS_PER_HOUR: Final = 3600.0
SECONDS_PER_DAY: Final = 86_400.0
#: Weeks of data the scan needs: two of history before the first week judged, and that week.
MIN_WEEKS: Final = 3
TIME_NAMES: Final = frozenset({"time", "timestamp", "datetime", "tid", "tidspunkt", "dato", "date"})
#: The roles the scan looks for, by the name it gives them.
ROLES: Final = {
    "electricity": Role.ELECTRICITY,
    "heat": Role.HEAT,
    "outdoor": Role.OUTDOOR_TEMPERATURE,
}
#: Words in a column's name that make it a counter (a meter reading that only grows).
COUNTER_WORDS: Final = frozenset(
    {"counter", "cumulative", "akkumulert", "målerstand", "maalerstand", "malerstand"}
)
#: Unit in a header (case-folded, spaces removed) -> (SenML unit, what the column holds).
UNITS: Final[dict[str, tuple[str, Kind]]] = {
    "kwh": ("kWh", "energy"), "wh": ("Wh", "energy"), "mwh": ("MWh", "energy"),
    "kw": ("kW", "power"), "w": ("W", "power"),
    "°c": ("Cel", "temperature"), "ºc": ("Cel", "temperature"), "c": ("Cel", "temperature"),
    "cel": ("Cel", "temperature"), "degc": ("Cel", "temperature"), "k": ("K", "temperature"),
    "°f": ("degF", "temperature"), "degf": ("degF", "temperature"),
}  # fmt: skip
KNOWN_UNITS: Final = "kWh, Wh, MWh (energy), kW, W (power), °C, C, Cel, K, °F (temperature)"
#: What a column holds -> (its point's quantity, the unit the analysis takes).
_QUANTITY: Final[dict[Kind, tuple[str, str]]] = {
    "energy": ("energy", "kWh"),
    "counter": ("energy", "kWh"),
    "power": ("power", "kW"),
    "temperature": ("temperature", "Cel"),
}
_HEADER: Final = re.compile(r"^\s*(?P<name>.*?)\s*(?:[\[(]\s*(?P<unit>[^\])]*?)\s*[\])])?\s*$")
_NORWEGIAN_TIME: Final = re.compile(
    r"^(\d{1,2})\.(\d{1,2})\.(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$"
)
_EPOCH: Final = re.compile(r"^\d{9,13}(\.\d*)?$")
_MISSING: Final = frozenset({"", "-", "nan", "null", "n/a", "na"})
_EXAMPLE_TIMES: Final = (
    "2026-01-05T07:00:00+01:00, 2026-01-05 07:00, 05.01.2026 07:00 or epoch seconds"
)
#: Rows between progress reports while reading the times of a long file.
PROGRESS_ROWS: Final = 100_000


class ScanError(ConfigError):
    """A CSV export the scan cannot read; the message says what to change in the file."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the export: its header, the point it names, its unit (SenML, when known)
    and what it holds (None: a unit the scan does not know, or none)."""

    index: int
    header: str
    point: str
    unit: str | None
    kind: Kind | None

    def is_named(self, name: str) -> bool:
        """Whether ``name`` is this column's header or its name without the unit."""
        return name.strip().casefold() in (self.header.casefold(), self.point.casefold())

    def info(self, quantity: str | None = None) -> PointInfo:
        """The column as a point, for :mod:`byggpuls.roles` to recognise."""
        if quantity is None:
            quantity = _QUANTITY[self.kind][0] if self.kind else ""
        return PointInfo(point=self.point, domain="", quantity=quantity, unit=self.unit or "")


@dataclass(frozen=True, slots=True)
class Export:
    """A building's export as read: the data to analyse, from when to judge it, and what was
    used from the file (role -> a description of the column) for the person to check."""

    data: BuildingData
    score_from_s: float
    rows: int
    step_s: float
    used: dict[str, str]
    notes: tuple[str, ...]


def read_export(
    path: Path,
    *,
    building: str | None = None,
    building_type: str = BuildingType.OTHER.value,
    electricity: str | None = None,
    heat: str | None = None,
    outdoor: str | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> Export:
    """The export at ``path`` as :class:`~analytics.pipeline.BuildingData` on whole hours.

    ``electricity``, ``heat`` and ``outdoor`` name the columns of those roles (a header, or its
    name without the unit), over what the names say. Raises :class:`ScanError` saying what to
    fix in the file.
    """
    header, rows = _read_table(path)
    named_time = next(
        (i for i, h in enumerate(header) if _column(i, h).point.casefold() in TIME_NAMES), None
    )
    time_index = 0 if named_time is None else named_time
    columns = [_column(i, h) for i, h in enumerate(header) if i != time_index]
    chosen = _roles(columns, electricity=electricity, heat=heat, outdoor=outdoor)
    unused = [repr(c.header) for c in columns if c not in chosen.values()]
    times = parse_times(
        [_cell(row, time_index) for _, row in rows],
        header=header[time_index],
        lines=[line for line, _ in rows],
        found_by_name=named_time is not None,
        progress=progress,
    )
    # Sorted, the first of repeated times kept: an export may be appended to out of order.
    order = np.argsort(times, kind="stable")
    keep = np.concatenate([[True], np.diff(times[order]) > 0])
    times = times[order][keep]
    notes = [f"columns not used: {', '.join(unused)}"] if unused else []
    if not keep.all():
        notes.append(f"{np.count_nonzero(~keep)} rows repeat an earlier time; the first is used")
    step_s = float(np.median(np.diff(times))) if times.size > 1 else SECONDS_PER_HOUR
    if step_s > SECONDS_PER_HOUR:
        raise ScanError(
            f"{path.name}: its rows are {step_s / SECONDS_PER_HOUR:g} hours apart; the scan needs "
            "hourly values or finer (15-minute rows are averaged to hours): export hourly data"
        )
    series = {}
    for role, column in chosen.items():
        values = _converted(column, _numbers(rows, column)[order][keep])
        if column.kind == "energy":
            _refuse_unmarked_counter(column, values)
        series[role] = (column, values)
    return _export(
        path=path,
        building=building or path.stem,
        building_type=building_type,
        times_s=times,
        step_s=step_s,
        series=series,
        notes=notes,
        rows=len(rows),
    )


def _read_table(path: Path) -> tuple[list[str], list[Row]]:
    """The header and the rows of the file, whatever its separator and encoding."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScanError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Norwegian Excel's "ANSI"
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(";\t,", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    table = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if len(table) < 2:
        raise ScanError(f"{path.name} has no rows: it needs a header line, then a row per time")
    return [cell.strip() for cell in table[0][1]], table[1:]


def _column(index: int, header: str) -> Column:
    match = _HEADER.match(header)
    name, unit = (match["name"], match["unit"]) if match else (header, None)
    point = name.strip() or header
    known = UNITS.get((unit or "").replace(" ", "").casefold())
    if known is None:
        return Column(index, header, point, unit or None, None)
    senml, kind = known
    if kind == "energy" and set(re.split(r"[^a-zæøå]+", point.casefold())) & COUNTER_WORDS:
        kind = "counter"
    return Column(index, header, point, senml, kind)


def _roles(
    columns: list[Column], *, electricity: str | None, heat: str | None, outdoor: str | None
) -> dict[str, Column]:
    """The column of each role: as named, else found from the names (a main meter before a
    sub-meter). A role left without a column, where one is named for it but has no unit or one
    the scan does not know, is refused rather than left out."""
    chosen = {
        role: _named(columns, name, role=role)
        for role, name in (("electricity", electricity), ("heat", heat), ("outdoor", outdoor))
        if name is not None
    }
    for role, wanted in ROLES.items():
        free = {c.point: c for c in columns if c.kind and c not in chosen.values()}
        found = main_point((c.info() for c in free.values()), wanted)
        if role not in chosen and found is not None:
            chosen[role] = free[found.point]
    for column in columns:
        if column.kind is None and _looks_like(column) - set(chosen):
            _refuse_unit(column)
    if "electricity" not in chosen and "heat" not in chosen:
        seen = ", ".join(repr(c.header) for c in columns) or "none"
        raise ScanError(
            f"no energy column found (the columns are {seen}): name the electricity meter's "
            "column with 'el' and its unit in brackets ('el [kWh]', 'hovedmaaler_el [kW]') and "
            "the heat meter's with 'fjernvarme' or 'varme' ('fjernvarme [kWh]'), or choose them "
            "with --electricity COLUMN and --heat COLUMN"
        )
    return chosen


def _named(columns: list[Column], name: str, *, role: str) -> Column:
    column = next((c for c in columns if c.is_named(name)), None)
    if column is None:
        listed = ", ".join(repr(c.header) for c in columns)
        raise ScanError(f"--{role} {name}: the file has no such column; it has {listed}")
    if column.kind is None:
        _refuse_unit(column)
    if (role == "outdoor") != (column.kind == "temperature"):
        need = "°C, K or °F" if role == "outdoor" else "kWh, Wh, MWh, kW or W"
        raise ScanError(
            f"--{role} {name}: the column {column.header!r} is in {column.unit}, and the "
            f"{role} column must be in {need}"
        )
    return column


def _looks_like(column: Column) -> set[str]:
    """The roles a column's name says it plays, whatever its unit."""
    roles = {role_of(column.info("energy")), role_of(column.info("temperature"))}
    return {role for role, wanted in ROLES.items() if wanted in roles}


def _refuse_unit(column: Column) -> None:
    problem = f"an unknown unit, {column.unit!r}" if column.unit else "no unit"
    raise ScanError(
        f"the column {column.header!r} has {problem}: write the unit in brackets after the "
        f"name, e.g. '{column.point} [kWh]' for the energy used in each row's interval, "
        f"'{column.point} [kW]' for power or '{column.point}_counter [kWh]' for a meter "
        f"reading; the units known are {KNOWN_UNITS}"
    )


def parse_times(
    cells: Sequence[str],
    *,
    header: str,
    lines: Sequence[int] = (),
    found_by_name: bool = True,
    timezone: dt.tzinfo = TIMEZONE,
    progress: Callable[[str], None] = lambda line: None,
) -> FloatArray:
    """UTC epoch seconds of each cell of the time column, on ``lines`` of the file (default:
    from line 2 on); a time without an offset is wall time in ``timezone`` (Europe/Oslo
    unless another zone is given)."""
    lines = lines or range(2, len(cells) + 2)
    times = np.empty(len(cells))
    previous_s = -np.inf
    for row, cell in enumerate(cells):
        try:
            times[row] = previous_s = _moment(cell.strip(), previous_s, timezone)
        except ValueError:
            if row == 0 and not found_by_name:
                raise ScanError(
                    f"no time column: name it time, timestamp, tid, dato or date, or put it "
                    f"first; the first column, {header!r}, holds {cell!r} on line {lines[0]}, "
                    f"not a time such as {_EXAMPLE_TIMES}"
                ) from None
            raise ScanError(
                f"line {lines[row]}: {cell!r} in the time column {header!r} is not a time; write "
                f"times as {_EXAMPLE_TIMES}"
            ) from None
        if row and row % PROGRESS_ROWS == 0:
            progress(f"read the times of {row} of {len(cells)} rows")
    return times


def _moment(text: str, previous_s: float, timezone: dt.tzinfo) -> float:
    """One cell as UTC epoch seconds; ValueError if it is no time."""
    if _EPOCH.match(text):
        value = float(text)
        return value / 1000.0 if value > 1e11 else value  # epoch milliseconds
    norwegian = _NORWEGIAN_TIME.match(text)
    if norwegian:
        day, month, year, hour, minute, second = (int(g or 0) for g in norwegian.groups())
        moment = dt.datetime(year, month, day, hour, minute, second)
    else:
        moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        return moment.timestamp()
    first_s = moment.replace(tzinfo=timezone, fold=0).timestamp()
    second_s = moment.replace(tzinfo=timezone, fold=1).timestamp()
    # October's repeated hour: its second pass comes after the file has been through the first.
    return second_s if first_s < second_s and previous_s >= first_s else first_s


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def _numbers(rows: Sequence[Row], column: Column) -> FloatArray:
    values = np.empty(len(rows))
    for row, (line, cells) in enumerate(rows):
        text = _cell(cells, column.index)
        try:
            values[row] = _number(text)
        except ValueError:
            raise ScanError(
                f"line {line}, column {column.header!r}: {text!r} is not a number; write "
                "decimals with a comma or a point, and leave a missing value empty"
            ) from None
    return values


def _number(text: str) -> float:
    if text.casefold() in _MISSING:
        return float("nan")
    text = text.replace("\u00a0", "").replace(" ", "")  # thousands: 1 234,5
    if "," in text:
        if "." in text and text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")  # 1,234.5
        else:
            text = text.replace(".", "").replace(",", ".")  # 12,5 or 1.234,5
    return float(text)


def _converted(column: Column, values: FloatArray) -> FloatArray:
    """``values`` in kWh, kW or °C."""
    if column.unit is None or column.kind is None:
        raise AssertionError("only columns with a known unit are chosen")
    convert = converter(column.unit, _QUANTITY[column.kind][1])
    if column.kind == "temperature":
        return np.array([convert(value) for value in values.tolist()])
    return values * convert(1.0)  # energy and power units differ by a factor


def _refuse_unmarked_counter(column: Column, values: FloatArray) -> None:
    known = values[np.isfinite(values)]
    if known.size >= 48 and known[-1] > known[0] and bool(np.all(np.diff(known) >= 0)):
        raise ScanError(
            f"the column {column.header!r} never decreases: it looks like a meter reading, not "
            f"the energy of each interval; if it is one, call it a counter "
            f"('{column.point}_counter [{column.unit}]')"
        )


def _export(
    *,
    path: Path,
    building: str,
    building_type: str,
    times_s: FloatArray,
    step_s: float,
    series: dict[str, tuple[Column, FloatArray]],
    notes: list[str],
    rows: int,
) -> Export:
    """The chosen columns on whole hours, trimmed to the hours the meters cover."""
    grid = hour_grid(float(times_s[0]), float(times_s[-1]) + step_s)
    hourly_of: dict[str, FloatArray] = {}
    readings: list[Readings] = []
    used: dict[str, str] = {}
    for role, (column, values) in series.items():
        if column.kind == "temperature":
            hourly_of[role] = hourly(times_s, values, hours_s=grid)
            used[role] = f"{column.header} (°C, averaged over each hour)"
            continue
        rate_kw = _rate_kw(column, times_s, values, step_s=step_s)
        hourly_of[role] = hourly(times_s, rate_kw, hours_s=grid)
        # The meter-fault checks read a counter as it is, any other meter as its power.
        counter = column.kind == "counter"
        stored = values if counter else rate_kw
        known = np.isfinite(stored)
        readings.append(Readings(column.point, times_s[known], stored[known], counter))
        used[role] = f"{column.header} ({_described(column, step_s)})"
    carriers: tuple[Carrier, ...] = ("electricity", "heat")
    energy = {c: hourly_of[c] for c in carriers if c in hourly_of}
    covered = np.flatnonzero(np.any([np.isfinite(e) for e in energy.values()], axis=0))
    first, end = (int(covered[0]), int(covered[-1]) + 1) if covered.size else (0, 0)
    if (end - first) * SECONDS_PER_HOUR < MIN_WEEKS * 7 * SECONDS_PER_DAY:
        span = f"{_local(grid[first])} to {_local(grid[end - 1] + 3600)}" if end else "none"
        raise ScanError(
            f"{path.name} has {(end - first) / 24:.1f} days of meter data ({span}); the scan "
            f"needs at least {MIN_WEEKS} weeks: the baselines learn from 2 weeks of history "
            "before the first week they judge. Export a longer period"
        )
    if "outdoor" not in hourly_of:
        notes.append(
            "no outdoor temperature column (such as 'utetemp [°C]'): the baselines know the "
            "time of the week only, and a heat meter's fits worse without the weather"
        )
    hours = slice(first, end)
    data = BuildingData(
        building=building,
        building_type=building_type,
        times_s=grid[hours],
        meters=tuple(
            Meter(point=series[carrier][0].point, carrier=carrier, energy_kwh=kwh[hours])
            for carrier, kwh in energy.items()
        ),
        outdoor_c=hourly_of.get("outdoor", np.full(grid.shape, np.nan))[hours],
        readings=tuple(readings),
    )
    return Export(
        data=data,
        score_from_s=first_scored_s(data.times_s),
        rows=rows,
        step_s=step_s,
        used=used,
        notes=tuple(notes),
    )


def _rate_kw(
    column: Column, times_s: FloatArray, values: FloatArray, *, step_s: float
) -> FloatArray:
    """The mean power over the interval that starts at each row (kWh per hour)."""
    if column.kind == "power":
        return values
    if column.kind == "energy":
        per_interval: FloatArray = values / (step_s / SECONDS_PER_HOUR)
        return per_interval
    # A counter: what it counted up to the next reading. Unknown across a gap (how that was
    # spread over the gap's hours is not known) and where the counter fell (reset, replaced).
    rate = np.full(values.shape, np.nan)
    steps_s, used_kwh = np.diff(times_s), np.diff(values)
    with np.errstate(invalid="ignore"):
        counted = (steps_s <= 1.5 * step_s) & (used_kwh >= 0)
    rate[:-1] = np.where(counted, used_kwh / (steps_s / SECONDS_PER_HOUR), np.nan)
    return rate


def _described(column: Column, step_s: float) -> str:
    every = f"{step_s / 60:g} min"
    if column.kind == "counter":
        return f"a counter in {column.unit}, read every {every}"
    if column.kind == "power":
        return f"power in {column.unit}, averaged over each hour"
    return f"{column.unit} used in each {every}"


def first_scored_s(times_s: FloatArray) -> float:
    """The first local Monday 00:00 with two weeks of hours before it: where judging begins."""
    week = int(week_of(times_s[:1])[0])
    while monday_s(week) - float(times_s[0]) < MIN_HISTORY_HOURS * SECONDS_PER_HOUR:
        week += 1
    return monday_s(week)


def _local(time_s: float) -> str:
    return dt.datetime.fromtimestamp(time_s, TIMEZONE).strftime("%Y-%m-%d %H:%M")


__all__ = [
    "MIN_WEEKS",
    "Column",
    "Export",
    "ScanError",
    "first_scored_s",
    "parse_times",
    "read_export",
]
