"""``byggpuls admin`` for partners, grants and the audit trail, run through ``cli.main.main`` on
a SQLite registry of each test's own; what reaches the broker against a real Mosquitto with
dynamic security."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from byggpuls import topics
from byggpuls.registry import Registry
from byggpuls.registry.rows import BrokerClientKind, GrantStatus
from cli.main import main
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import Probe
from tests.cli.conftest import PASSWORDS, Admin, broker_on, buildings, last_line

# -- partners -------------------------------------------------------------------------------------


def test_create_partner_prints_key_and_broker_login_once(
    admin: Admin, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtt://ingest:secret@broker.example:1883")
    code, out, err = admin("create-partner", "Innovasjon-AS", "--name", "Innovasjon AS")
    assert code == 0, err
    password = PASSWORDS.password("innovasjon-as", 1)
    token = re.search(r"bpk_\S+", out)
    assert token is not None
    user = registry.key_user(token.group(), now=datetime.now(UTC))
    assert user is not None
    assert (user.username, user.role, user.has_password) == ("innovasjon-as", "partner", False)
    assert "  MQTT broker: mqtt://broker.example:1883\n" in out  # without the platform's login
    assert "  MQTT username: innovasjon-as\n" in out
    assert f"  MQTT password: {password}\n" in out
    assert (
        "mosquitto_sub -h broker.example -p 1883 -i innovasjon-as-1 -u innovasjon-as -P "
        f"{password} -t byggpuls/v1/BUILDING/DOMAIN -v"
    ) in out
    assert "secret" not in out
    assert "Shown this once" in err
    assert "the broker follows when `byggpuls api` runs with BYGGPULS_BROKER_ACCESS" in err
    login = registry.broker_client("innovasjon-as")
    assert login is not None
    assert (login.kind, login.partner, login.generation) == (
        BrokerClientKind.PARTNER,
        user.username,
        1,
    )
    assert password not in repr(registry.audit_events())


def test_create_partner_shows_the_public_url_and_an_expiring_key(
    admin: Admin, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYGGPULS_BROKER_PUBLIC_URL", "mqtts://mqtt.byggpuls.example")
    code, out, err = admin(
        "create-partner", "acme", "--key-name", "pilot", "--key-expires-days", "30"
    )
    assert code == 0, err
    assert "  MQTT broker: mqtts://mqtt.byggpuls.example\n" in out
    assert "-h mqtt.byggpuls.example -p 8883 --capath /etc/ssl/certs -i acme-1 -u acme" in out
    (key,) = registry.api_keys("acme")
    assert key.name == "pilot"
    assert key.expires_at is not None
    assert key.expires_at <= datetime.now(UTC) + timedelta(days=30)


def test_create_partner_without_the_credential_key_refuses_before_creating_anything(
    admin: Admin, registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BYGGPULS_BROKER_CREDENTIAL_KEY")
    code, out, err = admin("create-partner", "acme")
    assert (code, out) == (2, "")
    assert last_line(err).startswith("byggpuls admin: broker passwords are derived from ")
    assert "set it" in err
    assert "BYGGPULS_BROKER_CREDENTIAL_KEY" in err
    assert registry.users() == []
    assert registry.broker_clients() == []


def test_a_bad_broker_setting_exits_2_naming_it(
    admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYGGPULS_BROKER_CREDENTIAL_KEY", "short")
    code, _, err = admin("list-grants")
    assert code == 2
    assert "BYGGPULS_BROKER_CREDENTIAL_KEY needs at least 32 characters" in err


def test_create_partner_completes_an_older_partner_and_refuses_twice(
    admin: Admin, registry: Registry
) -> None:
    registry.create_user("acme", role="partner", actor="test")
    registry.create_user("kari", role="admin", actor="test")
    code, out, err = admin("create-partner", "acme")
    assert code == 0, err
    assert "partner 'acme' exists: it gets an API key and a broker login" in out
    assert registry.broker_client("acme") is not None
    code, _, err = admin("create-partner", "acme")
    assert code == 2
    assert "has a broker login already" in err
    assert "reissue-mqtt acme" in err
    code, _, err = admin("create-partner", "kari")
    assert (code, last_line(err)) == (2, "byggpuls admin: 'kari' is a admin, not a partner")
    assert len(registry.api_keys("acme")) == 1


# -- grants -------------------------------------------------------------------------------------


def test_grant_of_buildings_prints_domains_with_their_privacy_class(
    admin: Admin, registry: Registry
) -> None:
    buildings(registry)
    registry.create_user("acme", role="partner", actor="test")
    code, out, err = admin(
        "grant", "acme", "--building", "skole-01", "--domain", "energy", "climate"
    )
    assert code == 0, err
    (grant,) = registry.grants(partner="acme")
    assert out.splitlines() == [
        f"grant {grant.id}: 'acme' may read skole-01",
        "  domains: climate (internal), energy (open)",
        f"  expires: {grant.expires_at:%Y-%m-%d %H:%M} UTC",
    ]
    now = datetime.now(UTC)
    assert now + timedelta(days=364) < grant.expires_at <= now + timedelta(days=365)
    assert "the broker follows when" in err


def test_a_sensitive_domain_needs_a_reason(admin: Admin, registry: Registry) -> None:
    buildings(registry)
    registry.create_user("acme", role="partner", actor="test")
    args = ["grant", "acme", "--building", "hjem-01", "skole-01", "--domain", "climate"]
    code, out, err = admin(*args)
    assert (code, out) == (2, "")
    assert last_line(err) == (
        "byggpuls admin: climate can reveal a person's presence in these buildings: a grant of"
        " it needs a reason (at least 10 characters)"
    )
    assert registry.grants() == []
    code, out, err = admin(*args, "--reason", "Indoor climate study, case 2026/1234", "--days", "7")
    assert code == 0, err
    assert "may read hjem-01, skole-01" in out
    assert "  domains: climate (sensitive)" in out
    assert "  reason: Indoor climate study, case 2026/1234" in out


def test_grant_by_type_until_a_day(admin: Admin, registry: Registry) -> None:
    registry.create_user("acme", role="partner", actor="test")
    code, out, err = admin(
        "grant", "acme", "--type", "school", "--domain", "energy", "--expires", "2099-01-01"
    )
    assert code == 0, err
    assert "may read every school building, those added later too" in out
    assert "  expires: 2099-01-01 00:00 UTC" in out
    (grant,) = registry.grants()
    assert (grant.building_type, grant.expires_at) == ("school", datetime(2099, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["nobody", "--type", "school", "--domain", "energy"], 1, "no partner 'nobody'"),
        (["acme", "--building", "nowhere", "--domain", "energy"], 1, "no building 'nowhere'"),
        (["acme", "--type", "school", "--domain", "energy", "--expires", "2001-01-01"], 2,
         "a grant cannot expire in the past"),
        (["acme", "--type", "school", "--domain", "ack"], 2, "'ack' is not a domain of data"),
    ],
)  # fmt: skip
def test_a_grant_the_registry_refuses_is_said_on_one_line(
    admin: Admin, registry: Registry, args: list[str], code: int, says: str
) -> None:
    registry.create_user("acme", role="partner", actor="test")
    result = admin("grant", *args)
    assert result[0] == code
    assert last_line(result[2]).startswith(f"byggpuls admin: {says}")
    assert registry.grants() == []


@pytest.mark.parametrize(
    "args",
    [
        ["acme", "--domain", "energy"],  # neither buildings nor a type
        ["acme", "--type", "school", "--building", "b1", "--domain", "energy"],
        ["acme", "--type", "castle", "--domain", "energy"],
        ["acme", "--type", "school", "--domain", "energy", "--expires", "01.01.2030"],
        ["acme", "--type", "school", "--domain", "energy", "--days", "0"],
        [
            "acme",
            "--type",
            "school",
            "--domain",
            "energy",
            "--days",
            "3",
            "--expires",
            "2099-01-01",
        ],
    ],
)
def test_grant_options_argparse_refuses_exit_2(admin: Admin, args: list[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        admin("grant", *args)
    assert refused.value.code == 2


def test_revoke_grant_and_list_grants(admin: Admin, registry: Registry) -> None:
    buildings(registry)
    registry.create_user("acme", role="partner", actor="test")
    registry.create_user("beta", role="partner", actor="test")
    later = datetime.now(UTC) + timedelta(days=30)
    kept = registry.create_grant(
        "acme",
        buildings=["skole-01", "hjem-01"],
        domains=["energy", "water"],
        expires_at=later,
        actor="test",
    )
    revoked = registry.create_grant(
        "beta",
        building_type="school",
        domains=["hvac"],
        expires_at=later,
        reason="Ventilation study 2026",
        actor="test",
    )

    code, out, err = admin("revoke-grant", str(revoked.id))
    assert (code, out) == (
        0,
        f"grant {revoked.id} of 'beta' (every school building, those added later too) is revoked\n",
    ), err
    assert "the broker follows when" in err
    assert registry.grants(status=GrantStatus.REVOKED)[0].id == revoked.id
    code, out, _ = admin("revoke-grant", str(revoked.id))
    assert code == 0
    assert out.startswith(f"grant {revoked.id} was revoked already")
    code, _, err = admin("revoke-grant", "999")
    assert (code, last_line(err)) == (1, "byggpuls admin: no grant 999")

    code, out, _ = admin("list-grants")
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    day = f"{later:%Y-%m-%d}"
    assert rows == [
        ["id", "partner", "buildings", "domains", "expires", "status", "reason"],
        [str(kept.id), "acme", "hjem-01,skole-01", "energy,water", day, rows[1][5], "active", "-"],
    ]
    code, out, _ = admin("list-grants", "--all")
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(revoked.id), str(kept.id)]
    assert "type:school" in out
    assert "revoked  Ventilation study 2026" in out
    code, out, err = admin("list-grants", "--partner", "beta")
    assert (code, out) == (0, "")
    assert "no active grants" in err


# -- the audit trail ----------------------------------------------------------------------------


def test_audit_lists_the_trail_newest_first(admin: Admin, registry: Registry) -> None:
    code, out, err = admin("audit")
    assert (code, out) == (0, "")
    assert "no events" in err
    buildings(registry)
    assert admin("create-partner", "acme")[0] == 0
    assert admin("grant", "acme", "--building", "skole-01", "--domain", "energy")[0] == 0
    code, out, _ = admin("audit")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["at", "(UTC)", "actor", "action", "target", "detail"]
    assert [line.split()[3] for line in lines[1:]] == [
        "grant.create", "broker_client.create", "key.create", "user.create",
    ]  # fmt: skip
    assert '"buildings": ["skole-01"]' in lines[1]
    assert PASSWORDS.password("acme", 1) not in out
    code, out, _ = admin("audit", "--action", "key.create")
    assert [line.split()[3] for line in out.splitlines()[1:]] == ["key.create"]
    code, out, _ = admin("audit", "--limit", "2")
    assert len(out.splitlines()) == 3


def test_help_lists_the_new_actions_with_examples(
    admin: Admin, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["admin", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for action in ("create-partner", "grant", "revoke-grant", "list-grants", "add-gateway",
                   "reissue-mqtt", "list-broker-logins", "sync-broker", "audit"):  # fmt: skip
        assert f"byggpuls admin {action}" in out
    assert "3 the broker did not answer" in out


# -- a real broker --------------------------------------------------------------------------------


@pytest.mark.integration
def test_with_broker_access_each_change_reaches_the_broker_at_once(
    admin: Admin,
    registry: Registry,
    dynsec_broker: DynsecMosquittoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buildings(registry)
    broker_on(monkeypatch, dynsec_broker.port)
    code, _, err = admin("create-partner", "acme")
    assert code == 0, err
    assert "broker: roles created: partner-acme; clients created: acme" in err
    password = PASSWORDS.password("acme", 1)
    code, _, err = admin("grant", "acme", "--building", "skole-01", "--domain", "energy")
    assert code == 0, err
    assert "broker: roles updated: partner-acme" in err
    topic = topics.telemetry("skole-01", "energy")
    partner = Probe(dynsec_broker.port, "acme", password)
    try:
        assert not partner.connect().is_failure
        assert not partner.subscribe(topic).is_failure
        assert partner.subscribe(topics.telemetry("hjem-01", "energy")).is_failure
    finally:
        partner.close()
    code, _, err = admin("disable-user", "acme")
    assert code == 0, err
    assert "clients disabled: acme" in err
    refused = Probe(dynsec_broker.port, "acme", password)
    try:
        assert refused.connect().is_failure
    finally:
        refused.close()
