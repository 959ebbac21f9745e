"""``/healthz`` and how the API answers while a store is down."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from byggpuls.errors import ConfigError
from byggpuls.registry.repository import Registry
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.servers import InfluxServer, free_port

SCHOOL = "nordnes-skole"


def test_healthy(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"store", "registry"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["duration_ms"] >= 0
        assert check["detail"] is None


class RefusingStore(SQLiteStore):
    """A store that answers queries but, as a server that no longer takes our password would,
    refuses its ping."""

    def ping(self) -> None:
        raise ConfigError("BYGGPULS_INFLUX_URL: refused the credentials")


def test_the_store_check_is_the_stores_ping(
    tmp_path: Path, registry: Registry, make_client, assert_problem
) -> None:
    with RefusingStore(tmp_path / "refusing.sqlite3") as store:
        client = make_client(store=store, registry=registry)
        problem = assert_problem(client.get("/healthz"), 503, "unhealthy")
    assert problem["checks"]["store"]["detail"] == "ConfigError"  # type: ignore[index]
    assert problem["checks"]["registry"]["status"] == "ok"  # type: ignore[index]


@pytest.mark.integration
def test_unhealthy_and_unavailable_while_influxdb_is_stopped(
    *,
    influx_own: InfluxServer,
    registry: Registry,
    make_client,
    seed,
    assert_problem,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with InfluxStore.from_url(influx_own.url, timeout_s=2.0) as store:
        seed(registry, store)
        client = make_client(store=store, registry=registry)
        assert client.get("/healthz").status_code == 200

        influx_own.stop()
        caplog.set_level(logging.WARNING)
        health = client.get("/healthz")
        building = client.get(f"/api/v1/buildings/{SCHOOL}")
        series = client.get(f"/api/v1/buildings/{SCHOOL}/series", params={"point": "el.power"})
        listing = client.get("/api/v1/buildings")

    problem = assert_problem(health, 503, "unhealthy")
    assert problem["checks"]["store"]["status"] == "failed"  # type: ignore[index]
    assert problem["checks"]["store"]["detail"] == "StoreUnavailable"  # type: ignore[index]
    assert problem["checks"]["registry"]["status"] == "ok"  # type: ignore[index]
    assert problem["detail"] == "Failed: store."
    for response in (building, series, listing):
        problem = assert_problem(response, 503, "service-unavailable")
        assert response.headers["retry-after"] == "10"
        # Where InfluxDB runs is for the log, not for the client.
        assert "127.0.0.1" not in response.text
    assert f"127.0.0.1:{influx_own.port}" in caplog.text


def test_unhealthy_when_the_store_was_never_there(
    registry: Registry,
    make_client,
    assert_problem,
) -> None:
    with InfluxStore(base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2.0) as store:
        client = make_client(store=store, registry=registry)
        problem = assert_problem(client.get("/healthz"), 503, "unhealthy")
    assert problem["checks"]["store"]["status"] == "failed"  # type: ignore[index]


@pytest.mark.integration
def test_a_broken_registry_is_unhealthy_and_a_500_that_leaks_nothing(
    *,
    postgres_url: str,
    open_registry_at,
    engines: list[Engine],
    store: SQLiteStore,
    make_client,
    seed,
    assert_problem,
) -> None:
    registry = open_registry_at(postgres_url)
    seed(registry, store)
    client = make_client(store=store, registry=registry)
    with engines[-1].begin() as conn:
        conn.execute(sa.text("DROP TABLE findings CASCADE"))  # its events refer to it
        conn.execute(sa.text("DROP TABLE dead_letters"))

    health = client.get("/healthz")
    findings = client.get("/api/v1/findings")

    problem = assert_problem(health, 503, "unhealthy")
    assert problem["checks"]["registry"]["status"] == "failed"  # type: ignore[index]
    assert problem["checks"]["store"]["status"] == "ok"  # type: ignore[index]
    problem = assert_problem(findings, 500, "internal-error")
    assert "findings" not in str(problem["detail"]).replace("/api/v1/findings", "")
    assert "relation" not in findings.text
    assert "postgres" not in findings.text.lower()
    assert str(problem["error_id"]) in str(problem["detail"])
