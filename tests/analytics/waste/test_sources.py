"""The price adapters: a CSV file, and a day-ahead feed served by a real local HTTP server."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from analytics.settings import AnalyticsSettings
from analytics.waste.errors import PriceMalformed, PriceUnavailable
from analytics.waste.sources import (
    FilePrices,
    HttpPrices,
    check_url_template,
    local_day_hours,
    parse_price_csv,
    price_source_from,
)

OSLO = ZoneInfo("Europe/Oslo")
HOUR = 3600.0
TEMPLATE = "/api/v1/prices/{year}/{month:02d}-{day:02d}_{area}.json"


def at(*args: int) -> float:
    return dt.datetime(*args, tzinfo=OSLO).timestamp()


def feed_day(
    date: dt.date, *, step_minutes: int, price: Callable[[int, int], float]
) -> list[dict[str, object]]:
    """A day in the feed's shape: ``price(hour_of_day, quarter)`` per interval, local times."""
    start = dt.datetime.combine(date, dt.time(), tzinfo=OSLO).timestamp()
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=OSLO).timestamp()
    entries = []
    for t in np.arange(start, end, step_minutes * 60.0):
        hour, quarter = divmod(int(t - start) // 900, 4)
        nok = price(hour, quarter)
        entries.append(
            {
                "NOK_per_kWh": nok,
                "EUR_per_kWh": round(nok / 11.5, 5),
                "EXR": 11.5,
                "time_start": dt.datetime.fromtimestamp(t, OSLO).isoformat(),
                "time_end": dt.datetime.fromtimestamp(t + step_minutes * 60, OSLO).isoformat(),
            }
        )
    return entries


class FeedServer:
    """A local HTTP server answering from ``routes`` (path -> status, body), counting requests."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests.append(self.path)
                status, body = feed.routes.get(self.path, (404, b"Not found"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # A short poll keeps shutdown (at each test's end) from waiting half a second.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def serve(self, date: dt.date, area: str, document: object) -> None:
        path = TEMPLATE.format(year=date.year, month=date.month, day=date.day, area=area)
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.routes[path] = (200, body)


@pytest.fixture
def feed() -> Iterator[FeedServer]:
    server = FeedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=5)


def http_prices(feed: FeedServer, **options: float) -> HttpPrices:
    return HttpPrices(feed.url + TEMPLATE, timeout_s=5.0, **options)


def test_hourly_day_before_october_2025(feed: FeedServer) -> None:
    day = dt.date(2025, 9, 30)
    feed.serve(day, "NO5", feed_day(day, step_minutes=60, price=lambda h, q: 0.5 + h / 100))
    prices = http_prices(feed).prices("NO5", at(2025, 9, 30, 6), at(2025, 9, 30, 9))
    np.testing.assert_array_equal(prices.times_s, at(2025, 9, 30, 6) + HOUR * np.arange(3))
    np.testing.assert_allclose(prices.nok_per_kwh, [0.56, 0.57, 0.58])
    assert prices.source == f"spot NO5 from {feed.url}{TEMPLATE}"


def test_fifteen_minute_day_is_averaged_to_the_hour(feed: FeedServer) -> None:
    day = dt.date(2025, 10, 1)
    document = feed_day(day, step_minutes=15, price=lambda h, q: h + q / 10)
    assert len(document) == 96
    feed.serve(day, "NO5", document)
    prices = http_prices(feed).prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 2, 0))
    assert prices.times_s.size == 24
    np.testing.assert_allclose(prices.nok_per_kwh, np.arange(24) + 0.15)


def test_the_autumn_clock_change_day_has_25_hours(feed: FeedServer) -> None:
    day = dt.date(2025, 10, 26)  # 03:00 summer time becomes 02:00 again
    document = feed_day(day, step_minutes=15, price=lambda h, q: 1.0 + h / 100 + q / 1000)
    assert len(document) == 100
    feed.serve(day, "NO5", document)
    prices = http_prices(feed).prices("NO5", at(2025, 10, 26, 0), at(2025, 10, 27, 0))
    assert prices.times_s.size == 25
    np.testing.assert_array_equal(prices.times_s, local_day_hours(day))
    # Both 02:00 hours (UTC 00:00 and 01:00) keep their own price.
    np.testing.assert_allclose(prices.nok_per_kwh[2:4], [1.0215, 1.0315])


def test_the_spring_clock_change_day_has_23_hours(feed: FeedServer) -> None:
    day = dt.date(2025, 3, 30)
    feed.serve(day, "NO5", feed_day(day, step_minutes=60, price=lambda h, q: 0.3))
    prices = http_prices(feed).prices("NO5", at(2025, 3, 30, 0), at(2025, 3, 31, 0))
    assert prices.times_s.size == 23


def test_a_range_over_two_days_fetches_each_day_once(feed: FeedServer) -> None:
    for day in (dt.date(2025, 10, 1), dt.date(2025, 10, 2)):
        feed.serve(day, "NO5", feed_day(day, step_minutes=15, price=lambda h, q: float(h)))
    source = http_prices(feed)
    prices = source.prices("NO5", at(2025, 10, 1, 22), at(2025, 10, 2, 2))
    np.testing.assert_allclose(prices.nok_per_kwh, [22.0, 23.0, 0.0, 1.0])
    source.prices("NO5", at(2025, 10, 1, 3), at(2025, 10, 2, 5))
    assert sorted(feed.requests) == [
        "/api/v1/prices/2025/10-01_NO5.json",
        "/api/v1/prices/2025/10-02_NO5.json",
    ]


def test_a_day_not_published_is_unavailable_with_a_clear_message(feed: FeedServer) -> None:
    with pytest.raises(PriceUnavailable) as raised:
        http_prices(feed).prices("NO5", at(2025, 10, 3, 8), at(2025, 10, 3, 9))
    message = str(raised.value)
    assert "no NO5 spot prices for 2025-10-03" in message
    assert "10-03_NO5.json answered HTTP 404 (not published yet" in message
    assert raised.value.__cause__ is not None


def test_a_failed_day_is_not_asked_for_again_at_once(feed: FeedServer) -> None:
    source = http_prices(feed)
    for _ in range(3):
        with pytest.raises(PriceUnavailable):
            source.prices("NO5", at(2025, 10, 3, 8), at(2025, 10, 3, 9))
    assert len(feed.requests) == 1
    eager = http_prices(feed, retry_after_s=0.0)
    day = dt.date(2025, 10, 3)
    with pytest.raises(PriceUnavailable):
        eager.prices("NO5", at(2025, 10, 3, 8), at(2025, 10, 3, 9))
    feed.serve(day, "NO5", feed_day(day, step_minutes=15, price=lambda h, q: 2.0))
    assert eager.prices("NO5", at(2025, 10, 3, 8), at(2025, 10, 3, 9)).nok_per_kwh.tolist() == [2.0]


def test_a_server_error_is_unavailable(feed: FeedServer) -> None:
    feed.routes["/api/v1/prices/2025/10-01_NO5.json"] = (503, b"busy")
    with pytest.raises(PriceUnavailable, match="answered HTTP 503"):
        http_prices(feed).prices("NO5", at(2025, 10, 1, 8), at(2025, 10, 1, 9))


def test_no_server_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = HttpPrices(f"http://127.0.0.1:{port}{TEMPLATE}", timeout_s=2.0)
    with pytest.raises(PriceUnavailable, match="cannot fetch NO5 spot prices for 2025-10-01"):
        source.prices("NO5", at(2025, 10, 1, 8), at(2025, 10, 1, 9))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"<html>maintenance</html>", "not a JSON document"),
        ({"prices": []}, "expected a non-empty JSON list"),
        ([{"NOK_per_kWh": 1.0}], "item 0: needs NOK_per_kWh and time_start"),
        ([{"NOK_per_kWh": "cheap", "time_start": "2025-10-01T00:00:00+02:00"}], "not a number"),
        ([{"NOK_per_kWh": 1.0, "time_start": "2025-10-01T00:00:00"}], "lacks its UTC offset"),
        ([{"NOK_per_kWh": 1.0, "time_start": "2025-10-01T00:00:00+02:00"}], "for 1 hours"),
    ],
)
def test_a_malformed_document_says_what_is_wrong(
    feed: FeedServer, document: object, message: str
) -> None:
    feed.serve(dt.date(2025, 10, 1), "NO5", document)
    with pytest.raises(PriceMalformed, match=message):
        http_prices(feed).prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 1, 1))


def test_another_days_document_is_malformed(feed: FeedServer) -> None:
    feed.serve(
        dt.date(2025, 10, 1),
        "NO5",
        feed_day(dt.date(2025, 10, 2), step_minutes=15, price=lambda h, q: 1.0),
    )
    with pytest.raises(PriceMalformed, match="not the 24 hours of 2025-10-01"):
        http_prices(feed).prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 1, 1))


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("ftp://example.org/{year}/{month}/{day}/{area}", "use an http"),
        ("https://example.org/{year}/{month:02d}-{day:02d}.json", r"lacks \{area\}"),
        ("https://example.org/{year}/{month}-{day}_{area}_{token}", r"has \{token\}"),
        ("https://example.org/{year}/{month:xyz}-{day}_{area}", "use an http"),
    ],
)
def test_bad_url_templates_are_refused(template: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_url_template(template)


def test_csv_file_with_quarter_hours_and_two_areas(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "\ufefftime,area,nok_per_kwh\n"
        "2025-10-01T00:00:00+02:00,NO5,1.0\n"
        "2025-10-01T00:15:00+02:00,NO5,2.0\n"
        "2025-10-01T00:30:00+02:00,NO5,3.0\n"
        "2025-10-01T00:45:00+02:00,NO5,4.0\n"
        "2025-09-30T22:00:00Z,NO1,0.7\n",
        encoding="utf-8",
    )
    source = FilePrices(path)
    prices = source.prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 1, 1))
    assert prices.nok_per_kwh.tolist() == [2.5]
    assert prices.source == f"spot NO5 from file {path}"
    assert source.prices("no1", at(2025, 10, 1, 0), at(2025, 10, 1, 1)).nok_per_kwh.tolist() == [
        0.7
    ]


def test_csv_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("time,area,nok_per_kwh\n2025-10-01T00:00:00+02:00,NO5,1.0\n")
    source = FilePrices(path)
    assert source.prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 1, 1)).nok_per_kwh[0] == 1.0
    path.write_text("time,area,nok_per_kwh\n2025-10-01T00:00:00+02:00,NO5,1.25\n")
    assert source.prices("NO5", at(2025, 10, 1, 0), at(2025, 10, 1, 1)).nok_per_kwh[0] == 1.25


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,area,price\n", "header must name time,area,nok_per_kwh"),
        ("time,area,nok_per_kwh\n2025-10-01T00:00:00+02:00,NO9,1.0\n", "line 2: use the price"),
        ('time,area,nok_per_kwh\n2025-10-01T00:00:00+02:00,NO5,"1,2"\n', "decimal point"),
        (
            "time,area,nok_per_kwh\n2025-10-01T00:00+02:00,NO5,1\n2025-09-30T22:00Z,NO5,2\n",
            "line 3: a second price for NO5",
        ),
    ],
)
def test_malformed_csv_names_the_line(text: str, message: str) -> None:
    with pytest.raises(PriceMalformed, match=message):
        parse_price_csv(text, where="prices.csv")


def test_a_missing_file_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PriceUnavailable, match="cannot read spot prices"):
        FilePrices(tmp_path / "gone.csv").prices("NO5", 0.0, HOUR)


def test_source_from_settings(tmp_path: Path) -> None:
    assert price_source_from(AnalyticsSettings(data_dir=tmp_path)) is None
    path = tmp_path / "p.csv"
    path.write_text("time,area,nok_per_kwh\n")
    from_file = price_source_from(AnalyticsSettings(analytics_spot_price_file=path))
    assert isinstance(from_file, FilePrices)
    assert from_file.path == path
    url = "https://example.org/api/v1/prices/{year}/{month:02d}-{day:02d}_{area}.json"
    from_url = price_source_from(AnalyticsSettings(analytics_spot_price_url=url))
    assert isinstance(from_url, HttpPrices)
    assert from_url.url_template == url
