"""reconcile: the broker ends up holding exactly the desired state, and says what it changed."""

from __future__ import annotations

import pytest

from byggpuls.access import (
    AccessState,
    BrokerRefused,
    Changes,
    Client,
    MemoryBrokerAccess,
    Role,
    TopicRule,
    gateway_role,
    partner_role,
    reconcile,
)

PARTNER = partner_role("p1", [("b1", "energy")])
GATEWAY = gateway_role("b1", "gw1")


def state(*clients: Client, roles: tuple[Role, ...] = (PARTNER, GATEWAY)) -> AccessState:
    return AccessState(roles=roles, clients=clients)


def held(broker: MemoryBrokerAccess) -> AccessState:
    """What the broker holds, in the desired state's shape (without passwords)."""
    return AccessState(roles=tuple(broker.list_roles()), clients=tuple(broker.list_clients()))


P1 = Client("p1", (PARTNER.name,), "pw-p1")
GW1 = Client("gw1", (GATEWAY.name,), "pw-gw1")


def test_an_empty_broker_gets_everything_and_a_second_run_changes_nothing() -> None:
    broker = MemoryBrokerAccess()
    changes = reconcile(state(P1, GW1), broker)
    assert changes == Changes(
        roles_created=(PARTNER.name, GATEWAY.name), clients_created=("p1", "gw1")
    )
    assert held(broker) == state(Client("p1", (PARTNER.name,)), Client("gw1", (GATEWAY.name,)))
    assert broker.may_connect("p1", "pw-p1")
    assert broker.kicked == []

    again = reconcile(state(P1, GW1), broker)
    assert not again
    assert again == Changes()


def test_changed_rules_kick_every_connected_holder_of_the_role() -> None:
    broker = MemoryBrokerAccess()
    other = Client("p2", (PARTNER.name,), "pw-p2")
    reconcile(state(P1, other, GW1), broker)
    revoked = partner_role("p1", [])

    changes = reconcile(state(P1, other, GW1, roles=(revoked, GATEWAY)), broker)
    assert changes == Changes(roles_updated=(PARTNER.name,), clients_kicked=("p1", "p2"))
    assert broker.kicked == ["p1", "p2"]
    assert not broker.may_subscribe("p1", "byggpuls/v1/b1/energy")


def test_changed_roles_of_a_client_update_and_kick_it() -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(P1, GW1), broker)
    changes = reconcile(state(Client("p1", (), "pw-p1"), GW1), broker)
    assert changes == Changes(clients_updated=("p1",), clients_kicked=("p1",))
    assert broker.clients["p1"].roles == ()
    assert broker.may_connect("p1", "pw-p1")  # the login stays; the rights went


def test_what_the_state_no_longer_has_is_deleted() -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(P1, GW1), broker)
    changes = reconcile(state(GW1, roles=(GATEWAY,)), broker)
    assert changes == Changes(clients_deleted=("p1",), roles_deleted=(PARTNER.name,))
    assert held(broker) == state(Client("gw1", (GATEWAY.name,)), roles=(GATEWAY,))
    assert broker.kicked == ["p1"]  # deleting a client ends its sessions


def test_a_role_still_held_by_an_unwanted_client_goes_with_it() -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(P1, GW1), broker)
    changes = reconcile(AccessState(), broker)
    assert set(changes.clients_deleted) == {"p1", "gw1"}
    assert set(changes.roles_deleted) == {PARTNER.name, GATEWAY.name}
    assert held(broker) == AccessState()


def test_disabling_and_enabling_follow_the_state() -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(P1, GW1), broker)
    off = Client("p1", (), "pw-p1", disabled=True)

    changes = reconcile(state(off, GW1), broker)
    assert changes == Changes(clients_updated=("p1",), clients_disabled=("p1",))
    assert broker.kicked == ["p1"]  # by the disable, once
    assert not broker.may_connect("p1", "pw-p1")

    # A disabled client whose role changes is not connected: nothing to kick.
    assert reconcile(state(off, GW1, roles=(partner_role("p1", []), GATEWAY)), broker) == Changes(
        roles_updated=(PARTNER.name,)
    )
    assert reconcile(state(P1, GW1), broker) == Changes(
        roles_updated=(PARTNER.name,), clients_updated=("p1",), clients_enabled=("p1",)
    )
    assert broker.may_connect("p1", "pw-p1")
    assert broker.kicked == ["p1"]


def test_a_client_can_be_created_disabled() -> None:
    broker = MemoryBrokerAccess()
    changes = reconcile(state(Client("p1", (PARTNER.name,), "pw", disabled=True)), broker)
    assert changes.clients_created == ("p1",)
    assert changes.clients_disabled == ("p1",)
    assert broker.list_clients() == [Client("p1", (PARTNER.name,), disabled=True)]


def test_an_existing_clients_password_is_left_alone() -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(P1), broker)
    assert not reconcile(state(Client("p1", (PARTNER.name,), "another")), broker)
    assert broker.may_connect("p1", "pw-p1")


def test_role_order_is_part_of_the_state() -> None:
    broker = MemoryBrokerAccess()
    both = (PARTNER.name, GATEWAY.name)
    reconcile(state(Client("c", both, "pw")), broker)
    changes = reconcile(state(Client("c", both[::-1], "pw")), broker)
    assert changes.clients_updated == ("c",)
    assert broker.clients["c"].roles == both[::-1]


@pytest.mark.parametrize(
    ("desired", "message"),
    [
        (state(Client("p1", ("no-such-role",))), "roles not in the state"),
        (state(P1, P1), "clients .'p1'. more than once"),
        (state(roles=(PARTNER, PARTNER)), "roles .'partner-p1'. more than once"),
    ],
)
def test_an_inconsistent_state_changes_nothing(desired: AccessState, message: str) -> None:
    broker = MemoryBrokerAccess()
    reconcile(state(GW1), broker)
    before = held(broker)
    with pytest.raises(ValueError, match=message):
        reconcile(desired, broker)
    assert held(broker) == before


def test_the_memory_adapter_refuses_like_a_broker() -> None:
    broker = MemoryBrokerAccess()
    with pytest.raises(BrokerRefused, match="role not found"):
        broker.ensure_client("c", "pw", ["missing"])
    with pytest.raises(BrokerRefused, match="client not found"):
        broker.kick_client("c")
    broker.delete_client("c")  # nothing to delete: nothing happens
    broker.delete_role("missing")
    broker.ensure_role("r", [TopicRule("read", "a/#")])
    broker.ensure_client("c", "pw", ["r"])
    broker.delete_role("r")
    assert broker.list_clients() == [Client("c")]
