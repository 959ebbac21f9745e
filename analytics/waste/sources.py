"""Adapters of the price port: a CSV file, and a day-ahead feed over HTTP.

:class:`FilePrices` reads ``time,area,nok_per_kwh`` rows (ISO 8601 times with their UTC
offset, hour or quarter-hour starts, any areas mixed) and reads the file again when it changes.

:class:`HttpPrices` fetches one JSON document per local day and area from a URL template in
the shape of the public Norwegian day-ahead feeds, e.g.
``https://www.hvakosterstrommen.no/api/v1/prices/{year}/{month:02d}-{day:02d}_{area}.json``:
a list of ``{"NOK_per_kWh": 1.23, "time_start": "2025-10-01T00:00:00+02:00", ...}``, hourly
before 1 October 2025 and 15-minute after, brought to the hour by their mean. Fetched days are
kept in memory; a day that failed is not asked for again for ``retry_after_s``, so that one
run with many findings does not wait on a dead server once per finding.

Errors are translated here: httpx's become :class:`PriceUnavailable`, a document not in the
format :class:`PriceMalformed`, each naming the URL (its password redacted) and the day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import string
import time
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import httpx
import numpy as np
import numpy.typing as npt

from analytics.waste.errors import PriceError, PriceMalformed, PriceUnavailable
from analytics.waste.prices import (
    SECONDS_PER_HOUR,
    PriceSeries,
    PriceSource,
    check_area,
    hourly_mean,
)
from byggpuls.calendar import TIMEZONE, local_datetime_s
from byggpuls.settings import redact

if TYPE_CHECKING:
    from analytics.settings import AnalyticsSettings

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Hourly = tuple[FloatArray, FloatArray]
CSV_COLUMNS: Final = ("time", "area", "nok_per_kwh")
URL_FIELDS: Final = frozenset({"year", "month", "day", "area"})
EXAMPLE_URL: Final = "https://example.org/api/v1/prices/{year}/{month:02d}-{day:02d}_{area}.json"
#: A day that failed is asked for again after this long (an analytics run is 15 minutes apart).
RETRY_AFTER_S: Final = 600.0
#: Days kept in memory: five areas over a year and more (a day is 24 floats).
MAX_CACHED_DAYS: Final = 2000


def check_url_template(template: str) -> str:
    """``template`` if it is an http(s) URL with ``{year}``, ``{month}``, ``{day}`` and
    ``{area}`` (format specs such as ``{month:02d}`` allowed) and nothing else to fill in."""
    hint = f"use an http(s) URL template such as {EXAMPLE_URL}"
    try:
        parts = urlsplit(template)
        fields = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"{hint}, not {redact(template)!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{hint}, not {redact(template)!r}")
    if fields != URL_FIELDS:
        missing = ", ".join(f"{{{name}}}" for name in sorted(URL_FIELDS - fields))
        extra = ", ".join(f"{{{name}}}" for name in sorted(fields - URL_FIELDS))
        problem = f"it lacks {missing}" if missing else f"it has {extra}, which cannot be filled"
        raise ValueError(f"{hint}: {problem}")
    try:
        template.format(year=2025, month=10, day=1, area="NO5")
    except (ValueError, KeyError, IndexError) as exc:
        raise ValueError(f"{hint}, not {redact(template)!r} ({exc})") from None
    return template


def parse_time(value: object, *, where: str) -> float:
    """An ISO 8601 time with its UTC offset as epoch seconds; PriceMalformed otherwise."""
    if not isinstance(value, str):
        raise PriceMalformed(f"{where}: the time {value!r} is not an ISO 8601 string")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise PriceMalformed(f"{where}: {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise PriceMalformed(f"{where}: {value!r} lacks its UTC offset (e.g. +01:00 or Z)")
    return moment.timestamp()


def parse_price(value: object, *, where: str) -> float:
    """A finite price in NOK/kWh; PriceMalformed otherwise (negative spot prices do occur)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise PriceMalformed(
                f"{where}: {value!r} is not a number (use a decimal point)"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PriceMalformed(f"{where}: the price {value!r} is not a finite number")
    return float(value)


def parse_feed_day(document: Any, *, where: str) -> Hourly:
    """A day-ahead feed's JSON list of ``{"NOK_per_kWh", "time_start", ...}`` as hourly means."""
    if not isinstance(document, list) or not document:
        raise PriceMalformed(f"{where}: expected a non-empty JSON list of prices")
    times, prices = [], []
    for number, entry in enumerate(document):
        item = f"{where} item {number}"
        if not isinstance(entry, dict):
            raise PriceMalformed(f"{item}: expected an object, got {type(entry).__name__}")
        if "NOK_per_kWh" not in entry or "time_start" not in entry:
            raise PriceMalformed(f"{item}: needs NOK_per_kWh and time_start")
        times.append(parse_time(entry["time_start"], where=item))
        prices.append(parse_price(entry["NOK_per_kWh"], where=item))
    return hourly_mean(np.array(times, dtype=np.float64), np.array(prices, dtype=np.float64))


def parse_price_csv(text: str, *, where: str) -> dict[str, Hourly]:
    """``time,area,nok_per_kwh`` rows as hourly means per area."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or ())
    if not columns.issuperset(CSV_COLUMNS):
        raise PriceMalformed(f"{where}: the header must name {','.join(CSV_COLUMNS)}")
    rows: dict[str, dict[float, float]] = {}
    for row in reader:
        line = f"{where} line {reader.line_num}"
        try:
            area = check_area(row["area"] or "")
        except ValueError as exc:
            raise PriceMalformed(f"{line}: {exc}") from None
        time_s = parse_time(row["time"], where=line)
        by_time = rows.setdefault(area, {})
        if time_s in by_time:
            raise PriceMalformed(f"{line}: a second price for {area} at {row['time']}")
        by_time[time_s] = parse_price(row["nok_per_kwh"], where=line)
    return {
        area: hourly_mean(
            np.fromiter(by_time.keys(), dtype=np.float64),
            np.fromiter(by_time.values(), dtype=np.float64),
        )
        for area, by_time in rows.items()
    }


def local_day_hours(date: dt.date) -> FloatArray:
    """The UTC starts of the hours of a local (Europe/Oslo) day: 23, 24 or 25 of them."""
    start = local_datetime_s(date, 0)
    end = local_datetime_s(date + dt.timedelta(days=1), 0)
    return np.arange(start, end, SECONDS_PER_HOUR, dtype=np.float64)


def local_dates(start_s: float, end_s: float) -> list[dt.date]:
    """The local dates that ``[start_s, end_s)`` touches."""
    first = dt.datetime.fromtimestamp(start_s, TIMEZONE).date()
    last = dt.datetime.fromtimestamp(end_s - 1, TIMEZONE).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class FilePrices:
    """Spot prices from a CSV file of ``time,area,nok_per_kwh`` rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.origin = f"file {path}"
        self._read: tuple[tuple[int, int], dict[str, Hourly]] | None = None

    def prices(self, area: str, start_s: float, end_s: float) -> PriceSeries:
        area = check_area(area)
        table = self._table()
        if area not in table:
            raise PriceUnavailable(f"{self.path} has no prices for {area}")
        times_s, nok_per_kwh = table[area]
        series = PriceSeries(
            area=area, times_s=times_s, nok_per_kwh=nok_per_kwh, origin=self.origin
        )
        return series.between(start_s, end_s)

    def _table(self) -> dict[str, Hourly]:
        """The file's prices, read again when its modification time or size changed."""
        try:
            stat = self.path.stat()
            version = (stat.st_mtime_ns, stat.st_size)
            if self._read is None or self._read[0] != version:
                text = self.path.read_text(encoding="utf-8-sig")  # a BOM from a spreadsheet
                self._read = (version, parse_price_csv(text, where=str(self.path)))
        except OSError as exc:
            raise PriceUnavailable(f"cannot read spot prices from {self.path}: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise PriceMalformed(f"{self.path}: not UTF-8 text: {exc}") from exc
        return self._read[1]


class HttpPrices:
    """Spot prices from a day-ahead feed: one JSON document per local day and area."""

    def __init__(
        self,
        url_template: str,
        *,
        timeout_s: float = 10.0,
        retry_after_s: float = RETRY_AFTER_S,
        client: httpx.Client | None = None,
    ) -> None:
        self.url_template = check_url_template(url_template)
        self.origin = redact(url_template)
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        #: Given: used as is (and closed by its owner); None: a client per fetch.
        self._client = client
        self._days: OrderedDict[tuple[str, dt.date], Hourly] = OrderedDict()
        #: Per day that failed: until when (monotonic seconds) not to ask again, and why.
        self._failed: dict[tuple[str, dt.date], tuple[float, PriceError]] = {}

    def prices(self, area: str, start_s: float, end_s: float) -> PriceSeries:
        area = check_area(area)
        days = (
            [self._day(area, date) for date in local_dates(start_s, end_s)]
            if end_s > start_s
            else []
        )
        times_s = np.concatenate([times for times, _ in days]) if days else np.empty(0)
        nok_per_kwh = np.concatenate([prices for _, prices in days]) if days else np.empty(0)
        series = PriceSeries(
            area=area, times_s=times_s, nok_per_kwh=nok_per_kwh, origin=self.origin
        )
        return series.between(start_s, end_s)

    def _day(self, area: str, date: dt.date) -> Hourly:
        key = (area, date)
        if key in self._days:
            self._days.move_to_end(key)
            return self._days[key]
        failed = self._failed.get(key)
        if failed is not None and time.monotonic() < failed[0]:
            raise type(failed[1])(f"{failed[1]} (asked again after {self.retry_after_s:.0f} s)")
        try:
            hourly = self._fetch(area, date)
        except PriceError as exc:
            self._failed[key] = (time.monotonic() + self.retry_after_s, exc)
            raise
        self._failed.pop(key, None)
        self._days[key] = hourly
        if len(self._days) > MAX_CACHED_DAYS:
            self._days.popitem(last=False)
        return hourly

    def _fetch(self, area: str, date: dt.date) -> Hourly:
        url = self.url_template.format(year=date.year, month=date.month, day=date.day, area=area)
        shown = redact(url)
        try:
            if self._client is not None:
                response = self._client.get(url, timeout=self.timeout_s)
            else:
                with httpx.Client(timeout=self.timeout_s, follow_redirects=True) as client:
                    response = client.get(url)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            hint = " (not published yet, or no such area or day)" if status == 404 else ""
            raise PriceUnavailable(
                f"no {area} spot prices for {date}: {shown} answered HTTP {status}{hint}"
            ) from exc
        except httpx.HTTPError as exc:
            raise PriceUnavailable(
                f"cannot fetch {area} spot prices for {date} from {shown}: {exc!r}"
            ) from exc
        try:
            document = response.json()
        except ValueError as exc:
            raise PriceMalformed(f"{shown}: not a JSON document ({exc})") from exc
        times_s, nok_per_kwh = parse_feed_day(document, where=shown)
        expected = local_day_hours(date)
        if not np.array_equal(times_s, expected):
            raise PriceMalformed(
                f"{shown}: has prices for {times_s.size} hours, not the {expected.size} hours"
                f" of {date} in Europe/Oslo"
            )
        logger.debug("fetched %s spot prices for %s: %d hours", area, date, times_s.size)
        return times_s, nok_per_kwh


def price_source_from(settings: AnalyticsSettings) -> PriceSource | None:
    """The spot price source the settings name, or None for the flat default."""
    if settings.analytics_spot_price_file is not None:
        return FilePrices(settings.analytics_spot_price_file)
    if settings.analytics_spot_price_url is not None:
        return HttpPrices(
            settings.analytics_spot_price_url, timeout_s=settings.analytics_spot_price_timeout_s
        )
    return None
