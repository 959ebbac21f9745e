"""``byggpuls gateway --simulate N --broker-logins FILE``: each simulated gateway connects to a
broker with access control as itself; a file without one of them, or the option without
``--simulate``, stops the start with exit code 2."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from byggpuls import topics
from byggpuls.access import AccessState, Client, gateway_role, gateway_role_name, reconcile
from byggpuls.access.roles import ingest_role
from byggpuls.errors import ConfigError
from cli.bootstrap import build_gateways
from gateway.config import GatewayOptions, GatewaySettings
from gateway.logins import write_logins
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import Probe, admin_of
from tests.processes import Service, byggpuls

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]
#: Bounds the wait for a gateway process to start and publish; never reached when it works.
DEADLINE_S = 90.0
#: The first two buildings of every simulated portfolio, and their gateways.
BUILDINGS = {"skole-01": "gw-skole-01", "barnehage-01": "gw-barnehage-01"}
LOGINS = {
    gateway: (f"gateway.{building}.{gateway}", f"pw-{gateway}")
    for building, gateway in BUILDINGS.items()
}


def logins_file(tmp_path: Path, logins: dict[str, tuple[str, str]]) -> Path:
    path = tmp_path / "logins.json"
    write_logins(path, logins)
    return path


def run_gateway(tmp_path: Path, *args: str, mqtt_url: str) -> Service:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYGGPULS_")}
    env.update(BYGGPULS_MQTT_URL=mqtt_url, BYGGPULS_DATA_DIR=str(tmp_path / "data"))
    return Service(byggpuls("gateway", *args), env)


def refusal(gateway: Service) -> str:
    """The output of a gateway that ended at once, which must be a refusal (exit code 2)."""
    try:
        code = gateway.process.wait(DEADLINE_S)
    finally:
        gateway.kill()  # collects its output; ends one that did not refuse
    output = "".join(gateway.lines)
    assert code == 2, output
    assert "Traceback" not in output
    return output


def wait_for_topic(probe: Probe, topic: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not any(got == topic for got, _ in list(probe.messages)):
        assert time.monotonic() < deadline, f"nothing arrived on {topic}"
        time.sleep(0.1)


@pytest.fixture
def governed_broker(tmp_path: Path) -> Iterator[DynsecMosquittoServer]:
    """A broker that knows the two gateways, each with its own role, and an ``observer`` who
    may read everything."""
    with DynsecMosquittoServer(workdir=tmp_path / "mosquitto") as broker:
        roles = [gateway_role(b, g) for b, g in BUILDINGS.items()]
        clients = [
            Client(LOGINS[g][0], (gateway_role_name(b, g),), LOGINS[g][1])
            for b, g in BUILDINGS.items()
        ]
        state = AccessState(
            roles=(*roles, ingest_role()),
            clients=(*clients, Client("observer", (ingest_role().name,), "pw-observer")),
        )
        with admin_of(broker) as access:
            reconcile(state, access)
        yield broker


def test_each_simulated_gateway_connects_with_its_own_login(
    governed_broker: DynsecMosquittoServer, tmp_path: Path
) -> None:
    observer = Probe(governed_broker.port, "observer", "pw-observer")
    assert not observer.connect().is_failure
    try:
        assert not observer.subscribe(f"{topics.PREFIX}/+/meta/+").is_failure
        # No login in the URL: the broker refuses anonymous clients, so only the file's serve.
        gateway = run_gateway(
            tmp_path,
            *("--simulate", "2", "--broker-logins", str(logins_file(tmp_path, LOGINS))),
            mqtt_url=governed_broker.url,
        )
        try:
            for building, gateway_id in BUILDINGS.items():
                wait_for_topic(observer, topics.meta(building, gateway_id))
        finally:
            code = gateway.stop(timeout_s=DEADLINE_S)
        output = "".join(gateway.lines)
        assert code == 0, output[-3000:]
        assert "Bad user name or password" not in output
    finally:
        observer.close()


def test_a_gateway_missing_from_the_file_stops_the_start(tmp_path: Path) -> None:
    path = logins_file(tmp_path, {"gw-skole-01": LOGINS["gw-skole-01"]})
    gateway = run_gateway(
        tmp_path, "--simulate", "2", "--broker-logins", str(path), mqtt_url="mqtt://127.0.0.1:9"
    )
    assert f"--broker-logins {path}: no login for gateway gw-barnehage-01" in refusal(gateway)


def test_the_option_is_for_simulated_gateways_only(tmp_path: Path) -> None:
    config = REPO / "deploy" / "gateway" / "modbus-meter.toml"
    path = logins_file(tmp_path, LOGINS)
    gateway = run_gateway(
        tmp_path, "--config", str(config), "--broker-logins", str(path), mqtt_url="mqtt://x"
    )
    assert "--broker-logins is for --simulate" in refusal(gateway)


def test_built_simulated_gateways_carry_their_logins(tmp_path: Path) -> None:
    settings = GatewaySettings(data_dir=tmp_path, mqtt_url="mqtt://127.0.0.1:1883")
    options = GatewayOptions(simulate=2, broker_logins=logins_file(tmp_path, LOGINS))
    built = build_gateways(settings, options)
    with built.resources:
        sessions = {g.gateway_id: g.publisher.session.settings.mqtt for g in built.service.gateways}
    assert {gateway: (url.username, url.password) for gateway, url in sessions.items()} == LOGINS
    assert {url.hostname for url in sessions.values()} == {"127.0.0.1"}


def test_without_the_file_every_gateway_uses_the_settings_login(tmp_path: Path) -> None:
    settings = GatewaySettings(data_dir=tmp_path, mqtt_url="mqtt://shared:pw@127.0.0.1:1883")
    built = build_gateways(settings, GatewayOptions(simulate=2))
    with built.resources:
        users = {g.publisher.session.settings.mqtt.username for g in built.service.gateways}
    assert users == {"shared"}


def test_building_with_a_file_that_lacks_a_gateway_is_refused(tmp_path: Path) -> None:
    path = logins_file(tmp_path, {"gw-barnehage-01": LOGINS["gw-barnehage-01"]})
    settings = GatewaySettings(data_dir=tmp_path)
    with pytest.raises(ConfigError, match="no login for gateway gw-skole-01"):
        build_gateways(settings, GatewayOptions(simulate=2, broker_logins=path))
