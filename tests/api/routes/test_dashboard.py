"""The dashboard pages, rendered from real data, in bokmål (or English on request), and safe
against what the data contains."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jinja2.ext import babel_extract

from api import i18n
from api.advice import ADVICE
from api.keypoints import in_opening_hours
from api.web import TEMPLATES_DIR
from byggpuls.reading import PointInfo
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.influx import InfluxStore
from byggpuls.storage.sqlite import SQLiteStore
from sandbox.servers import free_port

NBSP = "\u00a0"
SCHOOL = "nordnes-skole"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: Texts that read the same in bokmål.
SAME = {"Data:", "Type", "Status", "Gateway", "min"}
EVIL = "<script>alert('x')</script><img src=x onerror=\"alert(1)\">"


def test_index_lists_every_building_with_key_readings_and_findings(
    client: TestClient, now: datetime
) -> None:
    response = client.get("/", headers=HTML)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert "Nordnes skole" in page
    assert "Solheim barnehage" in page
    assert "Nordnesbakken 12, 5005 Bergen" in page
    assert f"5{NBSP}400{NBSP}m²" in page
    assert '<html lang="nb-NO">' in page
    assert "Barnehage" in page  # the kindergarten's type
    assert f"42,3{NBSP}kW" in page  # electricity
    assert f"120,0{NBSP}kW" in page  # district heating
    assert f"21,4\u201322,8{NBSP}°C" in page  # both rooms
    # CO₂ above 1000 ppm (TEK17) in one room is marked, in the school's opening hours only.
    co2 = re.search(
        rf'class="num( alert)?">\s*<span title="2 rom">650\u20131{NBSP}040{NBSP}ppm', page
    )
    assert co2 is not None
    newest_ms = int((datetime.now(UTC).replace(second=0, microsecond=0)).timestamp() * 1000)
    assert (co2.group(1) is not None) == in_opening_hours("school", newest_ms - 60_000)
    assert "1 åpent" in page
    assert "1 kvittert" in page
    assert f"390{NBSP}kr" in page  # waste of the open and the acknowledged finding
    assert f"300{NBSP}kWh" in page
    assert 'href="/buildings/nordnes-skole"' in page
    assert "/static/dashboard.js?v=" in page
    assert "cdn" not in page.lower()


def test_index_ranks_buildings_worst_health_first_with_a_compact_breakdown(
    client: TestClient, registry: Registry
) -> None:
    page = client.get("/", headers=HTML).text
    # The school (74.5, watch) before the kindergarten, which was never scored.
    assert _listed(page) == ["Nordnes skole", "Solheim barnehage"]
    assert re.search(r'<span class="health watch"[^>]*>75</span>', page)
    assert re.search(r'<span class="part-name">Energi</span> 62<', page)
    assert re.search('<span class="part-name">Data</span> \u2013<', page)

    today = datetime.now(UTC).date()
    registry.record_health([HealthDay("solheim-bhg", today, 41.0, "act", {})])
    page = client.get("/", headers=HTML).text
    assert _listed(page) == ["Solheim barnehage", "Nordnes skole"]
    assert re.search(r'<span class="health act"[^>]*>41</span>', page)


def test_building_page_shows_the_health_breakdown_with_reasons(client: TestClient) -> None:
    page = client.get(f"/buildings/{SCHOOL}").text
    assert '<section id="health">' in page
    assert re.search(r'<span class="health watch">75</span> av 100 \(følg med\)', page)
    assert "Ventilasjon utenom åpningstid: 100 kWh" in page
    assert re.search(r"<span>Inneklima</span>\s*<span>91", page)
    assert page.index('id="health"') < page.index('id="findings"')


def test_building_never_scored_says_so(client: TestClient) -> None:
    page = client.get("/buildings/solheim-bhg").text
    assert "Ikke vurdert ennå" in page


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
    (series,) = _chart_series(page)
    assert series["url"] == "/api/v1/buildings/nordnes-skole/series?point=room-101.co2"
    assert series["unit"] == "ppm"
    assert series["baseline_url"] is None  # not a meter
    assert 'data-range-ms="604800000"' in page
    assert 'data-every="30m"' in page
    # Findings with waste, advice, evidence and the actions their status allows.
    assert ADVICE["after_hours_operation"].title.nb in page
    assert ADVICE["after_hours_operation"].cause.nb in page
    assert ADVICE["after_hours_operation"].check.nb in page
    assert f"100{NBSP}kWh" in page
    assert f"130{NBSP}kr" in page
    assert "Forventet (kW)" in page  # the evidence's baseline_kw
    assert ">Kvitter</button>" in page
    assert f'data-url="/api/v1/findings/{findings["open"]}/acknowledge"' in page
    assert f'data-url="/api/v1/findings/{findings["acknowledged"]}/resolve"' in page
    assert f'data-url="/api/v1/findings/{findings["resolved"]}/reopen"' in page


def test_building_page_defaults_to_the_first_key_point_and_24_hours(client: TestClient) -> None:
    page = client.get(f"/buildings/{SCHOOL}", params={"range": "bogus"}).text
    (series,) = _chart_series(page)
    assert series["url"] == "/api/v1/buildings/nordnes-skole/series?point=el.power"
    # The main electricity meter gets the ledger's hourly baseline.
    assert series["baseline_url"] == (
        "/api/v1/buildings/nordnes-skole/consumption?resolution=hour&carrier=electricity"
    )
    assert 'data-range-ms="86400000"' in page


def test_building_without_readings(client: TestClient) -> None:
    page = client.get("/buildings/solheim-bhg").text
    assert "Ingen åpne funn." in page
    assert re.search(r"siste måling\s+aldri", page)
    (series,) = _chart_series(page)
    assert series["url"] == "/api/v1/buildings/solheim-bhg/series?point=el.power"


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
    assert "echarts.init(" in script.text
    echarts = client.get("/static/vendor/echarts/echarts.min.js")
    assert echarts.status_code == 200
    assert "6.1.0" in echarts.text
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
    # The only scripts are the dashboard's own files; the rest is JSON data, which runs not.
    for tag in re.findall(r"<script[^>]*>", page):
        assert re.fullmatch(
            r'<script src="/static/[^"]+" defer>|<script type="application/json"[^>]*>', tag
        ), tag


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
        assert "Måledatabasen svarte ikke" in response.text
        assert "Nordnes skole" in response.text
    assert "1 åpent" in index.text


def test_markup_in_the_url_is_escaped_on_error_pages(client: TestClient) -> None:
    response = client.get("/buildings/<script>alert(1)<%2Fscript>", headers=HTML)
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.text
    assert "&lt;script&gt;alert(1)" in response.text


def _chart_series(page: str) -> list[dict[str, Any]]:
    """The series the building page's chart is to draw (its JSON data block)."""
    match = re.search(
        r'id="chart".*?<script type="application/json" class="chart-data">(.*?)<', page, re.S
    )
    assert match is not None
    series: list[dict[str, Any]] = json.loads(match.group(1))
    return series


