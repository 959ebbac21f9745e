"""``/api/v1/partners``, ``/api/v1/grants``, ``/api/v1/audit`` and ``/api/v1/broker-access``:
admins manage innovation partners and their grants; credentials are shown once.

The portfolio of tests/api/conftest.py (Nordnes skole, a school; Solheim barnehage, a
kindergarten), with the demo admin, a manager (Mads) and a partner (Pia) with API keys. The
last test drives a real Mosquitto with the dynamic-security plugin through the API.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from byggpuls import topics
from byggpuls.access.credentials import BrokerPasswords
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import BrokerClientKind
from byggpuls.storage.sqlite import SQLiteStore
from cli.bootstrap import build_access_sync
from sandbox.servers import DynsecMosquittoServer
from tests.byggpuls.access.conftest import Probe

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"
KEY = "a-credential-key-for-the-tests-only-0123456789"
PUBLIC_URL = "mqtts://mqtt.example:8883"
#: Ends a wait for the broker; never reached when it works.
DEADLINE_S = 30.0


@dataclass
class Admin:
    client: TestClient
    registry: Registry
    keys: dict[str, str]

    def post(self, path: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(f"/api/v1{path}", **kwargs)


def a_year_ahead() -> str:
    return (datetime.now(UTC) + timedelta(days=365)).isoformat()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(tmp_path: Path, make_client, registry: Registry, store: SQLiteStore, findings) -> Admin:
    """The seeded app with a credential key; requests without a key are the demo admin's."""
    registry.create_user("mads", role="manager", buildings=[SCHOOL], actor="test")
    registry.create_user("pia", role="partner", actor="test")
    keys = {
        name: registry.create_api_key(name, name="test", actor="test")[1]
        for name in ("mads", "pia")
    }
    settings = ApiSettings(
        data_dir=tmp_path,
        api_workers=4,
        api_auth="demo",
        api_portfolio_cache_s=0,
        broker_credential_key=KEY,
        broker_public_url=PUBLIC_URL,
    )
    return Admin(make_client(store=store, registry=registry, settings=settings), registry, keys)


