"""``/metrics``: Prometheus counters and latency per route template."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families


def samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests(method: str, route: str, status: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"method": method, "route": route, "status": status}
    return ("byggpuls_api_requests_total", tuple(sorted(labels.items())))


def test_requests_are_counted_per_route_template(client: TestClient) -> None:
    client.get("/api/v1/buildings/nordnes-skole")
    client.get("/api/v1/buildings/solheim-bhg")
    client.get("/api/v1/buildings/nowhere")
    client.get("/no/such/page")
    client.get("/another/random/path")
    client.get("/")

    found = samples(client)

    template = "/api/v1/buildings/{building_id}"
    assert found[requests("GET", template, "200")] == 2
    assert found[requests("GET", template, "404")] == 1
    # Unknown paths share one label, whatever they are.
    assert found[requests("GET", "<unmatched>", "404")] == 2
    assert found[requests("GET", "/", "200")] == 1
    histogram = (
        "byggpuls_api_request_duration_seconds_count",
        (("method", "GET"), ("route", template)),
    )
    assert found[histogram] == 3
    assert ("process_cpu_seconds_total", ()) in found


def test_each_app_counts_its_own_requests(client: TestClient, make_client, store, registry) -> None:
    client.get("/healthz")
    other = make_client(store=store, registry=registry)

    assert requests("GET", "/healthz", "200") not in samples(other)
    assert samples(client)[requests("GET", "/healthz", "200")] == 1
