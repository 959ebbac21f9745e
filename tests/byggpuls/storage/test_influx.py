"""The InfluxDB adapter against a real influxd 1.6.7: URLs, error translation, escaping."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import httpx
import pytest

from byggpuls.errors import ConfigError, StoreRejected, StoreUnavailable
from byggpuls.reading import Reading
from byggpuls.storage import Sample, SeriesQuery
from byggpuls.storage.influx import InfluxStore, quote_identifier, quote_string
from sandbox.servers import InfluxServer

T0_MS = 1_767_225_600_000


def reading(
    time_ms: int = T0_MS,
    value: float = 21.5,
    *,
    building: str = "school-1",
    point: str = "r101.temp",
    quantity: str = "temperature",
    zone: str | None = None,
) -> Reading:
    return Reading(
        building=building, point=point, quantity=quantity, time_ms=time_ms, value=value, zone=zone
    )


def raw_series(store: InfluxStore, *, quantity: str, building: str, point: str) -> list[Sample]:
    return store.query_series(
        SeriesQuery(building=building, point=point, quantity=quantity, start_ms=0, end_ms=2 * T0_MS)
    )


@pytest.fixture
def store(influx_url: str) -> Iterator[InfluxStore]:
    with InfluxStore.from_url(influx_url) as opened:
        yield opened


def post_lines(url: str, body: str) -> httpx.Response:
    """Write raw line protocol, as another tool sharing the database would."""
    store = InfluxStore.from_url(url)
    store.close()
    parts = httpx.URL(url)
    return httpx.post(
        f"{store.base_url}/write",
        params={"db": store.database, "precision": "ms"},
        auth=(parts.username, parts.password),
        content=body.encode(),
    )


# --- URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base_url", "database"),
    [
        ("http://u:p@influx.example:8086/site_a", "http://influx.example:8086", "site_a"),
        ("https://influx.example/", "https://influx.example", "byggpuls"),
        ("http://influx.example:8086", "http://influx.example:8086", "byggpuls"),
        ("http://[::1]:8086/x%20y", "http://[::1]:8086", "x y"),
    ],
)
def test_from_url_takes_server_and_database(url: str, base_url: str, database: str) -> None:
    with InfluxStore.from_url(url) as store:
        assert (store.base_url, store.database) == (base_url, database)


def test_the_password_stays_out_of_repr() -> None:
    with InfluxStore.from_url("http://ingest:s3cret@influx.example:8086/b") as store:
        assert "s3cret" not in repr(store)
        assert "influx.example" in repr(store)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://influx.example/db",
        "influx.example:8086/db",
        "http:///db",
        "http://influx.example:99999/db",
        "http://influx.example/a/b",
        "http://influx.example/db?precision=s",
    ],
)
def test_a_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        InfluxStore.from_url(url)


@pytest.mark.integration
def test_user_and_password_are_percent_decoded(influx_session: InfluxServer) -> None:
    database = "t_percent"
    influx_session.create_database(database)
    # Basic auth cannot carry a colon in the user name (RFC 7617); the password can.
    user, password = "ingest@site/a", "p@ss:w/rd%?#' \"x"
    for statement in (
        f"CREATE USER {quote_identifier(user)} WITH PASSWORD {quote_string(password)}",
        f"GRANT ALL ON {quote_identifier(database)} TO {quote_identifier(user)}",
    ):
        httpx.post(
            f"{influx_session.http_url}/query",
            data={"q": statement},
            auth=(influx_session.username, influx_session.password),
        ).raise_for_status()
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    url = f"http://{credentials}@127.0.0.1:{influx_session.port}/{database}"

    with InfluxStore.from_url(url) as store:
        store.ping()
        store.write([reading()])
        assert store.latest("school-1") == [reading()]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.integration
def test_a_wrong_password_is_a_config_error(influx_session: InfluxServer) -> None:
    url = influx_session.url.replace(influx_session.password, "wrong")

    with InfluxStore.from_url(url) as store:
        with pytest.raises(ConfigError, match="refused the credentials in the URL"):
            store.ping()
        with pytest.raises(ConfigError, match="refused the credentials"):
            store.write([reading()])
        with pytest.raises(ConfigError, match="refused the credentials"):
            store.latest("school-1")


@pytest.mark.integration
def test_no_credentials_is_a_config_error(influx_session: InfluxServer) -> None:
    store = InfluxStore.from_url(f"{influx_session.http_url}/byggpuls")
    with store, pytest.raises(ConfigError, match="no user"):
        store.write([reading()])


@pytest.mark.integration
def test_an_unknown_database_is_a_config_error_saying_what_to_create(
    influx_session: InfluxServer,
) -> None:
    with InfluxStore.from_url(influx_session.url_for("no_such_db")) as store:
        with pytest.raises(ConfigError, match='CREATE DATABASE "no_such_db"'):
            store.write([reading()])
        with pytest.raises(ConfigError, match='CREATE DATABASE "no_such_db"'):
            store.latest("school-1")
        with pytest.raises(ConfigError, match="no_such_db"):
            store.ping()


@pytest.mark.integration
def test_a_stopped_server_is_unavailable_and_comes_back(influx_own: InfluxServer) -> None:
    with InfluxStore.from_url(influx_own.url, timeout_s=5) as store:
        store.write([reading(value=1.0)])
        influx_own.stop()

        with pytest.raises(StoreUnavailable, match="unreachable") as raised:
            store.write([reading(value=2.0)])
        assert isinstance(raised.value.__cause__, httpx.ConnectError)
        with pytest.raises(StoreUnavailable):
            store.latest("school-1")
        with pytest.raises(StoreUnavailable):
            store.ping()

        influx_own.start()  # same port, same data: the client's pooled connections are stale
        store.write([reading(value=3.0)])
        assert store.latest("school-1") == [reading(value=3.0)]


def test_a_server_that_does_not_answer_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog, nothing ever answers
        port = silent.getsockname()[1]
        store = InfluxStore.from_url(f"http://127.0.0.1:{port}/db", timeout_s=0.2)
        with store, pytest.raises(StoreUnavailable, match="timed out"):
            store.write([reading()])


class _Answer(BaseHTTPRequestHandler):
    """An HTTP server in InfluxDB's place (a reverse proxy, an overloaded server)."""

    status = 503
    body = b'{"error":"overloaded"}'

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = _answer  # noqa: N815 - the names http.server looks up

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/db"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (503, b'{"error":"overloaded"}', StoreUnavailable, "503: overloaded"),
        (502, b"<html>Bad Gateway</html>", StoreUnavailable, "502"),
        (429, b'{"code":"too many requests","message":"slow down"}', StoreUnavailable, "slow down"),
        (404, b"404 page not found", ConfigError, "is this the HTTP API of InfluxDB"),
        (413, b'{"error":"Request Entity Too Large"}', ConfigError, "max_lines_per_request"),
        (422, b'{"message":"points beyond retention"}', StoreRejected, "beyond retention"),
    ],
)
def test_http_statuses_are_translated(
    answering: tuple[ThreadingHTTPServer, str],
    status: int,
    body: bytes,
    error: type[Exception],
    message: str,
) -> None:
    server, url = answering
    server.RequestHandlerClass = type("Answer", (_Answer,), {"status": status, "body": body})

    with InfluxStore.from_url(url) as store, pytest.raises(error, match=message):
        store.write([reading()])