def create(admin: Admin, username: str = "innosense", **body: Any) -> dict[str, Any]:
    response = admin.post("/partners", {"username": username, **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def grant(admin: Admin, **body: Any) -> Any:
    wanted = {"partner": "innosense", "expires_at": a_year_ahead(), **body}
    return admin.post("/grants", wanted)


def actions(registry: Registry) -> list[str]:
    return [event.action for event in registry.audit_events(limit=500)]


def test_a_new_partner_gets_credentials_shown_once(admin: Admin) -> None:
    created = create(admin, display_name="InnoSense AS", key_name="pilot")

    token, mqtt = created["api_key"]["token"], created["mqtt"]
    assert created["partner"]["username"] == "innosense"
    assert created["partner"]["display_name"] == "InnoSense AS"
    assert created["partner"]["broker_login"]["generation"] == 1
    assert created["api_key"]["name"] == "pilot"
    assert (mqtt["url"], mqtt["username"], mqtt["generation"]) == (PUBLIC_URL, "innosense", 1)
    assert mqtt["password"] == BrokerPasswords(KEY).password("innosense", 1)
    assert created["topics"] == mqtt["topics"] == []
    assert mqtt["command"] == (
        "mosquitto_sub -h mqtt.example -p 8883 --capath /etc/ssl/certs -i innosense-1 -u innosense"
        f" -P {mqtt['password']} -t 'byggpuls/v1/<building>/<domain>' -v"
    )
    # The key works, as a partner's: it reads nothing yet.
    me = admin.get("/me", headers=bearer(token)).json()
    assert (me["username"], me["role"], me["via"]) == ("innosense", "partner", "key")
    # Never again: no GET answers with a credential.
    for path in ("/partners", "/partners/innosense", "/audit", "/grants", "/broker-access"):
        text = admin.get(path).text
        assert token not in text
        assert token.split("_")[2] not in text
        assert mqtt["password"] not in text
    assert {"user.create", "key.create", "broker_client.create"} <= set(actions(admin.registry))


def test_partners_and_grants_on_each_registry_database(
    *, database_url: str, tmp_path: Path, make_client, open_registry_at, seed
) -> None:
    registry = open_registry_at(database_url)
    with SQLiteStore(tmp_path / "readings.sqlite3") as store:
        seed(registry, store)
        settings = ApiSettings(data_dir=tmp_path, api_auth="demo", broker_credential_key=KEY)
        admin = Admin(make_client(store=store, registry=registry, settings=settings), registry, {})
        create(admin, display_name="InnoSense AS")
        reason = "Pilot of demand-controlled cleaning, agreement 2025-14."
        made = grant(admin, buildings=[SCHOOL], domains=["occupancy"], reason=reason).json()
        revoked = admin.post(f"/grants/{made['id']}/revoke").json()
        listed = admin.get("/partners/innosense").json()
        trail = admin.get("/audit", params={"limit": 3}).json()["items"]

    assert (made["status"], revoked["status"]) == ("active", "revoked")
    assert [g["status"] for g in listed["grants"]] == ["revoked"]
    assert listed["broker_login"]["generation"] == 1
    assert [item["action"] for item in trail] == [
        "grant.revoke",
        "grant.create",
        "broker_client.create",
    ]
    assert trail[1]["detail"]["reason"] == reason


def test_the_partners_list_shows_login_and_grants(admin: Admin) -> None:
    create(admin)
    made = grant(admin, buildings=[SCHOOL], domains=["energy"]).json()

    body = admin.get("/partners").json()
    assert body["count"] == 2
    by_name = {item["username"]: item for item in body["items"]}
    assert by_name["pia"]["broker_login"] is None  # made without one
    assert by_name["pia"]["grants"] == []
    assert [g["id"] for g in by_name["innosense"]["grants"]] == [made["id"]]
    assert by_name["innosense"]["grants"][0]["status"] == "active"
    assert [item["username"] for item in body["items"]] == ["innosense", "pia"]
    assert "mads" not in by_name  # a manager is no partner


def test_without_a_credential_key_nothing_is_created(
    client: TestClient, registry: Registry, assert_problem
) -> None:
    before = actions(registry)
    response = client.post("/api/v1/partners", json={"username": "innosense"})

    problem = assert_problem(response, 503, "broker-credentials-missing")
    assert "BYGGPULS_BROKER_CREDENTIAL_KEY" in str(problem["detail"])
    assert registry.user("innosense") is None
    assert actions(registry) == before
    registry.create_user("pia", role="partner", actor="test")
    response = client.post("/api/v1/partners/pia/mqtt-password")
    assert_problem(response, 503, "broker-credentials-missing")
    assert registry.broker_client("pia") is None
    assert client.get("/api/v1/broker-access").json()["credential_key"] is False


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"username": "mads"}, "#/username"),  # a manager's name
        ({"username": "gateway.nordnes-skole.gw1"}, "#/username"),
        ({"username": "Not A Name!"}, "#/username"),
        ({"username": "innosense", "key_expires_at": "2020-01-01T00:00:00Z"}, "#/key_expires_at"),
        ({"username": "innosense", "key_expires_at": "2030-01-01T00:00:00"}, "#/key_expires_at"),
        ({"username": "innosense", "display_name": "   "}, "#/display_name"),
        ({"username": "innosense", "role": "admin"}, "#/role"),
    ],
)
def test_a_partner_that_cannot_be_is_refused_before_anything_is_made(
    admin: Admin, assert_problem, body: dict[str, Any], pointer: str
) -> None:
    before = actions(admin.registry)
    problem = assert_problem(admin.post("/partners", body), 422, "invalid-parameters")

    assert [error["pointer"] for error in problem["errors"]] == [pointer]  # type: ignore[attr-defined]
    assert admin.registry.user("innosense") is None
    assert actions(admin.registry) == before


