"""The ``/partners`` page: partners, grants, the forms, the audit trail and the broker sync, for
admins only, in bokmål or English."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from api.auth import CSRF_HEADER
from api.settings import ApiSettings
from byggpuls.calendar import TIMEZONE
from byggpuls.reading import BuildingInfo
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import GrantStatus
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.api_server import ApiServer

SCHOOL = "nordnes-skole"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
KEY = "a-credential-key-for-the-tests-only-0123456789"
PASSWORD = "riktig hest batteri stift"
EVIL = "<script>alert('x')</script>"
#: Ends a wait for the browser; never reached when it works.
PAGE_TIMEOUT_S = 30.0


def settings_with_key(tmp_path: Path, **more: object) -> ApiSettings:
    return ApiSettings(
        data_dir=tmp_path,
        api_workers=2,
        api_portfolio_cache_s=0,
        broker_credential_key=KEY,
        **more,  # type: ignore[arg-type]
    )


@pytest.fixture
def page_client(
    tmp_path: Path, make_client, registry: Registry, store: SQLiteStore, findings
) -> TestClient:
    """The demo admin's app with a partner that has an active and a revoked grant, and a
    manager and a partner with keys."""
    registry.create_user("mads", role="manager", buildings=[SCHOOL], actor="test")
    registry.create_user("innosense", role="partner", display_name=EVIL, actor="test")
    expires = datetime.now(UTC) + timedelta(days=30)
    registry.create_grant(
        "innosense", buildings=[SCHOOL], domains=["energy"], expires_at=expires, actor="anne"
    )
    old = registry.create_grant(
        "innosense", building_type="school", domains=["hvac"], expires_at=expires, actor="anne"
    )
    registry.revoke_grant(old.id, actor="anne")
    return make_client(
        store=store, registry=registry, settings=settings_with_key(tmp_path, api_auth="demo")
    )


def checkbox(page: str, domain: str) -> str:
    found = re.search(rf'<input type="checkbox" name="domain" value="{domain}"[^>]*>', page)
    assert found is not None, domain
    return found.group(0)


def test_the_page_shows_partners_grants_forms_and_the_trail_in_bokmal(
    page_client: TestClient,
) -> None:
    response = page_client.get("/partners", headers=HTML)

    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert "<h1>Partnere</h1>" in page
    assert '<a href="/partners">Partnere</a>' in page  # the admin's nav link
    assert '<script src="/static/partners.js?v=' in page
    # The partner, its grants with their status and a revoke button for the active one only.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert EVIL not in page
    assert page.count('data-change-url="/api/v1/grants/') == 1
    assert "aktiv" in page
    assert "tilbakekalt" in page
    assert "alle bygg av typen Skole" in page
    assert 'data-change-url="/api/v1/partners/innosense/disable"' in page
    assert "Nytt MQTT-passord" in page
    # The forms: sensitive domains unchecked, open ones checked, each labelled with its class.
    assert "checked" not in checkbox(page, "occupancy")
    assert "checked" not in checkbox(page, "climate")  # sensitive in nursing homes
    assert "checked" in checkbox(page, "energy")
    assert '<span data-class-of="occupancy">(sensitiv)</span>' in page
    assert '<span data-class-of="climate">(intern; sensitiv: Sykehjem)</span>' in page
    year = (datetime.now(TIMEZONE).date() + timedelta(days=365)).isoformat()
    assert f'name="expires" type="date" value="{year}"' in page
    assert 'data-url="/api/v1/partners"' in page
    assert "Vises bare nå" in page
    # The audit trail and the broker's sync.
    assert "<code>grant.revoke</code>" in page
    assert "<code>grant.create</code>" in page
    assert "Styres av denne serveren" in page
    assert "BYGGPULS_BROKER_ACCESS=off" in page


def test_the_page_in_english(page_client: TestClient) -> None:
    page = page_client.get("/partners?lang=en", headers=HTML).text

    assert '<html lang="en-GB">' in page
    assert "<h1>Partners</h1>" in page
    assert '<span data-class-of="occupancy">(sensitive)</span>' in page
    assert "checked" not in checkbox(page, "occupancy")
    assert "Shown only now" in page
    assert "every building of type School" in page


def test_without_a_credential_key_the_page_says_what_to_set(
    client: TestClient,
) -> None:
    page = client.get("/partners", headers=HTML).text
    assert "BYGGPULS_BROKER_CREDENTIAL_KEY" in page
    assert re.search(r'<button type="submit" disabled>Opprett partner</button>', page)
    assert "Ingen partnere ennå." in page


def test_only_admins_see_the_page(
    page_client: TestClient, registry: Registry, assert_problem
) -> None:
    for name in ("mads", "innosense"):
        token = registry.create_api_key(name, name="test", actor="test")[1]
        headers = {**HTML, "Authorization": f"Bearer {token}"}
        response = page_client.get("/partners", headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "Partnere</h1>" not in response.text
    mads = registry.create_api_key("mads", name="nav", actor="test")[1]
    index = page_client.get("/", headers={**HTML, "Authorization": f"Bearer {mads}"}).text
    assert 'href="/partners"' not in index  # no nav link for a manager


def test_the_page_changes_through_the_api_with_the_sessions_csrf_token(
    *, tmp_path: Path, make_client, registry: Registry, store: SQLiteStore, findings, assert_problem
) -> None:
    registry.create_user("anne", role="admin", password=PASSWORD, actor="test")
    client = make_client(store=store, registry=registry, settings=settings_with_key(tmp_path))
    login = client.post(
        "/login", data={"username": "anne", "password": PASSWORD}, follow_redirects=False
    )
    assert login.status_code == 303
    page = client.get("/partners").text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token is not None

    body = {"username": "innosense"}
    assert_problem(client.post("/api/v1/partners", json=body), 403, "cross-site-request")
    response = client.post("/api/v1/partners", json=body, headers={CSRF_HEADER: token.group(1)})
    assert response.status_code == 201, response.text
    assert registry.audit_events(limit=1, action="broker_client.create")[0].actor == "anne"
    page = client.get("/partners").text
    assert '<tr id="partner-innosense">' in page
    assert response.json()["mqtt"]["password"] not in page


# -- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Registry]]:
    """``byggpuls api`` over a registry with a school, a nursing home and an admin."""
    engine = make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    migrate(engine)
    registry = Registry(engine)
    registry.upsert_building(BuildingInfo(SCHOOL, "Nordnes skole", "school"))
    registry.upsert_building(BuildingInfo("fjellheim", "Fjellheim sykehjem", "nursing_home"))
    registry.create_user("anne", role="admin", password=PASSWORD, actor="test")
    try:
        env = {"BYGGPULS_BROKER_CREDENTIAL_KEY": KEY}
        with ApiServer(workdir=tmp_path, auth="required", env=env) as api:
            yield api.url, registry
    finally:
        engine.dispose()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    """Headless Chromium, as tests/integration/test_browser.py drives it."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium, "Debian's chromium is needed: `make services` installs it"
    assert chromedriver, "Debian's chromium-driver is needed: `make services` installs it"
    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=nb-NO"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.integration
