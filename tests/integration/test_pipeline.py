"""The whole data path on real services: gateway -> Mosquitto -> ingest -> InfluxDB -> API.

The gateway and ingest run as the ``byggpuls`` commands a municipality would run; a subscriber
of its own records every pack the gateway published, and the API must serve exactly those
readings: the same count and the same values, point by point. A malformed pack sent in the
middle of it lands in the dead-letter table with its reason, and the good packs still arrive.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import paho.mqtt.client as paho
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from byggpuls import topics
from byggpuls.registry.accounting import Accounting
from byggpuls.registry.db import make_engine
from byggpuls.registry.repository import Registry
from byggpuls.storage.influx import InfluxStore
from sandbox.servers import MosquittoServer, free_port
from tests.gateway.conftest import Collector, wait_for
from tests.processes import Service, byggpuls

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MALFORMED = b'[{"bn": "truncated-pack:", "n": "el.power", "v": 1'
DEADLINE_SECONDS = 90.0


@pytest.fixture
def env(
    mosquitto: MosquittoServer, influx_url: str, postgres_url: str, tmp_path: Path
) -> dict[str, str]:
    return dict(
        os.environ,
        BYGGPULS_MQTT_URL=mosquitto.url,
        BYGGPULS_INFLUX_URL=influx_url,
        BYGGPULS_DATABASE_URL=postgres_url,
        BYGGPULS_DATA_DIR=str(tmp_path / "data"),
        BYGGPULS_INGEST_CLIENT_ID="ingest-pipeline-test",
        BYGGPULS_INGEST_METRICS_PORT=str(free_port()),
    )


@pytest.fixture
def ingest(env: dict[str, str]) -> Iterator[Service]:
    service = Service(byggpuls("ingest"), env)
    health = f"http://127.0.0.1:{env['BYGGPULS_INGEST_METRICS_PORT']}/readyz"

    def healthy() -> bool:
        try:
            return httpx.get(health, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, "ingest to be healthy", timeout=DEADLINE_SECONDS)
        yield service
    finally:
        assert service.stop() == 0, "".join(service.lines[-40:])


@pytest.fixture
def api(env: dict[str, str], influx_url: str, postgres_url: str) -> Iterator[TestClient]:
    store = InfluxStore.from_url(influx_url)
    engine = make_engine(postgres_url)
    registry = Registry(engine)
    # A program reads the API with a key of its own, as in production.
    if registry.user("pipeline-reader") is None:
        registry.create_user("pipeline-reader", role="admin", actor="test")
    _key, token = registry.create_api_key("pipeline-reader", name="pipeline test", actor="test")
    app = create_app(
        store=store, registry=registry, accounting=Accounting(engine), settings=ApiSettings()
    )
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
    store.close()
    engine.dispose()


def publish_malformed(url: str, building: str) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="malformed-sender")
    client.connect("127.0.0.1", int(url.rsplit(":", 1)[1]))
    client.loop_start()
    try:
        client.publish(topics.telemetry(building, "energy"), MALFORMED, qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def iso(time_ms: int) -> str:
    return datetime.fromtimestamp(time_ms / 1000, UTC).isoformat()


def test_the_api_serves_exactly_what_the_gateway_published(
    mosquitto: MosquittoServer,
    env: dict[str, str],
    ingest: Service,
    api: TestClient,
    postgres_url: str,
) -> None:
    collector = Collector(url=mosquitto.url, client_id="pipeline-witness").start()
    gateway = Service(
        byggpuls(
            "gateway",
            *("--simulate", "2", "--seed", "5"),
            *("--backfill-days", "0.5", "--backfill-interval", "900", "--interval", "3600"),
        ),
        env,
    )
    try:
        wait_for(lambda: len(collector.packs) > 0, "the first pack", timeout=DEADLINE_SECONDS)
        building = collector.packs[0].topic.split("/")[2]
        publish_malformed(mosquitto.url, building)
        wait_for(lambda: gateway.said("backfill done"), "the backfill", timeout=DEADLINE_SECONDS)
    finally:
        assert gateway.stop() == 0, "".join(gateway.lines[-40:])
        collector.stop()

    published: dict[tuple[str, str], dict[int, float]] = {}
    for pack in collector.packs:
        pack_building = pack.topic.split("/")[2]
        for point, time_ms, value, _unit in pack.readings:
            published.setdefault((pack_building, point), {})[time_ms] = value
    total = sum(len(series) for series in published.values())
    assert len({b for b, _ in published}) == 2
    assert total > 2 * 30 * 48  # two buildings, 30+ points, half a day at 15 minutes

    def served(building: str, point: str, times: dict[int, float]) -> dict[int, float]:
        answer = api.get(
            f"/api/v1/buildings/{building}/series",
            params={
                "point": point,
                "start": iso(min(times)),
                "end": iso(max(times) + 1),
                "every": "raw",
            },
        )
        assert answer.status_code == 200, answer.text
        return {
            round(datetime.fromisoformat(s["time"]).timestamp() * 1000): s["value"]
            for s in answer.json()["samples"]
        }

    def all_served() -> bool:
        return all(len(served(b, p, t)) >= len(t) for (b, p), t in published.items())

    wait_for(all_served, "ingest to store every reading", timeout=DEADLINE_SECONDS)
    for (building_id, point), times in published.items():
        assert served(building_id, point, times) == pytest.approx(times), (building_id, point)

    buildings = api.get("/api/v1/buildings").json()
    assert {b["id"] for b in buildings["items"]} == {b for b, _ in published}
    detail = api.get(f"/api/v1/buildings/{building}").json()
    assert len(detail["points"]) == len([p for b, p in published if b == building])
    assert all(p["brick_class"] for p in detail["points"])

    # Every pack the gateways numbered arrived: no sequence gaps.
    completeness = api.get(f"/api/v1/buildings/{building}/completeness").json()
    (gateway_row,) = completeness["gateways"]
    assert gateway_row["missing_packs"] == 0
    assert gateway_row["packs"] == len(
        {p.seq for p in collector.packs if p.gateway == gateway_row["gateway"]}
    )

    assert collector.malformed == [MALFORMED]
    engine = make_engine(postgres_url)
    letters = Registry(engine).dead_letters()
    engine.dispose()
    assert [letter.payload for letter in letters] == [MALFORMED]
    assert letters[0].topic == topics.telemetry(building, "energy")
    assert "JSON" in letters[0].reason