def test_a_grant_has_its_status_and_privacy_classes_and_is_revoked(admin: Admin) -> None:
    create(admin)
    response = grant(admin, buildings=[SCHOOL, KINDERGARTEN], domains=["climate", "energy"])
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["domains"] == [
        {"domain": "climate", "privacy_class": "internal"},
        {"domain": "energy", "privacy_class": "open"},
    ]
    assert (made["status"], made["created_by"], made["buildings"]) == (
        "active",
        "demo",
        [SCHOOL, KINDERGARTEN],
    )
    # The partner reads it at once.
    pairs = admin.registry.partner_pairs("innosense", datetime.now(UTC))
    assert (SCHOOL, "energy") in pairs

    revoked = admin.post(f"/grants/{made['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert (revoked.json()["status"], revoked.json()["revoked_by"]) == ("revoked", "demo")
    again = admin.post(f"/grants/{made['id']}/revoke").json()
    assert again["revoked_at"] == revoked.json()["revoked_at"]
    assert admin.registry.partner_pairs("innosense", datetime.now(UTC)) == frozenset()

    assert [
        g["id"] for g in admin.get("/grants", params={"status": "revoked"}).json()["items"]
    ] == [made["id"]]
    assert admin.get("/grants", params={"status": "active"}).json()["count"] == 0
    assert admin.get("/grants", params={"partner": "innosense"}).json()["count"] == 1
    assert admin.get("/grants", params={"partner": "pia"}).json()["count"] == 0
    trail = actions(admin.registry)
    assert trail.count("grant.revoke") == 1
    assert "grant.create" in trail


def test_a_grant_by_type_covers_its_buildings(admin: Admin) -> None:
    create(admin)
    made = grant(admin, building_type="kindergarten", domains=["energy"]).json()
    assert (made["building_type"], made["buildings"]) == ("kindergarten", [])
    pairs = admin.registry.partner_pairs("innosense", datetime.now(UTC))
    assert pairs == {(KINDERGARTEN, "energy")}


def test_a_sensitive_domain_needs_a_reason(admin: Admin, assert_problem) -> None:
    create(admin)
    problem = assert_problem(
        grant(admin, buildings=[SCHOOL], domains=["energy", "occupancy"]), 422, "invalid-parameters"
    )
    assert str(problem["detail"]).startswith("occupancy can reveal a person's presence")
    assert problem["errors"] == [{"detail": problem["detail"], "pointer": "#/reason"}]
    # Room climate is sensitive in nursing homes, not in schools.
    problem = assert_problem(
        grant(admin, building_type="nursing_home", domains=["climate"], reason="  "),
        422,
        "invalid-parameters",
    )
    assert "climate" in str(problem["detail"])
    problem = assert_problem(
        grant(admin, buildings=[SCHOOL], domains=["occupancy"], reason="pilot"),
        422,
        "invalid-parameters",
    )
    assert "a reason needs 10 to 2000 characters" in str(problem["detail"])
    assert "grant.create" not in actions(admin.registry)

    reason = "Pilot of demand-controlled cleaning, agreement 2025-14."
    made = grant(admin, buildings=[SCHOOL], domains=["occupancy"], reason=reason)
    assert made.status_code == 201, made.text
    assert made.json()["domains"] == [{"domain": "occupancy", "privacy_class": "sensitive"}]
    assert made.json()["reason"] == reason


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"partner": "nobody", "buildings": [SCHOOL], "domains": ["energy"]}, 404, "no partner"),
        ({"buildings": ["no-such-building"], "domains": ["energy"]}, 404, "no building"),
        ({"partner": "mads", "buildings": [SCHOOL], "domains": ["energy"]}, 422, "not a partner"),
        ({"buildings": [SCHOOL], "building_type": "school", "domains": ["energy"]}, 422, "one of"),
        ({"domains": ["energy"]}, 422, "one of the two"),
        ({"buildings": [SCHOOL], "domains": ["status"]}, 422, "not a domain of data"),
        ({"buildings": [SCHOOL], "domains": []}, 422, "at least 1 item"),
        (
            {"buildings": [SCHOOL], "domains": ["energy"], "expires_at": "2020-01-01T00:00:00Z"},
            422,
            "in the past",
        ),
        (
            {"buildings": [SCHOOL], "domains": ["energy"], "expires_at": "2030-01-01T00:00:00"},
            422,
            "timezone",
        ),
        (
            {"buildings": [SCHOOL], "domains": ["energy"], "expires_at": "9999-12-31T23:00-05:00"},
            422,
            "out of range",
        ),
    ],
)
def test_a_grant_that_cannot_be_is_a_problem(
    admin: Admin, assert_problem, body: dict[str, Any], status: int, words: str
) -> None:
    create(admin)
    slug = "not-found" if status == 404 else "invalid-parameters"
    problem = assert_problem(grant(admin, **body), status, slug)
    texts = [str(problem["detail"])] + [e["detail"] for e in problem.get("errors", [])]  # type: ignore[attr-defined]
    assert any(words in text for text in texts), texts


