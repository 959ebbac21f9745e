"""A wrong InfluxDB password or database, or a registry database that does not exist, stops
``byggpuls ingest`` and ``byggpuls api`` at their start with what to fix, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.servers import InfluxServer
from tests.processes import assert_refused, run_with

pytestmark = pytest.mark.integration
SERVICES = ["ingest", "api"]


@pytest.mark.parametrize("command", SERVICES)
def test_a_wrong_influxdb_password_stops_the_service_at_start(
    command: str, influx_url: str, influx_session: InfluxServer, tmp_path: Path
) -> None:
    wrong = influx_url.replace(f":{influx_session.password}@", ":not-the-password@")
    result = run_with(command, tmp_path, BYGGPULS_INFLUX_URL=wrong)
    assert_refused(
        result,
        f"byggpuls {command}: BYGGPULS_INFLUX_URL:",
        "refused the credentials",
        "Check user and password",
    )
    assert "not-the-password" not in result.stderr


@pytest.mark.parametrize("command", SERVICES)
def test_a_missing_influxdb_database_stops_the_service_at_start(
    command: str, influx_session: InfluxServer, tmp_path: Path
) -> None:
    result = run_with(command, tmp_path, BYGGPULS_INFLUX_URL=influx_session.url_for("no_such_db"))
    assert_refused(
        result,
        f"byggpuls {command}: BYGGPULS_INFLUX_URL:",
        "has no database 'no_such_db'",
        'CREATE DATABASE "no_such_db"',
    )


@pytest.mark.parametrize("command", SERVICES)
def test_a_missing_registry_database_stops_the_service_at_start(
    command: str, influx_url: str, postgres_url: str, tmp_path: Path
) -> None:
    result = run_with(
        command,
        tmp_path,
        BYGGPULS_INFLUX_URL=influx_url,
        BYGGPULS_DATABASE_URL=postgres_url.replace("/test?", "/no_such_db?"),
    )
    assert_refused(result, f"byggpuls {command}: BYGGPULS_DATABASE_URL:", "no_such_db")


def test_broker_access_without_its_key_and_admin_stops_the_api_at_start(tmp_path: Path) -> None:
    result = run_with("api", tmp_path, BYGGPULS_BROKER_ACCESS="mosquitto")
    assert_refused(
        result,
        "byggpuls api:",
        "BYGGPULS_BROKER_ACCESS=mosquitto needs BYGGPULS_BROKER_CREDENTIAL_KEY",
        "BYGGPULS_BROKER_ACCESS=mosquitto needs BYGGPULS_BROKER_ADMIN_URL",
    )
