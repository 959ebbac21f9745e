"""``byggpuls admin`` for broker logins: gateways' logins as the TOML tables their files load,
new passwords, the list, and bringing the broker to the registry, against a real Mosquitto with
dynamic security where it counts."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import pytest

from byggpuls import topics
from byggpuls.registry import Registry
from byggpuls.registry.rows import BrokerClientKind
from cli.bootstrap import build_gateways
from gateway.config import GatewayOptions, GatewaySettings, load_config
from gateway.drivers.simulated import gateway_id
from sandbox.servers import DynsecMosquittoServer, free_port
from tests.byggpuls.access.conftest import STUCK_S, Probe
from tests.cli.conftest import DRIVER, PASSWORDS, Admin, broker_on, last_line


def test_add_gateway_prints_a_toml_snippet_the_gateway_loads(
    admin: Admin, registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://broker.example:8883")
    code, out, err = admin("add-gateway", "skole-01")
    assert code == 0, err
    username = "gateway.skole-01.gw-skole-01"
    password = PASSWORDS.password(username, 1)
    assert gateway_id("skole-01") == "gw-skole-01"  # named as the simulated gateways are
    assert tomllib.loads(out) == {
        "gateway": {"id": "gw-skole-01"},
        "mqtt": {"url": "mqtts://broker.example:8883", "username": username, "password": password},
    }
    assert "Shown this once" in out  # the comment in the snippet
    assert "byggpuls gateway --config" in out
    assert "building 'skole-01' is not in the registry yet" in err
    path = tmp_path / "gateway.toml"
    path.write_text(out + DRIVER)
    config = load_config(path)
    assert config.gateway.id == "gw-skole-01"
    assert config.mqtt is not None
    assert config.mqtt.login == (username, password)
    settings = config.broker_settings(GatewaySettings(mqtt_url="mqtt://127.0.0.1:1883"))
    assert settings.mqtt_url == f"mqtts://{username}:{password}@broker.example:8883"
    login = registry.broker_client(username)
    assert login is not None
    assert (login.kind, login.building, login.gateway) == (
        BrokerClientKind.GATEWAY,
        "skole-01",
        "gw-skole-01",
    )


def test_add_gateway_refusals(
    admin: Admin, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert admin("add-gateway", "skole-01", "--gateway", "gw-a")[0] == 0
    code, _, err = admin("add-gateway", "skole-01", "--gateway", "gw-a")
    assert code == 2
    assert "there is a broker login 'gateway.skole-01.gw-a' already" in err
    code, _, err = admin("add-gateway", "Skole 01")
    assert code == 2
    monkeypatch.delenv("BYGGPULS_BROKER_CREDENTIAL_KEY")
    code, out, err = admin("add-gateway", "skole-02")
    assert (code, out) == (2, "")
    assert "BYGGPULS_BROKER_CREDENTIAL_KEY" in err
    assert [login.username for login in registry.broker_clients()] == ["gateway.skole-01.gw-a"]


def test_reissue_mqtt_prints_the_new_password_once(
    admin: Admin, registry: Registry, tmp_path: Path
) -> None:
    registry.create_user("acme", role="partner", actor="test")
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner="acme", passwords=PASSWORDS, actor="test"
    )
    registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building="skole-01",
        gateway="gw-skole-01",
        passwords=PASSWORDS,
        actor="test",
    )
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor="test"
    )

    code, out, err = admin("reissue-mqtt", "gateway.skole-01.gw-skole-01")
    assert code == 0, err
    new = PASSWORDS.password("gateway.skole-01.gw-skole-01", 2)
    assert tomllib.loads(out)["mqtt"]["password"] == new
    path = tmp_path / "gateway.toml"
    path.write_text(out + DRIVER)
    assert load_config(path).mqtt is not None
    assert "The old one works until the broker has the new one" in err

    code, out, err = admin("reissue-mqtt", "acme")
    assert code == 0, err
    assert out.startswith("new password of partner login 'acme' (#2)\n")
    assert f"  MQTT password: {PASSWORDS.password('acme', 2)}\n" in out
    assert "mosquitto_sub" in out

    code, out, err = admin("reissue-mqtt", "service.ingest")
    assert code == 0, err
    service = PASSWORDS.password("service.ingest", 2)
    assert f"BYGGPULS_MQTT_URL=mqtt://service.ingest:{service}@127.0.0.1:1883" in out

    code, _, err = admin("reissue-mqtt", "nobody")
    assert (code, last_line(err)) == (1, "byggpuls admin: no broker login 'nobody'")


def test_add_service_prints_the_ingest_login_once(admin: Admin, registry: Registry) -> None:
    code, out, err = admin("add-service", "ingest")
    assert code == 0, err
    password = PASSWORDS.password("service.ingest", 1)
    assert f"BYGGPULS_MQTT_URL=mqtt://service.ingest:{password}@127.0.0.1:1883" in out
    assert "Shown this once" in err
    login = registry.broker_client("service.ingest")
    assert login is not None
    assert login.service == "ingest"
    code, _, err = admin("add-service", "ingest")
    assert (code, last_line(err)) == (
        2,
        "byggpuls admin: there is a broker login 'service.ingest' already",
    )
    with pytest.raises(SystemExit, match="2"):  # no service but ingest has a broker login
        admin("add-service", "analytics")


def test_list_broker_logins(admin: Admin, registry: Registry) -> None:
    code, out, err = admin("list-broker-logins")
    assert (code, out) == (0, "")
    assert "no broker logins yet" in err
    registry.create_user("acme", role="partner", actor="test")
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner="acme", passwords=PASSWORDS, actor="test"
    )
    registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building="skole-01",
        gateway="gw-1",
        passwords=PASSWORDS,
        actor="test",
    )
    registry.reissue_broker_password("acme", passwords=PASSWORDS, actor="test")
    registry.set_broker_client_disabled("gateway.skole-01.gw-1", actor="test")
    code, out, _ = admin("list-broker-logins")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert [row[:4] + row[6:] for row in rows[1:]] == [
        ["acme", "partner", "acme", "2", "no", "no"],
        ["gateway.skole-01.gw-1", "gateway", "skole-01/gw-1", "1", "no", "yes"],
    ]
    assert rows[0] == ["username", "kind", "of", "generation", "issued", "on", "broker", "disabled"]


def test_sync_broker_needs_the_broker_access_settings(admin: Admin) -> None:
    code, out, err = admin("sync-broker")
    assert (code, out) == (2, "")
    assert "set BYGGPULS_BROKER_ACCESS=mosquitto, BYGGPULS_BROKER_ADMIN_URL" in last_line(err)


def test_a_broker_that_does_not_answer_is_a_warning_after_a_change_and_exit_3_for_sync(
    admin: Admin, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker_on(monkeypatch, free_port())  # nothing listens there
    code, out, err = admin("add-gateway", "skole-01")
    assert code == 0, err
    assert "[mqtt]" in out
    assert "warning: the broker did not take it now (cannot reach the broker at 127.0.0.1:" in err
    assert "The change is in the registry" in err
    assert registry.broker_client("gateway.skole-01.gw-skole-01") is not None
    code, out, err = admin("sync-broker")
    assert (code, out) == (3, "")
    assert "byggpuls admin: the broker: cannot reach the broker" in err


def test_disable_user_is_followed_by_the_broker(admin: Admin, registry: Registry) -> None:
    registry.create_user("acme", role="partner", actor="test")
    code, out, err = admin("disable-user", "acme")
    assert code == 0, err
    assert "'acme' is disabled" in out
    assert "the broker follows when `byggpuls api` runs" in err


# -- a real broker --------------------------------------------------------------------------------


@pytest.mark.integration
def test_add_gateway_then_sync_broker_lets_the_gateway_publish_its_building_only(
    admin: Admin, dynsec_broker: DynsecMosquittoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = admin("add-gateway", "skole-01")  # access off: the registry only
    assert code == 0, err
    login = tomllib.loads(out)["mqtt"]
    broker_on(monkeypatch, dynsec_broker.port)
    code, out, err = admin("sync-broker")
    assert code == 0, err
    assert "clients created: gateway.skole-01.gw-skole-01" in out
    code, out, _ = admin("sync-broker")
    assert (code, out) == (0, "nothing to change: the broker matches the registry\n")

    gateway = Probe(dynsec_broker.port, login["username"], login["password"])
    try:
        assert not gateway.connect().is_failure
        assert gateway.publish(topics.telemetry("skole-01", "energy"), b"ok")
        assert not gateway.publish(topics.telemetry("skole-02", "energy"), b"not ours")
    finally:
        gateway.close()
    stranger = Probe(dynsec_broker.port, login["username"], "not-the-password")
    try:
        assert stranger.connect().is_failure
    finally:
        stranger.close()


@pytest.mark.integration
def test_a_gateway_started_from_its_file_logs_in_with_the_printed_login(
    admin: Admin,
    registry: Registry,
    dynsec_broker: DynsecMosquittoServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    broker_on(monkeypatch, dynsec_broker.port)
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor="test"
    )
    code, out, err = admin("add-gateway", "skole-01")
    assert code == 0, err
    assert "clients created: service.ingest, gateway.skole-01.gw-skole-01" in err
    config = tmp_path / "gateway.toml"
    config.write_text(out + DRIVER)
    (tmp_path / "data.csv").write_text("time,p\n2026-01-01T00:00:00Z,1.5\n")
    ingest = Probe(dynsec_broker.port, "service.ingest", PASSWORDS.password("service.ingest", 1))
    # The environment's broker and login are wrong: the file's [mqtt] replaces both.
    settings = GatewaySettings(data_dir=tmp_path / "var", mqtt_url="mqtt://x:wrong@127.0.0.1:1")
    built = build_gateways(settings, GatewayOptions(config=config))
    try:
        assert not ingest.connect().is_failure
        assert not ingest.subscribe(f"{topics.PREFIX}/#").is_failure
        [gateway] = built.service.gateways
        gateway.start()
        wanted = {topics.meta("skole-01", "gw-skole-01"), topics.telemetry("skole-01", "energy")}
        deadline = time.monotonic() + STUCK_S
        while not wanted <= {topic for topic, _ in list(ingest.messages)}:
            assert time.monotonic() < deadline, f"only {ingest.messages} arrived"
            time.sleep(0.05)
    finally:
        built.resources.close()
        ingest.close()
