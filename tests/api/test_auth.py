"""Signing in and what each role may see, with ``api_auth = required`` (as in production).

The portfolio of tests/api/conftest.py: Nordnes skole and Solheim barnehage. Anne is an admin,
Mads a facility manager of the school only, Pia a partner (keys only; the tests grant it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from api.auth import CSRF_HEADER, SESSION_COOKIE, safe_next
from api.main import create_app
from api.settings import ApiSettings
from byggpuls.errors import ConfigError
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.models import GRANTS
from byggpuls.registry.repository import Registry
from byggpuls.settings import load
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"
PASSWORD = "riktig hest batteri stift"
HOUR = timedelta(hours=1)


@dataclass
class Portfolio:
    client: TestClient
    registry: Registry
    findings: dict[str, int]
    keys: dict[str, str]


@pytest.fixture
def signed(
    tmp_path: Path, registry: Registry, store: SQLiteStore, findings: dict[str, int]
) -> Iterator[Portfolio]:
    registry.create_user("anne", role="admin", password=PASSWORD, actor="test")
    registry.create_user(
        "mads", role="manager", password=PASSWORD, buildings=[SCHOOL], actor="test"
    )
    registry.create_user("pia", role="partner", actor="test")
    keys = {
        name: registry.create_api_key(name, name="test", actor="test")[1]
        for name in ("anne", "mads", "pia")
    }
    settings = ApiSettings(data_dir=tmp_path, api_workers=2, api_auth="required")
    app = create_app(
        store=store, registry=registry, accounting=Accounting(registry.engine), settings=settings
    )
    with TestClient(app) as client:
        yield Portfolio(client, registry, findings, keys)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every (method, path) of /api/v1, as the OpenAPI schema documents them."""
    paths = client.get("/openapi.json").json()["paths"]
    return [
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1")
        for method in operations
    ]


def _partner_routes(client: TestClient) -> set[tuple[str, str]]:
    """The routes the OpenAPI document marks as a partner's."""
    paths = client.get("/openapi.json").json()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if operation.get("x-partner-access") is True
    }


def filled(path: str, *, building: str, finding: int) -> str:
    path = path.replace("{building_id}", building).replace("{finding_id}", str(finding))
    path = path.replace("{username}", "pia").replace("{grant_id}", "1")
    assert "{" not in path, f"a path parameter this test does not know: {path}"
    return path


def test_every_api_route_refuses_a_request_without_credentials(
    signed: Portfolio, assert_problem
) -> None:
    routes = api_routes(signed.client)
    assert len(routes) >= 8
    for method, template in routes:
        path = filled(template, building=SCHOOL, finding=signed.findings["open"])
        response = signed.client.request(method, path)
        problem = assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "API key" in str(problem["detail"])


@pytest.mark.parametrize(
    "header",
    ["Bearer bpk_000000000000_not-a-real-secret", "Bearer nonsense", "Basic YW5uZTp4", "Bearer "],
)
def test_a_bad_key_is_refused(signed: Portfolio, assert_problem, header: str) -> None:
    response = signed.client.get("/api/v1/buildings", headers={"Authorization": header})
    assert_problem(response, 401, "unauthenticated")


def test_a_revoked_key_is_refused_at_once(signed: Portfolio, assert_problem) -> None:
    token = signed.keys["anne"]
    assert signed.client.get("/api/v1/buildings", headers=bearer(token)).status_code == 200
    key_id = token.split("_")[1]
    signed.registry.revoke_api_key(key_id, actor="test")
    assert_problem(
        signed.client.get("/api/v1/buildings", headers=bearer(token)), 401, "unauthenticated"
    )


def test_an_admin_sees_every_building(signed: Portfolio) -> None:
    body = signed.client.get("/api/v1/buildings", headers=bearer(signed.keys["anne"])).json()
    assert [item["id"] for item in body["items"]] == [SCHOOL, KINDERGARTEN]
    me = signed.client.get("/api/v1/me", headers=bearer(signed.keys["anne"])).json()
    assert me == {
        "username": "anne",
        "display_name": "anne",
        "role": "admin",
        "buildings": None,
        "via": "key",
    }


