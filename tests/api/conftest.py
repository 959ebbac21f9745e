"""Fixtures of the API tests: a real app over a real store and registry, and a small portfolio.

The portfolio: Nordnes skole (a school with electricity and district heating meters, two
rooms with temperature and CO₂, an air handler) with readings up to a minute ago and findings
in every status; Solheim barnehage (a kindergarten with one point and no readings yet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.main import create_app
from api.settings import ApiSettings
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.port import ReadingReader, ReadingWriter
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"

SCHOOL_POINTS = (
    PointInfo(
        "ahu1.supply_air_temp", "hvac", "temperature", "Cel", "Supply_Air_Temperature_Sensor"
    ),
    PointInfo("dh.power", "energy", "power", "kW", "Thermal_Power_Sensor", interval_s=60),
    PointInfo("el.power", "energy", "power", "kW", "Electric_Power_Sensor", interval_s=60),
    PointInfo(
        "room-101.co2", "climate", "co2", "ppm", "CO2_Level_Sensor", "Rom 101", 60, "CO₂ i 101"
    ),
    PointInfo(
        "room-101.temp",
        "climate",
        "temperature",
        "Cel",
        "Zone_Air_Temperature_Sensor",
        "Rom 101",
        60,
    ),
    PointInfo("room-102.co2", "climate", "co2", "ppm", "CO2_Level_Sensor", "Rom 102", 60),
    PointInfo(
        "room-102.temp",
        "climate",
        "temperature",
        "Cel",
        "Zone_Air_Temperature_Sensor",
        "Rom 102",
        60,
    ),
)
#: The newest value of each point of the school.
SCHOOL_LATEST = {
    "ahu1.supply_air_temp": 18.5,
    "dh.power": 120.0,
    "el.power": 42.25,
    "room-101.co2": 650.0,
    "room-101.temp": 21.4,
    "room-102.co2": 1040.0,
    "room-102.temp": 22.8,
}

#: The breakdown recorded as the school's health (the kindergarten was never scored).
SCHOOL_HEALTH_PARTS = {
    "energy": {
        "score": 62.0,
        "weight": 0.4,
        "reasons": [
            {
                "text_nb": "Ventilasjon utenom åpningstid: 100 kWh",
                "text_en": "After-hours ventilation: 100 kWh",
                "points": 38.0,
                "finding_id": None,
            }
        ],
    },
    "indoor_climate": {"score": 91.0, "weight": 0.3, "reasons": []},
    "equipment": {"score": 85.0, "weight": 0.2, "reasons": []},
    "data_quality": {"score": None, "weight": 0.1, "reasons": []},
}


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture
def engines() -> Iterator[list[Engine]]:
    """Registry engines opened by the test, disposed of at its end."""
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.dispose()


def seed_portfolio(
    registry: Registry, store: ReadingWriter, *, now: datetime, school_name: str = "Nordnes skole"
) -> dict[str, int]:
    """Describe the two buildings, write the school's readings, and add three findings.

    Returns the finding ids by status.
    """
    registry.upsert_building(
        BuildingInfo(SCHOOL, school_name, "school", 5400.0, "Nordnesbakken 12, 5005 Bergen")
    )
    registry.upsert_building(BuildingInfo(KINDERGARTEN, "Solheim barnehage", "kindergarten"))
    registry.upsert_points(building=SCHOOL, gateway="gw1", points=SCHOOL_POINTS, source="meta")
    registry.upsert_points(
        building=KINDERGARTEN,
        gateway="gw2",
        points=[PointInfo("el.power", "energy", "power", "kW", "Electric_Power_Sensor")],
        source="meta",
    )
    newest = minute_floor(now) - timedelta(minutes=1)
    readings = []
    for info in SCHOOL_POINTS:
        for minutes_before in (2, 1, 0):
            value = SCHOOL_LATEST[info.point] - minutes_before
            readings.append(
                Reading(
                    building=SCHOOL,
                    point=info.point,
                    quantity=info.quantity,
                    time_ms=ms(newest - timedelta(minutes=minutes_before)),
                    value=value,
                    unit=info.unit,
                    zone=info.zone,
                )
            )
    store.write(readings)
    start = minute_floor(now) - timedelta(days=3)
    kinds = {"open": "after_hours_operation", "acknowledged": "co2_high", "resolved": "flat_line"}
    registry.upsert_findings(
        [
            NewFinding(
                building=SCHOOL,
                kind=kind,
                points=("el.power",),
                start=start + timedelta(hours=index),
                end=start + timedelta(hours=index + 12),
                evidence={"baseline_kw": 12.0, "observed_kw": 31.5, "hours": 12},
                waste_kwh=100.0 * (index + 1),
                waste_nok=130.0 * (index + 1),
                score=0.5,
            )
            for index, kind in enumerate(kinds.values())
        ]
    )
    ids = {f.kind: f.id for f in registry.findings(building=SCHOOL)}
    acknowledged, resolved = ids[kinds["acknowledged"]], ids[kinds["resolved"]]
    registry.set_finding_status(acknowledged, "acknowledged")
    registry.set_finding_status(resolved, "acknowledged")
    registry.set_finding_status(resolved, "resolved")
    today = now.date()
    registry.record_health(
        [
            HealthDay(SCHOOL, today - timedelta(days=1), 81.0, "good", SCHOOL_HEALTH_PARTS),
            HealthDay(SCHOOL, today, 74.5, "watch", SCHOOL_HEALTH_PARTS),
        ]
    )
    return {"open": ids[kinds["open"]], "acknowledged": acknowledged, "resolved": resolved}


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    """Requests without credentials act as the demo admin: the route tests test the routes;
    tests/api/test_auth.py tests signing in and scopes with ``api_auth = required``."""
    # Nothing cached between requests: the tests change the registry between them
    # (tests/api/test_snapshot.py tests the cache).
    return ApiSettings(data_dir=tmp_path, api_workers=4, api_auth="demo", api_portfolio_cache_s=0)


@pytest.fixture
def open_registry_at(engines: list[Engine]) -> Callable[[str], Registry]:
    """Opens (and migrates) a registry at a database URL."""

    def open_at(url: str) -> Registry:
        engine = make_engine(url)
        engines.append(engine)
        migrate(engine)
        return Registry(engine)

    return open_at


@pytest.fixture
def registry(tmp_path: Path, open_registry_at: Callable[[str], Registry]) -> Registry:
    """A registry in a SQLite file of this test's own."""
    return open_registry_at(f"sqlite:///{tmp_path / 'registry.sqlite3'}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """An embedded reading store in this test's own file."""
    with SQLiteStore(tmp_path / "readings.sqlite3") as opened:
        yield opened


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def findings(registry: Registry, store: SQLiteStore, now: datetime) -> dict[str, int]:
    """The portfolio, seeded; the finding ids by status."""
    return seed_portfolio(registry, store, now=now)


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(settings: ApiSettings) -> Iterator[AppFactory]:
    """Builds a started app over given adapters; stops them all at the end of the test."""
    clients: list[TestClient] = []

    def make(
        *,
        store: ReadingReader,
        registry: Registry,
        settings: ApiSettings = settings,
        raise_server_exceptions: bool = True,
    ) -> TestClient:
        app: FastAPI = create_app(
            store=store,
            registry=registry,
            accounting=Accounting(registry.engine),
            settings=settings,
        )
        client = TestClient(app, raise_server_exceptions=raise_server_exceptions)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(
    make_client: AppFactory, store: SQLiteStore, registry: Registry, findings: dict[str, int]
) -> TestClient:
    """The app over the seeded SQLite store and registry."""
    return make_client(store=store, registry=registry)


ProblemCheck = Callable[..., dict[str, object]]


@pytest.fixture
def assert_problem() -> ProblemCheck:
    """Checks that a response is RFC 9457 problem details of ``status`` and ``slug``; returns it."""

    def check(response: object, status: int, slug: str | None) -> dict[str, object]:
        from httpx2 import Response

        assert isinstance(response, Response)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        body: dict[str, object] = response.json()
        assert body["status"] == status
        assert body["type"] == ("about:blank" if slug is None else f"/problems/{slug}")
        assert isinstance(body["title"], str)
        assert body["title"]
        assert body["instance"] == response.request.url.raw_path.decode()
        return body

    return check


@pytest.fixture
def seed(now: datetime) -> Callable[..., dict[str, int]]:
    """Seeds the portfolio into a registry and a store; returns the finding ids by status."""

    def run(registry: Registry, store: ReadingWriter, **kwargs: object) -> dict[str, int]:
        return seed_portfolio(registry, store, now=now, **kwargs)  # type: ignore[arg-type]

    return run
