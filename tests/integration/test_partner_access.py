"""Partners' grants enforced by the real broker: the registry's grants and logins, kept on a
Mosquitto with the dynamic-security plugin by the access sync, probed with real MQTT clients.

The registry is changed as ``byggpuls admin`` changes it, from outside the sync, which finds
the change at its next look; nothing here waits a fixed time, each test waits for the broker
to show the change (revocation latency is measured in ``bench/access.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from byggpuls import topics
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.access.port import BrokerAccess
from byggpuls.access.sync import AccessSync
from byggpuls.reading import BuildingInfo
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.models import GRANTS
from byggpuls.registry.partners import gateway_username
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import STUCK_S, Probe, admin_of

ADMIN = "cli:root"
PASSWORDS = BrokerPasswords("integration-test-credential-key-0123456789")
SCHOOL = BuildingInfo(id="nordnes-skole", name="Nordnes skole", type="school")
OFFICE = BuildingInfo(id="radhuset", name="Rådhuset", type="office")
PARTNER = "forsker"
ENERGY_SCHOOL = topics.telemetry(SCHOOL.id, "energy")
CLIMATE_SCHOOL = topics.telemetry(SCHOOL.id, "climate")
ENERGY_OFFICE = topics.telemetry(OFFICE.id, "energy")
WILDCARDS = (f"{topics.PREFIX}/#", f"{topics.PREFIX}/+/energy", f"{topics.PREFIX}/{SCHOOL.id}/+")


@dataclass
class Platform:
    broker: DynsecMosquittoServer
    registry: Registry
    sync: AccessSync
    clients: list[Probe]

    def connect(self, username: str | None, generation: int = 1) -> Probe:
        password = None if username is None else PASSWORDS.password(username, generation)
        probe = Probe(self.broker.port, username, password)
        self.clients.append(probe)
        probe.connect()
        return probe

    def gateway(self, building: str) -> Probe:
        return self.connect(gateway_username(building, "gw-1"))

    def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait for ``condition``, poking the sync as a change made through the API would."""
        deadline = time.monotonic() + STUCK_S
        while not condition():
            assert time.monotonic() < deadline, f"never happened: {what}"
            time.sleep(0.05)


@pytest.fixture
def dynsec_broker(tmp_path: Path) -> Iterator[DynsecMosquittoServer]:
    server = DynsecMosquittoServer(workdir=tmp_path / "mosquitto").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def platform(tmp_path: Path, dynsec_broker: DynsecMosquittoServer) -> Iterator[Platform]:
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(engine)
    registry = Registry(engine)
    registry.upsert_building(SCHOOL)
    registry.upsert_building(OFFICE)
    registry.create_user(PARTNER, role="partner", actor=ADMIN)
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=PARTNER, passwords=PASSWORDS, actor=ADMIN
    )
    for building in (SCHOOL, OFFICE):
        registry.create_broker_client(
            kind=BrokerClientKind.GATEWAY,
            building=building.id,
            gateway="gw-1",
            passwords=PASSWORDS,
            actor=ADMIN,
        )

    @contextmanager
    def open_broker() -> Iterator[BrokerAccess]:
        with admin_of(dynsec_broker) as access:
            yield access

    # The shortest full comparison the settings allow: a broker that lost its state without
    # the sync seeing it down is found by it.
    sync = AccessSync(registry, open_broker, PASSWORDS, sync_s=0.2, full_sync_s=10)
    sync.start()
    found = Platform(dynsec_broker, registry, sync, [])
    try:
        yield found
    finally:
        for client in found.clients:
            client.close()
        sync.stop()
        engine.dispose()


def _grant(platform: Platform, **scope: object) -> int:
    arguments: dict[str, object] = {
        "buildings": [SCHOOL.id],
        "domains": ["energy"],
        "expires_at": datetime.now(UTC) + timedelta(days=30),
    }
    arguments.update(scope)
    grant = platform.registry.create_grant(PARTNER, actor=ADMIN, **arguments)  # type: ignore[arg-type]
    # Applied before the partner connects, as a change made through the API is (it pokes the
    # sync): a connection made while the sync applies it could be ended by it.
    platform.sync.sync_once()
    return grant.id


def _subscribed(platform: Platform, topic: str = ENERGY_SCHOOL) -> Probe:
    """The partner, connected and subscribed to ``topic`` once the broker allows it.

    A connection made while the sync applies the grant may be ended by it (a client whose
    rights change is disconnected): then the partner connects again, as a client would.
    """
    found: list[Probe] = []

    def subscribed() -> bool:
        partner = platform.connect(PARTNER)
        if not partner.refused and not partner.disconnected.is_set():
            _, mid = partner.client.subscribe(topic, qos=1)
            reason = None if mid is None else partner.await_ack(mid)
            if reason is not None and not reason.is_failure:
                found.append(partner)
                return True
        partner.close()  # refused: no client thread left behind for each try
        platform.clients.remove(partner)
        time.sleep(0.2)
        return False

    platform.until(subscribed, f"{topic} granted")
    return found[0]