def test_a_manager_sees_their_buildings_only_and_others_do_not_exist(
    signed: Portfolio, assert_problem
) -> None:
    headers = bearer(signed.keys["mads"])
    body = signed.client.get("/api/v1/buildings", headers=headers).json()
    assert [item["id"] for item in body["items"]] == [SCHOOL]
    assert signed.client.get(f"/api/v1/buildings/{SCHOOL}", headers=headers).status_code == 200
    # Every route about one building answers 404 for a building outside the scope, exactly as
    # for a building that does not exist.
    scoped = [(m, path) for m, path in api_routes(signed.client) if "{building_id}" in path]
    assert len(scoped) >= 3
    for method, template in scoped:
        path = filled(template, building=KINDERGARTEN, finding=0)
        response = signed.client.request(method, path, headers=headers)
        problem = assert_problem(response, 404, "not-found")
        assert problem["detail"] == f"There is no building {KINDERGARTEN!r}."
    me = signed.client.get("/api/v1/me", headers=headers).json()
    assert (me["role"], me["buildings"]) == ("manager", [SCHOOL])


def test_a_partner_reads_only(signed: Portfolio, assert_problem) -> None:
    headers = bearer(signed.keys["pia"])
    open_id = signed.findings["open"]
    assert_problem(
        signed.client.post(f"/api/v1/findings/{open_id}/acknowledge", headers=headers),
        403,
        "forbidden",
    )
    assert signed.registry.finding(open_id).status == "open"  # type: ignore[union-attr]


def _series(portfolio: Portfolio, building: str, point: str, token: str) -> Response:
    return portfolio.client.get(
        f"/api/v1/buildings/{building}/series", params={"point": point}, headers=bearer(token)
    )


def test_a_partner_reads_the_series_of_its_grants_and_nothing_else(
    signed: Portfolio, assert_problem
) -> None:
    token = signed.keys["pia"]
    grant = signed.registry.create_grant(
        "pia", buildings=[SCHOOL], domains=["energy"], expires_at=_now() + timedelta(1), actor="t"
    )
    assert _series(signed, SCHOOL, "el.power", token).status_code == 200
    # A point of a domain it was not granted, a building it was not granted: they do not exist.
    for building, point in ((SCHOOL, "room-101.co2"), (KINDERGARTEN, "temp"), ("nowhere", "x")):
        assert_problem(_series(signed, building, point, token), 404, "not-found")
    # Every other route is not for a partner, granted building or not.
    marked = _partner_routes(signed.client)
    assert ("GET", "/api/v1/buildings/{building_id}/series") in marked
    others = [
        (method, path)
        for method, path in api_routes(signed.client)
        if method == "GET" and (method, path) not in marked and "{" in path
    ]
    assert len(others) >= 5
    for method, template in others:
        for building in (SCHOOL, KINDERGARTEN):
            path = filled(template, building=building, finding=signed.findings["open"])
            assert_problem(
                signed.client.request(method, path, headers=bearer(token)), 403, "forbidden"
            )
    for path in ("/api/v1/buildings", "/api/v1/findings"):
        assert_problem(signed.client.get(path, headers=bearer(token)), 403, "forbidden")
    me = signed.client.get("/api/v1/me", headers=bearer(token)).json()
    assert (me["role"], me["buildings"]) == ("partner", [SCHOOL])

    # A revoked grant takes effect at the next request.
    signed.registry.revoke_grant(grant.id, actor="t")
    assert_problem(_series(signed, SCHOOL, "el.power", token), 404, "not-found")


def test_a_partners_expired_grant_ends_its_reading_at_once(
    signed: Portfolio, assert_problem
) -> None:
    token = signed.keys["pia"]
    grant = signed.registry.create_grant(
        "pia",
        building_type="school",
        domains=["energy"],
        expires_at=_now() + timedelta(1),
        actor="t",
    )
    assert _series(signed, SCHOOL, "dh.power", token).status_code == 200
    # Its day has come (a grant cannot be made to expire in the past, so the clock is the
    # database's): the next request is refused, with nothing else happening in between.
    with signed.registry.engine.begin() as conn:
        conn.execute(sa.update(GRANTS).where(GRANTS.c.id == grant.id).values(expires_at=_now()))
    assert_problem(_series(signed, SCHOOL, "dh.power", token), 404, "not-found")


