"""The InfluxDB adapter of the storage port, over the 1.x HTTP API (``/write``, ``/query``).

InfluxDB 1.x serves this API natively, 2.x through its v1 compatibility endpoints and 3.x as
well, so one adapter covers them all; no Flux and no ``/api/v2``. Schema: measurement =
quantity, tags ``building``, ``point`` and ``zone``, field ``value`` (float), millisecond times.

Errors are translated here: an unreachable, slow or overloaded server (connection errors,
timeouts, 5xx, 429) is :class:`StoreUnavailable`; data InfluxDB refuses (400: a field type
conflict, an unparsable line, a partial write) is :class:`StoreRejected` with InfluxDB's own
words; refused credentials and a missing database are :class:`ConfigError`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final, Self
from urllib.parse import unquote, urlsplit

import httpx

from byggpuls.errors import ConfigError, StoreRejected, StoreUnavailable
from byggpuls.reading import Reading
from byggpuls.storage.lineprotocol import chunked_bodies, encode_lines
from byggpuls.storage.port import Aggregation, Sample, SeriesQuery

logger = logging.getLogger(__name__)

DEFAULT_DATABASE: Final = "byggpuls"
DEFAULT_TIMEOUT_S: Final = 10.0
#: 5 000 lines of ~90 bytes is ~450 kB a request: InfluxDB's own advice is 5 000 points a
#: write, and it stays far below the default ``max-body-size`` (25 MB).
DEFAULT_MAX_LINES_PER_REQUEST: Final = 5000
_ERROR_TEXT_MAX_CHARS: Final = 500
_AGGREGATE_FUNCTIONS: Final = {
    Aggregation.MEAN: "mean",
    Aggregation.MIN: "min",
    Aggregation.MAX: "max",
    Aggregation.LAST: "last",
}


def quote_identifier(name: str) -> str:
    """Quote an InfluxQL identifier (measurement, tag key) so no name can change the query."""
    escaped = name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def quote_string(value: str) -> str:
    """Quote an InfluxQL string literal so no value can change the query."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"


def series_statement(query: SeriesQuery) -> str:
    """The InfluxQL ``SELECT`` for a :class:`SeriesQuery` (raw, or aggregated into buckets)."""
    where = (
        f"WHERE {quote_identifier('building')} = {quote_string(query.building)}"
        f" AND {quote_identifier('point')} = {quote_string(query.point)}"
        f" AND time >= {int(query.start_ms)}ms AND time < {int(query.end_ms)}ms"
    )
    # Every name is quoted and every number an int: nothing from the query can change it.
    measurement = quote_identifier(query.quantity)
    if query.every_ms is None:
        return f'SELECT "value" FROM {measurement} {where}'  # noqa: S608
    function = _AGGREGATE_FUNCTIONS[Aggregation(query.aggregation)]
    return (
        f'SELECT {function}("value") FROM {measurement} {where}'  # noqa: S608
        f" GROUP BY time({int(query.every_ms)}ms) fill(none)"
    )


def latest_statement(building: str) -> str:
    """The InfluxQL that finds the last value of every series of ``building``."""
    where = f'WHERE "building" = {quote_string(building)}'
    return f'SELECT last("value") FROM /.*/ {where} GROUP BY *'  # noqa: S608


