"""``GET /api/v1/catalog`` and the ``/catalog`` page: what data the portfolio holds, narrowed
to what the caller may read.

The portfolio of tests/api/conftest.py: Nordnes skole (energy, climate and hvac points) and
Solheim barnehage (one electricity point without an interval). tests/api/test_catalog.py
checks the scoping by (building, domain) pairs on the catalogue itself.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.settings import ApiSettings
from byggpuls.privacy import DESCRIPTIONS, PrivacyClass
from byggpuls.reading import BuildingInfo
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore
from gateway.drivers.simulated import gateway_id, portfolio_drivers

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
#: A Monday at midnight UTC.
START_S = 1_767_571_200.0


def get(
    client: TestClient, *, headers: dict[str, str] | None = None, **params: object
) -> dict[str, Any]:
    response = client.get("/api/v1/catalog", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def types_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {summary["building_type"]: summary for summary in body["building_types"]}


def test_the_catalogue_describes_each_type_and_building(client: TestClient) -> None:
    body = get(client)
    assert (body["count"], body["limit"], body["offset"]) == (2, 100, 0)
    summaries = types_of(body)
    assert list(summaries) == [
        "school",
        "kindergarten",
        "nursing_home",
        "office",
        "sports_hall",
        "other",
    ]
    assert summaries["office"] == {"building_type": "office", "buildings": 0, "domains": []}
    school = {d["domain"]: d for d in summaries["school"]["domains"]}
    assert list(school) == ["climate", "energy", "hvac"]
    assert school["climate"] == {
        "domain": "climate",
        "privacy_class": "internal",
        "buildings": 1,
        "points": 4,
        "interval_s": 60,
        "quantities": [
            {
                "quantity": "co2",
                "unit": "ppm",
                "brick_classes": ["CO2_Level_Sensor"],
                "points": 2,
                "interval_s": 60,
            },
            {
                "quantity": "temperature",
                "unit": "Cel",
                "brick_classes": ["Zone_Air_Temperature_Sensor"],
                "points": 2,
                "interval_s": 60,
            },
        ],
    }
    assert school["hvac"]["interval_s"] is None  # the supply air point announced none
    assert school["energy"]["quantities"][0]["brick_classes"] == [
        "Electric_Power_Sensor",
        "Thermal_Power_Sensor",
    ]
    kindergarten = summaries["kindergarten"]["domains"][0]
    assert (kindergarten["domain"], kindergarten["privacy_class"]) == ("energy", "open")

    school_entry, kindergarten_entry = body["buildings"]
    assert (school_entry["id"], school_entry["name"], school_entry["type"]) == (
        SCHOOL,
        "Nordnes skole",
        "school",
    )
    climate = next(d for d in school_entry["domains"] if d["domain"] == "climate")
    assert climate["topic"] == "byggpuls/v1/nordnes-skole/climate"
    assert (climate["privacy_class"], climate["interval_s"]) == ("internal", 60)
    assert climate["points"][0] == {
        "id": "room-101.co2",
        "quantity": "co2",
        "unit": "ppm",
        "brick_class": "CO2_Level_Sensor",
        "zone": "Rom 101",
        "interval_s": 60,
        "description": "CO₂ i 101",
    }
    assert kindergarten_entry["domains"][0]["interval_s"] is None

    assert body["payload"]["example_topic"] == "byggpuls/v1/nordnes-skole/energy"
    assert body["payload"]["example"][0]["bver"] == 26
    assert body["privacy_classes"] == [
        {
            "privacy_class": cls.value,
            "description": {"nb": DESCRIPTIONS[cls][0], "en": DESCRIPTIONS[cls][1]},
        }
        for cls in PrivacyClass
    ]


def test_filters_and_pages(client: TestClient) -> None:
    def ids(**params: object) -> tuple[list[str], int]:
        body = get(client, **params)
        return [b["id"] for b in body["buildings"]], body["count"]

    assert ids(building_type="kindergarten") == ([KINDERGARTEN], 1)
    assert ids(building_type="office") == ([], 0)
    assert ids(domain="climate") == ([SCHOOL], 1)
    assert ids(domain="water") == ([], 0)
    assert ids(building=KINDERGARTEN) == ([KINDERGARTEN], 1)
    assert ids(building=KINDERGARTEN, building_type="school") == ([], 0)
    assert ids(limit=1) == ([SCHOOL], 2)
    assert ids(limit=1, offset=1) == ([KINDERGARTEN], 2)
    assert ids(offset=5) == ([], 2)

    body = get(client, domain="energy")
    assert {d["domain"] for b in body["buildings"] for d in b["domains"]} == {"energy"}
    assert [s["building_type"] for s in get(client, building_type="school")["building_types"]] == [
        "school"
    ]
    # The summary is of every page.
    assert types_of(get(client, limit=1))["kindergarten"]["buildings"] == 1


def test_bad_parameters_are_problems(client: TestClient, assert_problem) -> None:
    for params, name in (
        ({"building_type": "castle"}, "building_type"),
        ({"domain": "Not a domain!"}, "domain"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        problem = assert_problem(
            client.get("/api/v1/catalog", params=params), 422, "invalid-parameters"
        )
        assert [e["parameter"] for e in problem["errors"]] == [name]  # type: ignore[union-attr]
    for building in ("no-such-building", "Not an id"):
        problem = assert_problem(
            client.get("/api/v1/catalog", params={"building": building}), 404, "not-found"
        )
        assert problem["detail"] == f"There is no building {building!r}."


def test_a_manager_and_a_partner_see_the_catalogue_of_what_they_may_read(
    *,
    tmp_path: Path,
    registry: Registry,
    store: SQLiteStore,
    findings: dict[str, int],
    make_client,
    assert_problem,
) -> None:
    registry.create_user("mads", role="manager", buildings=[SCHOOL], actor="test")
    registry.create_user("pia", role="partner", actor="test")
    keys = {
        name: registry.create_api_key(name, name="test", actor="test")[1]
        for name in ("mads", "pia")
    }
    settings = ApiSettings(data_dir=tmp_path, api_workers=2, api_auth="required")
    client = make_client(store=store, registry=registry, settings=settings)

    assert_problem(client.get("/api/v1/catalog"), 401, "unauthenticated")
    mads = {"Authorization": f"Bearer {keys['mads']}"}
    body = get(client, headers=mads)
    assert [b["id"] for b in body["buildings"]] == [SCHOOL]
    assert body["count"] == 1
    # The kindergarten is out of his scope: not counted, its data not described.
    assert types_of(body)["kindergarten"] == {
        "building_type": "kindergarten",
        "buildings": 0,
        "domains": [],
    }
    # ... and, asked for by name, it does not exist, exactly as an unknown building.
    response = client.get("/api/v1/catalog", params={"building": KINDERGARTEN}, headers=mads)
    problem = assert_problem(response, 404, "not-found")
    assert problem["detail"] == f"There is no building {KINDERGARTEN!r}."

    # A partner without a grant is told of no building and no data.
    pia = {"Authorization": f"Bearer {keys['pia']}"}
    body = get(client, headers=pia)
    assert (body["buildings"], body["count"]) == ([], 0)
    assert all(s["buildings"] == 0 and s["domains"] == [] for s in body["building_types"])

    # Granted the school's energy, she is told of that pair alone: not of its climate and hvac
    # points, nor of the kindergarten.
    registry.create_grant(
        "pia",
        buildings=[SCHOOL],
        domains=["energy"],
        expires_at=datetime.now(UTC) + timedelta(days=30),
        actor="test",
    )
    body = get(client, headers=pia)
    assert [(b["id"], [d["domain"] for d in b["domains"]]) for b in body["buildings"]] == [
        (SCHOOL, ["energy"])
    ]
    summaries = types_of(body)
    assert [d["domain"] for d in summaries["school"]["domains"]] == ["energy"]
    assert summaries["kindergarten"]["buildings"] == 0
    assert get(client, headers=pia, domain="climate")["count"] == 0
    response = client.get("/api/v1/catalog", params={"building": KINDERGARTEN}, headers=pia)
    assert_problem(response, 404, "not-found")


def test_the_catalogue_lists_everything_the_simulated_portfolio_publishes(
    *, registry: Registry, store: SQLiteStore, make_client
) -> None:
    portfolio = portfolio_drivers(12, seed=1, start_s=START_S, interval_s=60, faults=False)
    published: set[tuple[str, str, str, str]] = set()
    points_of: dict[str, set[tuple[str, str, str, str]]] = {}
    for driver in portfolio.drivers:
        building = driver.building()
        registry.upsert_building(building)
        points = driver.points()
        registry.upsert_points(
            building=building.id, gateway=gateway_id(building.id), points=points, source="meta"
        )
        domain_of = {p.point: p.domain for p in points}
        # What a gateway of it sends: the readings of a poll, each under its point's domain.
        readings = driver.poll(START_S + 60)
        assert readings
        sent = {(domain_of[r.point], r.point, r.quantity, r.unit or "") for r in readings}
        assert sent <= {(p.domain, p.point, p.quantity, p.unit) for p in points}
        points_of[building.id] = {(p.domain, p.point, p.quantity, p.unit) for p in points}
        published |= {(building.type, p.domain, p.quantity, p.unit) for p in points}
    assert {t for t, *_ in published} >= {"school", "kindergarten", "nursing_home", "office"}
    client = make_client(store=store, registry=registry)

    body = get(client, limit=1000)

    assert body["count"] == len(portfolio.drivers)
    listed = {
        (summary["building_type"], domain["domain"], quantity["quantity"], quantity["unit"])
        for summary in body["building_types"]
        for domain in summary["domains"]
        for quantity in domain["quantities"]
    }
    assert published <= listed
    assert listed <= published  # and nothing the portfolio does not have
    for building in body["buildings"]:
        in_catalogue = {
            (domain["domain"], point["id"], point["quantity"], point["unit"])
            for domain in building["domains"]
            for point in domain["points"]
        }
        assert in_catalogue == points_of[building["id"]]
        assert all(domain["interval_s"] == 60 for domain in building["domains"])


def test_the_page_in_bokmal_and_english(client: TestClient) -> None:
    response = client.get("/catalog", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert '<html lang="nb-NO">' in page
    assert "<h1>Datakatalog</h1>" in page
    assert 'href="/catalog">Datakatalog</a>' in page  # in the navigation
    assert "Personvernklasser" in page
    assert DESCRIPTIONS[PrivacyClass.SENSITIVE][0] in page
    assert "Nordnes skole" in page
    assert "Solheim barnehage" in page
    assert "byggpuls/v1/nordnes-skole/climate" in page
    assert "Zone_Air_Temperature_Sensor" in page
    assert "&#34;bn&#34;:&#34;nordnes-skole:&#34;" in page  # the example pack
    assert "Skole" in page  # the type's label

    english = client.get("/catalog?lang=en", headers=HTML).text
    assert '<html lang="en-GB">' in english
    assert "<h1>Data catalogue</h1>" in english
    assert "Privacy classes" in english
    assert DESCRIPTIONS[PrivacyClass.SENSITIVE][1] in english
    assert "Datakatalog" not in english


def test_the_page_filters_and_ignores_what_it_does_not_know(client: TestClient) -> None:
    page = client.get("/catalog", params={"type": "kindergarten"}, headers=HTML).text
    assert "Solheim barnehage" in page
    assert "Nordnes skole" not in page
    page = client.get("/catalog", params={"domain": "climate"}, headers=HTML).text
    assert "Nordnes skole" in page
    assert "Solheim barnehage" not in page
    for params in (
        {"type": "castle"},
        {"domain": "<b>"},
        {"offset": "-3"},
        {"offset": "x"},
        {"offset": "²"},
    ):
        response = client.get("/catalog", params=params, headers=HTML)
        assert response.status_code == 200
        assert "Nordnes skole" in response.text
        assert "<b>" not in response.text


def test_the_page_shows_the_buildings_a_page_at_a_time(
    *, registry: Registry, store: SQLiteStore, make_client
) -> None:
    for number in range(30):
        registry.upsert_building(BuildingInfo(f"kontor-{number:02d}", f"Kontor {number}", "office"))
    client = make_client(store=store, registry=registry)

    first = client.get("/catalog", params={"lang": "en"}, headers=HTML).text
    assert "Buildings 1\u201325 of 30." in first
    assert "Kontor 24<" in first
    assert "Kontor 25<" not in first
    assert 'href="?offset=25#buildings">Next</a>' in first
    second = client.get("/catalog", params={"offset": "25", "lang": "nb"}, headers=HTML).text
    assert "Bygg 26\u201330 av 30." in second
    assert "Kontor 25<" in second
    assert 'href="?offset=0#buildings">Forrige</a>' in second  # links leave lang to the cookie