def _listed(page: str) -> list[str]:
    """The buildings in the portfolio's table, in its order."""
    return re.findall(r'<a class="name" href="[^"]+">([^<]+)</a>', page)


def test_english_on_request_is_kept_in_a_cookie(client: TestClient) -> None:
    response = client.get("/", params={"lang": "en"}, headers=HTML)
    assert response.cookies["byggpuls_lang"] == "en"
    assert '<html lang="en-GB">' in response.text
    assert "1 open" in response.text
    assert f"5,400{NBSP}m²" in response.text
    assert 'href="?lang=nb"' in response.text  # the way back
    # The cookie keeps the choice, on every page, with numbers and advice in English.
    page = client.get(f"/buildings/{SCHOOL}", params={"point": "el.power"}).text
    assert '<html lang="en-GB">' in page
    assert ADVICE["after_hours_operation"].check.en in page
    assert "After-hours ventilation: 100 kWh" in page
    assert f"42.3{NBSP}kW" in page
    assert 'href="?point=el.power&amp;lang=nb"' in page  # the switch keeps the page's query

    back = client.get("/", params={"lang": "nb"}).text
    assert '<html lang="nb-NO">' in back
    assert client.cookies["byggpuls_lang"] == "nb"


def test_an_unknown_language_is_bokmal(client: TestClient) -> None:
    response = client.get(
        "/", params={"lang": "xx"}, headers={**HTML, "Cookie": "byggpuls_lang=de"}
    )
    assert '<html lang="nb-NO">' in response.text
    assert "byggpuls_lang" not in response.cookies


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ({}, ["Nordnes skole", "Solheim barnehage"]),
        ({"type": "kindergarten"}, ["Solheim barnehage"]),
        ({"health": "watch"}, ["Nordnes skole"]),
        ({"health": "unknown"}, ["Solheim barnehage"]),
        ({"health": "act"}, []),
        ({"open": "1"}, ["Nordnes skole"]),
        ({"type": "school", "open": "1"}, ["Nordnes skole"]),
        ({"health": "bogus"}, ["Nordnes skole", "Solheim barnehage"]),
    ],
)
def test_the_portfolio_filters_by_type_health_and_open_findings(
    client: TestClient, query: dict[str, str], listed: list[str]
) -> None:
    page = client.get("/", params=query).text
    assert _listed(page) == listed
    if not listed:
        assert "Ingen bygg passer filtrene." in page
    # Totals are those of the buildings shown.
    assert re.search(rf"<strong>{len(listed)}</strong> bygg", page)


