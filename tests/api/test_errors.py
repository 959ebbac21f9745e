"""Every error is RFC 9457 problem details; browsers asking for a page get one."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def test_unknown_route_is_a_404_problem(client: TestClient, assert_problem) -> None:
    problem = assert_problem(client.get("/no/such/thing?x=1"), 404, "not-found")
    assert problem["title"] == "Not found"
    assert problem["detail"] == "There is nothing at /no/such/thing."
    assert problem["instance"] == "/no/such/thing?x=1"


def test_unknown_api_route_is_a_problem_even_for_browsers(
    client: TestClient, assert_problem
) -> None:
    assert_problem(client.get("/api/v1/nothing", headers=HTML), 404, "not-found")


def test_unknown_page_is_a_page_for_browsers(client: TestClient) -> None:
    response = client.get("/no/such/page", headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_wrong_method_is_about_blank_with_allow(client: TestClient, assert_problem) -> None:
    response = client.delete("/api/v1/buildings")
    problem = assert_problem(response, 405, None)
    assert problem["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "GET"


def test_an_unexpected_failure_is_a_500_that_leaks_nothing(
    *,
    client: TestClient,
    assert_problem,
    make_client,
    store,
    registry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = make_client(store=store, registry=registry, raise_server_exceptions=False)

    async def explode() -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    failing.app.add_api_route("/api/v1/explode", explode)  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR)

    response = failing.get("/api/v1/explode")

    problem = assert_problem(response, 500, "internal-error")
    assert "hunter2" not in response.text
    assert "db.internal" not in response.text
    error_id = str(problem["error_id"])
    assert error_id in str(problem["detail"])
    assert error_id in caplog.text
    assert "hunter2" in caplog.text  # operators see it all, in the log


def test_openapi_documents_problems(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]

    assert "HTTPValidationError" not in schemas
    assert {"Problem", "ValidationProblem", "TooManyPointsProblem", "TransitionProblem"} <= set(
        schemas
    )
    assert set(schemas["Problem"]["properties"]) == {
        "type",
        "title",
        "status",
        "detail",
        "instance",
    }
    series = document["paths"]["/api/v1/buildings/{building_id}/series"]["get"]
    for status in ("400", "404", "422", "500", "503"):
        content = series["responses"][status]["content"]
        assert list(content) == ["application/problem+json"], status
    assert series["responses"]["422"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationProblem"
    }
    change = document["paths"]["/api/v1/findings/{finding_id}/acknowledge"]["post"]
    assert {"403", "404", "409", "422", "503"} <= set(change["responses"])
    # Partners read examples and descriptions.
    assert schemas["Series"]["examples"][0]["unit"] == "kW"
    assert "RFC 3339" in document["info"]["description"]
    every = next(p for p in series["parameters"] if p["name"] == "every")
    assert "ISO 8601" in every["description"]
    # Every reference resolves.
    text = str(document)
    for name in schemas:
        assert name in text


def test_docs_page_works_offline(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    page = response.text
    assert "/openapi.json" in page
    # Swagger UI from this server, not a CDN.
    assert "cdn" not in page.lower()
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.content, asset
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert '"validatorUrl": null' in page  # no call to the public validator
    assert len(client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").content) > 1_000_000
    assert client.get("/redoc").status_code == 404
