"""``/api/v1/findings``: listing with evidence and waste, and the lifecycle."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"


def test_list_findings_on_each_registry_database(
    *,
    database_url: str,
    tmp_path: Path,
    make_client,
    open_registry_at,
    seed,
) -> None:
    registry = open_registry_at(database_url)
    with SQLiteStore(tmp_path / "readings.sqlite3") as store:
        ids = seed(registry, store)
        client = make_client(store=store, registry=registry)

        body = client.get("/api/v1/findings").json()
        open_only = client.get("/api/v1/findings", params={"status": "open"}).json()
        acknowledged = client.post(f"/api/v1/findings/{ids['open']}/acknowledge")

    assert body["count"] == 3
    # Latest start first: the seeded findings start an hour apart, resolved last.
    assert [item["status"] for item in body["items"]] == ["resolved", "acknowledged", "open"]
    assert (body["waste_kwh"], body["waste_nok"]) == (600.0, 780.0)
    first = body["items"][2]
    assert first["id"] == ids["open"]
    assert first["building"] == SCHOOL
    assert first["kind"] == "after_hours_operation"
    assert first["points"] == ["el.power"]
    assert first["evidence"] == {"baseline_kw": 12.0, "observed_kw": 31.5, "hours": 12}
    assert (first["waste_kwh"], first["waste_nok"], first["score"]) == (100.0, 130.0, 0.5)
    assert first["actions"] == ["acknowledge"]
    assert first["start"].endswith("Z")
    assert [item["id"] for item in open_only["items"]] == [ids["open"]]
    assert acknowledged.status_code == 200
    assert acknowledged.json()["status"] == "acknowledged"


def test_filter_by_building(client: TestClient, assert_problem) -> None:
    assert client.get("/api/v1/findings", params={"building": SCHOOL}).json()["count"] == 3
    none = client.get("/api/v1/findings", params={"building": "solheim-bhg"}).json()
    assert (none["count"], none["items"], none["waste_kwh"]) == (0, [], 0.0)
    problem = assert_problem(
        client.get("/api/v1/findings", params={"building": "nowhere"}), 404, "not-found"
    )
    assert problem["detail"] == "There is no building 'nowhere'."


def test_unknown_status_is_a_validation_problem(client: TestClient, assert_problem) -> None:
    problem = assert_problem(
        client.get("/api/v1/findings", params={"status": "done"}), 422, "invalid-parameters"
    )
    [error] = problem["errors"]  # type: ignore[misc]
    assert (error["parameter"], error["in"]) == ("status", "query")


def test_one_finding(client: TestClient, findings: dict[str, int], assert_problem) -> None:
    body = client.get(f"/api/v1/findings/{findings['acknowledged']}").json()
    assert (body["kind"], body["status"], body["actions"]) == (
        "co2_high",
        "acknowledged",
        ["resolve"],
    )
    assert_problem(client.get("/api/v1/findings/9999"), 404, "not-found")
    problem = assert_problem(client.get("/api/v1/findings/seventeen"), 422, "invalid-parameters")
    [error] = problem["errors"]  # type: ignore[misc]
    assert (error["parameter"], error["in"]) == ("finding_id", "path")


def test_lifecycle_open_acknowledged_resolved_open(
    client: TestClient, findings: dict[str, int]
) -> None:
    url = f"/api/v1/findings/{findings['open']}"

    acknowledged = client.post(f"{url}/acknowledge")
    again = client.post(f"{url}/acknowledge")
    resolved = client.post(f"{url}/resolve")
    reopened = client.post(f"{url}/reopen")

    assert acknowledged.status_code == 200
    assert (acknowledged.json()["status"], acknowledged.json()["actions"]) == (
        "acknowledged",
        ["resolve"],
    )
    # Repeating a move that is done changes nothing: a retried request is harmless.
    assert again.status_code == 200
    assert again.json()["status"] == "acknowledged"
    assert (resolved.json()["status"], resolved.json()["actions"]) == ("resolved", ["reopen"])
    assert (reopened.json()["status"], reopened.json()["actions"]) == ("open", ["acknowledge"])
    assert client.get(url).json()["status"] == "open"


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [("open", "resolve", ["acknowledge"]), ("resolved", "acknowledge", ["reopen"])],
)
def test_a_move_the_lifecycle_forbids_is_a_conflict(
    *,
    client: TestClient,
    findings: dict[str, int],
    assert_problem,
    status: str,
    action: str,
    allowed: list[str],
) -> None:
    finding_id = findings[status]
    problem = assert_problem(
        client.post(f"/api/v1/findings/{finding_id}/{action}"), 409, "invalid-transition"
    )
    assert problem["finding_status"] == status
    assert problem["allowed"] == allowed
    assert client.get(f"/api/v1/findings/{finding_id}").json()["status"] == status


def test_moving_an_unknown_finding_is_a_404(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.post("/api/v1/findings/9999/acknowledge"), 404, "not-found")
    assert problem["detail"] == "There is no finding 9999."


def test_a_change_from_another_site_is_refused(
    client: TestClient,
    findings: dict[str, int],
    assert_problem,
) -> None:
    url = f"/api/v1/findings/{findings['open']}/acknowledge"

    assert_problem(
        client.post(url, headers={"Sec-Fetch-Site": "cross-site"}), 403, "cross-site-request"
    )
    assert client.get(url.removesuffix("/acknowledge")).json()["status"] == "open"
    # The dashboard itself (same origin) and programs (no header) may.
    assert client.post(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200


def test_lifecycle_actions_only_take_post(
    client: TestClient, findings: dict[str, int], assert_problem
) -> None:
    response = client.get(f"/api/v1/findings/{findings['open']}/acknowledge")
    problem = assert_problem(response, 405, None)
    assert problem["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "POST"
