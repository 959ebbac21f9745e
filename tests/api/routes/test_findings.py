"""``/api/v1/findings``: lists (filters, order, pages), advice, the lifecycle and its trail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from api.advice import ADVICE
from byggpuls.registry.repository import Registry
from byggpuls.registry.rows import NewFinding
from byggpuls.storage.sqlite import SQLiteStore

SCHOOL = "nordnes-skole"
KINDERGARTEN = "solheim-bhg"


def ids_of(body: dict[str, Any]) -> list[int]:
    return [item["id"] for item in body["items"]]


def add_kindergarten_findings(registry: Registry) -> list[int]:
    """Two findings of the kindergarten, a week apart, the older one wasting the most NOK; ids
    oldest first."""
    school = registry.findings(building=SCHOOL)[-1]
    registry.upsert_findings(
        [
            NewFinding(
                building=KINDERGARTEN,
                kind="window_open",
                points=("el.power",),
                start=school.start - timedelta(days=7 * weeks),
                end=school.start - timedelta(days=7 * weeks) + timedelta(hours=3),
                waste_kwh=10.0,
                waste_nok=1000.0 * weeks,
            )
            for weeks in (2, 1)
        ]
    )
    rows = registry.findings(building=KINDERGARTEN)
    return [row.id for row in reversed(rows)]


def test_list_filter_sort_and_page_on_each_registry_database(
    *, database_url: str, tmp_path: Path, make_client, open_registry_at, seed
) -> None:
    registry = open_registry_at(database_url)
    with SQLiteStore(tmp_path / "readings.sqlite3") as store:
        ids = seed(registry, store)
        older, newer = add_kindergarten_findings(registry)
        client = make_client(store=store, registry=registry)

        def get(**params: Any) -> dict[str, Any]:
            response = client.get("/api/v1/findings", params=params)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        everything = get()
        by_waste = get(sort="waste")
        pages = [get(sort="waste", limit=2, offset=offset) for offset in (0, 2, 4)]
        kinds = get(kind=["after_hours_operation", "window_open"])
        statuses = get(status=["open", "acknowledged"], building=SCHOOL)
        school = client.get(f"/api/v1/buildings/{SCHOOL}/findings", params={"sort": "waste"})
        school_start = registry.findings(building=SCHOOL)[-1].start
        before_school = get(end=school_start.isoformat())
        since_school = get(start=str(school_start.timestamp()))
        # Nothing a client sends reaches the database unchecked: PostgreSQL refuses a NUL.
        nul_kind = client.get("/api/v1/findings", params={"kind": "after\x00hours"})
        nul_building = client.get("/api/v1/findings", params={"building": "skole\x00"})

    # Latest start first: the school's three an hour apart (resolved last), then the kindergarten.
    assert ids_of(everything) == [ids["resolved"], ids["acknowledged"], ids["open"], newer, older]
    assert (everything["count"], everything["limit"], everything["offset"]) == (5, 100, 0)
    assert (everything["waste_kwh"], everything["waste_nok"]) == (620.0, 3780.0)
    first = everything["items"][2]
    assert (first["building"], first["kind"], first["points"]) == (
        SCHOOL,
        "after_hours_operation",
        ["el.power"],
    )
    assert first["evidence"] == {"baseline_kw": 12.0, "observed_kw": 31.5, "hours": 12}
    assert (first["waste_kwh"], first["waste_nok"], first["score"]) == (100.0, 130.0, 0.5)
    assert first["actions"] == ["acknowledge", "resolve"]
    assert first["start"].endswith("Z")
    assert first["cause"]["nb"] == ADVICE["after_hours_operation"].cause.nb
    # Most NOK first; pages of two add up to the list, and every page carries the totals.
    assert ids_of(by_waste) == [older, newer, ids["resolved"], ids["acknowledged"], ids["open"]]
    assert [i for page in pages for i in ids_of(page)] == ids_of(by_waste)
    assert {(page["count"], page["waste_nok"]) for page in pages} == {(5, 3780.0)}
    assert [page["offset"] for page in pages] == [0, 2, 4]
    assert ids_of(kinds) == [ids["open"], newer, older]
    assert ids_of(statuses) == [ids["acknowledged"], ids["open"]]
    assert (statuses["count"], statuses["waste_kwh"]) == (2, 300.0)
    assert school.status_code == 200
    assert ids_of(school.json()) == [ids["resolved"], ids["acknowledged"], ids["open"]]
    assert ids_of(before_school) == [newer, older]
    assert ids_of(since_school) == [ids["resolved"], ids["acknowledged"], ids["open"]]
    assert (nul_kind.status_code, nul_building.status_code) == (422, 404)


def test_filter_by_building(client: TestClient, assert_problem) -> None:
    assert client.get("/api/v1/findings", params={"building": SCHOOL}).json()["count"] == 3
    none = client.get("/api/v1/findings", params={"building": KINDERGARTEN}).json()
    assert (none["count"], none["items"], none["waste_kwh"]) == (0, [], 0.0)
    assert client.get(f"/api/v1/buildings/{KINDERGARTEN}/findings").json()["count"] == 0
    for response in (
        client.get("/api/v1/findings", params={"building": "nowhere"}),
        client.get("/api/v1/buildings/nowhere/findings"),
    ):
        problem = assert_problem(response, 404, "not-found")
        assert problem["detail"] == "There is no building 'nowhere'."


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "done"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "size"}, "sort"),
        ({"start": "2025-01-31T06:00:00"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"kind": ["after_hours_operation", "Not A Kind"]}, "kind"),
    ],
)
def test_bad_list_parameters_are_validation_problems(
    client: TestClient, assert_problem, params: dict[str, object], parameter: str
) -> None:
    for url in ("/api/v1/findings", f"/api/v1/buildings/{SCHOOL}/findings"):
        problem = assert_problem(client.get(url, params=params), 422, "invalid-parameters")
        [error] = problem["errors"]  # type: ignore[misc]
        assert (error["parameter"], error["in"]) == (parameter, "query")


def test_a_reversed_period_is_a_range_problem(client: TestClient, assert_problem) -> None:
    params = {"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}
    problem = assert_problem(client.get("/api/v1/findings", params=params), 400, "invalid-range")
    assert "must lie before end" in str(problem["detail"])


def test_one_finding_with_advice(
    client: TestClient, findings: dict[str, int], assert_problem
) -> None:
    body = client.get(f"/api/v1/findings/{findings['open']}").json()
    advice = ADVICE["after_hours_operation"]
    assert body["title"] == {"nb": advice.title.nb, "en": advice.title.en}
    assert body["cause"] == {"nb": advice.cause.nb, "en": advice.cause.en}
    assert body["check"] == {"nb": advice.check.nb, "en": advice.check.en}
    assert "Tidsprogram i SD-anlegget" in body["check"]["nb"]
    # A kind the analytics do not report has no advice rather than a guess.
    other = client.get(f"/api/v1/findings/{findings['acknowledged']}").json()
    assert (other["kind"], other["status"], other["actions"]) == (
        "co2_high",
        "acknowledged",
        ["resolve"],
    )
    assert (other["title"], other["cause"], other["check"]) == (None, None, None)
    assert_problem(client.get("/api/v1/findings/9999"), 404, "not-found")
    assert_problem(client.get(f"/api/v1/findings/{2**63}"), 422, "invalid-parameters")
    problem = assert_problem(client.get("/api/v1/findings/seventeen"), 422, "invalid-parameters")
    [error] = problem["errors"]  # type: ignore[misc]
    assert (error["parameter"], error["in"]) == ("finding_id", "path")


def test_the_kinds_with_their_advice(client: TestClient) -> None:
    items = client.get("/api/v1/findings/kinds").json()["items"]
    assert [item["kind"] for item in items] == list(ADVICE)
    after_hours = items[0]
    assert after_hours["cause"]["en"] == ADVICE[after_hours["kind"]].cause.en


def test_lifecycle_with_resolve_straight_from_open(
    client: TestClient, findings: dict[str, int], registry: Registry
) -> None:
    url = f"/api/v1/findings/{findings['open']}"

    resolved = client.post(f"{url}/resolve", json={"comment": "Falsk alarm: utleie."})
    again = client.post(f"{url}/resolve")
    reopened = client.post(f"{url}/reopen")
    acknowledged = client.post(f"{url}/acknowledge")
    resolved_later = client.post(f"{url}/resolve", json={})

    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["actions"]) == ("resolved", ["reopen"])
    assert resolved.json()["resolved_by"] == "demo"  # the demo's user (tests/api/conftest.py)
    # Repeating a move that is done changes nothing: a retried request is harmless.
    assert again.status_code == 200
    assert again.json()["updated_at"] == resolved.json()["updated_at"]
    assert (reopened.json()["status"], reopened.json()["actions"]) == (
        "open",
        ["acknowledge", "resolve"],
    )
    assert (acknowledged.json()["status"], acknowledged.json()["actions"]) == (
        "acknowledged",
        ["resolve"],
    )
    assert resolved_later.json()["status"] == "resolved"
    assert [(e.action, e.from_status) for e in registry.finding_events(findings["open"])] == [
        ("detect", None),
        ("resolve", "open"),
        ("reopen", "resolved"),
        ("acknowledge", "open"),
        ("resolve", "acknowledged"),
    ]


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [("acknowledged", "reopen", ["resolve"]), ("resolved", "acknowledge", ["reopen"])],
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


def test_the_trail_says_who_when_and_why(client: TestClient, findings: dict[str, int]) -> None:
    url = f"/api/v1/findings/{findings['open']}"
    client.post(f"{url}/acknowledge", json={"comment": "  Sjekker tidsprogrammet.  "})
    client.post(
        f"{url}/resolve",
        json={"comment": "Rettet i SD-anlegget."},
        headers={"Sec-Fetch-Site": "same-origin"},
    )

    trail = client.get(f"{url}/events").json()

    assert (trail["finding"], trail["count"]) == (findings["open"], 3)
    assert [
        (e["actor"], e["action"], e["from_status"], e["to_status"], e["comment"])
        for e in trail["items"]
    ] == [
        ("analytics", "detect", None, "open", None),
        ("demo", "acknowledge", "open", "acknowledged", "Sjekker tidsprogrammet."),
        ("demo", "resolve", "acknowledged", "resolved", "Rettet i SD-anlegget."),
    ]
    times = [event["occurred_at"] for event in trail["items"]]
    assert times == sorted(times)
    assert all(time.endswith("Z") for time in times)
    assert client.get(url).json()["resolved_by"] == "demo"


def test_the_trail_of_an_unknown_finding_is_a_404(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.get("/api/v1/findings/9999/events"), 404, "not-found")
    assert problem["detail"] == "There is no finding 9999."


@pytest.mark.parametrize(
    ("content", "pointer"),
    [
        ('{"comment": "' + "x" * 1001 + '"}', "#/comment"),
        ('{"comment": 17}', "#/comment"),
        ('{"reason": "typo"}', "#/reason"),
        ("[1, 2]", "#/"),
        ("{not json", None),
    ],
)
def test_a_bad_body_is_a_validation_problem(
    *,
    client: TestClient,
    findings: dict[str, int],
    assert_problem,
    content: str,
    pointer: str | None,
) -> None:
    url = f"/api/v1/findings/{findings['open']}/acknowledge"
    response = client.post(url, content=content, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422, "invalid-parameters")
    if pointer is not None:
        assert [error.get("pointer") for error in problem["errors"]] == [pointer]  # type: ignore[attr-defined]
    assert client.get(url.removesuffix("/acknowledge")).json()["status"] == "open"


def test_moving_an_unknown_finding_is_a_404(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.post("/api/v1/findings/9999/acknowledge"), 404, "not-found")
    assert problem["detail"] == "There is no finding 9999."


def test_a_change_from_another_site_is_refused(
    client: TestClient, findings: dict[str, int], assert_problem
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


def test_openapi_documents_the_findings(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    listing = paths["/api/v1/findings"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"building", "kind", "status", "start", "end", "sort", "limit", "offset"} <= names
    assert {"400", "404", "422"} <= set(listing["responses"])
    assert "/api/v1/buildings/{building_id}/findings" in paths
    assert "/api/v1/findings/{finding_id}/events" in paths
    resolve = paths["/api/v1/findings/{finding_id}/resolve"]["post"]
    assert "open → resolved" in resolve["description"]
    body = resolve["requestBody"]["content"]["application/json"]["schema"]
    assert "FindingChange" in str(body)
    assert schemas["FindingChange"]["properties"]["comment"]["anyOf"][0]["maxLength"] == 1000
    example = schemas["Finding"]["examples"][0]
    assert example["cause"]["nb"] == ADVICE["after_hours_operation"].cause.nb
    assert schemas["FindingEvents"]["examples"][0]["items"][1]["comment"]


def test_the_finding_card_says_cause_and_check_and_takes_a_comment(
    client: TestClient, findings: dict[str, int]
) -> None:
    words = ADVICE["after_hours_operation"]
    page = client.get(f"/buildings/{SCHOOL}").text
    script = client.get("/static/dashboard.js").text

    # The advice is rendered with the page, in its language: bokmål by default.
    assert str(escape(words.cause.nb)) in page
    assert str(escape(words.check.nb)) in page
    english = client.get(f"/buildings/{SCHOOL}", params={"lang": "en"}).text
    assert str(escape(words.cause.en)) in english
    assert str(escape(words.check.en)) in english
    assert f'data-comment-for="{findings["open"]}"' in page
    assert 'maxlength="1000"' in page
    assert "JSON.stringify({ comment })" in script


def manager_of_the_school(registry: Registry) -> dict[str, str]:
    """The headers of a facility manager who may see the school only."""
    registry.create_user("mads", role="manager", buildings=[SCHOOL], actor="test")
    token = registry.create_api_key("mads", name="test", actor="test")[1]
    return {"Authorization": f"Bearer {token}"}


def test_findings_of_buildings_out_of_scope_do_not_exist(
    client: TestClient, registry: Registry, findings: dict[str, int], assert_problem
) -> None:
    older, _ = add_kindergarten_findings(registry)
    headers = manager_of_the_school(registry)

    listed = client.get("/api/v1/findings", headers=headers).json()
    by_waste = client.get("/api/v1/findings", params={"sort": "waste"}, headers=headers).json()

    assert ids_of(listed) == [findings["resolved"], findings["acknowledged"], findings["open"]]
    assert (listed["count"], listed["waste_nok"]) == (3, 780.0)
    assert older not in ids_of(by_waste)
    out_of_scope = [
        client.get("/api/v1/findings", params={"building": KINDERGARTEN}, headers=headers),
        client.get(f"/api/v1/findings/{older}", headers=headers),
        client.get(f"/api/v1/findings/{older}/events", headers=headers),
        client.post(f"/api/v1/findings/{older}/resolve", headers=headers),
    ]
    for response in out_of_scope:
        assert_problem(response, 404, "not-found")
    assert registry.finding(older).status == "open"  # type: ignore[union-attr]
    # An admin (the demo user) sees them all.
    assert client.get("/api/v1/findings").json()["count"] == 5