def test_unknown_partners_and_grants_are_404s(admin: Admin, assert_problem) -> None:
    for method, path in [
        ("GET", "/partners/nobody"),
        ("GET", "/partners/mads"),  # a manager is no partner
        ("GET", f"/partners/{'x' * 65}"),  # cannot be a username
        ("POST", "/partners/nobody/mqtt-password"),
        ("POST", "/partners/nobody/disable"),
        ("POST", "/partners/mads/enable"),
        ("POST", "/grants/999/revoke"),
    ]:
        response = admin.client.request(method, f"/api/v1{path}")
        assert_problem(response, 404, "not-found")
    problem = assert_problem(admin.get("/grants", params={"partner": "nobody"}), 404, "not-found")
    assert problem["detail"] == "There is no partner 'nobody'."
    assert_problem(admin.get("/grants", params={"status": "lost"}), 422, "invalid-parameters")
    assert_problem(admin.post("/grants/0/revoke"), 422, "invalid-parameters")


def test_disabling_a_partner_stops_its_key_and_enabling_restores_it(admin: Admin) -> None:
    token = create(admin)["api_key"]["token"]
    assert admin.get("/me", headers=bearer(token)).status_code == 200

    disabled = admin.post("/partners/innosense/disable")
    assert disabled.json()["disabled"] is True
    assert admin.get("/me", headers=bearer(token)).status_code == 401
    assert admin.registry.access_snapshot(datetime.now(UTC)).disabled_partners == {"innosense"}
    enabled = admin.post("/partners/innosense/enable")
    assert enabled.json()["disabled"] is False
    assert admin.get("/me", headers=bearer(token)).status_code == 200
    trail = actions(admin.registry)
    assert (trail.count("user.disable"), trail.count("user.enable")) == (1, 1)


def test_a_new_mqtt_password_replaces_the_old_one(admin: Admin) -> None:
    first = create(admin)["mqtt"]["password"]
    grant(admin, buildings=[SCHOOL], domains=["energy"])

    response = admin.post("/partners/innosense/mqtt-password")
    assert response.status_code == 200, response.text
    mqtt = response.json()["mqtt"]
    assert mqtt["generation"] == 2
    assert mqtt["password"] == BrokerPasswords(KEY).password("innosense", 2) != first
    energy = topics.telemetry(SCHOOL, "energy")
    assert mqtt["topics"] == [energy]
    assert f"-t {energy}" in mqtt["command"]
    assert response.json()["partner"]["broker_login"]["generation"] == 2
    assert mqtt["password"] not in admin.get("/partners/innosense").text
    # A partner made without a broker login (by the admin command) gets one.
    pia = admin.post("/partners/pia/mqtt-password").json()["mqtt"]
    assert (pia["username"], pia["generation"]) == ("pia", 1)
    assert "broker_client.issue" in actions(admin.registry)


def test_only_admins_may_use_these_routes(admin: Admin, assert_problem) -> None:
    create(admin)
    paths = admin.client.get("/openapi.json").json()["paths"]
    routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if {"partners", "audit"} & set(operation.get("tags", []))
    ]
    assert len(routes) == 11
    for name in ("mads", "pia"):
        for method, template in routes:
            path = template.replace("{username}", "innosense").replace("{grant_id}", "1")
            body = {"partner": "innosense"} if method == "POST" else None
            response = admin.client.request(
                method, path, json=body, headers=bearer(admin.keys[name])
            )
            assert_problem(response, 403, "forbidden")
    assert admin.registry.user("innosense").disabled is False  # type: ignore[union-attr]


def test_the_audit_trail_is_filtered_newest_first(admin: Admin, assert_problem) -> None:
    create(admin)
    made = grant(admin, buildings=[SCHOOL], domains=["energy"]).json()
    admin.post(f"/grants/{made['id']}/revoke")

    trail = admin.get("/audit").json()
    got = [item["action"] for item in trail["items"]]
    assert got[:4] == ["grant.revoke", "grant.create", "broker_client.create", "key.create"]
    assert trail["items"][0]["target"] == f"grant:{made['id']}"
    assert trail["items"][0]["actor"] == "demo"
    only = admin.get("/audit", params={"action": "grant.create"}).json()["items"]
    assert [item["target"] for item in only] == [f"grant:{made['id']}"]
    assert only[0]["detail"]["domains"] == ["energy"]
    assert admin.get("/audit", params={"limit": 1}).json()["count"] == 1
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert admin.get("/audit", params={"since": future}).json()["items"] == []
    assert_problem(admin.get("/audit", params={"limit": 501}), 422, "invalid-parameters")
    assert_problem(admin.get("/audit", params={"action": "drop table"}), 422, "invalid-parameters")
    assert_problem(admin.get("/audit", params={"since": "yesterday"}), 422, "invalid-parameters")


