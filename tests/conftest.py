"""Fixtures shared by every test: real servers on free ports, and registry databases.

Mosquitto, NATS and InfluxDB run as child processes with the configuration in ``deploy/``;
PostgreSQL is the server on 127.0.0.1:5432 (database ``test``), where each test gets a schema of
its own.
Whatever a fixture or test starts is stopped at its end, also when it failed or timed out, and
dies with the test process should that be killed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from byggpuls.registry import make_engine, migrate
from sandbox.servers import (
    LOCAL_POSTGRES_URL,
    InfluxServer,
    MosquittoServer,
    NatsServer,
    postgres_schema,
)
from tests.processes import Service

REPO = Path(__file__).resolve().parent.parent
#: Labelled reference data (LBNL AHU faults, UCI occupancy), kept beside the checkout.
SHARED_DATA = Path(os.environ.get("BYGGPULS_SHARED_DATA", REPO.parent / "shared" / "data"))

POSTGRES_URL = os.environ.get("BYGGPULS_TEST_POSTGRES_URL", LOCAL_POSTGRES_URL)


@pytest.fixture(autouse=True)
def _end_services() -> Iterator[None]:
    """Kills the ``byggpuls`` commands a test left running (it failed before stopping them)."""
    yield
    for service in list(Service.running):
        service.kill()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data directory; a test that needs it fails, loudly, without it."""
    if not (SHARED_DATA / "lbnl_ahu").is_dir():
        pytest.fail(f"reference data not found at {SHARED_DATA}: set BYGGPULS_SHARED_DATA")
    return SHARED_DATA


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[MosquittoServer]:
    """A Mosquitto of this test's own, stopped afterwards."""
    server = MosquittoServer(workdir=tmp_path / "mosquitto").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS Server (MQTT 3.1.1 on JetStream) of this test's own, stopped afterwards."""
    server = NatsServer(workdir=tmp_path / "nats").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def influx_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxServer]:
    """One influxd for the session: starting one takes a second or two."""
    server = InfluxServer(workdir=tmp_path_factory.mktemp("influxd")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def influx_url(influx_session: InfluxServer) -> str:
    """A ``BYGGPULS_INFLUX_URL`` for a database of this test's own on the session's influxd."""
    database = f"t_{uuid.uuid4().hex[:12]}"
    influx_session.create_database(database)
    return influx_session.url_for(database)


@pytest.fixture
def influx_own(tmp_path: Path) -> Iterator[InfluxServer]:
    """An influxd of this test's own, for tests that stop or kill it."""
    server = InfluxServer(workdir=tmp_path / "influxd").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a fresh schema, dropped afterwards."""
    with postgres_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A registry database URL: SQLite in a temporary file, and PostgreSQL in its own schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An Engine on a freshly migrated registry database (SQLite file or PostgreSQL schema)."""
    engine = make_engine(database_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
