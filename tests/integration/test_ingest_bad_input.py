"""Input found wrong by fault drills is dead-lettered with its reason, and nothing of it stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from byggpuls import wire
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.registry import Registry, make_engine
from byggpuls.registry.accounting import Accounting
from ingest.service import IngestService
from ingest.settings import IngestSettings
from sandbox.loadgen import Message, Publisher, influx_series_counts, wait_until
from sandbox.servers import MosquittoServer
from tests.integration.conftest import running_ingest

pytestmark = pytest.mark.integration

TIME_S = 1_764_201_600
TELEMETRY = "byggpuls/v1/skole-01/energy"
STATUS = "byggpuls/v1/skole-01/status/gw-1"
META = "byggpuls/v1/skole-01/meta/gw-1"


def records(prefix: str, *, seq: int) -> list[dict[str, object]]:
    """A pack of points ``{prefix}0`` to ``{prefix}2`` as the gateway encodes it, as JSON."""
    readings = [
        Reading(
            building="skole-01",
            point=f"{prefix}{p}",
            quantity="energy",
            time_ms=(TIME_S + seq * 60) * 1000,
            value=100.0 + p,
            unit="kWh",
        )
        for p in range(3)
    ]
    payload = wire.encode_telemetry(readings, building="skole-01", gateway="gw-1", seq=seq)
    pack: list[dict[str, object]] = json.loads(payload)
    return pack


def meta(point: PointInfo) -> dict[str, Any]:
    """The birth message of gw-1 with ``point``, as JSON."""
    payload = wire.encode_meta(
        gateway="gw-1",
        building=BuildingInfo(id="skole-01", name="Skole", type="school"),
        points=[point],
        time_s=TIME_S,
    )
    decoded: dict[str, Any] = json.loads(payload)
    return decoded


def message(topic: str, payload: object, readings: int = 0) -> Message:
    """``payload`` as the JSON a message on ``topic`` carries."""
    return Message(topic, json.dumps(payload).encode(), readings)


@pytest.fixture
def service(
    mosquitto: MosquittoServer, influx_url: str, postgres_url: str, tmp_path: Path
) -> Iterator[IngestService]:
    settings = IngestSettings(
        mqtt_url=mosquitto.url,
        influx_url=influx_url,
        database_url=postgres_url,
        data_dir=tmp_path,
        ingest_client_id="ingest-bad-input",
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=500,
    )
    with running_ingest(settings) as service:
        yield service


def test_fault_drill_input_is_dead_lettered_and_nothing_of_it_is_stored(
    service: IngestService, mosquitto: MosquittoServer, influx_url: str, postgres_url: str
) -> None:
    twice = records("d", seq=41)
    twice[2] = {"n": "d0", "u": "kWh", "v": 7.0}  # d0 again, at the time of record 0
    nul_unit = records("n", seq=41)
    nul_unit[1]["u"] = "kWh\x00"
    jumped = records("j", seq=10**12)
    beyond_json = records("b", seq=2**53)
    draft_version = records("v", seq=42)
    draft_version[0] = {"bver": 5, **draft_version[0]}
    overflowing = {"state": "online", "time": TIME_S, "spool_depth": 10**30}
    # Both are edited after encoding: a gateway's own encoder refuses them.
    nul_meta = meta(PointInfo(point="i0", domain="energy", quantity="energy", unit="kWh"))
    nul_meta["building"]["name"] = "Skole\x00"
    long_interval = meta(PointInfo(point="i0", domain="energy", quantity="energy", unit="kWh"))
    long_interval["points"][0]["interval_s"] = 2**31
    messages = [
        message(TELEMETRY, records("m", seq=40), 3),
        message(TELEMETRY, twice),
        message(TELEMETRY, nul_unit),
        message(TELEMETRY, jumped),
        message(TELEMETRY, beyond_json),
        message(STATUS, overflowing),
        message(META, nul_meta),
        message(META, long_interval),
        message(TELEMETRY, records("m", seq=41), 3),
        message(TELEMETRY, draft_version, 3),
    ]
    publisher = Publisher(mqtt_url=mosquitto.url, client_id="publisher-bad-input")
    try:
        assert publisher.publish(messages) == len(messages)
    finally:
        publisher.close()

    def acked() -> float:
        sample = service.metrics.registry.get_sample_value
        return sample("byggpuls_ingest_messages_acknowledged_total") or 0.0

    assert wait_until(lambda: acked() >= len(messages), timeout_s=30)
    engine = make_engine(postgres_url)
    try:
        registry = Registry(engine)
        letters = {letter.payload: letter for letter in registry.dead_letters()}
        points = {point.point for point in registry.points("skole-01")}
        accounting = Accounting(engine)
        (sequence,) = accounting.gateway_sequences("skole-01")
        states = accounting.gateway_states("skole-01")
    finally:
        engine.dispose()

    expected = {
        1: "record 2 (d0): a second value for time",
        2: "record 1: field 'u' holds a NUL character (U+0000)",
        3: f"'seq' {10**12} is {10**12 - 40} ahead of 40, the last pack of gw-1",
        4: "'seq' 9007199254740992 is above 2**53 - 1",
        5: "invalid status: spool_depth: Input should be less than or equal to",
        6: "invalid meta: building.name: Value error, holds a NUL character (U+0000)",
        7: "invalid meta: points.0.interval_s: Input should be less than or equal to 2147483647",
    }
    assert len(letters) == len(expected)
    for index, reason in expected.items():
        sent = messages[index]
        letter = letters[sent.payload]
        assert reason in letter.reason, (reason, letter.reason)
        assert letter.topic == sent.topic
    assert letters[messages[3].payload].gateway == "gw-1"
    assert letters[messages[5].payload].gateway == "gw-1"

    # Nothing of the refused input was stored, registered or counted; the rest was.
    counts = influx_series_counts(influx_url)
    assert {point for _, point in counts} == {"m0", "m1", "m2", "v0", "v1", "v2"}
    assert counts[("skole-01", "m0")] == 2
    assert points == {"m0", "m1", "m2", "v0", "v1", "v2"}
    assert (sequence.first_seq, sequence.last_seq, sequence.packs) == (40, 42, 3)
    assert sequence.missing == 0
    assert states == []
