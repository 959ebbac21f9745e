"""``/api/v1/buildings/{id}/completeness``: readings received against readings due."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from byggpuls.registry.accounting import Accounting, PackTally
from byggpuls.registry.repository import Registry
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
PAST_DAY = date(2026, 1, 12)


def test_counts_per_point_and_gaps_per_gateway(
    registry: Registry, store: SQLiteStore, findings: dict[str, int], make_client
) -> None:
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


def test_today_is_the_default_and_counts_only_the_part_that_passed(
    client: TestClient, findings: dict[str, int]
) -> None:
    body = client.get(f"/api/v1/buildings/{SCHOOL}/completeness").json()
    today = datetime.now(UTC)
    assert body["day"] == today.date().isoformat()
    el = next(p for p in body["points"] if p["point"] == "el.power")
    passed_minutes = today.hour * 60 + today.minute
    assert passed_minutes - 1 <= el["expected"] <= passed_minutes + 1
    assert body["gateways"] == []


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
