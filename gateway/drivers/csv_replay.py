"""The ``csv_replay`` driver: replays a CSV file of one building as if its sensors spoke now.

Each configured column becomes a point (unit conversion and metadata per column); the time
column is parsed with a ``strptime`` format (or ``iso``, ``epoch_s``, ``epoch_ms``) in a given
time zone. Rows are replayed at ``speed`` times real time (``60``: an hour of data a minute),
or as fast as the broker takes them (``speed = 0``). Readings keep the file's timestamps
unless ``shift_to_now`` moves the whole file so that its first row is stamped "now".

Empty or non-numeric cells are skipped (counted and logged), as a dead sensor sends nothing.
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from byggpuls.errors import ConfigError
from byggpuls.reading import ID_PATTERN, BuildingInfo, PointInfo, Reading
from gateway.drivers import DriverContext, register
from gateway.drivers.points import PointOptions, Strict, check_points
from gateway.errors import DriverError

logger = logging.getLogger(__name__)

SPECIAL_FORMATS = ("iso", "epoch_s", "epoch_ms")
#: Faster than real time, poll at most this often and take every row due: one spool commit a
#: second rather than one per row.
MIN_POLL_SECONDS = 1.0


class CsvColumn(PointOptions):
    """One column of the file and the point it feeds."""

    #: The column's header; surrounding spaces are ignored on both sides.
    column: str = Field(min_length=1)


def parse_timezone(name: str) -> tzinfo:
    """An IANA zone (``Europe/Oslo``), ``UTC``, or a fixed offset (``+01:00``, ``-08:00``)."""
    if name.upper() in ("UTC", "Z"):
        return UTC
    if name[:1] in "+-":
        try:
            offset = datetime.strptime(name[1:], "%H:%M")
        except ValueError:
            raise ValueError(f"offset {name!r} is not +HH:MM or -HH:MM") from None
        delta = timedelta(hours=offset.hour, minutes=offset.minute)
        return timezone(-delta if name[0] == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Oslo', 'UTC' or "
            "'Etc/GMT+8' (a fixed UTC-8), or an offset such as '-08:00'"
        ) from None


class CsvReplayOptions(Strict):
    """``[driver]`` of ``type = "csv_replay"``."""

    #: The CSV file; relative to the configuration file.
    path: Path
    time_column: str = Field(min_length=1)
    #: A ``strptime`` format such as ``%m/%d/%Y %H:%M``, or ``iso``, ``epoch_s``, ``epoch_ms``.
    time_format: str = "iso"
    #: The zone of times without an offset: IANA name, ``UTC`` or ``+HH:MM``.
    timezone: str = "UTC"
    #: Replay speed: 1 is real time, 60 an hour a minute; 0 as fast as the broker takes it.
    speed: float = Field(default=1.0, ge=0)
    #: Stamp the first row with the time the replay starts (keeps the spacing of the rows).
    shift_to_now: bool = False
    #: Replay only the first rows (a trial, a test); default: the whole file.
    max_rows: int | None = Field(default=None, ge=1)
    #: Rows handed to the spool at once when replaying as fast as possible.
    chunk_rows: int = Field(default=500, ge=1, le=100_000)
    #: Seconds between rows of the file, for the points' metadata.
    interval_s: int | None = Field(default=None, gt=0)
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    #: Domain of columns that do not set their own.
    domain: str | None = Field(default=None, pattern=f"^{ID_PATTERN.pattern}$")
    columns: list[CsvColumn] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        parse_timezone(value)
        return value

    @field_validator("time_format")
    @classmethod
    def _check_format(cls, value: str) -> str:
        if value not in SPECIAL_FORMATS and "%" not in value:
            raise ValueError(
                f"{value!r} is neither a strptime format (with % directives) nor one of "
                f"{', '.join(SPECIAL_FORMATS)}"
            )
        return value

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, columns: list[CsvColumn], info: ValidationInfo) -> list[CsvColumn]:
        check_points(columns, default_domain=info.data.get("domain"))
        return columns


def time_parser(time_format: str, zone: tzinfo) -> Callable[[str], float]:
    """A function from a cell of the time column to epoch seconds."""
    if time_format == "epoch_s":
        return float
    if time_format == "epoch_ms":
        return lambda cell: float(cell) / 1000.0

    def localise(moment: datetime) -> float:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.timestamp()

    if time_format == "iso":
        return lambda cell: localise(datetime.fromisoformat(cell.strip()))
    return lambda cell: localise(datetime.strptime(cell.strip(), time_format))


class _Column:
    """A configured column, bound to its position in the header."""

    __slots__ = ("convert", "index", "point", "quantity", "unit", "zone")

    def __init__(self, options: CsvColumn, index: int) -> None:
        self.index = index
        self.point = options.point
        self.quantity = options.resolved_quantity()
        self.unit = options.unit
        self.zone = options.zone
        self.convert = options.convert()


class CsvReplayDriver:
    """Replays the rows of a CSV file as readings of one building."""

    historic = True

    def __init__(self, options: CsvReplayOptions, *, building: BuildingInfo, path: Path) -> None:
        self.options = options
        self.path = path
        self._building = building
        self._parse_time = time_parser(options.time_format, parse_timezone(options.timezone))
        try:
            self._file: IO[str] = path.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"cannot open CSV file {path}: {exc.strerror}") from None
        self._rows: Iterator[list[str]] = csv.reader(self._file, delimiter=options.delimiter)
        header = [name.strip() for name in next(self._rows, [])]
        self._time_index = self._index(header, options.time_column, "time_column")
        self._columns = [
            _Column(column, self._index(header, column.column, f"columns ({column.point})"))
            for column in options.columns
        ]
        self._line = 1
        self._rows_read = 0
        self.skipped_cells = 0
        #: Wall-clock time the replay started, and the file time it started at.
        self._wall_start_s: float | None = None
        self._file_start_s: float | None = None
        self._last_poll_s = -math.inf
        self._next: tuple[float, list[str]] | None = self._read_row()

    def _index(self, header: list[str], name: str, key: str) -> int:
        try:
            return header.index(name.strip())
        except ValueError:
            self._file.close()
            raise ConfigError(
                f"driver.{key}: column {name.strip()!r} is not in the header of {self.path}; "
                f"it has: {', '.join(repr(h) for h in header)}"
            ) from None

    def _read_row(self) -> tuple[float, list[str]] | None:
        """The next row with a readable time; ``None`` at the end of the file (or of max_rows)."""
        if self.options.max_rows is not None and self._rows_read >= self.options.max_rows:
            return None
        for row in self._rows:
            self._line += 1
            if not row or all(not cell.strip() for cell in row):
                continue
            try:
                parsed = self._parse_time(row[self._time_index]), row
            except (ValueError, IndexError, OverflowError) as exc:
                logger.warning(
                    "%s line %d: unreadable time, row skipped: %s", self.path, self._line, exc
                )
                continue
            self._rows_read += 1
            return parsed
        return None

    # -- Driver ------------------------------------------------------------------------------

    def building(self) -> BuildingInfo:
        return self._building

    def points(self) -> list[PointInfo]:
        domain = self.options.domain or ""
        return [
            c.info(domain=domain, interval_s=self.options.interval_s) for c in self.options.columns
        ]

    def _start(self, now_s: float) -> None:
        if self._wall_start_s is None and self._next is not None:
            self._wall_start_s = now_s
            self._file_start_s = self._next[0]

    def _due_s(self, file_time_s: float) -> float:
        """Wall-clock time at which the row of ``file_time_s`` is due."""
        assert self._wall_start_s is not None
        assert self._file_start_s is not None
        return self._wall_start_s + (file_time_s - self._file_start_s) / self.options.speed

    def next_poll_s(self, now_s: float) -> float | None:
        if self._next is None:
            return None
        self._start(now_s)
        if self.options.speed == 0:
            return now_s
        due = self._due_s(self._next[0])
        if self.options.speed > 1:
            due = max(due, self._last_poll_s + MIN_POLL_SECONDS)
        return due

    def poll(self, now_s: float) -> list[Reading]:
        self._start(now_s)
        self._last_poll_s = now_s
        readings: list[Reading] = []
        rows = 0
        while self._next is not None:
            file_time_s, row = self._next
            if self.options.speed == 0:
                if rows >= self.options.chunk_rows:
                    break
            elif self._due_s(file_time_s) > now_s:
                break
            readings.extend(self._readings(file_time_s, row))
            rows += 1
            try:
                self._next = self._read_row()
            except (OSError, csv.Error) as exc:
                raise DriverError(f"{self.path} line {self._line}: {exc}") from exc
        if self._next is None:
            logger.info("%s: replay finished (%d cells skipped)", self.path, self.skipped_cells)
        return readings

    def _readings(self, file_time_s: float, row: list[str]) -> Iterator[Reading]:
        time_s = file_time_s
        if self.options.shift_to_now:
            assert self._wall_start_s is not None
            assert self._file_start_s is not None
            time_s += self._wall_start_s - self._file_start_s
        time_ms = round(time_s * 1000)
        building = self._building.id
        for column in self._columns:
            try:
                value = column.convert(float(row[column.index]))
            except (ValueError, IndexError):
                value = math.nan
            if not math.isfinite(value):
                self.skipped_cells += 1
                if self.skipped_cells <= 10:
                    logger.warning(
                        "%s line %d: no number for %s, skipped", self.path, self._line, column.point
                    )
                continue
            yield Reading(
                building=building,
                point=column.point,
                quantity=column.quantity,
                time_ms=time_ms,
                value=value,
                unit=column.unit,
                zone=column.zone,
            )

    def close(self) -> None:
        self._file.close()


@register(
    "csv_replay",
    options=CsvReplayOptions,
    summary="replay a CSV file's columns as points, at a chosen speed",
)
def create(options: CsvReplayOptions, context: DriverContext) -> CsvReplayDriver:
    if context.building is None:
        raise ConfigError("driver csv_replay needs a [building] table")
    return CsvReplayDriver(options, building=context.building, path=context.resolve(options.path))


__all__ = ["CsvColumn", "CsvReplayDriver", "CsvReplayOptions", "parse_timezone"]