def test_the_broker_access_says_it_is_not_managed_here(admin: Admin) -> None:
    assert admin.get("/broker-access").json() == {
        "managed": False,
        "credential_key": True,
        "public_url": PUBLIC_URL,
        "last_success": None,
        "last_error": None,
        "last_changes": None,
    }


# -- with a real broker -------------------------------------------------------------------


@pytest.fixture
def dynsec_broker(tmp_path: Path) -> Iterator[DynsecMosquittoServer]:
    """A Mosquitto with the dynamic-security plugin, knowing only its admin; stopped afterwards."""
    server = DynsecMosquittoServer(workdir=tmp_path / "mosquitto").start()
    try:
        yield server
    finally:
        server.stop()


def receives(command: list[str], publish: list[str], payload: str) -> bool:
    """Whether ``command`` (mosquitto_sub) prints ``payload`` that ``publish`` (mosquitto_pub,
    retained) sent; both may fail while the broker is not up to date yet."""
    subprocess.run(publish, capture_output=True, timeout=DEADLINE_S, check=False)
    found = subprocess.run(
        [*command, "-C", "1", "-W", "2"],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    return payload in found.stdout


@pytest.mark.integration
def test_the_broker_follows_what_is_granted_through_the_api(
    tmp_path: Path,
    registry: Registry,
    store: SQLiteStore,
    findings,
    dynsec_broker: DynsecMosquittoServer,
) -> None:
    port = dynsec_broker.port
    settings = ApiSettings(
        data_dir=tmp_path,
        api_workers=2,
        api_auth="demo",
        broker_access="mosquitto",
        broker_admin_url=f"mqtt://{dynsec_broker.admin_username}:"
        f"{dynsec_broker.admin_password}@127.0.0.1:{port}",
        broker_credential_key=KEY,
        broker_public_url=f"mqtt://127.0.0.1:{port}",
        broker_sync_s=0.2,
    )
    passwords = settings.broker_passwords
    assert passwords is not None
    _, gateway_password = registry.create_broker_client(
        kind=BrokerClientKind.GATEWAY,
        building=SCHOOL,
        gateway="gw1",
        passwords=passwords,
        actor="test",
    )
    access = build_access_sync(settings, registry)
    app = create_app(
        store=store,
        registry=registry,
        accounting=Accounting(registry.engine),
        settings=settings,
        access=access,
    )
    energy, climate = topics.telemetry(SCHOOL, "energy"), topics.telemetry(SCHOOL, "climate")
    with TestClient(app) as client:
        assert client.post("/api/v1/partners", json={"username": "innosense"}).status_code == 201
        made = client.post(
            "/api/v1/grants",
            json={
                "partner": "innosense",
                "buildings": [SCHOOL],
                "domains": ["energy"],
                "expires_at": a_year_ahead(),
            },
        ).json()
        mqtt = client.post("/api/v1/partners/innosense/mqtt-password").json()["mqtt"]
        publish = [
            "mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-u", f"gateway.{SCHOOL}.gw1",
            "-P", gateway_password, "-i", "gw1", "-t", energy, "-m", "kW 42", "-r", "-q", "1",
        ]  # fmt: skip
        # The command the API printed works as given, once the broker has the new password.
        deadline = time.monotonic() + DEADLINE_S
        while not receives(shlex.split(mqtt["command"]), publish, "kW 42"):
            assert time.monotonic() < deadline, "the partner never received its granted topic"
        status = client.get("/api/v1/broker-access").json()
        assert status["managed"] is True
        assert status["last_success"] is not None

        partner = Probe(port, "innosense", mqtt["password"])
        try:
            partner.connect()
            assert not partner.refused
            assert partner.subscribe(climate).is_failure  # not granted
            assert not partner.subscribe(energy).is_failure
            client.post(f"/api/v1/grants/{made['id']}/revoke")
            # Its rights changed: the broker ends its session.
            assert partner.disconnected.wait(DEADLINE_S)
        finally:
            partner.close()
        client.post("/api/v1/partners/innosense/disable")
        deadline = time.monotonic() + DEADLINE_S
        while True:
            again = Probe(port, "innosense", mqtt["password"])
            try:
                again.connect()
                if again.refused:
                    break
            finally:
                again.close()
            assert time.monotonic() < deadline, "a disabled partner could still log in"
            time.sleep(0.1)
