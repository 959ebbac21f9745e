"""The registry's grants and logins, kept on a broker: the desired state and the sync, on the
in-memory adapter and the real registry (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from byggpuls import topics
from byggpuls.access import MemoryBrokerAccess
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.access.errors import BrokerUnavailable
from byggpuls.access.port import BrokerAccess
from byggpuls.access.sync import AccessSync, describe, desired_state
from byggpuls.reading import BuildingInfo
from byggpuls.registry import Registry
from byggpuls.registry.rows import BrokerClientKind, GrantRow

ADMIN = "cli:root"
PASSWORDS = BrokerPasswords("s" * 40)
SCHOOL = BuildingInfo(id="skole-1", name="Skole", type="school")
OFFICE = BuildingInfo(id="kontor-1", name="Kontor", type="office")
ENERGY_SCHOOL = topics.telemetry(SCHOOL.id, "energy")
ENERGY_OFFICE = topics.telemetry(OFFICE.id, "energy")
PARTNER = "forsker"
GATEWAY = "gateway.skole-1.gw-1"


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def registry(engine: Engine) -> Registry:
    registry = Registry(engine)
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    registry.create_user(PARTNER, role="partner", actor=ADMIN)
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=PARTNER, passwords=PASSWORDS, actor=ADMIN
    )
    registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building=SCHOOL.id,
        gateway="gw-1",
        passwords=PASSWORDS,
        actor=ADMIN,
    )
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor=ADMIN
    )
    return registry


class Broker:
    """The in-memory broker, opened as the sync opens a real one; it can be made to fail."""

    def __init__(self) -> None:
        self.access = MemoryBrokerAccess()
        self.down = False
        self.opened = 0

    @contextmanager
    def open(self) -> Iterator[BrokerAccess]:
        if self.down:
            raise BrokerUnavailable("broker at 127.0.0.1:1 does not answer")
        self.opened += 1
        yield self.access


@pytest.fixture
def broker() -> Broker:
    return Broker()


def _grant(
    registry: Registry, building: BuildingInfo, expires_at: datetime | None = None
) -> GrantRow:
    """Grant the partner the energy of ``building``, for a day unless said otherwise."""
    expires = expires_at or _now() + timedelta(days=1)
    return registry.create_grant(
        PARTNER, buildings=[building.id], domains=["energy"], expires_at=expires, actor=ADMIN
    )


def _sync(registry: Registry, broker: Broker) -> AccessSync:
    return AccessSync(registry, broker.open, PASSWORDS, sync_s=0.05, full_sync_s=3600)


def test_the_desired_state_gives_each_login_the_role_of_what_it_is(registry: Registry) -> None:
    _grant(registry, SCHOOL)
    state = desired_state(registry.access_snapshot(_now()), PASSWORDS)
    # Ingest first, gateways last: a broker that lost everything gets ingest back first.
    assert [client.username for client in state.clients] == ["service.ingest", PARTNER, GATEWAY]
    assert [role.name for role in state.roles] == [
        "ingest",
        f"partner-{PARTNER}",
        "gateway-skole-1-gw-1",
    ]
    clients = {client.username: client for client in state.clients}
    assert clients[PARTNER].roles == (f"partner-{PARTNER}",)
    assert clients[GATEWAY].roles == ("gateway-skole-1-gw-1",)
    assert clients["service.ingest"].roles == ("ingest",)
    assert clients[PARTNER].password == PASSWORDS.password(PARTNER, 1)
    roles = {role.name: role for role in state.roles}
    assert {rule.topic for rule in roles[f"partner-{PARTNER}"].rules} == {ENERGY_SCHOOL}


def test_a_sync_brings_the_broker_to_the_grants_and_then_leaves_it_alone(
    registry: Registry, broker: Broker
) -> None:
    sync = _sync(registry, broker)
    _grant(registry, SCHOOL)
    changes = sync.sync_once()
    assert changes is not None
    assert set(changes.clients_created) == {PARTNER, GATEWAY, "service.ingest"}
    assert broker.access.may_receive(PARTNER, ENERGY_SCHOOL)
    assert not broker.access.may_receive(PARTNER, ENERGY_OFFICE)
    assert broker.access.may_publish(GATEWAY, ENERGY_SCHOOL)
    assert not broker.access.may_publish(GATEWAY, ENERGY_OFFICE)
    assert broker.access.clients[PARTNER].password == PASSWORDS.password(PARTNER, 1)
    # Every password the broker now holds is noted, so it is not set again.
    assert {row.applied_generation for row in registry.broker_clients()} == {1}

    assert sync.sync_once() is None  # nothing changed: the broker is not even asked
    assert broker.opened == 1
    assert sync.sync_once(full=True) == type(changes)()  # asked, and nothing to change
    assert sync.status.last_success is not None
    assert sync.status.last_error is None


def test_a_revoked_grant_reaches_the_broker_and_disconnects_the_partner(
    registry: Registry, broker: Broker
) -> None:
    sync = _sync(registry, broker)
    grant = _grant(registry, SCHOOL)
    sync.sync_once()
    registry.revoke_grant(grant.id, actor=ADMIN)
    changes = sync.sync_once()
    assert changes is not None
    assert changes.roles_updated == (f"partner-{PARTNER}",)
    assert changes.clients_kicked == (PARTNER,)
    assert not broker.access.may_receive(PARTNER, ENERGY_SCHOOL)
    assert "clients disconnected: forsker" in describe(changes)


def test_an_expired_grant_reaches_the_broker_and_the_audit_trail(
    registry: Registry, broker: Broker
) -> None:
    now = [_now()]
    sync = AccessSync(registry, broker.open, PASSWORDS, full_sync_s=3600, clock=lambda: now[0])
    grant = _grant(registry, SCHOOL, expires_at=now[0] + timedelta(hours=1))
    sync.sync_once()
    assert broker.access.may_receive(PARTNER, ENERGY_SCHOOL)
    now[0] = grant.expires_at  # the sync's next look, at the grant's expiry
    changes = sync.sync_once()
    assert changes is not None
    assert changes.clients_kicked == (PARTNER,)
    assert not broker.access.may_receive(PARTNER, ENERGY_SCHOOL)
    [expiry] = registry.audit_events(action="grant.expire")
    assert (expiry.actor, expiry.target, expiry.at) == ("system", f"grant:{grant.id}", now[0])


def test_a_disabled_partner_is_disabled_on_the_broker_and_back(
    registry: Registry, broker: Broker
) -> None:
    sync = _sync(registry, broker)
    sync.sync_once()
    registry.set_user_disabled(PARTNER, actor=ADMIN)
    assert sync.sync_once() is not None
    assert broker.access.clients[PARTNER].disabled
    assert broker.access.kicked[-1] == PARTNER
    registry.set_user_disabled(PARTNER, False, actor=ADMIN)
    sync.sync_once()
    assert not broker.access.clients[PARTNER].disabled


def test_a_reissued_password_replaces_the_old_one_and_ends_its_sessions(
    registry: Registry, broker: Broker
) -> None:
    sync = _sync(registry, broker)
    sync.sync_once()
    _, new = registry.reissue_broker_password(PARTNER, passwords=PASSWORDS, actor=ADMIN)
    changes = sync.sync_once()
    assert changes is not None
    assert changes.passwords_set == (PARTNER,)
    assert changes.clients_kicked == (PARTNER,)
    assert broker.access.clients[PARTNER].password == new
    assert sync.sync_once() is None


def test_a_login_that_the_broker_has_with_an_unknown_password_gets_the_current_one(
    registry: Registry, broker: Broker
) -> None:
    """A login made on the broker by a sync that died before noting it, or by hand."""
    broker.access.ensure_role(f"partner-{PARTNER}", ())
    broker.access.ensure_client(PARTNER, "typed-by-hand", [f"partner-{PARTNER}"])
    changes = _sync(registry, broker).sync_once()
    assert changes is not None
    assert PARTNER in changes.passwords_set
    assert PARTNER not in changes.clients_kicked  # not a leak: its sessions may stay
    assert broker.access.clients[PARTNER].password == PASSWORDS.password(PARTNER, 1)


def test_a_broker_that_does_not_answer_is_tried_again_and_then_compared_in_full(
    registry: Registry, broker: Broker
) -> None:
    sync = _sync(registry, broker)
    sync.sync_once()
    broker.down = True
    broker.access.delete_client(GATEWAY)  # lost while down (a broker restarted without state)
    assert sync.sync_once(full=True) is None
    assert sync.status.last_error is not None
    assert "does not answer" in sync.status.last_error
    broker.down = False
    changes = sync.sync_once()
    assert changes is not None
    assert changes.clients_created == (GATEWAY,)
    assert sync.status.last_error is None


def test_the_thread_follows_a_change_made_elsewhere(registry: Registry, broker: Broker) -> None:
    sync = _sync(registry, broker)
    sync.start()
    try:
        _grant(registry, OFFICE)
        sync.poke()
        deadline = _now() + timedelta(seconds=30)
        while not broker.access.may_receive(PARTNER, ENERGY_OFFICE) and _now() < deadline:
            time.sleep(0.05)
        assert broker.access.may_receive(PARTNER, ENERGY_OFFICE)
    finally:
        sync.stop()


def test_the_thread_outlives_a_look_that_fails_unexpectedly(
    registry: Registry, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever goes wrong in one look is logged and shown in the status; the next looks go on,
    so a fault never leaves the broker unwatched."""
    failures = [1]

    @contextmanager
    def open_broker() -> Iterator[BrokerAccess]:
        if failures:
            failures.pop()
            raise RuntimeError("something nobody expected")
        yield broker.access

    sync = AccessSync(registry, open_broker, PASSWORDS, sync_s=0.05, full_sync_s=3600)
    sync.start()
    try:
        deadline = time.monotonic() + 30
        while sync.status.last_success is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sync.status.last_success is not None
        assert "service.ingest" in broker.access.clients
        assert "something nobody expected" in caplog.text
    finally:
        sync.stop()
