"""``/api/v1/gateways``: each gateway's last status and what its sequence numbers tell."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from byggpuls.registry.accounting import Accounting, PackTally
from byggpuls.registry.repository import Registry

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"
RECEIVED = datetime(2026, 1, 12, 6, 30, tzinfo=UTC)
REPORTED = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def by_gateway(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["gateway"]: item for item in body["items"]}


def test_gateways_of_the_portfolio_and_of_a_building(
    client: TestClient, registry: Registry, assert_problem
) -> None:
    assert client.get("/api/v1/gateways").json() == {
        "items": [],
        "count": 0,
        "online": 0,
        "offline": 0,
    }
    accounting = Accounting(registry.engine)
    # gw-1 sent packs 1, 2 (twice) and 4 and reports online; gw-3 sends without a status;
    # gw-2 went offline before it sent anything.
    packs = [PackTally(SCHOOL, "gw-1", seq) for seq in (1, 2, 2, 4)] + [
        PackTally(SCHOOL, "gw-3", 7)
    ]
    accounting.record(packs, now=RECEIVED)
    accounting.record_status(
        building=SCHOOL,
        gateway="gw-1",
        state="online",
        spool_depth=12,
        spool_dropped=3,
        reported_at=REPORTED,
    )
    accounting.record_status(building=KINDERGARTEN, gateway="gw-2", state="offline")
    status_stored = {row.gateway: row.updated_at for row in accounting.gateway_states()}

    everything = client.get("/api/v1/gateways").json()
    school = client.get(f"/api/v1/buildings/{SCHOOL}/gateways").json()
    kindergarten = client.get(f"/api/v1/buildings/{KINDERGARTEN}/gateways").json()

    assert [(item["building"], item["gateway"]) for item in everything["items"]] == [
        (SCHOOL, "gw-1"),
        (SCHOOL, "gw-3"),
        (KINDERGARTEN, "gw-2"),
    ]
    assert (everything["count"], everything["online"], everything["offline"]) == (3, 1, 1)
    gateways = by_gateway(everything)
    assert gateways["gw-1"] == {
        "building": SCHOOL,
        "gateway": "gw-1",
        "state": "online",
        # The status came after the packs: it is the last the gateway was heard of.
        "last_seen": iso(status_stored["gw-1"]),
        "last_pack_at": iso(RECEIVED),
        "reported_at": iso(REPORTED),
        "spool_depth": 12,
        "spool_dropped": 3,
        "packs": 3,
        "missing_packs": 1,
        "duplicates": 1,
    }
    assert gateways["gw-3"]["state"] is None
    assert (gateways["gw-3"]["last_seen"], gateways["gw-3"]["packs"]) == (iso(RECEIVED), 1)
    assert gateways["gw-3"]["spool_depth"] is None
    offline = gateways["gw-2"]
    assert (offline["state"], offline["last_seen"]) == ("offline", iso(status_stored["gw-2"]))
    assert (offline["last_pack_at"], offline["packs"], offline["missing_packs"]) == (
        None,
        None,
        None,
    )
    assert by_gateway(school) == {"gw-1": gateways["gw-1"], "gw-3": gateways["gw-3"]}
    assert (school["online"], school["offline"]) == (1, 0)
    assert by_gateway(kindergarten) == {"gw-2": offline}
    problem = assert_problem(client.get("/api/v1/buildings/nowhere/gateways"), 404, "not-found")
    assert problem["detail"] == "There is no building 'nowhere'."


def test_openapi_documents_the_gateways(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/gateways" in document["paths"]
    assert (
        "404" in document["paths"]["/api/v1/buildings/{building_id}/gateways"]["get"]["responses"]
    )
    gateway = document["components"]["schemas"]["Gateway"]
    assert gateway["examples"][0]["state"] == "online"
    assert "spool" in gateway["properties"]["spool_depth"]["description"]


def test_gateways_of_buildings_out_of_scope_are_not_listed(
    client: TestClient, registry: Registry
) -> None:
    accounting = Accounting(registry.engine)
    accounting.record_status(building=SCHOOL, gateway="gw-1", state="online")
    accounting.record_status(building=KINDERGARTEN, gateway="gw-2", state="offline")
    registry.create_user("mads", role="manager", buildings=[SCHOOL], actor="test")
    token = registry.create_api_key("mads", name="test", actor="test")[1]

    body = client.get("/api/v1/gateways", headers={"Authorization": f"Bearer {token}"}).json()

    assert [item["gateway"] for item in body["items"]] == ["gw-1"]
    assert (body["count"], body["online"], body["offline"]) == (1, 1, 0)
    assert client.get("/api/v1/gateways").json()["count"] == 2
