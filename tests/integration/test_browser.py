"""The dashboard in a real browser: Debian's Chromium, headless, driven through its ChromeDriver.

``byggpuls api`` runs as its own process over a registry and store the test seeded: a school
with a week of hourly meter readings, two months of its energy ledger, an after-hours finding,
its health and its gateway's status. A facility manager logs in, finds the school first on the
portfolio (worst health), opens it and acknowledges the finding with a comment; the building
page's charts (ECharts) must have drawn their data, the finding's period must be marked when the
chart is opened from the finding, and the browser must have logged no error (a Content Security
Policy violation is one). Screenshots are kept in ``var/test-artifacts/browser/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.db import make_engine, migrate
from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.api_server import ApiServer
from sandbox.loadgen import wait_until

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "var" / "test-artifacts" / "browser"
SCHOOL = "nordnes-skole"
OTHER = "solheim-bhg"
PASSWORD = "riktig hest batteri stift"
#: A bound that only ends a test whose browser never gets there; a loaded machine starts
#: Chromium and loads a page in seconds. (The API's start: sandbox.api_server.)
PAGE_TIMEOUT_S = 30.0
#: Days of the school's energy ledger: the daily view's 31 days and parts of three months.
LEDGER_DAYS = 62


@dataclass
class Dashboard:
    url: str
    registry: Registry
    finding_id: int


def _seed(data_dir: Path) -> tuple[Registry, int]:
    engine = make_engine(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    migrate(engine)
    registry = Registry(engine)
    registry.upsert_building(
        BuildingInfo(SCHOOL, "Nordnes skole", "school", 5400.0, "Nordnesbakken 12, 5005 Bergen")
    )
    registry.upsert_building(BuildingInfo(OTHER, "Solheim barnehage", "kindergarten", 800.0))
    points = [
        PointInfo("el.power", "energy", "power", "kW", "Electric_Power_Sensor", interval_s=3600),
        PointInfo("dh.power", "energy", "power", "kW", "Thermal_Power_Sensor", interval_s=3600),
        PointInfo(
            "room-101.temp", "climate", "temperature", "Cel",
            "Zone_Air_Temperature_Sensor", "Rom 101", 3600,
        ),
    ]  # fmt: skip
    registry.upsert_points(building=SCHOOL, gateway="gw1", points=points, source="meta")
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    readings = []
    for hours_ago in range(7 * 24, 0, -1):
        moment = now - timedelta(hours=hours_ago)
        local_hour = (moment.hour + 1) % 24
        open_hours = 7 <= local_hour < 17
        values = {
            "el.power": 40.0 if open_hours else (30.0 if hours_ago < 48 else 12.0),
            "dh.power": 120.0 if open_hours else 60.0,
            "room-101.temp": 21.5 if open_hours else 19.0,
        }
        for point in points:
            readings.append(
                Reading(
                    building=SCHOOL,
                    point=point.point,
                    quantity=point.quantity,
                    time_ms=int(moment.timestamp() * 1000),
                    value=values[point.point],
                    unit=point.unit,
                    zone=point.zone,
                )
            )
    with SQLiteStore(data_dir / "readings.sqlite3") as store:
        store.write(readings)
    registry.record_energy_hours(_ledger(now))
    Accounting(engine).record_status(
        building=SCHOOL, gateway="gw1", state="online", spool_depth=0, spool_dropped=0
    )
    start = now - timedelta(hours=48)
    registry.upsert_findings(
        [
            NewFinding(
                building=SCHOOL,
                kind="after_hours_operation",
                points=("el.power",),
                start=start,
                end=now,
                evidence={"baseline_kw": 12.0, "observed_kw": 30.0, "hours": 28},
                waste_kwh=504.0,
                waste_nok=655.2,
                score=0.8,
            )
        ]
    )
    (finding,) = registry.findings(building=SCHOOL)
    parts = {
        "energy": {
            "score": 48.0,
            "weight": 0.4,
            "reasons": [
                {
                    "text_nb": "Ventilasjon utenom åpningstid: 504 kWh",
                    "text_en": "After-hours operation: 504 kWh",
                    "points": 52.0,
                    "finding_id": finding.id,
                }
            ],
        },
        "indoor_climate": {"score": 96.0, "weight": 0.3, "reasons": []},
        "equipment": {"score": 100.0, "weight": 0.2, "reasons": []},
        "data_quality": {"score": 100.0, "weight": 0.1, "reasons": []},
    }
    registry.record_health([HealthDay(SCHOOL, now.date(), 73.2, "watch", parts)])
    registry.record_health([HealthDay(OTHER, now.date(), 95.0, "good", {})])
    registry.create_user(
        "kari", role="manager", display_name="Kari Nordmann", password=PASSWORD,
        buildings=[SCHOOL, OTHER], actor="test",
    )  # fmt: skip
    return registry, finding.id


def _ledger(now: datetime) -> list[EnergyHour]:
    """The school's main meters hour by hour: more at night in the last two days than the
    baseline expects (the after-hours finding), district heat higher when it is open."""
    rows = []
    for hours_ago in range(LEDGER_DAYS * 24, 0, -1):
        hour = now - timedelta(hours=hours_ago)
        local_hour = (hour.hour + 1) % 24
        open_hours = 7 <= local_hour < 17
        expected = 40.0 if open_hours else 12.0
        measured = 40.0 if open_hours else (30.0 if hours_ago < 48 else 12.0)
        rows.append(
            EnergyHour(SCHOOL, "electricity", hour, "el.power", measured, expected, measured * 1.3)
        )
        heat = 120.0 if open_hours else 60.0
        rows.append(EnergyHour(SCHOOL, "heat", hour, "dh.power", heat, heat, heat * 0.9))
    return rows


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Dashboard]:
    registry, finding_id = _seed(tmp_path)
    try:
        with ApiServer(workdir=tmp_path, auth="required") as api:
            yield Dashboard(api.url, registry, finding_id)
    finally:
        registry.engine.dispose()


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    missing = "Debian's chromium and chromium-driver are needed: `make services` installs them"
    assert chromium, missing
    assert chromedriver, missing
    options = Options()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=nb-NO",
    ):
        options.add_argument(argument)
    # The console, where Chromium reports Content Security Policy violations.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: WebDriver, name: str, element_id: str | None = None) -> None:
    """A screenshot of the window, or of one element, into the test artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if element_id is None:
        driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        return
    element = driver.find_element(By.ID, element_id)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.screenshot(str(ARTIFACTS / f"{name}.png"))


