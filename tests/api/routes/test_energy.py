"""``/api/v1/buildings/{id}/consumption`` (JSON and CSV), ``.../consumption/heatmap`` and
``.../intensity`` over a seeded energy ledger, the clock changes of 2025 included."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from byggpuls.calendar import TIMEZONE
from byggpuls.reading import BuildingInfo
from byggpuls.registry.energy import EnergyHour
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"
URL = f"/api/v1/buildings/{SCHOOL}/consumption"


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), TIMEZONE).astimezone(UTC)


def ledger(registry: Registry, *, first: date, last: date, building: str = SCHOOL) -> None:
    """Every hour of the local days ``first`` to ``last``: electricity 2 kWh (baseline 1.5,
    2.5 NOK), heat 10 kWh (no baseline, 10 NOK)."""
    start, end = midnight(first), midnight(last + timedelta(days=1))
    hours = int((end - start) / timedelta(hours=1))
    registry.record_energy_hours(
        [
            EnergyHour(
                building, "electricity", start + timedelta(hours=h), "el.power", 2.0, 1.5, 2.5
            )
            for h in range(hours)
        ]
        + [
            EnergyHour(building, "heat", start + timedelta(hours=h), "dh.power", 10.0, None, 10.0)
            for h in range(hours)
        ]
    )


@pytest.fixture
def client(
    registry: Registry, store: SQLiteStore, make_client: Callable[..., TestClient], tmp_path: Path
) -> TestClient:
    registry.upsert_building(BuildingInfo(SCHOOL, "Nordnes skole", "school", 5400.0))
    registry.upsert_building(BuildingInfo(KINDERGARTEN, "Solheim barnehage", "kindergarten"))
    ledger(registry, first=date(2025, 3, 24), last=date(2025, 4, 6))
    ledger(registry, first=date(2025, 10, 25), last=date(2025, 10, 27))
    settings = ApiSettings(data_dir=tmp_path, api_workers=2, api_auth="demo")
    return make_client(store=store, registry=registry, settings=settings)


def test_days_are_local_and_the_clock_change_days_have_23_and_25_hours(
    client: TestClient,
) -> None:
    body = client.get(URL, params={"start": "2025-03-29", "end": "2025-04-01"}).json()
    assert (body["resolution"], body["time_zone"]) == ("day", "Europe/Oslo")
    assert (body["start"], body["end"]) == (
        "2025-03-29T00:00:00+01:00",
        "2025-04-01T00:00:00+02:00",
    )
    electricity = [row for row in body["rows"] if row["carrier"] == "electricity"]
    assert [(r["period"], r["hours"], r["measured_kwh"]) for r in electricity] == [
        ("2025-03-29", 24, 48.0),
        ("2025-03-30", 23, 46.0),
        ("2025-03-31", 24, 48.0),
    ]
    dst = electricity[1]
    assert (dst["start"], dst["end"]) == ("2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00")
    assert (dst["baseline_kwh"], dst["baseline_hours"], dst["cost_nok"]) == (34.5, 23, 57.5)
    assert dst["hours_with_data"] == 23
    heat = [row for row in body["rows"] if row["carrier"] == "heat"]
    assert [(r["measured_kwh"], r["baseline_kwh"], r["baseline_hours"]) for r in heat] == [
        (240.0, None, 0),
        (230.0, None, 0),
        (240.0, None, 0),
    ]
    assert body["totals"] == [
        {
            "carrier": "electricity",
            "hours": 71,
            "hours_with_data": 71,
            "measured_kwh": 142.0,
            "baseline_kwh": 106.5,
            "baseline_hours": 71,
            "cost_nok": 177.5,
        },
        {
            "carrier": "heat",
            "hours": 71,
            "hours_with_data": 71,
            "measured_kwh": 710.0,
            "baseline_kwh": None,
            "baseline_hours": 0,
            "cost_nok": 710.0,
        },
    ]
    autumn = client.get(
        URL, params={"start": "2025-10-26", "end": "2025-10-27", "carrier": "heat"}
    ).json()
    ((day,),) = [autumn["rows"]]
    assert (day["carrier"], day["period"], day["hours"], day["measured_kwh"]) == (
        "heat",
        "2025-10-26",
        25,
        250.0,
    )


def test_hours_weeks_and_months(client: TestClient) -> None:
    hours = client.get(
        URL, params={"start": "2025-03-30", "end": "2025-03-31", "resolution": "hour"}
    ).json()["rows"]
    electricity = [row["period"] for row in hours if row["carrier"] == "electricity"]
    assert len(electricity) == 23
    assert electricity[1:3] == ["2025-03-30T01:00+01:00", "2025-03-30T03:00+02:00"]
    # A Wednesday to a Tuesday: widened to the ISO weeks they fall in, Monday to Monday.
    weeks = client.get(
        URL,
        params={"start": "2025-03-26", "end": "2025-04-01", "resolution": "week"},
        headers={"Accept": "application/json"},
    ).json()
    assert (weeks["start"], weeks["end"]) == (
        "2025-03-24T00:00:00+01:00",
        "2025-04-07T00:00:00+02:00",
    )
    assert [(r["period"], r["hours"], r["measured_kwh"]) for r in weeks["rows"][:2]] == [
        ("2025-W13", 167, 334.0),
        ("2025-W14", 168, 336.0),
    ]
    months = client.get(
        URL, params={"start": "2025-03-10T12:00:00Z", "resolution": "month", "end": "2025-04-02"}
    ).json()
    assert [(r["period"], r["hours"], r["hours_with_data"]) for r in months["rows"][:2]] == [
        ("2025-03", 743, 8 * 24 - 1),
        ("2025-04", 720, 6 * 24),
    ]
    # A month without data is a row of its own, with nothing in it.
    empty = client.get(
        URL, params={"start": "2025-05-01", "end": "2025-06-01", "resolution": "month"}
    ).json()
    assert empty["rows"] == []
    heat_may = client.get(
        URL,
        params={
            "start": "2025-05-01",
            "end": "2025-06-01",
            "resolution": "month",
            "carrier": "heat",
        },
    ).json()["rows"]
    assert [(r["period"], r["measured_kwh"], r["hours_with_data"]) for r in heat_may] == [
        ("2025-05", None, 0)
    ]


def test_the_default_is_the_last_31_local_days(client: TestClient, registry: Registry) -> None:
    today = datetime.now(TIMEZONE).date()
    ledger(registry, first=today - timedelta(days=1), last=today - timedelta(days=1))
    body = client.get(URL).json()
    electricity = [row for row in body["rows"] if row["carrier"] == "electricity"]
    assert len(electricity) == 31
    assert electricity[-1]["period"] == today.isoformat()
    assert electricity[-2]["measured_kwh"] == 2.0 * electricity[-2]["hours"]
    assert electricity[0]["hours_with_data"] == 0


def test_csv_with_a_decimal_comma_or_point(client: TestClient) -> None:
    params = {"start": "2025-03-30", "end": "2025-03-31", "format": "csv"}
    response = client.get(URL, params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="{SCHOOL}_consumption_day_2025-03-30_2025-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text), delimiter=";"))
    assert rows[0] == [
        "building",
        "carrier",
        "period",
        "start",
        "end",
        "hours",
        "hours_with_data",
        "measured_kwh",
        "baseline_kwh",
        "baseline_hours",
        "cost_nok",
    ]
    assert rows[1:] == [
        [
            SCHOOL,
            "electricity",
            "2025-03-30",
            "2025-03-30T00:00:00+01:00",
            "2025-03-31T00:00:00+02:00",
            "23",
            "23",
            "46,000",
            "34,500",
            "23",
            "57,50",
        ],
        [
            SCHOOL,
            "heat",
            "2025-03-30",
            "2025-03-30T00:00:00+01:00",
            "2025-03-31T00:00:00+02:00",
            "23",
            "23",
            "230,000",
            "",
            "0",
            "230,00",
        ],
    ]
    point = client.get(URL, params=params | {"decimal": "point"}).text.splitlines()
    assert point[1].endswith(";23;23;46.000;34.500;23;57.50")
    accepted = client.get(
        URL, params={"start": "2025-03-30", "end": "2025-03-31"}, headers={"Accept": "text/csv"}
    )
    assert accepted.headers["content-type"] == "text/csv; charset=utf-8"
    assert accepted.text == response.text


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"resolution": "year"}, "resolution"),
        ({"carrier": "gas"}, "carrier"),
        ({"start": "last tuesday"}, "start"),
        ({"end": "2025-03-30T12:00:00"}, "end"),
        ({"format": "xlsx"}, "format"),
        ({"decimal": "dot"}, "decimal"),
        ({"start": "2024-01-01", "end": "2025-03-01"}, "end"),
    ],
)
def test_bad_parameters_are_422_problems(
    client: TestClient,
    assert_problem: Callable[..., dict[str, object]],
    params: dict[str, str],
    parameter: str,
) -> None:
    body = assert_problem(client.get(URL, params=params), 422, "invalid-parameters")
    assert [error["parameter"] for error in body["errors"]] == [parameter]  # type: ignore[attr-defined]


def test_a_reversed_range_and_an_unknown_building(
    client: TestClient, assert_problem: Callable[..., dict[str, object]]
) -> None:
    reversed_ = client.get(URL, params={"start": "2025-04-01", "end": "2025-03-01"})
    assert_problem(reversed_, 400, "invalid-range")
    for path in ("consumption", "consumption/heatmap", "intensity"):
        unknown = client.get(f"/api/v1/buildings/no-such-building/{path}")
        assert_problem(unknown, 404, "not-found")
    heat_map = client.get(f"{URL}/heatmap", params={"days": 0})
    assert_problem(heat_map, 422, "invalid-parameters")


def test_the_heat_map_is_local_dates_by_hour_of_the_day(
    client: TestClient, registry: Registry
) -> None:
    today = datetime.now(TIMEZONE).date()
    yesterday = today - timedelta(days=1)
    ledger(registry, first=yesterday, last=yesterday)
    body = client.get(f"{URL}/heatmap", params={"days": 3, "carrier": "heat"}).json()
    assert body["dates"] == [(today - timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert body["hours"] == list(range(24))
    assert body["kwh"][0] == [None] * 24
    hours_yesterday = round((midnight(today) - midnight(yesterday)) / timedelta(hours=1))
    assert sum(cell or 0.0 for cell in body["kwh"][1]) == 10.0 * hours_yesterday
    assert body["max_kwh"] == 10.0
    assert body["carrier"] == "heat"


def test_intensity_per_m2_and_year_against_the_references(
    client: TestClient, registry: Registry
) -> None:
    today = datetime.now(TIMEZONE).date()
    ledger(registry, first=today - timedelta(days=11), last=today - timedelta(days=2))
    body = client.get(f"/api/v1/buildings/{SCHOOL}/intensity").json()
    carriers = {c["carrier"]: c for c in body["carriers"]}
    electricity = carriers["electricity"]
    hours = electricity["days"] * 24
    assert electricity["measured_kwh"] == 2.0 * hours
    assert electricity["scaled"] is True
    assert electricity["annual_kwh"] == pytest.approx(2.0 * 8760, abs=0.1)
    assert electricity["kwh_m2_year"] == pytest.approx(2.0 * 8760 / 5400, abs=0.05)
    assert carriers["heat"]["annual_kwh"] == pytest.approx(10.0 * 8760, abs=0.1)
    assert body["total_annual_kwh"] == pytest.approx(12.0 * 8760, abs=0.2)
    assert body["total_kwh_m2_year"] == pytest.approx(12.0 * 8760 / 5400, abs=0.05)
    reference = body["reference"]
    assert (reference["frame_kwh_m2"], reference["stock_kwh_m2"]) == (110.0, 163.0)
    assert "TEK17" in reference["frame_source"]
    assert "SSB" in reference["stock_source"]
    assert "rough" in body["note"]

    ledger(
        registry,
        first=today - timedelta(days=3),
        last=today - timedelta(days=2),
        building=KINDERGARTEN,
    )
    unknown_area = client.get(f"/api/v1/buildings/{KINDERGARTEN}/intensity").json()
    assert unknown_area["floor_area_m2"] is None
    assert unknown_area["total_kwh_m2_year"] is None
    assert {c["kwh_m2_year"] for c in unknown_area["carriers"]} == {None}
    assert unknown_area["reference"]["frame_kwh_m2"] == 135.0
