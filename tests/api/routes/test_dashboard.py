"""The dashboard pages, rendered from real data, and safe against what the data contains."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from byggpuls.reading import PointInfo
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.servers import free_port

NBSP = "\u00a0"
SCHOOL = "nordnes-skole"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
EVIL = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">"


def test_index_lists_every_building_with_key_readings_and_findings(client: TestClient) -> None:
    response = client.get("/", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert "Nordnes skole" in page
    assert "Solheim barnehage" in page
    assert "Nordnesbakken 12, 5005 Bergen" in page
    assert f"5{NBSP}400{NBSP}m²" in page
    assert "Kindergarten" in page
    assert f"42,3{NBSP}kW" in page  # electricity
    assert f"120,0{NBSP}kW" in page  # district heating
    assert f"21,4\u201322,8{NBSP}°C" in page  # both rooms
    # CO₂ above 1000 ppm (TEK17) in one room is marked.
    assert re.search(
        rf'class="num alert">\s*<span title="2 rooms">650\u20131{NBSP}040{NBSP}ppm', page
    )
    assert "1 open" in page
    assert f"300{NBSP}kWh · 390{NBSP}kr" in page
    assert 'href="/buildings/nordnes-skole"' in page
    assert "/static/dashboard.js?v=" in page
    assert "cdn" not in page.lower()


def test_index_ranks_buildings_worst_health_first_with_a_compact_breakdown(
    client: TestClient, registry: Registry
) -> None:
    page = client.get("/", headers=HTML).text
    # The school (74.5, watch) before the kindergarten, which was never scored.
    assert page.index("Nordnes skole") < page.index("Solheim barnehage")
    assert re.search(r'<span class="health watch"[^>]*>75</span>', page)
    assert re.search(r'<span class="part-name">Energy</span> 62<', page)
    assert re.search('<span class="part-name">Data</span> \u2013<', page)

    today = datetime.now(UTC).date()
    registry.record_health([HealthDay("solheim-bhg", today, 41.0, "act", {})])
    page = client.get("/", headers=HTML).text
    assert page.index("Solheim barnehage") < page.index("Nordnes skole")
    assert re.search(r'<span class="health act"[^>]*>41</span>', page)


def test_building_page_shows_the_health_breakdown_with_reasons(client: TestClient) -> None:
    page = client.get(f"/buildings/{SCHOOL}").text
    assert '<section id="health">' in page
    assert re.search(r'<span class="health watch">75</span> of 100 \(watch\)', page)
    assert "After-hours ventilation: 100 kWh" in page
    assert re.search(r"<span>Indoor climate</span>\s*<span>91", page)
    assert page.index('id="health"') < page.index('id="findings"')


def test_building_never_scored_says_so(client: TestClient) -> None:
    page = client.get("/buildings/solheim-bhg").text
    assert "Not scored yet" in page


def test_building_page_shows_points_findings_and_the_chart(
    client: TestClient, findings: dict[str, int]
) -> None:
    response = client.get(f"/buildings/{SCHOOL}", params={"point": "room-101.co2", "range": "7d"})

    assert response.status_code == 200
    page = response.text
    assert "<h1>Nordnes skole</h1>" in page
    for point_id in ("el.power", "dh.power", "room-101.temp", "ahu1.supply_air_temp"):
        assert f">{point_id}</a>" in page
    assert "Zone_Air_Temperature_Sensor" in page
    assert f"650{NBSP}ppm" in page
    # The chart: the chosen point over the chosen range, from the JSON API.
    assert 'data-series-url="/api/v1/buildings/nordnes-skole/series?point=room-101.co2"' in page
    assert 'data-range-ms="604800000"' in page
    assert 'data-every="30m"' in page
    assert 'data-unit="ppm"' in page
    # Findings with waste, evidence and the actions their status allows.
    assert "After hours operation" in page
    assert f"100{NBSP}kWh" in page
    assert f"130{NBSP}kr" in page
    assert "Baseline (kW)" in page
    assert f'data-url="/api/v1/findings/{findings["open"]}/acknowledge"' in page
    assert f'data-url="/api/v1/findings/{findings["acknowledged"]}/resolve"' in page
    assert f'data-url="/api/v1/findings/{findings["resolved"]}/reopen"' in page


def test_building_page_defaults_to_the_first_key_point_and_24_hours(client: TestClient) -> None:
    page = client.get(f"/buildings/{SCHOOL}", params={"range": "bogus"}).text
    assert 'data-series-url="/api/v1/buildings/nordnes-skole/series?point=el.power"' in page
    assert 'data-range-ms="86400000"' in page


def test_building_without_readings(client: TestClient) -> None:
    page = client.get("/buildings/solheim-bhg").text
    assert "No open findings." in page
    assert re.search(r"last reading\s+never", page)
    assert 'data-series-url="/api/v1/buildings/solheim-bhg/series?point=el.power"' in page


def test_unknown_building_page_is_a_404_page_for_browsers(
    client: TestClient, assert_problem
) -> None:
    page = client.get("/buildings/nowhere", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "There is no building &#39;nowhere&#39;." in page.text
    # A program asking the same gets problem details.
    assert_problem(client.get("/buildings/nowhere"), 404, "not-found")


def test_static_files_are_served(client: TestClient) -> None:
    script = client.get("/static/dashboard.js")
    style = client.get("/static/dashboard.css")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "function draw(" in script.text
    assert style.status_code == 200
    assert "--accent" in style.text


def test_problem_types_explain_themselves(client: TestClient, assert_problem) -> None:
    page = client.get("/problems/too-many-points", headers=HTML)
    assert page.status_code == 200
    assert "suggested_every" in page.text
    assert_problem(client.get("/problems/no-such-problem"), 404, "not-found")


@pytest.fixture
def evil_client(
    registry: Registry,
    store: SQLiteStore,
    seed,
    make_client,
) -> TestClient:
    """The portfolio, with markup in every free-text field the pages show."""
    seed(registry, store, school_name=EVIL)
    registry.upsert_points(
        building=SCHOOL,
        gateway="gw1",
        points=[
            PointInfo("room-103.temp", "climate", "temperature", "Cel", f"X{EVIL}", EVIL, 60, EVIL),
        ],
        source="meta",
    )
    registry.upsert_findings(
        [
            NewFinding(
                building=SCHOOL,
                kind="<b>bold</b>",
                points=("el.power",),
                start=datetime(2025, 1, 1, tzinfo=UTC),
                end=None,
                evidence={EVIL: EVIL, "nested": [EVIL]},
            )
        ]
    )
    return make_client(store=store, registry=registry)


@pytest.mark.parametrize(
    "path", ["/", f"/buildings/{SCHOOL}", f"/buildings/{SCHOOL}?point=room-103.temp"]
)
def test_markup_in_the_data_is_escaped(evil_client: TestClient, path: str) -> None:
    page = evil_client.get(path, headers=HTML).text

    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<b>bold" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # The only scripts are the dashboard's own file.
    assert re.findall(r"<script[^>]*>", page) == [
        re.search(r'<script src="[^"]+" defer>', page).group(0)
    ]  # type: ignore[union-attr]


def test_the_pages_stay_up_while_the_store_is_down(
    registry: Registry,
    store: SQLiteStore,
    seed,
    make_client,
) -> None:
    seed(registry, store)
    with InfluxStore(base_url=f"http://127.0.0.1:{free_port()}", timeout_s=2.0) as down:
        client = make_client(store=down, registry=registry)
        index = client.get("/", headers=HTML)
        building = client.get(f"/buildings/{SCHOOL}", headers=HTML)

    for response in (index, building):
        assert response.status_code == 200
        assert "The reading store did not answer" in response.text
        assert "Nordnes skole" in response.text
    assert "1 open" in index.text


def test_markup_in_the_url_is_escaped_on_error_pages(client: TestClient) -> None:
    response = client.get("/buildings/<script>alert(1)<%2Fscript>", headers=HTML)
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text