#: Per series of the chart in the element with an id: its name and how many data items it has,
#: once ECharts has drawn it (None before).
_SERIES = """
const plot = document.querySelector(`#${arguments[0]} .plot`);
const chart = plot && window.echarts && echarts.getInstanceByDom(plot);
if (!chart) return null;
return chart.getOption().series.map((s) => [s.name || "", s.type, s.data.length]);
"""


def _drawn(driver: WebDriver, element_id: str) -> list[tuple[str, str, int]]:
    """The series the chart in ``element_id`` drew, waiting until it drew them."""
    found: list[tuple[str, str, int]] = []

    def drawn(_: WebDriver) -> bool:
        series = driver.execute_script(_SERIES, element_id)
        if not series:
            return False
        found[:] = [tuple(item) for item in series]
        return True

    WebDriverWait(driver, PAGE_TIMEOUT_S).until(drawn)
    return found


def _errors(driver: WebDriver) -> list[str]:
    """What the browser logged as errors since it was last asked: CSP violations, failed
    requests, script errors."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_a_manager_logs_in_finds_the_school_first_and_acknowledges_its_finding(
    dashboard: Dashboard, browser: WebDriver
) -> None:
    wait = WebDriverWait(browser, PAGE_TIMEOUT_S)
    browser.get(f"{dashboard.url}/")
    # No session: the login page, which brings the manager back to the portfolio.
    wait.until(ec.presence_of_element_located((By.NAME, "password")))
    assert "/login" in browser.current_url
    _shot(browser, "1-login")
    browser.find_element(By.NAME, "username").send_keys("kari")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()

    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.buildings")))
    _shot(browser, "2-portfolio")
    names = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "table.buildings a.name")]
    assert names == ["Nordnes skole", "Solheim barnehage"]  # worst health first
    assert "Kari Nordmann" in browser.find_element(By.CSS_SELECTOR, "header.top").text

    browser.find_element(By.LINK_TEXT, "Nordnes skole").click()
    wait.until(ec.presence_of_element_located((By.ID, "health")))
    # Bokmål by default: the health reason and the finding's advice in Norwegian.
    assert "Ventilasjon utenom åpningstid: 504 kWh" in browser.find_element(By.ID, "health").text
    findings = browser.find_element(By.ID, "findings")
    assert "Strømforbruk utenom åpningstid" in findings.text
    assert "Tidsprogram i SD-anlegget" in findings.text  # what to check, from api/advice.py
    _shot(browser, "3-building")

    button = findings.find_element(By.CSS_SELECTOR, "button[data-action=acknowledge]")
    comment = findings.find_elements(By.CSS_SELECTOR, "textarea, input[name=comment]")
    if comment:
        comment[0].send_keys("Vaktmester sjekker tidsprogrammet")
    button.click()

    def acknowledged() -> bool:
        finding = dashboard.registry.finding(dashboard.finding_id)
        return finding is not None and finding.status == "acknowledged"

    assert wait_until(acknowledged, timeout_s=PAGE_TIMEOUT_S), "the finding was not acknowledged"
    events = dashboard.registry.finding_events(dashboard.finding_id)
    assert events[-1].actor == "kari"
    assert events[-1].comment == "Vaktmester sjekker tidsprogrammet"
    wait.until(ec.text_to_be_present_in_element((By.ID, "findings"), "kvittert"))
    _shot(browser, "4-acknowledged")

    # The reloaded page's charts, drawn with data from the JSON API.
    chart = _drawn(browser, "chart")
    assert ("el.power", "line") in [(name, kind) for name, kind, _ in chart]
    assert all(count > 0 for _, _, count in chart), chart
    assert any(name.startswith("Forventet") and count > 0 for name, _, count in chart), chart
    energy = _drawn(browser, "energy-chart")
    bars = [count for _, kind, count in energy if kind == "bar"]
    assert len(bars) == 2, energy  # both carriers
    assert all(count == 31 for count in bars), energy
    assert any(name.startswith("Strøm \u2013 Forventet") for name, _, _ in energy), energy
    (heatmap,) = _drawn(browser, "heatmap")
    assert heatmap[1] == "heatmap"
    assert heatmap[2] >= 27 * 24, heatmap
    (intensity,) = _drawn(browser, "intensity")
    assert intensity[2] == 3  # the building against TEK17 and the stock
    data = browser.find_element(By.ID, "data").text
    assert "gw1" in data
    assert "tilkoblet" in data
    # A tooltip (drawn on the canvas: nothing the CSP forbids) on the energy chart.
    plot = browser.find_element(By.CSS_SELECTOR, "#energy-chart .plot")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", plot)
    ActionChains(browser).move_to_element(plot).perform()
    _shot(browser, "5-energy", "energy-chart")
    _shot(browser, "6-heatmap", "heatmap")

    # Per month: the last 12 months, of which the ledger covers the last two or three.
    browser.find_element(By.CSS_SELECTOR, "button[data-resolution=month]").click()

    def monthly(driver: WebDriver) -> bool:
        series = driver.execute_script(_SERIES, "energy-chart")
        return bool(series) and all(count == 12 for _, kind, count in series if kind == "bar")

    WebDriverWait(browser, PAGE_TIMEOUT_S).until(monthly)
    _shot(browser, "7-energy-months", "energy-chart")

    # Opened from the finding, the chart marks its period.
    browser.find_element(
        By.CSS_SELECTOR, f"#finding-{dashboard.finding_id} a.show-in-chart"
    ).click()
    marked = """
    const chart = echarts.getInstanceByDom(document.querySelector("#chart .plot"));
    const area = chart && chart.getOption().series[0].markArea;
    return area ? area.data.length : 0;
    """
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(lambda driver: driver.execute_script(marked))
    _shot(browser, "8-finding-period", "chart-section")
    assert _errors(browser) == []

    # English on request, kept in a cookie.
    browser.find_element(By.CSS_SELECTOR, "header.top a.lang").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "findings"), "acknowledged"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en-GB"
    assert "Electricity used outside opening hours" in browser.find_element(By.ID, "findings").text
    browser.get(f"{dashboard.url}/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "table.buildings")))
    assert "Buildings" in browser.find_element(By.TAG_NAME, "h1").text
    _drawn(browser, "waste-chart")
    _shot(browser, "9-portfolio-en")
    assert _errors(browser) == []