class InfluxStore:
    """Readings in InfluxDB: the :class:`~byggpuls.storage.port.ReadingStore` for production.

    Safe to share between threads: one ``httpx.Client`` keeps connections alive for all.
    """

    def __init__(
        self,
        *,
        base_url: str,
        database: str = DEFAULT_DATABASE,
        username: str | None = None,
        password: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_lines_per_request: int = DEFAULT_MAX_LINES_PER_REQUEST,
    ) -> None:
        if max_lines_per_request < 1:
            raise ConfigError(
                f"max_lines_per_request must be at least 1, not {max_lines_per_request}"
            )
        self.base_url = base_url.rstrip("/")
        self.database = database
        self.max_lines_per_request = max_lines_per_request
        self._username = username
        auth = None if username is None else httpx.BasicAuth(username, password or "")
        self._client = httpx.Client(base_url=self.base_url, auth=auth, timeout=timeout_s)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_lines_per_request: int = DEFAULT_MAX_LINES_PER_REQUEST,
    ) -> Self:
        """Connect as ``BYGGPULS_INFLUX_URL`` says: ``http[s]://user:password@host:port/database``.

        User and password are percent-decoded (write ``@`` as ``%40``, ``/`` as ``%2F``); without
        a path the database is ``byggpuls``.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ConfigError(f"InfluxDB URL must start with http:// or https://, not {url!r}")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError as exc:
            raise ConfigError(f"InfluxDB URL has an invalid port: {exc}") from exc
        host = parts.netloc.rpartition("@")[2]
        if not parts.hostname:
            raise ConfigError("InfluxDB URL has no host: http://user:password@host:8086/database")
        if parts.query or parts.fragment:
            raise ConfigError("InfluxDB URL takes no query or fragment; percent-encode ? and #")
        path = parts.path.strip("/")
        if "/" in path:
            raise ConfigError(f"InfluxDB URL path must be just the database name, not {path!r}")
        return cls(
            base_url=f"{parts.scheme}://{host}",
            database=unquote(path) or DEFAULT_DATABASE,
            username=None if parts.username is None else unquote(parts.username),
            password=None if parts.password is None else unquote(parts.password),
            timeout_s=timeout_s,
            max_lines_per_request=max_lines_per_request,
        )

    def __repr__(self) -> str:
        # Never the password: this ends up in logs.
        return f"InfluxStore({self.base_url!r}, database={self.database!r})"

    def write(self, readings: Sequence[Reading]) -> None:
        """Write readings in requests of at most ``max_lines_per_request`` lines.

        A request InfluxDB refuses (400) does not stop the others; :class:`StoreRejected` is
        raised after all were sent. Such a refusal may be partial: InfluxDB stores the valid
        lines of a request and drops the rest. Any other failure stops at once.
        """
        if not readings:
            return
        bodies = list(chunked_bodies(encode_lines(readings), max_lines=self.max_lines_per_request))
        refusals: list[str] = []
        params = {"db": self.database, "precision": "ms"}
        for body in bodies:
            response = self._send("POST", "/write", params=params, content=body)
            if response.is_success:
                continue
            if response.status_code in (400, 422):
                refusals.append(_error_text(response))
                logger.warning("InfluxDB refused a write: %s", refusals[-1])
                continue
            self._raise_for_status(response)
        if refusals:
            raise StoreRejected(
                f"InfluxDB refused {len(refusals)} of {len(bodies)} write requests"
                f" ({len(readings)} readings): {refusals[0]}"
            )

    def query_series(self, query: SeriesQuery) -> list[Sample]:
        """Return one series' samples in ``[start_ms, end_ms)``, oldest first."""
        if query.every_ms is not None and query.every_ms <= 0:
            raise ValueError(f"every_ms must be positive, not {query.every_ms}")
        if query.end_ms <= query.start_ms:
            return []
        samples: list[Sample] = []
        for series in self._select(series_statement(query)):
            for time_ms, raw in series.get("values", ()):
                value = _number(raw)
                if value is not None:
                    samples.append(Sample(time_ms=int(time_ms), value=value))
        return samples

    def latest(self, building: str) -> list[Reading]:
        """Return the last reading of every point of ``building`` across all quantities."""
        newest: dict[str, Reading] = {}
        for series in self._select(latest_statement(building)):
            tags: dict[str, str] = series.get("tags") or {}
            point = tags.get("point")
            if not point:
                continue  # written by another tool, without our tags
            for time_ms, raw in series.get("values", ()):
                value = _number(raw)
                if value is None:
                    continue
                reading = Reading(
                    building=building,
                    point=point,
                    quantity=series["name"],
                    time_ms=int(time_ms),
                    value=value,
                    zone=tags.get("zone") or None,
                )
                known = newest.get(point)
                if known is None or reading.time_ms > known.time_ms:
                    newest[point] = reading
        return [newest[point] for point in sorted(newest)]

    def ping(self) -> None:
        """Check server, credentials and database, for startup and health checks.

        Raises :class:`StoreUnavailable` when the server cannot be reached and
        :class:`ConfigError` when it refuses the credentials or lacks the database.
        """
        response = self._send("GET", "/ping")
        if not response.is_success:
            self._raise_for_status(response)
        # Not SHOW MEASUREMENTS: InfluxDB 1.6 answers it for a missing database without error.
        self._select("SHOW RETENTION POLICIES")

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise StoreUnavailable(f"InfluxDB at {self.base_url} timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise StoreUnavailable(f"InfluxDB at {self.base_url} unreachable: {exc!r}") from exc

    def _select(self, statement: str) -> list[dict[str, Any]]:
        """Run one InfluxQL statement and return its series (translating every error)."""
        params = {"db": self.database, "q": statement, "epoch": "ms"}
        response = self._send("GET", "/query", params=params)
        if not response.is_success:
            self._raise_for_status(response)
        try:
            answer = response.json()
        except ValueError as exc:
            raise StoreUnavailable(f"InfluxDB answered no JSON: {response.text[:200]!r}") from exc
        series: list[dict[str, Any]] = []
        for result in answer.get("results", ()):
            if "error" in result:
                self._raise_query_error(str(result["error"]))
            for one in result.get("series", ()):
                if one.get("partial"):
                    # Set by a server whose max-row-limit cut the answer short.
                    raise StoreRejected(
                        f"InfluxDB cut the answer to {statement!r} short (max-row-limit):"
                        " query a shorter range"
                    )
                series.append(one)
        if "error" in answer:
            self._raise_query_error(str(answer["error"]))
        return series

    def _raise_query_error(self, text: str) -> None:
        if "database not found" in text:
            raise ConfigError(self._missing_database_message(text))
        if "authoriz" in text:
            raise ConfigError(self._refused_credentials_message(text))
        raise StoreRejected(f"InfluxDB refused the query: {text}")

    def _raise_for_status(self, response: httpx.Response) -> None:
        status = response.status_code
        text = _error_text(response)
        if status in (401, 403):
            raise ConfigError(self._refused_credentials_message(text))
        if status == 404:
            if "not found" in text and ("database" in text or "bucket" in text):
                raise ConfigError(self._missing_database_message(text))
            raise ConfigError(
                f"{self.base_url}{response.request.url.path} is not found (404): is this the"
                " HTTP API of InfluxDB (1.x, or 2.x/3.x with its v1 API)?"
            )
        if status == 413:
            raise ConfigError(
                f"InfluxDB refused a request as too large (413: {text}): lower"
                " max_lines_per_request or raise the server's [http] max-body-size"
            )
        if status == 429 or status >= 500:
            raise StoreUnavailable(f"InfluxDB at {self.base_url} answered {status}: {text}")
        raise StoreRejected(f"InfluxDB answered {status}: {text}")

    def _refused_credentials_message(self, text: str) -> str:
        user = "no user" if self._username is None else f"user {self._username!r}"
        return (
            f"InfluxDB at {self.base_url} refused the credentials in the URL ({user}, database"
            f" {self.database!r}): {text}. Check user and password in BYGGPULS_INFLUX_URL and"
            " the user's privileges on the database."
        )

    def _missing_database_message(self, text: str) -> str:
        return (
            f"InfluxDB at {self.base_url} has no database {self.database!r} ({text}): create it"
            f" with CREATE DATABASE {quote_identifier(self.database)}, or name an existing one"
            " in the path of BYGGPULS_INFLUX_URL"
        )


def _error_text(response: httpx.Response) -> str:
    """InfluxDB's own words for a failure: its error header, else the JSON or text body."""
    header: str | None = response.headers.get("X-Influxdb-Error")
    if header:
        return header[:_ERROR_TEXT_MAX_CHARS]
    try:
        body = response.json()
    except ValueError:
        return response.text[:_ERROR_TEXT_MAX_CHARS] or response.reason_phrase
    if isinstance(body, dict):
        # 1.x says {"error": ...}; 2.x and 3.x {"code": ..., "message": ...}.
        for key in ("error", "message"):
            if key in body:
                return str(body[key])[:_ERROR_TEXT_MAX_CHARS]
    return response.text[:_ERROR_TEXT_MAX_CHARS]


def _number(value: object) -> float | None:
    """A field value as a float, or None for a string or boolean field (not a reading)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
