"""``/metrics``: Prometheus counters and latency per route template, and per-building gauges."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from api.metrics import BuildingFigures, PortfolioCollector
from api.settings import ApiSettings
from byggpuls.access import BrokerUnavailable, MemoryBrokerAccess
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.access.port import BrokerAccess
from byggpuls.access.sync import AccessSync
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests(method: str, route: str, status: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"method": method, "route": route, "status": status}
    return ("byggpuls_api_requests_total", tuple(sorted(labels.items())))


def test_requests_are_counted_per_route_template(client: TestClient) -> None:
    client.get("/api/v1/buildings/nordnes-skole")
    client.get("/api/v1/buildings/solheim-bhg")
    client.get("/api/v1/buildings/nowhere")
    client.get("/no/such/page")
    client.get("/another/random/path")
    client.get("/")

    found = samples(client)

    template = "/api/v1/buildings/{building_id}"
    assert found[requests("GET", template, "200")] == 2
    assert found[requests("GET", template, "404")] == 1
    # Unknown paths share one label, whatever they are.
    assert found[requests("GET", "<unmatched>", "404")] == 2
    assert found[requests("GET", "/", "200")] == 1
    histogram = (
        "byggpuls_api_request_duration_seconds_count",
        (("method", "GET"), ("route", template)),
    )
    assert found[histogram] == 3
    assert ("process_cpu_seconds_total", ()) in found


def test_each_app_counts_its_own_requests(client: TestClient, make_client, store, registry) -> None:
    client.get("/healthz")
    other = make_client(store=store, registry=registry)

    assert requests("GET", "/healthz", "200") not in samples(other)
    assert samples(client)[requests("GET", "/healthz", "200")] == 1


def building_gauge(name: str, building: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return (name, (("building", building),))


def test_portfolio_gauges_per_building_at_scrape_time(
    client: TestClient, findings: dict[str, int], store: SQLiteStore
) -> None:
    newest_s = max(reading.time_ms for reading in store.latest(SCHOOL)) / 1000
    before_s = time.time()
    found = samples(client)
    after_s = time.time()

    # The school: one open, one acknowledged finding (the resolved one does not count).
    assert found[building_gauge("byggpuls_open_findings", SCHOOL)] == 1
    assert found[building_gauge("byggpuls_acknowledged_findings", SCHOOL)] == 1
    assert found[building_gauge("byggpuls_waste_kwh", SCHOOL)] == 300.0
    assert found[building_gauge("byggpuls_waste_nok", SCHOOL)] == 390.0
    age = found[building_gauge("byggpuls_newest_reading_age_seconds", SCHOOL)]
    assert before_s - newest_s <= age <= after_s - newest_s
    # The kindergarten has neither findings nor readings: zeros, and no age at all.
    assert found[building_gauge("byggpuls_open_findings", KINDERGARTEN)] == 0
    assert found[building_gauge("byggpuls_waste_nok", KINDERGARTEN)] == 0.0
    assert building_gauge("byggpuls_newest_reading_age_seconds", KINDERGARTEN) not in found
    assert found[("byggpuls_portfolio_metrics_complete", ())] == 1

    client.post(f"/api/v1/findings/{findings['open']}/resolve")
    again = samples(client)

    assert again[building_gauge("byggpuls_open_findings", SCHOOL)] == 0
    assert again[building_gauge("byggpuls_waste_kwh", SCHOOL)] == 200.0


def test_a_store_that_does_not_answer_leaves_the_ages_out(
    tmp_path: Path, make_client, registry: Registry, findings: dict[str, int]
) -> None:
    closed = SQLiteStore(tmp_path / "closed.sqlite3")
    closed.close()
    client = make_client(store=closed, registry=registry)

    found = samples(client)

    assert found[("byggpuls_portfolio_metrics_complete", ())] == 0
    assert found[building_gauge("byggpuls_open_findings", SCHOOL)] == 1
    assert building_gauge("byggpuls_newest_reading_age_seconds", SCHOOL) not in found


def test_the_collector_says_what_it_was_given() -> None:
    now = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    figures = [
        BuildingFigures("b1", 2, 1, 12.5, 30.0, now - timedelta(seconds=90)),
        BuildingFigures("b2", 0, 0, 0.0, 0.0, None),
    ]
    registry = CollectorRegistry(auto_describe=True)
    registry.register(PortfolioCollector(figures, now=now, complete=False))

    text = generate_latest(registry).decode()

    assert 'byggpuls_acknowledged_findings{building="b1"} 1.0' in text
    assert 'byggpuls_waste_nok{building="b1"} 30.0' in text
    assert 'byggpuls_newest_reading_age_seconds{building="b1"} 90.0' in text
    assert 'newest_reading_age_seconds{building="b2"}' not in text
    assert "byggpuls_portfolio_metrics_complete 0.0" in text
    assert "# TYPE byggpuls_open_findings gauge" in text


def test_the_broker_access_sync_reports_its_health(
    store: SQLiteStore, registry: Registry, settings: ApiSettings
) -> None:
    """Started with the app, the sync brings the (in-memory) broker to the registry, and the
    metrics say it works; a broker that stops answering turns the gauge to 0."""
    broker, down = MemoryBrokerAccess(), [False]

    @contextmanager
    def open_broker() -> Iterator[BrokerAccess]:
        if down[0]:
            raise BrokerUnavailable("no answer")
        yield broker

    access = AccessSync(registry, open_broker, BrokerPasswords("m" * 32), full_sync_s=3600)
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE,
        service="ingest",
        passwords=BrokerPasswords("m" * 32),
        actor="test",
    )
    app = create_app(
        store=store,
        registry=registry,
        accounting=Accounting(registry.engine),
        settings=settings,
        access=access,
    )
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        while access.status.last_success is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the start-up sync runs in the sync's own thread
        assert "service.ingest" in broker.clients
        assert samples(client)[("byggpuls_broker_access_ok", ())] == 1
        assert ("byggpuls_broker_access_last_success_timestamp_seconds", ()) in samples(client)
        down[0] = True
        access.sync_once(full=True)
        assert samples(client)[("byggpuls_broker_access_ok", ())] == 0