STRING_FIELD_LINE = f'conflict,building=school-1,point=p value="on" {T0_MS}'


@pytest.mark.integration
def test_a_field_type_conflict_is_rejected_with_influxdbs_words(
    store: InfluxStore, influx_url: str
) -> None:
    assert post_lines(
        influx_url, f'conflict,building=school-1,point=p value="on" {T0_MS}'
    ).is_success

    with pytest.raises(StoreRejected, match="field type conflict") as raised:
        store.write([reading(quantity="conflict", point="p", time_ms=T0_MS + 1)])
    assert "partial write" in str(raised.value)
    # The string series is not a reading.
    assert store.latest("school-1") == []


@pytest.mark.integration
def test_a_refused_request_does_not_stop_the_others_and_may_be_partial(
    influx_url: str,
) -> None:
    assert post_lines(
        influx_url, f'conflict,building=school-1,point=p value="on" {T0_MS}'
    ).is_success
    readings = [
        reading(T0_MS, 1.0),
        reading(T0_MS + 1, 2.0),
        reading(T0_MS + 2, 0.0, quantity="conflict", point="p"),  # refused
        reading(T0_MS + 3, 4.0),  # same request as the refused line: still stored
        reading(T0_MS + 4, 5.0),  # a later request: sent and stored
    ]

    with InfluxStore.from_url(influx_url, max_lines_per_request=2) as store:
        with pytest.raises(StoreRejected, match="refused 1 of 3 write requests"):
            store.write(readings)

        stored = raw_series(store, quantity="temperature", building="school-1", point="r101.temp")
        assert [s.value for s in stored] == [1.0, 2.0, 4.0, 5.0]


@pytest.mark.integration
@pytest.mark.parametrize("max_lines", [1, 3, 5000])
def test_writes_are_split_into_requests_of_max_lines(influx_url: str, max_lines: int) -> None:
    readings = [reading(T0_MS + i, float(i)) for i in range(10)]

    with InfluxStore.from_url(influx_url, max_lines_per_request=max_lines) as store:
        store.write(readings)
        stored = raw_series(store, quantity="temperature", building="school-1", point="r101.temp")

    assert stored == [Sample(r.time_ms, r.value) for r in readings]


def test_max_lines_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        InfluxStore.from_url("http://influx.example/db", max_lines_per_request=0)


# --- escaping and injection ---------------------------------------------------------------


@pytest.mark.integration
def test_names_with_special_characters_round_trip(store: InfluxStore) -> None:
    odd = Reading(
        building="skole, nord=1",
        point='rom 101 "vest"',
        quantity="air temp,=x",
        time_ms=T0_MS,
        value=19.5,
        zone="kjøkken 2",
    )
    store.write([odd])

    assert store.latest(odd.building) == [odd]
    assert raw_series(store, quantity=odd.quantity, building=odd.building, point=odd.point) == [
        Sample(T0_MS, 19.5)
    ]


INJECTIONS = [
    "x' OR building =~ /.*/ OR building = 'y",
    "x' OR 1=1 --",
    'x"; DROP DATABASE "victim',
    "x'; DROP DATABASE victim; SELECT * FROM /.*/ WHERE 'a'='a",
]


@pytest.mark.integration
@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_through_names_is_harmless(store: InfluxStore, evil: str) -> None:
    store.write([reading(value=1.0), reading(value=2.0, building=evil, point=evil)])

    assert store.latest(evil) == [reading(value=2.0, building=evil, point=evil)]
    assert raw_series(store, quantity="temperature", building=evil, point="r101.temp") == []
    assert raw_series(store, quantity="temperature", building="school-1", point=evil) == []
    assert raw_series(store, quantity=evil, building="school-1", point="r101.temp") == []
    store.ping()  # the database is still there
    assert store.latest("school-1") == [reading(value=1.0)]
