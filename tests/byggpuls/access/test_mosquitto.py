"""The dynamic-security adapter against a real Mosquitto, checked with real MQTT clients.

"Receives nothing" is shown by order, not by waiting: a refused publish is answered (PUBACK)
before a later marker is sent, and a single broker routes messages in the order it handles
them, so once a subscriber has the marker it would already have had the earlier message.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from byggpuls import topics
from byggpuls.access import (
    INGEST_ROLE,
    AccessState,
    BrokerRefused,
    BrokerUnavailable,
    Client,
    MemoryBrokerAccess,
    MosquittoDynsec,
    Role,
    TopicRule,
    gateway_role,
    gateway_role_name,
    ingest_role,
    partner_role,
    partner_role_name,
    reconcile,
)
from sandbox.servers import DynsecMosquittoServer, free_port
from tests.byggpuls.access.conftest import STUCK_S, Probe, admin_of

pytestmark = pytest.mark.integration

Connect = Callable[..., Probe]

ENERGY_B1 = topics.telemetry("b1", "energy")
ENERGY_B2 = topics.telemetry("b2", "energy")


def portfolio(*, grants: tuple[tuple[str, str], ...] = (("b1", "energy"),)) -> AccessState:
    """Partner ``p1`` granted ``grants``, gateways ``gw1`` (b1) and ``gw2`` (b2), ingest."""
    return AccessState(
        roles=(
            partner_role("p1", grants),
            gateway_role("b1", "gw1"),
            gateway_role("b2", "gw2"),
            ingest_role(),
        ),
        clients=(
            Client("p1", (partner_role_name("p1"),), "pw-p1"),
            Client("gw1", (gateway_role_name("b1", "gw1"),), "pw-gw1"),
            Client("gw2", (gateway_role_name("b2", "gw2"),), "pw-gw2"),
            Client("ingest", (INGEST_ROLE,), "pw-ingest"),
        ),
    )


def login(probe: Connect, username: str) -> Probe:
    client = probe(username, f"pw-{username}")
    assert not client.refused, client.connack
    return client


def ingest_client(probe: Connect) -> Probe:
    ingest = login(probe, "ingest")
    assert not ingest.subscribe(f"{topics.PREFIX}/#").is_failure
    return ingest


def test_a_partner_receives_its_grant_and_nothing_else(
    broker_access: MosquittoDynsec, probe: Connect
) -> None:
    reconcile(portfolio(), broker_access)
    ingest = ingest_client(probe)
    partner, gw1, gw2 = login(probe, "p1"), login(probe, "gw1"), login(probe, "gw2")

    assert not partner.subscribe(ENERGY_B1).is_failure
    for outside in (ENERGY_B2, f"{topics.PREFIX}/#", f"{topics.PREFIX}/+/energy", "b1/+", "#"):
        assert partner.subscribe(outside).is_failure, outside
    assert partner.subscribe(f"{topics.PREFIX}/b1/+").is_failure

    assert gw2.publish(ENERGY_B2, b"b2-reading")
    assert gw1.publish(ENERGY_B1, b"b1-reading")
    partner.wait_for(b"b1-reading")
    assert partner.payloads() == [b"b1-reading"]

    # The partner publishes nowhere: not on its own grant, not on a gateway's topics.
    for topic in (ENERGY_B1, ENERGY_B2, topics.status("b1", "gw1"), topics.ack("b1", "gw1")):
        assert not login(probe, "p1").publish(topic, b"from-partner"), topic
    assert gw1.publish(ENERGY_B1, b"marker")
    ingest.wait_for(b"marker")
    assert b"from-partner" not in ingest.payloads()


def test_a_gateway_publishes_only_its_own_buildings_topics(
    broker_access: MosquittoDynsec, probe: Connect
) -> None:
    reconcile(portfolio(), broker_access)
    ingest = ingest_client(probe)
    gw1 = login(probe, "gw1")

    forged = (
        ENERGY_B2,
        topics.meta("b2", "gw1"),
        topics.status("b2", "gw2"),
        # nor another gateway's status in its own building, nor an acknowledgement
        topics.status("b1", "gw9"),
        topics.ack("b1", "gw1"),
    )
    for topic in forged:
        assert not login(probe, "gw1").publish(topic, b"forged"), topic
    for topic in (ENERGY_B1, topics.meta("b1", "gw1"), topics.status("b1", "gw1")):
        assert gw1.publish(topic, topic.encode()), topic
    ingest.wait_for(topics.status("b1", "gw1").encode())
    assert b"forged" not in ingest.payloads()
    assert set(ingest.payloads()) == {
        ENERGY_B1.encode(),
        topics.meta("b1", "gw1").encode(),
        topics.status("b1", "gw1").encode(),
    }
    assert not gw1.subscribe(topics.ack("b1", "gw1")).is_failure
    assert gw1.subscribe(topics.ack("b2", "gw2")).is_failure
    assert gw1.subscribe(ENERGY_B1).is_failure


def test_ingest_reads_everything_and_acknowledges(
    broker_access: MosquittoDynsec, probe: Connect
) -> None:
    reconcile(portfolio(), broker_access)
    ingest, gw1 = login(probe, "ingest"), login(probe, "gw1")
    shared = topics.shared(topics.TELEMETRY_FILTER, "ingest")
    for topic_filter in (shared, topics.META_FILTER, "$SYS/broker/publish/messages/dropped"):
        assert not ingest.subscribe(topic_filter).is_failure, topic_filter
    assert not gw1.subscribe(topics.ack("b1", "gw1")).is_failure
    assert gw1.publish(ENERGY_B1, b"reading")
    ingest.wait_for(b"reading")
    assert ingest.publish(topics.ack("b1", "gw1"), b"stored")
    gw1.wait_for(b"stored")
    assert not ingest.publish(ENERGY_B1, b"not-a-gateway")


def test_an_anonymous_client_or_a_wrong_password_cannot_connect(
    broker_access: MosquittoDynsec, probe: Connect
) -> None:
    reconcile(portfolio(), broker_access)
    assert probe(None, None).refused
    assert probe("p1", "wrong").refused
    assert probe("nobody", "pw-nobody").refused


def _delete(access: MosquittoDynsec) -> None:
    access.delete_client("p1")


def _disable(access: MosquittoDynsec) -> None:
    access.disable_client("p1")


def _remove_role(access: MosquittoDynsec) -> None:
    state = portfolio()
    clients = tuple(Client("p1") if c.username == "p1" else c for c in state.clients)
    assert reconcile(AccessState(state.roles, clients), access).clients_kicked == ("p1",)


def _revoke_grant(access: MosquittoDynsec) -> None:
    assert reconcile(portfolio(grants=()), access).clients_kicked == ("p1",)


@pytest.mark.parametrize(
    ("change", "may_log_in"),
    [(_delete, False), (_disable, False), (_remove_role, True), (_revoke_grant, True)],
    ids=["delete", "disable", "remove-role", "revoke-grant"],
)
def test_taking_access_away_stops_delivery_to_a_connected_partner_at_once(
    broker_access: MosquittoDynsec,
    probe: Connect,
    change: Callable[[MosquittoDynsec], None],
    may_log_in: bool,
) -> None:
    reconcile(portfolio(), broker_access)
    ingest = ingest_client(probe)
    partner, gw1 = login(probe, "p1"), login(probe, "gw1")
    assert not partner.subscribe(ENERGY_B1).is_failure
    assert gw1.publish(ENERGY_B1, b"before")
    partner.wait_for(b"before")

    change(broker_access)
    assert gw1.publish(ENERGY_B1, b"after")
    ingest.wait_for(b"after")
    assert partner.disconnected.wait(STUCK_S), "the partner's session was not ended"
    assert partner.payloads() == [b"before"]

    again = probe("p1", "pw-p1")
    assert again.refused is not may_log_in
    if may_log_in:
        assert again.subscribe(ENERGY_B1).is_failure


def test_reconcile_restores_a_broker_that_lost_its_state(
    dynsec_broker: DynsecMosquittoServer, probe: Connect
) -> None:
    with admin_of(dynsec_broker) as access:
        assert reconcile(portfolio(), access)
        assert not reconcile(portfolio(), access)

    dynsec_broker.stop(hold_port=True)
    dynsec_broker.reset_dynsec()
    dynsec_broker.start()
    assert probe("p1", "pw-p1").refused

    with admin_of(dynsec_broker) as access:
        assert access.list_clients() == []
        assert access.list_roles() == []
        changes = reconcile(portfolio(), access)
        assert set(changes.clients_created) == {"p1", "gw1", "gw2", "ingest"}
        assert len(changes.roles_created) == 4
        assert not reconcile(portfolio(), access)

    partner, gw1 = login(probe, "p1"), login(probe, "gw1")
    assert not partner.subscribe(ENERGY_B1).is_failure
    assert partner.subscribe(f"{topics.PREFIX}/#").is_failure
    assert gw1.publish(ENERGY_B1, b"restored")
    partner.wait_for(b"restored")
    assert probe(None, None).refused


def test_the_adapter_reads_back_what_it_wrote(broker_access: MosquittoDynsec) -> None:
    rules = ingest_role().rules
    broker_access.ensure_role("r1", rules)
    broker_access.ensure_role("r2", (TopicRule("publish", "x/y", allow=False),))
    broker_access.ensure_client("c1", "pw", ["r2", "r1"])
    assert broker_access.list_roles() == [
        Role("r1", rules),
        Role("r2", (TopicRule("publish", "x/y", allow=False),)),
    ]
    assert broker_access.list_clients() == [Client("c1", ("r2", "r1"))]

    broker_access.ensure_role("r1", rules[:2])
    broker_access.ensure_client("c1", None, ["r1"])
    broker_access.disable_client("c1")
    assert broker_access.list_roles()[0] == Role("r1", rules[:2])
    assert broker_access.list_clients() == [Client("c1", ("r1",), disabled=True)]
    broker_access.kick_client("c1")  # stays disabled
    assert broker_access.list_clients()[0].disabled

    broker_access.delete_client("c1")
    broker_access.delete_client("c1")  # already gone: nothing to do
    broker_access.delete_role("r2")
    broker_access.delete_role("r2")
    assert broker_access.list_clients() == []
    assert [role.name for role in broker_access.list_roles()] == ["r1"]


def test_the_adapter_refuses_what_the_plugin_refuses(
    broker_access: MosquittoDynsec, dynsec_broker: DynsecMosquittoServer
) -> None:
    with pytest.raises(BrokerRefused, match="createClient c1: Role not found"):
        broker_access.ensure_client("c1", "secret-password", ["no-such-role"])
    with pytest.raises(BrokerRefused, match="administrator"):
        broker_access.ensure_role("admin", ())
    with pytest.raises(BrokerRefused, match="administrator"):
        broker_access.delete_client(dynsec_broker.admin_username)
    with pytest.raises(BrokerRefused, match="not found"):
        broker_access.disable_client("nobody")
    wrong = MosquittoDynsec(
        host="127.0.0.1", port=dynsec_broker.port, username="admin", password="wrong"
    )
    with pytest.raises(BrokerRefused, match="refused"):
        wrong.connect()
    nowhere = MosquittoDynsec(host="127.0.0.1", port=free_port(), username="a", password="b")
    with pytest.raises(BrokerUnavailable):
        nowhere.connect()


#: Filters and topics that the roles allow or refuse, to compare both adapters on.
FILTERS = (
    ENERGY_B1,
    ENERGY_B2,
    f"{topics.PREFIX}/#",
    f"{topics.PREFIX}/+/energy",
    f"{topics.PREFIX}/b1/+",
    topics.ack("b1", "gw1"),
    topics.ack("b2", "gw2"),
    topics.shared(topics.TELEMETRY_FILTER, "ingest"),
    topics.STATUS_FILTER,
    "#",
)
TOPICS = (
    ENERGY_B1,
    ENERGY_B2,
    topics.meta("b1", "gw1"),
    topics.status("b1", "gw1"),
    topics.status("b2", "gw2"),
    topics.ack("b1", "gw1"),
    f"{topics.PREFIX}/_probe/ingest-1",
)


@pytest.mark.parametrize("username", ["p1", "gw1", "ingest"])
def test_the_memory_adapter_decides_as_mosquitto_does(
    broker_access: MosquittoDynsec, probe: Connect, username: str
) -> None:
    memory = MemoryBrokerAccess()
    reconcile(portfolio(), memory)
    reconcile(portfolio(), broker_access)
    client = login(probe, username)
    subscribed = {f: not client.subscribe(f).is_failure for f in FILTERS}
    assert subscribed == {f: memory.may_subscribe(username, f) for f in FILTERS}
    published = {t: login(probe, username).publish(t, b"x") for t in TOPICS}
    assert published == {t: memory.may_publish(username, t) for t in TOPICS}


def _settings(path: Path) -> dict[str, str]:
    """A Mosquitto config's settings (the last of each name), without comments."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return dict(line.split(None, 1) for line in lines if " " in line)


def test_the_production_config_controls_access_as_the_tested_template_does() -> None:
    """The tests run ``dynsec.conf``; production runs ``mosquitto.conf``: both refuse anonymous
    clients and leave every decision to the plugin, for every listener."""
    deploy = Path(__file__).resolve().parents[3] / "deploy" / "mosquitto"
    production, template = _settings(deploy / "mosquitto.conf"), _settings(deploy / "dynsec.conf")
    for name in ("allow_anonymous", "per_listener_settings", "plugin"):
        assert production[name] == template[name], name
    assert production["allow_anonymous"] == "false"
    assert "password_file" not in production
    assert "acl_file" not in production