def _cut_off(platform: Platform, partner: Probe) -> None:
    """The partner's connection ends, and a new one may not subscribe to the school's energy:
    delivery has stopped (a reading published now reaches no subscription of it)."""
    platform.until(partner.disconnected.is_set, "the partner disconnected")
    again = platform.connect(PARTNER)
    if not again.refused:
        assert again.subscribe(ENERGY_SCHOOL).is_failure
    gateway = platform.gateway(SCHOOL.id)
    assert gateway.publish(ENERGY_SCHOOL, b"after")
    assert b"after" not in partner.payloads()


def test_a_partner_receives_its_grant_and_is_refused_everything_else(platform: Platform) -> None:
    _grant(platform)
    partner = _subscribed(platform)
    school, office = platform.gateway(SCHOOL.id), platform.gateway(OFFICE.id)
    assert school.publish(ENERGY_SCHOOL, b"reading-1")
    partner.wait_for(b"reading-1")

    assert partner.subscribe(ENERGY_OFFICE).is_failure
    assert partner.subscribe(CLIMATE_SCHOOL).is_failure
    for wildcard in WILDCARDS:
        assert partner.subscribe(wildcard).is_failure, wildcard
    assert office.publish(ENERGY_OFFICE, b"office-reading")
    assert school.publish(ENERGY_SCHOOL, b"reading-2")
    partner.wait_for(b"reading-2")
    assert b"office-reading" not in partner.payloads()

    # A partner publishes nowhere, not even to what it reads.
    assert not platform.connect(PARTNER).publish(ENERGY_SCHOOL, b"forged")
    # A gateway publishes only its own building's topics.
    assert not platform.gateway(SCHOOL.id).publish(ENERGY_OFFICE, b"forged")
    assert platform.connect(None).refused


def test_revoking_a_grant_stops_delivery_to_a_connected_partner(platform: Platform) -> None:
    grant = _grant(platform)
    partner = _subscribed(platform)
    assert platform.gateway(SCHOOL.id).publish(ENERGY_SCHOOL, b"before")
    partner.wait_for(b"before")

    platform.registry.revoke_grant(grant, actor=ADMIN)  # found by the sync's next look
    _cut_off(platform, partner)


def test_an_expired_grant_stops_delivery_to_a_connected_partner(platform: Platform) -> None:
    grant = _grant(platform)
    partner = _subscribed(platform)
    assert platform.gateway(SCHOOL.id).publish(ENERGY_SCHOOL, b"before")
    partner.wait_for(b"before")

    # Its day comes now (a grant cannot be made to expire in the past, so the clock is the
    # database's): the sync's next look finds it expired, with no change made by anyone.
    with platform.registry.engine.begin() as conn:
        now = datetime.now(UTC)
        conn.execute(sa.update(GRANTS).where(GRANTS.c.id == grant).values(expires_at=now))
    _cut_off(platform, partner)
    [expiry] = platform.registry.audit_events(action="grant.expire")
    assert expiry.target is not None
    assert expiry.target.startswith("grant:")


def test_a_grant_by_type_follows_a_new_building_of_that_type(platform: Platform) -> None:
    _grant(platform, buildings=(), building_type="school")
    _subscribed(platform)
    new_school = BuildingInfo(id="ny-skole", name="Ny skole", type="school")
    platform.registry.upsert_building(new_school)
    _subscribed(platform, topics.telemetry(new_school.id, "energy"))


def test_a_disabled_partner_is_cut_off_and_cannot_log_in(platform: Platform) -> None:
    _grant(platform)
    partner = _subscribed(platform)
    platform.registry.set_user_disabled(PARTNER, actor=ADMIN)
    platform.until(partner.disconnected.is_set, "the partner disconnected")
    platform.until(lambda: platform.connect(PARTNER).refused, "the login refused")


def test_a_reissued_password_ends_the_old_one(platform: Platform) -> None:
    _grant(platform)
    partner = _subscribed(platform)
    platform.registry.reissue_broker_password(PARTNER, passwords=PASSWORDS, actor=ADMIN)
    platform.until(partner.disconnected.is_set, "the old session ended")
    assert platform.connect(PARTNER, generation=1).refused
    assert not platform.connect(PARTNER, generation=2).subscribe(ENERGY_SCHOOL).is_failure


def test_a_broker_restarted_without_its_state_gets_the_grants_back(platform: Platform) -> None:
    _grant(platform)
    _subscribed(platform)
    platform.broker.stop(hold_port=True)
    platform.broker.reset_dynsec()
    platform.broker.start()

    # Nothing changed in the registry: the sync's next full comparison (or a look that found
    # the broker down) brings every login and role back, passwords included, by itself.
    partner = _subscribed(platform)
    assert platform.gateway(SCHOOL.id).publish(ENERGY_SCHOOL, b"restored")
    partner.wait_for(b"restored")
    assert partner.subscribe(f"{topics.PREFIX}/#").is_failure
    assert platform.connect(None).refused
