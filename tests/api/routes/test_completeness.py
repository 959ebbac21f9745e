"""``/api/v1/buildings/{id}/completeness``: readings received against readings due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from byggpuls.calendar import TIMEZONE
from byggpuls.registry.accounting import Accounting, PackTally
from byggpuls.registry.models import POINTS
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
PAST_DAY = date(2026, 1, 12)


def described_since(registry: Registry, moment: datetime) -> None:
    """Date every point back to ``moment``, as if their gateways had described them then."""
    with registry.engine.begin() as conn:
        conn.execute(sa.update(POINTS).values(first_seen=moment))


def test_counts_per_point_and_gaps_per_gateway(
    registry: Registry, store: SQLiteStore, findings: dict[str, int], make_client
) -> None:
    described_since(registry, datetime(2026, 1, 1, tzinfo=TIMEZONE))
    accounting = Accounting(registry.engine)
    # Packs 1, 2 and 4 of the gateway arrived, pack 2 twice; 3 never did.
    accounting.record(
        [
            PackTally(SCHOOL, "gw-1", 1, {("el.power", PAST_DAY): 700}),
            PackTally(SCHOOL, "gw-1", 2, {("el.power", PAST_DAY): 600, ("dh.power", PAST_DAY): 1}),
        ]
    )
    accounting.record([PackTally(SCHOOL, "gw-1", 2, {("el.power", PAST_DAY): 600})])
    accounting.record([PackTally(SCHOOL, "gw-1", 4, {("el.power", PAST_DAY): 140})])
    accounting.record_status(
        building=SCHOOL, gateway="gw-1", state="online", spool_depth=12, spool_dropped=3
    )
    client: TestClient = make_client(store=store, registry=registry)

    body = client.get(
        f"/api/v1/buildings/{SCHOOL}/completeness", params={"day": PAST_DAY.isoformat()}
    ).json()

    points = {p["point"]: p for p in body["points"]}
    assert points["el.power"]["received"] == 1440  # the repeated pack counted once
    assert points["el.power"]["expected"] == 1440  # a past day: 86 400 s / 60 s
    assert points["el.power"]["ratio"] == 1.0
    assert points["dh.power"]["received"] == 1
    (gateway,) = body["gateways"]
    assert gateway["gateway"] == "gw-1"
    assert (gateway["packs"], gateway["duplicates"], gateway["missing_packs"]) == (3, 1, 1)
    assert (gateway["first_seq"], gateway["last_seq"]) == (1, 4)
    assert (gateway["state"], gateway["spool_depth"], gateway["spool_dropped"]) == ("online", 12, 3)
    assert body["building"] == SCHOOL
    assert body["day"] == PAST_DAY.isoformat()
    due = sum(p["expected"] for p in body["points"] if p["expected"] is not None)
    assert body["expected"] == due
    assert body["received"] == sum(p["received"] for p in body["points"] if p["expected"])
    # Four room points sent nothing and district heating one reading of 1440.
    assert points["dh.power"]["missing"] == 1439
    assert body["missing"] == 1439 + 4 * 1440
    assert body["ratio"] == (body["expected"] - body["missing"]) / body["expected"]
    assert body["uncountable"] == ["ahu1.supply_air_temp"]
    assert points["ahu1.supply_air_temp"]["expected"] is None


def test_a_gateway_that_was_down_shows_as_missing_readings(
    registry: Registry, store: SQLiteStore, findings: dict[str, int], make_client
) -> None:
    described_since(registry, datetime(2026, 1, 1, tzinfo=TIMEZONE))
    countable = ["dh.power", "el.power", "room-101.co2", "room-101.temp", "room-102.co2"]
    countable.append("room-102.temp")
    # The gateway was down for ten minutes: it sampled nothing then, so numbered no packs.
    Accounting(registry.engine).record(
        [PackTally(SCHOOL, "gw1", 1, {(point, PAST_DAY): 1440 - 10 for point in countable})]
    )
    client: TestClient = make_client(store=store, registry=registry)

    body = client.get(
        f"/api/v1/buildings/{SCHOOL}/completeness", params={"day": PAST_DAY.isoformat()}
    ).json()

    (gateway,) = body["gateways"]
    assert (gateway["missing_packs"], gateway["missing_readings"]) == (0, 6 * 10)
    assert {p["point"]: p["missing"] for p in body["points"] if p["expected"]} == dict.fromkeys(
        countable, 10
    )
    assert all(p["gateway"] == "gw1" for p in body["points"])
    assert (body["expected"], body["missing"]) == (6 * 1440, 6 * 10)
    assert body["ratio"] == pytest.approx(1 - 10 / 1440)


def test_a_day_before_the_points_were_described_owes_nothing(
    client: TestClient, findings: dict[str, int]
) -> None:
    body = client.get(
        f"/api/v1/buildings/{SCHOOL}/completeness", params={"day": PAST_DAY.isoformat()}
    ).json()
    assert (body["expected"], body["missing"], body["ratio"]) == (0, 0, None)


def test_today_is_the_default_and_counts_only_the_part_that_passed(
    client: TestClient, registry: Registry, findings: dict[str, int]
) -> None:
    described_since(registry, datetime.now(TIMEZONE) - timedelta(days=3))
    body = client.get(f"/api/v1/buildings/{SCHOOL}/completeness").json()
    today = datetime.now(TIMEZONE)
    assert body["day"] == today.date().isoformat()
    el = next(p for p in body["points"] if p["point"] == "el.power")
    midnight = datetime.combine(today.date(), datetime.min.time(), tzinfo=TIMEZONE)
    passed_minutes = int((today.timestamp() - midnight.timestamp()) // 60)
    assert passed_minutes - 1 <= el["expected"] <= passed_minutes + 1
    assert body["gateways"] == []


def test_the_openapi_description_says_how_expected_is_counted(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][
        "/api/v1/buildings/{building_id}/completeness"
    ]["get"]
    assert "interval_s" in operation["description"]
    assert "Europe/Oslo" in operation["description"]
    assert "first saw the point" in operation["description"]


def test_unknown_building_and_bad_day_are_problems(
    client: TestClient, findings: dict[str, int], assert_problem
) -> None:
    assert_problem(client.get("/api/v1/buildings/nowhere/completeness"), 404, "not-found")
    body = assert_problem(
        client.get(f"/api/v1/buildings/{SCHOOL}/completeness", params={"day": "yesterday"}),
        422,
        "invalid-parameters",
    )
    assert body["errors"][0]["parameter"] == "day"