@pytest.mark.slow
def test_an_admin_creates_a_partner_and_grants_it_in_the_browser(
    served: tuple[str, Registry], browser: WebDriver
) -> None:
    url, registry = served
    wait = WebDriverWait(browser, PAGE_TIMEOUT_S)
    browser.get(f"{url}/login?next=/partners")
    browser.find_element(By.NAME, "username").send_keys("anne")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.ID, "partner-form")))

    form = browser.find_element(By.ID, "partner-form")
    form.find_element(By.NAME, "username").send_keys("innosense")
    form.find_element(By.NAME, "display_name").send_keys("InnoSense AS")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    panel = browser.find_element(By.ID, "credentials")
    wait.until(lambda _: panel.is_displayed())
    token = browser.find_element(By.ID, "cred-token").text
    command = browser.find_element(By.ID, "cred-command").text
    assert token.startswith("bpk_")
    assert "mosquitto_sub" in command
    assert "-u innosense" in command
    assert "Vises bare nå" in panel.text
    assert registry.user("innosense") is not None

    browser.get(f"{url}/partners")
    grant_form = wait.until(ec.presence_of_element_located((By.ID, "grant-form")))
    reason = grant_form.find_element(By.NAME, "reason")
    climate = grant_form.find_element(By.CSS_SELECTOR, "input[value=climate]")
    label = grant_form.find_element(By.CSS_SELECTOR, "[data-class-of=climate]")
    assert not climate.is_selected()
    grant_form.find_element(By.NAME, "buildings").send_keys(SCHOOL)
    climate.click()
    # Room climate is internal in a school: no reason needed.
    assert label.text == "(intern)"
    assert reason.get_attribute("required") is None
    grant_form.find_element(By.NAME, "buildings").send_keys(", fjellheim")
    assert label.text == "(sensitiv)"  # in a nursing home it is sensitive
    assert reason.get_attribute("required") == "true"
    reason.send_keys("Inneklima i pilot med varsling, avtale 2025-14.")
    grant_form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    revoke = wait.until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "button[data-confirm=revoke]"))
    )
    (made,) = registry.grants(partner="innosense")
    assert made.buildings == ("fjellheim", SCHOOL)
    assert made.domains == ("climate", "energy", "hvac", "water")  # the open ones are ticked
    assert made.reason == "Inneklima i pilot med varsling, avtale 2025-14."

    revoke.click()
    browser.switch_to.alert.accept()
    wait.until(lambda _: registry.grants(partner="innosense", status=GrantStatus.REVOKED))
    assert registry.grants(partner="innosense")[0].revoked_by == "anne"
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
