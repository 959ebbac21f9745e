"""The demo's access control, against a real Mosquitto: every service a login of its own, the
partner its grant and nothing more, and a registry kept from an earlier run set up again."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from byggpuls import topics
from byggpuls.settings import with_login
from gateway.logins import load_logins
from sandbox.demo_access import (
    DemoAccess,
    partner_lines,
    provision,
    simulated_buildings,
    without_broker_admin,
)
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import Probe

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[DynsecMosquittoServer]:
    with DynsecMosquittoServer(workdir=tmp_path / "mosquitto", admin_password="run-pw") as server:
        yield server


def provisioned(broker: DynsecMosquittoServer, data_dir: Path) -> DemoAccess:
    data_dir.mkdir(exist_ok=True)
    admin_url = with_login(broker.url, broker.admin_username, broker.admin_password)
    return provision(
        data_dir=data_dir, admin_url=admin_url, buildings=simulated_buildings(3, seed=5)
    )


def connected(broker: DynsecMosquittoServer, login: tuple[str, str]) -> Probe:
    client = Probe(broker.port, *login)
    client.connect()
    return client


def test_each_service_and_the_partner_get_their_own_login(
    broker: DynsecMosquittoServer, tmp_path: Path
) -> None:
    access = provisioned(broker, tmp_path / "data")
    assert sorted(access.gateways) == ["gw-barnehage-01", "gw-skole-01", "gw-sykehjem-01"]
    assert access.gateways["gw-skole-01"][0] == "gateway.skole-01.gw-skole-01"
    assert access.ingest[0] == "service.ingest"
    assert stat.S_IMODE(access.logins_file.stat().st_mode) == 0o600
    assert load_logins(access.logins_file) == access.gateways
    partner = access.partner
    assert partner is not None
    assert partner.school == "skole-01"

    clients = [connected(broker, login) for login in (access.ingest, *access.gateways.values())]
    watcher = connected(broker, (partner.username, partner.password))
    try:
        assert not any(client.refused for client in (*clients, watcher))
        for domain in ("energy", "climate"):
            assert not watcher.subscribe(topics.telemetry("skole-01", domain)).is_failure
        assert watcher.subscribe(topics.telemetry("skole-01", "occupancy")).is_failure
        assert watcher.subscribe(topics.telemetry("barnehage-01", "energy")).is_failure
    finally:
        for client in (*clients, watcher):
            client.close()

    ingest_env = access.ingest_env({"BYGGPULS_MQTT_URL": broker.url})
    assert ingest_env["BYGGPULS_MQTT_URL"] == with_login(broker.url, *access.ingest)
    api_env = access.api_env(without_broker_admin({"BYGGPULS_BROKER_CREDENTIAL_KEY": "old"}))
    assert api_env["BYGGPULS_BROKER_CREDENTIAL_KEY"] == access.credential_key
    assert without_broker_admin(api_env) == {}
    lines = "\n".join(partner_lines(partner, broker_port=broker.port, dashboard_url="http://h/"))
    assert f"-u demo-partner -P {partner.password} -t byggpuls/v1/skole-01/energy -v" in lines
    assert f"curl -H 'Authorization: Bearer {partner.api_key}' http://h/api/v1/catalog" in lines


def test_a_registry_kept_from_an_earlier_run_gets_this_runs_passwords(
    broker: DynsecMosquittoServer, tmp_path: Path
) -> None:
    """As with ``BYGGPULS_DATABASE_URL``: the logins exist, the key they were made with not."""
    first = provisioned(broker, tmp_path / "data")
    second = provisioned(broker, tmp_path / "data")
    assert second.credential_key != first.credential_key
    assert first.partner is not None
    assert second.partner is not None
    old = Probe(broker.port, first.partner.username, first.partner.password)
    new = Probe(broker.port, second.partner.username, second.partner.password)
    try:
        assert old.connect().is_failure
        assert not new.connect().is_failure
        assert not new.subscribe(topics.telemetry("skole-01", "energy")).is_failure
    finally:
        old.close()
        new.close()
