"""``/api/v1/buildings``: the portfolio, and one building with its points and newest readings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.health import HealthDay
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"


def test_list_buildings_on_each_registry_database(
    *,
    database_url: str,
    tmp_path: Path,
    now: datetime,
    make_client,
    open_registry_at,
    seed,
) -> None:
    registry = open_registry_at(database_url)
    with SQLiteStore(tmp_path / "readings.sqlite3") as store:
        seed(registry, store)
        client = make_client(store=store, registry=registry)

        response = client.get("/api/v1/buildings")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["count"] == 2
    school, kindergarten = body["items"]
    newest = (now.replace(second=0, microsecond=0) - timedelta(minutes=1)).isoformat()
    assert school == {
        "id": SCHOOL,
        "name": "Nordnes skole",
        "type": "school",
        "floor_area_m2": 5400.0,
        "address": "Nordnesbakken 12, 5005 Bergen",
        "point_count": 7,
        "last_reading_at": newest.replace("+00:00", "Z"),
        "findings": {"open": 1, "acknowledged": 1, "waste_kwh": 300.0, "waste_nok": 390.0},
        "health": {
            "score": 74.5,
            "band": "watch",
            "day": now.date().isoformat(),
            "parts": {
                "energy": 62.0,
                "indoor_climate": 91.0,
                "equipment": 85.0,
                "data_quality": None,
            },
        },
        "intensity_kwh_m2_year": None,  # given when sorted by it
    }
    assert kindergarten["id"] == "solheim-bhg"
    assert kindergarten["type"] == "kindergarten"
    assert kindergarten["point_count"] == 1
    assert kindergarten["last_reading_at"] is None
    assert kindergarten["findings"] == {
        "open": 0,
        "acknowledged": 0,
        "waste_kwh": 0.0,
        "waste_nok": 0.0,
    }
    assert kindergarten["health"] is None


def _ids(client: TestClient, sort: str) -> list[str]:
    response = client.get("/api/v1/buildings", params={"sort": sort, "latest": "false"})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_list_sorts_by_health_worst_first_and_unscored_last(
    *, registry: Registry, store: SQLiteStore, now: datetime, make_client, seed
) -> None:
    seed(registry, store, school_name="Åsane skole")
    client = make_client(store=store, registry=registry)
    assert _ids(client, "health") == [SCHOOL, KINDERGARTEN]  # never scored: last

    # Scored worse than the school: first. Unknown (too little data): last, as never scored.
    registry.record_health([HealthDay(KINDERGARTEN, now.date(), 41.0, "act", {})])
    assert _ids(client, "health") == [KINDERGARTEN, SCHOOL]
    registry.record_health([HealthDay(KINDERGARTEN, now.date(), None, None, {})])
    assert _ids(client, "health") == [SCHOOL, KINDERGARTEN]

    assert _ids(client, "id") == [SCHOOL, KINDERGARTEN]
    # "Å" sorts after "S" in Norwegian, and in Unicode.
    assert _ids(client, "name") == [KINDERGARTEN, SCHOOL]
    assert _ids(client, "waste") == [SCHOOL, KINDERGARTEN]


def test_list_filters_by_type_band_and_open_findings_a_page_at_a_time(
    client: TestClient,
) -> None:
    def ids(**params: object) -> tuple[list[str], int]:
        response = client.get("/api/v1/buildings", params={"latest": "false", **params})
        assert response.status_code == 200, response.text
        body = response.json()
        return [item["id"] for item in body["items"]], body["count"]

    assert ids(type="kindergarten") == ([KINDERGARTEN], 1)
    assert ids(type=["kindergarten", "school"]) == ([SCHOOL, KINDERGARTEN], 2)
    assert ids(band="watch") == ([SCHOOL], 1)
    assert ids(band="unknown") == ([KINDERGARTEN], 1)  # never scored
    assert ids(band="good") == ([], 0)
    assert ids(open_findings="true") == ([SCHOOL], 1)
    assert ids(open_findings="false") == ([KINDERGARTEN], 1)
    # A page: count is every match, items the page's.
    assert ids(limit=1) == ([SCHOOL], 2)
    assert ids(limit=1, offset=1) == ([KINDERGARTEN], 2)
    assert ids(offset=5) == ([], 2)


def test_list_sorts_by_energy_per_square_metre_and_year(
    client: TestClient, registry: Registry, now: datetime
) -> None:
    # Two weeks of 54 kWh an hour in the school's 5 400 m²: scaled to a year, 87.6 kWh/m².
    start = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=14)
    registry.record_energy_hours(
        [
            EnergyHour(
                SCHOOL, "electricity", start + timedelta(hours=h), "el.power", 54.0, None, None
            )
            for h in range(14 * 24)
        ]
    )
    body = client.get("/api/v1/buildings", params={"sort": "intensity"}).json()
    assert [item["id"] for item in body["items"]] == [SCHOOL, KINDERGARTEN]
    school, kindergarten = body["items"]
    assert school["intensity_kwh_m2_year"] == 87.6
    assert kindergarten["intensity_kwh_m2_year"] is None  # no floor area, no ledger


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"type": "castle"}, "type"),
        ({"band": "red"}, "band"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"open_findings": "maybe"}, "open_findings"),
    ],
)
def test_list_refuses_bad_filters(
    client: TestClient, assert_problem, params: dict[str, str], parameter: str
) -> None:
    problem = assert_problem(
        client.get("/api/v1/buildings", params=params), 422, "invalid-parameters"
    )
    assert problem["errors"][0]["parameter"] == parameter


def test_list_rejects_an_unknown_order(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get("/api/v1/buildings", params={"sort": "colour"}), 422, "invalid-parameters"
    )
    assert problem["errors"][0]["parameter"] == "sort"


def test_building_carries_its_health_breakdown_and_trend(client: TestClient, now: datetime) -> None:
    body = client.get(f"/api/v1/buildings/{SCHOOL}").json()

    health = body["health"]
    assert health["score"] == 74.5
    assert health["band"] == "watch"
    assert health["day"] == now.date().isoformat()
    assert set(health["parts"]) == {"energy", "indoor_climate", "equipment", "data_quality"}
    energy = health["parts"]["energy"]
    assert energy["score"] == 62.0
    assert energy["weight"] == 0.4
    assert energy["reasons"] == [
        {
            "text_nb": "Ventilasjon utenom åpningstid: 100 kWh",
            "text_en": "After-hours ventilation: 100 kWh",
            "points": 38.0,
            "finding_id": None,
        }
    ]
    assert health["parts"]["data_quality"]["score"] is None
    yesterday = (now.date() - timedelta(days=1)).isoformat()
    assert body["health_trend"] == [
        {"day": yesterday, "score": 81.0, "band": "good"},
        {"day": now.date().isoformat(), "score": 74.5, "band": "watch"},
    ]


def test_building_never_scored_has_no_health(client: TestClient) -> None:
    body = client.get(f"/api/v1/buildings/{KINDERGARTEN}").json()
    assert body["health"] is None
    assert body["health_trend"] == []


def test_list_without_latest_answers_from_the_registry_alone(client: TestClient) -> None:
    body = client.get("/api/v1/buildings", params={"latest": "false"}).json()
    assert [item["last_reading_at"] for item in body["items"]] == [None, None]
    assert [item["point_count"] for item in body["items"]] == [7, 1]


def test_list_rejects_a_bad_flag(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get("/api/v1/buildings", params={"latest": "maybe"}), 422, "invalid-parameters"
    )
    assert problem["errors"] == [
        {"detail": problem["errors"][0]["detail"], "parameter": "latest", "in": "query"}
    ]


def test_building_has_points_with_metadata_and_latest_values(client: TestClient) -> None:
    response = client.get(f"/api/v1/buildings/{SCHOOL}")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Nordnes skole"
    assert body["findings"]["open"] == 1
    points = {point["id"]: point for point in body["points"]}
    assert len(points) == 7
    # Key points first: electricity, district heating, room temperatures, CO₂, then the rest.
    assert [point["id"] for point in body["points"]] == [
        "el.power",
        "dh.power",
        "room-101.temp",
        "room-102.temp",
        "room-101.co2",
        "room-102.co2",
        "ahu1.supply_air_temp",
    ]
    co2 = points["room-101.co2"]
    assert co2 == {
        "id": "room-101.co2",
        "domain": "climate",
        "quantity": "co2",
        "unit": "ppm",
        "brick_class": "CO2_Level_Sensor",
        "zone": "Rom 101",
        "interval_s": 60,
        "description": "CO₂ i 101",
        "latest": {"time": body["last_reading_at"], "value": 650.0},
    }
    assert points["el.power"]["latest"]["value"] == 42.25
    assert points["dh.power"]["latest"]["value"] == 120.0


def test_building_without_readings_has_null_latest(client: TestClient) -> None:
    body = client.get("/api/v1/buildings/solheim-bhg").json()
    assert body["last_reading_at"] is None
    assert [point["latest"] for point in body["points"]] == [None]


def test_unknown_building_is_a_404_problem(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.get("/api/v1/buildings/no-such-school"), 404, "not-found")
    assert problem["detail"] == "There is no building 'no-such-school'."
