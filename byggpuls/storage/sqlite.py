"""The embedded adapter of the storage port: readings in one SQLite file (demo, small sites).

One table, clustered on ``(building, point, time_ms)`` (``WITHOUT ROWID``), so a series query is
one range scan and rewriting a reading replaces it. WAL mode lets readers go on while a writer
commits, and a busy timeout makes writers in several threads or processes (the demo runs
ingest and the API as separate processes on one file) wait for each other instead of failing.
Aggregation follows InfluxDB: buckets aligned to the Unix epoch, a sample at its bucket's
start, empty buckets left out, ``last`` the value with the greatest time.
"""

from __future__ import annotations

import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Final, Self

from byggpuls.errors import ConfigError, StoreRejected, StoreUnavailable
from byggpuls.reading import Reading
from byggpuls.storage.lineprotocol import float_value
from byggpuls.storage.port import Aggregation, Sample, SeriesQuery

logger = logging.getLogger(__name__)

URL_PREFIX: Final = "sqlite:///"
#: Writers wait this long for another writer (thread or process) before giving up; a batch
#: commit takes milliseconds, so only a stuck process exhausts it.
DEFAULT_BUSY_TIMEOUT_S: Final = 30.0
_SCHEMA_VERSION: Final = 1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS readings (
    building TEXT NOT NULL,
    point TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    quantity TEXT NOT NULL,
    zone TEXT,
    value REAL NOT NULL,
    PRIMARY KEY (building, point, time_ms)
) WITHOUT ROWID
"""
# The primary key is the only index needed: query_series scans a range of it, and latest
# walks it (see _LATEST). Another index would slow every write for nothing.

_UPSERT: Final = """
INSERT INTO readings (building, point, time_ms, quantity, zone, value) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (building, point, time_ms) DO UPDATE
SET quantity = excluded.quantity, zone = excluded.zone, value = excluded.value
"""

_KEY: Final = itemgetter(0, 1, 2)  # building, point, time_ms of a row as _UPSERT takes it

_RANGE: Final = (
    "FROM readings WHERE building = :building AND point = :point AND quantity = :quantity"
    " AND time_ms >= :start_ms AND time_ms < :end_ms"
)
_RAW: Final = f"SELECT time_ms, value {_RANGE} ORDER BY time_ms"
# Floor division that SQLite lacks ("/" truncates towards zero): buckets before 1970 too.
_BUCKET: Final = "(time_ms - ((time_ms % :every_ms) + :every_ms) % :every_ms)"
_AGGREGATE_COLUMNS: Final = {
    Aggregation.MEAN: "avg(value)",
    Aggregation.MIN: "min(value)",
    Aggregation.MAX: "max(value)",
    # With max() as the only aggregate, SQLite takes the other columns from the row holding
    # the maximum: the value with the greatest time in the bucket.
    Aggregation.LAST: "value, max(time_ms)",
}

# The distinct points of a building, one index seek each (a "skip scan": SQLite would
# otherwise read every row of the building), then each point's newest row, one seek each.
_LATEST: Final = """
WITH RECURSIVE points (point) AS (
    SELECT min(point) FROM readings WHERE building = :building
    UNION ALL
    SELECT (SELECT min(point) FROM readings WHERE building = :building AND point > points.point)
    FROM points WHERE points.point IS NOT NULL
)
SELECT readings.point, readings.quantity, readings.time_ms, readings.value, readings.zone
FROM points JOIN readings
ON readings.building = :building AND readings.point = points.point AND readings.time_ms = (
    SELECT max(time_ms) FROM readings WHERE building = :building AND point = points.point
)
ORDER BY readings.point
"""


class SQLiteStore:
    """Readings in a SQLite file: the zero-setup :class:`~byggpuls.storage.port.ReadingStore`.

    Safe to share between threads (each gets a connection of its own) and to open from several
    processes at once.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the directory of {self.path}: {exc}") from exc
        try:
            self._create_schema()
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(cls, url: str, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> Self:
        """Open the file a ``sqlite:///`` URL names (see :func:`path_from_url`)."""
        return cls(path_from_url(url), busy_timeout_s=busy_timeout_s)

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def write(self, readings: Sequence[Reading]) -> None:
        """Store readings in one transaction: all of them or, on an error, none."""
        if not readings:
            return
        rows = [_row(reading) for reading in readings]
        # In key order the B-tree is walked once instead of hopping between series (1.5-2x
        # faster for ingest's batches); the sort is stable, so the last of duplicates wins.
        rows.sort(key=_KEY)
        with self._errors_translated("write"):
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.executemany(_UPSERT, rows)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def query_series(self, query: SeriesQuery) -> list[Sample]:
        """Return one series' samples in ``[start_ms, end_ms)``, oldest first."""
        params: dict[str, object] = {
            "building": query.building,
            "point": query.point,
            "quantity": query.quantity,
            "start_ms": int(query.start_ms),
            "end_ms": int(query.end_ms),
        }
        if query.every_ms is None:
            statement = _RAW
        else:
            if query.every_ms <= 0:
                raise ValueError(f"every_ms must be positive, not {query.every_ms}")
            params["every_ms"] = int(query.every_ms)
            column = _AGGREGATE_COLUMNS[Aggregation(query.aggregation)]
            statement = (
                f"SELECT {_BUCKET} AS bucket, {column} {_RANGE} GROUP BY bucket ORDER BY bucket"
            )
        with self._errors_translated("query"):
            rows = self._connection().execute(statement, params).fetchall()
        return [Sample(time_ms=row[0], value=row[1]) for row in rows]

    def latest(self, building: str) -> list[Reading]:
        """Return the newest reading of every point of ``building``, ordered by point."""
        with self._errors_translated("query"):
            rows = self._connection().execute(_LATEST, {"building": building}).fetchall()
        return [
            Reading(
                building=building,
                point=point,
                quantity=quantity,
                time_ms=time_ms,
                value=value,
                zone=zone,
            )
            for point, quantity, time_ms, value, zone in rows
        ]

    def ping(self) -> None:
        """Check that the database file can be read; raises :class:`StoreUnavailable` if not."""
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"embedded store unusable: {exc}") from exc

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, {}
        for connection in connections.values():
            connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not self._closed:
            return connection
        with self._lock:
            if self._closed:
                raise StoreUnavailable(f"{self!r} is closed")
            try:
                connection = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout_s,
                    # Transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
                    isolation_level=None,
                    # Each thread uses its own connection; close() closes them from one thread.
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise ConfigError(f"cannot open SQLite store {self.path}: {exc}") from exc
            # Threads come and go (a server's worker pool): close what ended threads left.
            for thread in [t for t in self._connections if not t.is_alive()]:
                self._connections.pop(thread).close()
            self._connections[threading.current_thread()] = connection
        # FULL: a commit is on disk when write() returns, which is when ingest acknowledges.
        connection.execute("PRAGMA synchronous = FULL")
        self._local.connection = connection
        return connection

    def _create_schema(self) -> None:
        with self._errors_translated("open"):
            connection = self._connection()
            mode = self._enable_wal(connection)
            if mode != "wal":
                logger.warning("SQLite store %s runs in %s mode, not WAL", self.path, mode)
            connection.execute("BEGIN IMMEDIATE")
            try:
                version = connection.execute("PRAGMA user_version").fetchone()[0]
                if version > _SCHEMA_VERSION:
                    raise ConfigError(
                        f"{self.path} has schema version {version}; this Byggpuls knows"
                        f" {_SCHEMA_VERSION}: upgrade Byggpuls"
                    )
                connection.execute(_SCHEMA)
                connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def _enable_wal(self, connection: sqlite3.Connection) -> str:
        """Switch the file to WAL (a property of the file: once set, it holds for everyone)."""
        deadline_s = time.monotonic() + self.busy_timeout_s
        while True:
            try:
                mode: str = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as exc:
                # Processes opening a new file at once: SQLite reports "locked" at once here
                # instead of waiting out the busy timeout, so wait here.
                if "locked" not in str(exc) or time.monotonic() > deadline_s:
                    raise
                time.sleep(random.uniform(0.005, 0.05))
            else:
                return mode

    @contextmanager
    def _errors_translated(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            # Locked past the busy timeout, disk full, I/O error, file vanished: may pass.
            raise StoreUnavailable(f"SQLite store {self.path} failed to {action}: {exc}") from exc
        except (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError) as exc:
            raise StoreRejected(f"SQLite store {self.path} refused to {action}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path} is not a usable SQLite store: {exc}") from exc


def path_from_url(url: str) -> Path:
    """The file a URL names, read as SQLAlchemy reads it (one URL style for every store).

    ``sqlite:///var/readings.sqlite3`` is relative to the working directory;
    ``sqlite:////srv/byggpuls/readings.sqlite3`` (four slashes) is absolute.
    """
    if not url.startswith(URL_PREFIX) or len(url) == len(URL_PREFIX):
        raise ConfigError(
            f"SQLite URL must be sqlite:///relative/path or sqlite:////absolute/path: {url!r}"
        )
    path = url.removeprefix(URL_PREFIX)
    # In memory, each thread's connection would see a database of its own.
    if "?" in path or path == ":memory:":
        raise ConfigError(f"SQLite URL must name a file, without options: {url!r}")
    return Path(path)


def _row(reading: Reading) -> tuple[str, str, int, str, str | None, float]:
    # The same values as InfluxDB, so a batch fails or passes in either store (SQLite would
    # store inf, and turn NaN into NULL).
    value = float_value(reading)
    if not (reading.building and reading.point and reading.quantity):
        raise StoreRejected(f"reading without building, point or quantity: {reading!r}")
    return (
        reading.building,
        reading.point,
        int(reading.time_ms),
        reading.quantity,
        reading.zone or None,
        value,
    )
