"""The SQLite adapter: its file, URLs, and use from several threads and processes at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from byggpuls.errors import ConfigError, StoreUnavailable
from byggpuls.reading import Reading
from byggpuls.storage import Aggregation, Sample, SeriesQuery
from byggpuls.storage.sqlite import _LATEST, SQLiteStore, path_from_url

T0_MS = 1_767_225_600_000


def reading(time_ms: int, value: float, *, building: str = "school-1", point: str = "p") -> Reading:
    return Reading(
        building=building, point=point, quantity="temperature", time_ms=time_ms, value=value
    )


def all_of(store: SQLiteStore, *, building: str, point: str) -> list[Sample]:
    return store.query_series(
        SeriesQuery(
            building=building,
            point=point,
            quantity="temperature",
            start_ms=T0_MS,
            end_ms=T0_MS + 10**9,
        )
    )


def test_the_file_is_in_wal_mode_with_a_clustered_key(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "readings.sqlite3"  # directories are made
    SQLiteStore(path).close()

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        (sql,) = connection.execute(
            "SELECT sql FROM sqlite_schema WHERE name = 'readings'"
        ).fetchone()
    connection.close()
    assert "PRIMARY KEY (building, point, time_ms)" in sql
    assert "WITHOUT ROWID" in sql


def test_reopening_keeps_the_readings(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.sqlite3") as store:
        store.write([reading(T0_MS, 1.5)])

    with SQLiteStore(tmp_path / "r.sqlite3") as store:
        assert all_of(store, building="school-1", point="p") == [Sample(T0_MS, 1.5)]


def test_latest_reads_one_row_per_point_not_the_building(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    SQLiteStore(path).close()

    with sqlite3.connect(path) as connection:
        plan = connection.execute(f"EXPLAIN QUERY PLAN {_LATEST}", {"building": "b"}).fetchall()
    connection.close()
    steps = [row[3] for row in plan]
    assert not [step for step in steps if step.startswith("SCAN readings")]
    assert "SEARCH readings USING PRIMARY KEY (building=? AND point>?)" in steps


def test_buckets_before_1970_align_to_the_epoch(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "r.sqlite3") as store:
        store.write([reading(-5_000, 1.0), reading(-1_000, 2.0), reading(5_000, 3.0)])
        samples = store.query_series(
            SeriesQuery(
                building="school-1",
                point="p",
                quantity="temperature",
                start_ms=-10_000,
                end_ms=10_000,
                every_ms=3_000,
                aggregation=Aggregation.MEAN,
            )
        )

    # The same as InfluxDB answers for these readings.
    assert samples == [Sample(-6_000, 1.0), Sample(-3_000, 2.0), Sample(3_000, 3.0)]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/readings.sqlite3", Path("var/readings.sqlite3")),
        ("sqlite:////srv/byggpuls/r.sqlite3", Path("/srv/byggpuls/r.sqlite3")),
    ],
)
def test_urls_name_files_as_sqlalchemy_does(url: str, path: Path) -> None:
    assert path_from_url(url) == path


def test_from_url_opens_the_file(tmp_path: Path) -> None:
    with SQLiteStore.from_url(f"sqlite:///{tmp_path / 'r.sqlite3'}") as store:
        store.write([reading(T0_MS, 1.0)])
    assert (tmp_path / "r.sqlite3").exists()


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///", "sqlite:///:memory:", "postgresql://x/y", "sqlite:///r.db?mode=ro"],
)
def test_a_bad_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        SQLiteStore.from_url(url)


def test_a_file_that_is_no_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, but long enough to have a header " * 20)

    with pytest.raises(ConfigError, match="not a usable SQLite store"):
        SQLiteStore(path)


def test_a_path_that_cannot_be_opened_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a-directory").mkdir()

    with pytest.raises(ConfigError, match="cannot open SQLite store"):
        SQLiteStore(tmp_path / "a-directory")


def test_a_newer_schema_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()

    with pytest.raises(ConfigError, match="schema version 99"):
        SQLiteStore(path)


def test_a_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.sqlite3")
    store.close()

    with pytest.raises(StoreUnavailable, match="closed"):
        store.latest("school-1")


def test_threads_write_and_read_at_once(tmp_path: Path) -> None:
    failures: list[BaseException] = []
    done = threading.Event()

    with SQLiteStore(tmp_path / "r.sqlite3", busy_timeout_s=10) as store:

        def writer(point: str) -> None:
            try:
                for batch in range(20):
                    store.write(
                        [
                            reading(T0_MS + (batch * 50 + i) * 1_000, i, point=point)
                            for i in range(50)
                        ]
                    )
            except BaseException as exc:
                failures.append(exc)

        def reader() -> None:
            try:
                while not done.is_set():
                    store.latest("school-1")
                    all_of(store, building="school-1", point="w0")
            except BaseException as exc:
                failures.append(exc)

        writers = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in readers:
            thread.join()

        assert failures == []
        assert [r.point for r in store.latest("school-1")] == ["w0", "w1", "w2", "w3"]
        for n in range(4):
            assert len(all_of(store, building="school-1", point=f"w{n}")) == 1_000


def open_files(path: Path) -> int:
    """How many file descriptors of this process are open on ``path``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if fd.exists() and fd.resolve() == path.resolve())


def test_ended_threads_leave_no_open_connections(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    with SQLiteStore(path) as store:
        for _ in range(20):  # a server's short-lived worker threads
            thread = threading.Thread(target=store.latest, args=("school-1",))
            thread.start()
            thread.join()
        store.latest("school-1")  # this thread's connection, opened in __init__

        # Not exactly 2 (this thread's and the last thread's): SQLite may keep a closed
        # connection's descriptor while others hold POSIX locks on the file, to reuse it.
        assert open_files(path) <= 4
    assert open_files(path) == 0


def test_opening_waits_while_another_process_writes_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE notes (text TEXT)")
    other.execute("BEGIN IMMEDIATE")  # switching to WAL now fails at once with "locked"
    outcome: list[object] = []

    def open_store() -> None:
        try:
            SQLiteStore(path, busy_timeout_s=30).close()
            outcome.append("opened")
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=open_store)
    thread.start()
    time.sleep(0.2)  # let it meet the lock
    other.execute("COMMIT")
    thread.join()
    other.close()

    assert outcome == ["opened"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


WRITER_PROCESS = """
import sys
import time
from byggpuls.reading import Reading
from byggpuls.storage.sqlite import SQLiteStore

path, building, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start_at:  # all open the new file at one instant
    time.sleep(0.001)
with SQLiteStore(path, busy_timeout_s=20) as store:
    for batch in range(BATCHES):
        store.write([
            Reading(building=building, point=f"p{i}", quantity="temperature",
                    time_ms={t0} + batch * 1000, value=float(batch))
            for i in range(100)
        ])
        store.latest(building)
""".replace("{t0}", str(T0_MS)).replace("BATCHES", "50")


def test_processes_write_and_read_one_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"  # created by all of them at once
    buildings = ["school-1", "school-2", "school-3", "school-4"]
    start_at = str(time.time() + 1.5)  # after the interpreters have started

    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_PROCESS, str(path), building, start_at],
            stderr=subprocess.PIPE,
        )
        for building in buildings
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()

    with SQLiteStore(path) as store:
        for building in buildings:
            latest = store.latest(building)
            assert len(latest) == 100
            assert {r.time_ms for r in latest} == {T0_MS + 49 * 1000}
            assert len(all_of(store, building=building, point="p7")) == 50