SCHOOL_FIRST = ["Nordnes skole", "Solheim barnehage"]


@pytest.mark.parametrize(
    ("query", "listed", "arrow", "other_way"),
    [
        ({"sort": "name"}, SCHOOL_FIRST, "ascending", "?sort=name&amp;desc=1"),
        ({"sort": "name", "desc": "1"}, SCHOOL_FIRST[::-1], "descending", "?sort=name"),
        ({"sort": "waste"}, SCHOOL_FIRST, "descending", "?sort=waste&amp;desc=0"),
        ({"sort": "area"}, SCHOOL_FIRST, "descending", "?sort=area&amp;desc=0"),
        # No floor area and no readings sort last, whichever way.
        ({"sort": "area", "desc": "0"}, SCHOOL_FIRST, "ascending", "?sort=area"),
        ({"sort": "reading", "desc": "0"}, SCHOOL_FIRST, "ascending", "?sort=reading"),
        ({"sort": "bogus"}, SCHOOL_FIRST, "ascending", "?desc=1"),  # health, worst first
    ],
)
def test_the_portfolio_sorts_by_a_column_both_ways(
    client: TestClient, query: dict[str, str], listed: list[str], arrow: str, other_way: str
) -> None:
    page = client.get("/", params=query).text
    assert _listed(page) == listed
    header = re.search(r'<th scope="col"[^>]*aria-sort="(\w+)">\s*<a[^>]*href="([^"]+)"', page)
    assert header is not None
    assert header.group(1) == arrow
    # The current column's link sorts the other way round.
    assert header.group(2) == other_way


def test_the_waste_chart_has_the_buildings_with_waste(client: TestClient) -> None:
    page = client.get("/").text
    match = re.search(r'id="waste-chart".*?class="chart-data">(.*?)<', page, re.S)
    assert match is not None
    # The open and the acknowledged finding; the resolved one is no longer waste.
    assert json.loads(match.group(1)) == [{"id": SCHOOL, "name": "Nordnes skole", "nok": 390}]
    assert "/static/vendor/echarts/echarts.min.js" in page


