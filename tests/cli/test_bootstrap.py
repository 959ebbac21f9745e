"""The composition root: stores checked at start, and the API and analytics built from settings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from analytics.settings import AnalyticsSettings
from api.settings import ApiSettings
from byggpuls.errors import ConfigError
from byggpuls.settings import CommonSettings
from byggpuls.storage.influx import InfluxStore
from cli.bootstrap import build_analytics, build_api, open_registry_engine, open_store
from sandbox.servers import InfluxServer, free_port


def test_the_embedded_store_is_opened_under_the_data_dir(tmp_path: Path) -> None:
    store = open_store(CommonSettings(data_dir=tmp_path / "var"))
    try:
        store.ping()
    finally:
        store.close()
    assert (tmp_path / "var" / "readings.sqlite3").is_file()


def test_a_store_that_does_not_answer_yet_is_no_configuration_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = CommonSettings(influx_url=f"http://127.0.0.1:{free_port()}/byggpuls")
    with caplog.at_level(logging.WARNING):
        store = open_store(settings)
    store.close()
    assert isinstance(store, InfluxStore)
    assert "does not answer yet" in caplog.text


@pytest.mark.integration
def test_a_wrong_influxdb_password_is_refused_at_start(influx_session: InfluxServer) -> None:
    url = influx_session.url.replace(influx_session.password, "wrong")
    with pytest.raises(ConfigError, match=r"^BYGGPULS_INFLUX_URL: .*refused the credentials") as e:
        open_store(CommonSettings(influx_url=url))
    assert "wrong" not in str(e.value)


@pytest.mark.integration
def test_a_missing_influxdb_database_is_refused_at_start(influx_session: InfluxServer) -> None:
    with pytest.raises(ConfigError, match=r'^BYGGPULS_INFLUX_URL: .*CREATE DATABASE "no_such_db"'):
        open_store(CommonSettings(influx_url=influx_session.url_for("no_such_db")))


@pytest.mark.integration
def test_a_missing_registry_database_is_refused_at_start(postgres_url: str) -> None:
    url = postgres_url.replace("/test?", "/no_such_db?")
    with pytest.raises(ConfigError, match=r"^BYGGPULS_DATABASE_URL: .*no_such_db"):
        open_registry_engine(CommonSettings(database_url=url))


def test_build_api_serves_the_stores_it_opened(tmp_path: Path) -> None:
    built = build_api(ApiSettings(data_dir=tmp_path))
    with built.resources, TestClient(built.service) as client:
        health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert set(health["checks"]) == {"store", "registry"}


def test_build_analytics_runs_over_an_empty_portfolio(tmp_path: Path) -> None:
    built = build_analytics(AnalyticsSettings(data_dir=tmp_path))
    with built.resources:
        summary = built.service.run_once(now_ms=1_767_225_600_000)
    assert (summary.buildings, summary.findings) == (0, 0)


def test_a_builder_that_fails_closes_what_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[str] = []
    opened = open_store(CommonSettings(data_dir=tmp_path))
    monkeypatch.setattr(opened, "close", lambda: closed.append("store"))
    monkeypatch.setattr("cli.bootstrap.open_store", lambda settings: opened)
    broken = AnalyticsSettings(data_dir=tmp_path, database_url="mysql://nowhere/registry")
    with pytest.raises(ConfigError, match="BYGGPULS_DATABASE_URL"):
        build_analytics(broken)
    assert closed == ["store"]