def test_a_page_without_a_session_goes_to_the_login_page(signed: Portfolio) -> None:
    response = signed.client.get(f"/buildings/{SCHOOL}?range=7d", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fbuildings%2Fnordnes-skole%3Frange%3D7d"
    page = signed.client.get("/login").text
    assert 'name="password"' in page


def test_a_wrong_password_says_so_without_telling_which(signed: Portfolio) -> None:
    for username in ("anne", "nobody"):
        response = signed.client.post(
            "/login", data={"username": username, "password": "feil passord her"}
        )
        assert response.status_code == 401
        assert "Feil brukernavn eller passord." in response.text
        assert SESSION_COOKIE not in response.cookies
    actions = [event.action for event in signed.registry.audit_events(limit=10)]
    assert actions.count("session.login_failed") == 2


def _log_in(portfolio: Portfolio, username: str, next_path: str = "/") -> str:
    response = portfolio.client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": next_path},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == safe_next(next_path)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie.replace("samesite", "SameSite")
    page = portfolio.client.get("/").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match is not None
    return match.group(1)


def test_a_session_shows_the_pages_and_needs_its_csrf_token_for_changes(
    signed: Portfolio, assert_problem
) -> None:
    csrf = _log_in(signed, "mads", f"/buildings/{SCHOOL}")
    page = signed.client.get("/").text
    assert "Nordnes skole" in page
    assert "Solheim barnehage" not in page  # outside Mads's scope
    assert signed.client.get(f"/buildings/{KINDERGARTEN}").status_code == 404

    open_id = signed.findings["open"]
    url = f"/api/v1/findings/{open_id}/acknowledge"
    assert_problem(signed.client.post(url), 403, "cross-site-request")
    assert_problem(
        signed.client.post(url, headers={CSRF_HEADER: "forged"}), 403, "cross-site-request"
    )
    assert signed.registry.finding(open_id).status == "open"  # type: ignore[union-attr]
    response = signed.client.post(
        url, headers={CSRF_HEADER: csrf}, json={"comment": "Ser på det i morgen."}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "acknowledged"
    # The trail names who did it: the signed-in person, not the way they came.
    last = signed.registry.finding_events(open_id)[-1]
    assert (last.actor, last.comment) == ("mads", "Ser på det i morgen.")
    events = signed.client.get(f"/api/v1/findings/{open_id}/events").json()["items"]
    assert events[-1]["actor"] == "mads"


def test_a_key_acts_in_its_owners_name(signed: Portfolio) -> None:
    open_id = signed.findings["open"]
    response = signed.client.post(
        f"/api/v1/findings/{open_id}/resolve", headers=bearer(signed.keys["anne"])
    )
    assert response.json()["resolved_by"] == "anne"


def test_logging_out_ends_the_session(signed: Portfolio) -> None:
    csrf = _log_in(signed, "anne")
    token = signed.client.cookies[SESSION_COOKIE]
    response = signed.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert signed.registry.session_user(token, now=_now()) is None
    signed.client.cookies.set(SESSION_COOKIE, token)  # an old cookie is of no use
    assert signed.client.get("/", follow_redirects=False).status_code == 303


def test_disabling_a_user_ends_their_session_and_keys(signed: Portfolio) -> None:
    _log_in(signed, "mads")
    signed.registry.set_user_disabled("mads", actor="test")
    assert signed.client.get("/", follow_redirects=False).status_code == 303
    response = signed.client.get("/api/v1/buildings", headers=bearer(signed.keys["mads"]))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("/buildings/x?range=7d", "/buildings/x?range=7d"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_a_local_path_is_followed(given: str | None, safe: str) -> None:
    assert safe_next(given) == safe


def test_production_refuses_the_demo_login(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYGGPULS_ENVIRONMENT", "production")
    monkeypatch.setenv("BYGGPULS_INFLUX_URL", "http://influx.example:8086")
    monkeypatch.setenv("BYGGPULS_DATABASE_URL", "postgresql://db.example/byggpuls")
    monkeypatch.setenv("BYGGPULS_MQTT_URL", "mqtts://ingest:secret@broker.example:8883")
    assert load(ApiSettings).api_auth == "required"
    monkeypatch.setenv("BYGGPULS_API_AUTH", "demo")
    with pytest.raises(ConfigError, match="BYGGPULS_API_AUTH=demo lets anyone in as an admin"):
        load(ApiSettings)


def test_the_demo_logs_everyone_in_as_the_demo_user_and_says_so(client: TestClient) -> None:
    page = client.get("/").text
    assert "Demo: logget inn automatisk som demobruker" in page
    assert client.get("/api/v1/me").json()["via"] == "demo"


def _now() -> datetime:
    return datetime.now(UTC)


def test_a_partner_signed_in_starts_at_the_catalogue_and_sees_no_other_page(
    signed: Portfolio,
) -> None:
    signed.registry.set_password("pia", PASSWORD, actor="test")
    signed.registry.create_grant(
        "pia", buildings=[SCHOOL], domains=["energy"], expires_at=_now() + timedelta(1), actor="t"
    )
    response = signed.client.post(
        "/login", data={"username": "pia", "password": PASSWORD, "next": "/"}
    )
    assert response.status_code == 200
    assert str(response.url).endswith("/catalog")
    assert SCHOOL in response.text
    for page in (f"/buildings/{SCHOOL}", "/partners"):
        assert signed.client.get(page).status_code == 403, page
