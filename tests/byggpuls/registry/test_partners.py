"""Partners' grants and the broker's logins, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from byggpuls.access.credentials import BrokerPasswords, password_hash
from byggpuls.auth import Role
from byggpuls.reading import BuildingInfo
from byggpuls.registry import InvalidValue, NotFound, Registry
from byggpuls.registry.partners import AccessAction, gateway_username, service_username
from byggpuls.registry.rows import BrokerClientKind, GrantStatus
from tests.byggpuls.registry.conftest import SCHOOL

ADMIN = "cli:root"
OFFICE = BuildingInfo(id="bergen-kontor-1", name="Bergen kontor", type="office")
HOME = BuildingInfo(id="bergen-sykehjem-1", name="Bergen sykehjem", type="nursing_home")
SCHOOL_2 = BuildingInfo(id="bergen-skole-2", name="Bergen skole 2", type="school")
PASSWORDS = BrokerPasswords("k" * 40)
DAY = timedelta(days=1)
REASON = "Forskningsprosjekt om inneklima, avtale 2026-14"


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def partner(registry: Registry) -> str:
    for building in (SCHOOL, OFFICE, HOME):
        registry.upsert_building(building)
    registry.create_user("innovasjon-as", role="partner", actor=ADMIN)
    return "innovasjon-as"


def _actions(registry: Registry) -> list[str]:
    return [event.action for event in reversed(registry.audit_events(limit=1000))]


# -- grants -----------------------------------------------------------------------------------


def test_a_grant_of_named_buildings_gives_exactly_their_domains(
    registry: Registry, partner: str
) -> None:
    grant = registry.create_grant(
        partner,
        buildings=[OFFICE.id, SCHOOL.id],
        domains=["energy", "climate"],
        expires_at=_now() + DAY,
        actor=ADMIN,
    )
    assert grant.buildings == (OFFICE.id, SCHOOL.id)  # sorted
    assert grant.domains == ("climate", "energy")
    assert grant.status_at(_now()) is GrantStatus.ACTIVE
    assert registry.partner_pairs(partner, _now()) == {
        (SCHOOL.id, "climate"),
        (SCHOOL.id, "energy"),
        (OFFICE.id, "climate"),
        (OFFICE.id, "energy"),
    }
    assert registry.grant_by_id(grant.id) == grant


def test_a_grant_by_type_follows_new_buildings_of_that_type(
    registry: Registry, partner: str
) -> None:
    registry.create_grant(
        partner, building_type="school", domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
    )
    assert registry.partner_pairs(partner, _now()) == {(SCHOOL.id, "energy")}
    registry.upsert_building(SCHOOL_2)
    assert registry.partner_pairs(partner, _now()) == {
        (SCHOOL.id, "energy"),
        (SCHOOL_2.id, "energy"),
    }


def test_a_partners_scope_is_the_buildings_of_its_active_grants(
    registry: Registry, partner: str
) -> None:
    user = registry.user(partner)
    assert user is not None
    assert registry.building_scope(user) == frozenset()
    registry.create_grant(
        partner, buildings=[OFFICE.id], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
    )
    assert registry.building_scope(user) == {OFFICE.id}


def test_a_revoked_grant_gives_nothing_and_stays_on_record(
    registry: Registry, partner: str
) -> None:
    grant = registry.create_grant(
        partner, buildings=[OFFICE.id], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
    )
    revoked = registry.revoke_grant(grant.id, actor="kari")
    assert revoked.status_at(_now()) is GrantStatus.REVOKED
    assert revoked.revoked_by == "kari"
    assert registry.partner_pairs(partner, _now()) == frozenset()
    assert registry.revoke_grant(grant.id, actor="ola").revoked_by == "kari"
    assert _actions(registry).count(AccessAction.GRANT_REVOKE) == 1
    assert registry.grants(partner=partner, status=GrantStatus.REVOKED) == [revoked]
    assert registry.grants(partner=partner, status=GrantStatus.ACTIVE) == []
    with pytest.raises(NotFound):
        registry.revoke_grant(grant.id + 100, actor=ADMIN)


def test_an_expired_grant_gives_nothing_and_its_expiry_is_recorded_once(
    registry: Registry, partner: str
) -> None:
    expires = _now() + timedelta(seconds=30)
    grant = registry.create_grant(
        partner, buildings=[OFFICE.id], domains=["energy"], expires_at=expires, actor=ADMIN
    )
    later = expires + timedelta(seconds=1)
    assert registry.partner_pairs(partner, later) == frozenset()
    assert registry.grants(status=GrantStatus.EXPIRED, now=later) == [grant]
    assert registry.record_expired_grants(_now()) == []
    assert registry.record_expired_grants(later) == [grant.id]
    assert registry.record_expired_grants(later + DAY) == []
    expiry = registry.audit_events(action=AccessAction.GRANT_EXPIRE)
    assert [(event.actor, event.target) for event in expiry] == [("system", f"grant:{grant.id}")]


@pytest.mark.parametrize(
    ("buildings", "building_type", "domains"),
    [
        ([HOME.id], None, ["climate"]),  # a resident's room: sensitive in a nursing home
        (None, "office", ["occupancy"]),  # presence, in any building
        ([OFFICE.id], None, ["lift_camera"]),  # a domain nobody classed is sensitive
    ],
)
def test_a_sensitive_domain_is_granted_only_with_a_reason(
    registry: Registry,
    partner: str,
    buildings: list[str] | None,
    building_type: str | None,
    domains: list[str],
) -> None:
    scope = {"buildings": buildings} if buildings else {"building_type": building_type}
    with pytest.raises(InvalidValue, match="needs a reason"):
        registry.create_grant(
            partner, domains=domains, expires_at=_now() + DAY, actor=ADMIN, **scope
        )
    with pytest.raises(InvalidValue, match="reason needs"):
        registry.create_grant(
            partner, domains=domains, expires_at=_now() + DAY, reason="fordi", actor=ADMIN, **scope
        )
    grant = registry.create_grant(
        partner, domains=domains, expires_at=_now() + DAY, reason=REASON, actor=ADMIN, **scope
    )
    assert grant.reason == REASON
    [event] = registry.audit_events(action=AccessAction.GRANT_CREATE)
    assert event.detail["reason"] == REASON
    assert event.detail["sensitive"] == domains


def test_climate_in_a_school_needs_no_reason(registry: Registry, partner: str) -> None:
    grant = registry.create_grant(
        partner, buildings=[SCHOOL.id], domains=["climate"], expires_at=_now() + DAY, actor=ADMIN
    )
    assert grant.reason is None


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({}, "buildings or a building type"),
        ({"buildings": [SCHOOL.id], "building_type": "school"}, "buildings or a building type"),
        ({"building_type": "castle"}, "building type"),
        ({"buildings": ["Not an id"]}, "building id"),
        ({"buildings": [SCHOOL.id], "domains": []}, "at least one domain"),
        ({"buildings": [SCHOOL.id], "domains": ["meta"]}, "not a domain"),
        ({"buildings": [SCHOOL.id], "expires_at": datetime(2020, 1, 1, tzinfo=UTC)}, "past"),
    ],
)
def test_a_grant_that_cannot_be_is_refused(
    registry: Registry, partner: str, scope: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"domains": ["energy"], "expires_at": _now() + DAY}
    arguments.update(scope)
    with pytest.raises(InvalidValue, match=message):
        registry.create_grant(partner, actor=ADMIN, **arguments)  # type: ignore[arg-type]
    assert registry.grants() == []


def test_a_grant_names_buildings_and_partners_that_exist(registry: Registry, partner: str) -> None:
    with pytest.raises(NotFound, match="nowhere"):
        registry.create_grant(
            partner, buildings=["nowhere"], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
        )
    with pytest.raises(NotFound, match="nobody"):
        registry.create_grant(
            "nobody",
            buildings=[SCHOOL.id],
            domains=["energy"],
            expires_at=_now() + DAY,
            actor=ADMIN,
        )
    registry.create_user("kari", role=Role.MANAGER.value, actor=ADMIN)
    with pytest.raises(InvalidValue, match="not a partner"):
        registry.create_grant(
            "kari", buildings=[SCHOOL.id], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
        )


# -- broker logins ----------------------------------------------------------------------------


def test_a_broker_login_keeps_no_password_only_its_generation_and_hash(
    registry: Registry, partner: str
) -> None:
    row, password = registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=partner, passwords=PASSWORDS, actor=ADMIN
    )
    assert (row.username, row.partner, row.generation, row.applied_generation) == (
        partner,
        partner,
        1,
        None,
    )
    assert password == PASSWORDS.password(partner, 1)
    with registry.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT * FROM broker_clients").mappings().one()
    assert password not in {str(value) for value in stored.values()}
    assert stored["secret_hash"] == password_hash(password)

    again, new = registry.reissue_broker_password(partner, passwords=PASSWORDS, actor=ADMIN)
    assert again.generation == 2
    assert new != password
    assert new == PASSWORDS.password(partner, 2)
    assert _actions(registry)[-2:] == [AccessAction.CLIENT_CREATE, AccessAction.CLIENT_ISSUE]


def test_gateway_and_service_logins_are_named_by_what_they_are(registry: Registry) -> None:
    gateway, _ = registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building="ny-skole",  # not in the registry yet: provisioned before it reports
        gateway="gw-1",
        passwords=PASSWORDS,
        actor=ADMIN,
    )
    service, _ = registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor=ADMIN
    )
    assert gateway.username == gateway_username("ny-skole", "gw-1") == "gateway.ny-skole.gw-1"
    assert service.username == service_username("ingest") == "service.ingest"
    assert [row.username for row in registry.broker_clients()] == [
        "gateway.ny-skole.gw-1",
        "service.ingest",
    ]
    assert registry.broker_clients(BrokerClientKind.GATEWAY) == [gateway]
    with pytest.raises(InvalidValue, match="already"):
        registry.create_broker_client(
            kind=BrokerClientKind.GATEWAY,
            building="ny-skole",
            gateway="gw-1",
            passwords=PASSWORDS,
            actor=ADMIN,
        )


def test_only_a_partner_gets_a_partners_login(registry: Registry, partner: str) -> None:
    registry.create_user("kari", role="manager", actor=ADMIN)
    with pytest.raises(InvalidValue, match="not a partner"):
        registry.create_broker_client(
            kind=BrokerClientKind.PARTNER, partner="kari", passwords=PASSWORDS, actor=ADMIN
        )
    with pytest.raises(NotFound):
        registry.reissue_broker_password("nobody", passwords=PASSWORDS, actor=ADMIN)


def test_a_broker_login_is_disabled_enabled_and_deleted_on_record(
    registry: Registry, partner: str
) -> None:
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=partner, passwords=PASSWORDS, actor=ADMIN
    )
    registry.set_broker_client_disabled(partner, actor=ADMIN)
    registry.set_broker_client_disabled(partner, actor=ADMIN)  # already: nothing recorded
    row = registry.broker_client(partner)
    assert row is not None
    assert row.disabled
    registry.set_broker_client_disabled(partner, False, actor=ADMIN)
    registry.delete_broker_client(partner, actor=ADMIN)
    assert registry.broker_client(partner) is None
    with pytest.raises(NotFound):
        registry.delete_broker_client(partner, actor=ADMIN)
    assert _actions(registry)[-3:] == [
        AccessAction.CLIENT_DISABLE,
        AccessAction.CLIENT_ENABLE,
        AccessAction.CLIENT_DELETE,
    ]


def test_the_access_snapshot_holds_logins_pairs_and_disabled_partners(
    registry: Registry, partner: str
) -> None:
    registry.create_broker_client(
        kind=BrokerClientKind.PARTNER, partner=partner, passwords=PASSWORDS, actor=ADMIN
    )
    registry.create_grant(
        partner, buildings=[SCHOOL.id], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
    )
    registry.set_user_disabled(partner, actor=ADMIN)
    snapshot = registry.access_snapshot(_now())
    assert [row.username for row in snapshot.clients] == [partner]
    assert snapshot.pairs == {partner: frozenset({(SCHOOL.id, "energy")})}
    assert snapshot.disabled_partners == {partner}

    registry.mark_broker_applied({partner: 1})
    row = registry.broker_client(partner)
    assert row is not None
    assert row.applied_generation == 1


def test_a_transaction_keeps_all_of_its_changes_or_none(registry: Registry) -> None:
    """A partner is a user, an API key and a broker login: made together, or not at all."""
    registry.create_broker_client(
        kind=BrokerClientKind.SERVICE, service="ingest", passwords=PASSWORDS, actor=ADMIN
    )

    def make_acme_twice() -> None:
        with registry.transaction():
            registry.create_user("acme", role="partner", actor=ADMIN)
            registry.create_api_key("acme", name="pilot", actor=ADMIN)
            for _ in range(2):  # the same login twice: refused
                registry.create_broker_client(
                    kind=BrokerClientKind.PARTNER, partner="acme", passwords=PASSWORDS, actor=ADMIN
                )

    with pytest.raises(InvalidValue, match="already"):
        make_acme_twice()
    assert registry.user("acme") is None
    assert registry.broker_client("acme") is None
    assert [event.action for event in registry.audit_events()] == [AccessAction.CLIENT_CREATE]

    with registry.transaction():
        registry.create_user("acme", role="partner", actor=ADMIN)
        registry.create_broker_client(
            kind=BrokerClientKind.PARTNER, partner="acme", passwords=PASSWORDS, actor=ADMIN
        )
    assert registry.broker_client("acme") is not None


def test_no_partner_takes_the_name_of_a_platform_login(registry: Registry) -> None:
    registry.create_user("service.ingest", role="partner", actor=ADMIN)
    with pytest.raises(InvalidValue, match="the platform's own"):
        registry.create_broker_client(
            kind=BrokerClientKind.PARTNER,
            partner="service.ingest",
            passwords=PASSWORDS,
            actor=ADMIN,
        )


def test_a_partners_pairs_are_its_own_grants_only(registry: Registry, partner: str) -> None:
    registry.create_user("annen-partner", role="partner", actor=ADMIN)
    registry.create_grant(
        partner, buildings=[SCHOOL.id], domains=["energy"], expires_at=_now() + DAY, actor=ADMIN
    )
    registry.create_grant(
        "annen-partner",
        building_type="office",
        domains=["hvac"],
        expires_at=_now() + DAY,
        actor=ADMIN,
    )
    assert registry.partner_pairs(partner, _now()) == {(SCHOOL.id, "energy")}
    assert registry.partner_pairs("annen-partner", _now()) == {(OFFICE.id, "hvac")}
    assert registry.granted_pairs(_now()) == {
        partner: {(SCHOOL.id, "energy")},
        "annen-partner": {(OFFICE.id, "hvac")},
    }