def test_a_finding_is_shown_in_the_chart_over_its_period(
    client: TestClient, findings: dict[str, int], now: datetime
) -> None:
    page = client.get(f"/buildings/{SCHOOL}").text
    link = re.search(
        rf'id="finding-{findings["open"]}".*?class="show-in-chart" href="([^"]+)"', page, re.S
    )
    assert link is not None
    assert ">Vis i graf<" in page
    chart = client.get(f"/buildings/{SCHOOL}" + link.group(1).replace("&amp;", "&")).text
    start = now.replace(second=0, microsecond=0) - timedelta(days=3)
    start_ms = int(start.timestamp() * 1000)
    assert f'data-mark-start="{start_ms}"' in chart
    assert f'data-mark-end="{start_ms + 12 * 3_600_000}"' in chart
    # 12 hours and 6 hours either side: 24 hours in buckets of 5 minutes.
    assert f'data-start-ms="{start_ms - 6 * 3_600_000}"' in chart
    assert 'data-every="5m"' in chart
    assert [series["point"] for series in _chart_series(chart)] == ["el.power"]


def test_the_chart_shows_several_points(client: TestClient) -> None:
    query = [("point", "room-101.temp"), ("point", "room-102.temp"), ("point", "nowhere")]
    page = client.get(f"/buildings/{SCHOOL}", params=query).text
    assert [s["point"] for s in _chart_series(page)] == ["room-101.temp", "room-102.temp"]
    assert re.search(r'<input type="checkbox" name="point" value="room-102.temp" checked>', page)


def test_the_energy_views_read_the_json_api(client: TestClient) -> None:
    page = client.get(f"/buildings/{SCHOOL}").text
    base = f"/api/v1/buildings/{SCHOOL}"
    assert f'data-day-url="{base}/consumption?resolution=day"' in page
    month = re.search(r'data-month-url="([^"]+)"', page)
    assert month is not None
    start, end = re.findall(r"(\d{4}-\d{2}-01)", month.group(1))
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    assert (last.year - first.year) * 12 + last.month - first.month == 12
    assert f'href="{base}/consumption?resolution=day&amp;format=csv"' in page
    assert f'data-url="{base}/consumption/heatmap?carrier=electricity&amp;days=28"' in page
    assert f'data-url="{base}/intensity"' in page
    # What the page links to answers.
    assert client.get(month.group(1).replace("&amp;", "&")).json()["resolution"] == "month"


def test_data_quality_shows_completeness_and_gateways(
    client: TestClient, registry: Registry
) -> None:
    Accounting(registry.engine).record_status(
        building=SCHOOL, gateway="gw1", state="offline", spool_depth=12, spool_dropped=0
    )
    page = client.get(f"/buildings/{SCHOOL}").text
    section = page[page.index('<section id="data">') : page.index('<section id="points">')]
    # The points were first seen just now: nothing is owed yet.
    assert "ingenting å telle ennå" in section
    assert re.search(r"<td>gw1</td>\s*<td><span class=\"alert\">frakoblet</span>", section)
    assert '<td class="num">12</td>' in section


@pytest.mark.parametrize("now", [datetime.now(UTC) - timedelta(hours=3)])
def test_an_old_reading_out_of_band_is_not_red(client: TestClient) -> None:
    page = client.get("/").text
    # CO₂ was 1 040 ppm three hours ago: shown, not marked as wrong now.
    assert f"650\u20131{NBSP}040{NBSP}ppm" in page
    assert 'class="num alert"' not in page
    assert '<time datetime="' in page
    assert 'class="stale"' in page


def test_every_text_of_the_pages_has_a_bokmal_translation() -> None:
    catalog = i18n.translations("nb")
    for path in sorted(TEMPLATES_DIR.glob("*.html")):
        with path.open("rb") as source:
            for _line, _function, message, _comments in babel_extract(
                source, ("_", "gettext", "ngettext"), [], {"extensions": "jinja2.ext.i18n"}
            ):
                if message is None or (isinstance(message, tuple) and None in message[:1]):
                    continue  # a message chosen at run time
                ids = (message,) if isinstance(message, str) else tuple(m for m in message if m)
                if len(ids) == 1:
                    assert catalog.gettext(ids[0]) != ids[0] or ids[0] in SAME, (path, ids)
                else:
                    assert catalog.ngettext(ids[0], ids[1], 2) != ids[1], (path, ids)
