"""Bad input is dead-lettered with its reason and bytes while valid traffic goes on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from byggpuls import wire
from byggpuls.reading import BuildingInfo, Reading
from byggpuls.registry import Registry, make_engine
from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from sandbox.loadgen import Message, Publisher, influx_series_counts, wait_until
from sandbox.servers import MosquittoServer

pytestmark = pytest.mark.integration

TIME_S = 1_764_201_600


def telemetry(building: str, *, seq: int, points: int = 3, unit: str = "kWh") -> Message:
    readings = [
        Reading(
            building=building,
            point=f"m{p}",
            quantity="energy",
            time_ms=(TIME_S + seq * 60) * 1000,
            value=100.0 + p,
            unit=unit,
        )
        for p in range(points)
    ]
    payload = wire.encode_telemetry(readings, building=building, gateway="gw-1", seq=seq)
    return Message(f"byggpuls/v1/{building}/energy", payload, len(readings))


@pytest.fixture
def service(mosquitto: MosquittoServer, influx_url: str, tmp_path: Path) -> Iterator[IngestService]:
    settings = IngestSettings(
        mqtt_url=mosquitto.url,
        influx_url=influx_url,
        database_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        data_dir=tmp_path,
        ingest_client_id="ingest-dl",
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=500,
    )
    built = build_ingest(settings)
    service = built.service
    with built.resources:
        service.start()
        try:
            assert service.wait_ready(30)
            yield service
        finally:
            service.stop()


def test_bad_input_is_dead_lettered_and_valid_traffic_continues(
    service: IngestService, mosquitto: MosquittoServer, influx_url: str, tmp_path: Path
) -> None:
    # A string field where ingest writes floats: InfluxDB refuses that pack (field type conflict).
    user, rest = influx_url.removeprefix("http://").split("@")
    host, database = rest.split("/")
    httpx.post(
        f"http://{host}/write",
        params={"db": database, "precision": "ms"},
        auth=tuple(user.split(":")),  # type: ignore[arg-type]
        content=f'power,building=hall-01,point=m0 value="broken" {TIME_S * 1000}',
    ).raise_for_status()

    valid = telemetry("skole-01", seq=1)
    truncated = telemetry("skole-01", seq=2).payload[:-9]
    wrong = json.loads(telemetry("skole-01", seq=3).payload)
    wrong[1]["v"] = "101"
    oversized = telemetry("skole-01", seq=4, points=wire.PACK_MAX_RECORDS + 1)
    conflict = telemetry("hall-01", seq=1, unit="W")
    bad_meta = wire.encode_meta(
        gateway="gw-1",
        building=BuildingInfo(id="skole-01", name="Skole", type="castle"),
        points=[],
        time_s=TIME_S,
    )
    garbage = bytes(range(256))
    messages = [
        valid,
        Message("byggpuls/v1/skole-01/energy", garbage, 0),
        Message("byggpuls/v1/skole-01/energy", truncated, 0),
        Message("byggpuls/v1/skole-01/energy", json.dumps(wrong).encode(), 0),
        oversized,
        Message("byggpuls/v1/Skole-01/energy", valid.payload, 0),
        Message("byggpuls/v1/skole-01/status", b"{}", 0),
        Message("byggpuls/v1/skole-01/meta/gw-1", bad_meta, 0),
        conflict,
        telemetry("hall-02", seq=1),
        telemetry("skole-01", seq=5),
    ]
    publisher = Publisher(mqtt_url=mosquitto.url, client_id="publisher")
    try:
        assert publisher.publish(messages) == len(messages)
    finally:
        publisher.close()

    registry = Registry(make_engine(f"sqlite:///{tmp_path / 'registry.sqlite3'}"))
    assert wait_until(lambda: registry.count_dead_letters() >= 8, timeout_s=30)

    def acked() -> float:
        return (
            service.metrics.registry.get_sample_value("byggpuls_ingest_messages_acknowledged_total")
            or 0.0
        )

    assert wait_until(lambda: acked() >= len(messages), timeout_s=30)

    letters = {letter.reason: letter for letter in registry.dead_letters()}
    reasons = sorted(letters)
    expected = [
        "not valid UTF-8",
        "not valid JSON",
        "must be a number",
        "more than 500",
        "invalid building id 'Skole-01'",
        "lacks the gateway id",
        "building.type 'castle'",
        "field type conflict",
    ]
    for fragment in expected:
        assert any(fragment in reason for reason in reasons), (fragment, reasons)
    assert len(reasons) == len(expected)
    (garbage_letter,) = [r for r in letters.values() if "UTF-8" in r.reason]
    assert garbage_letter.payload == garbage
    (refused,) = [r for r in letters.values() if "field type conflict" in r.reason]
    assert refused.payload == conflict.payload
    assert refused.gateway == "gw-1"

    # Everything valid was stored, before and after the garbage and the refused pack.
    counts = influx_series_counts(influx_url)
    assert counts[("skole-01", "m0")] == 2
    assert ("hall-01", "m1") not in counts  # the refused pack
    assert ("hall-01", "m2") not in counts
    assert counts[("hall-02", "m1")] == 1
    sample = service.metrics.registry.get_sample_value
    assert sample("byggpuls_ingest_dead_lettered_total", {"stage": "decode"}) == 7
    assert sample("byggpuls_ingest_dead_lettered_total", {"stage": "store"}) == 1
    assert sample("byggpuls_ingest_readings_written_total") == 3 + 3 + 3
