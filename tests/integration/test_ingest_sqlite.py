"""The zero-setup path: embedded SQLite store and registry, one worker without $share."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from byggpuls import topics, wire
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.registry import Registry, make_engine
from byggpuls.registry.accounting import Accounting, day_of
from byggpuls.storage.port import SeriesQuery
from byggpuls.storage.sqlite import SQLiteStore
from cli.bootstrap import build_ingest
from ingest.settings import IngestSettings
from sandbox.loadgen import Message, Publisher, wait_until
from sandbox.servers import MosquittoServer

pytestmark = pytest.mark.integration

TIME_S = 1_764_201_600  # 2025-11-27 00:00 UTC


def telemetry(seq: int, *points: tuple[str, str]) -> Message:
    readings = [
        Reading(
            building="skole-01",
            point=point,
            quantity="ignored",
            time_ms=(TIME_S + seq * 60) * 1000,
            value=20.0 + seq,
            unit=unit,
        )
        for point, unit in points
    ]
    payload = wire.encode_telemetry(readings, building="skole-01", gateway="gw-1", seq=seq)
    return Message(topics.telemetry("skole-01", "climate"), payload, len(readings))


def test_meta_status_and_telemetry_on_the_embedded_stores(
    mosquitto: MosquittoServer, tmp_path: Path
) -> None:
    settings = IngestSettings(
        mqtt_url=mosquitto.url,
        data_dir=tmp_path,
        ingest_client_id="ingest-sqlite",
        ingest_shared_subscription=False,
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=20,
    )
    meta = wire.encode_meta(
        gateway="gw-1",
        building=BuildingInfo(id="skole-01", name="Skole", type="school"),
        points=[
            PointInfo(
                point="r1.temp",
                domain="climate",
                quantity="air_temperature",
                unit="Cel",
                zone="r1",
                interval_s=60,
            )
        ],
        time_s=TIME_S,
    )
    status = wire.encode_status(
        wire.Status(state="online", time=TIME_S, spool_depth=3, spool_dropped=1)
    )
    publisher = Publisher(mqtt_url=mosquitto.url, client_id="gateway")
    try:
        # Retained, as a gateway publishes them: they reach a worker that starts later.
        publisher.session.wait_connected(10)
        publisher.session.publish(topics.meta("skole-01", "gw-1"), meta, retain=True)
        publisher.session.publish(topics.status("skole-01", "gw-1"), status, retain=True)
        built = build_ingest(settings)
        service = built.service
        service.start()
        try:
            registry = Registry(make_engine(settings.registry_url))
            assert wait_until(
                lambda: registry.point("skole-01", "r1.temp") is not None, timeout_s=10
            )
            messages = [telemetry(seq, ("r1.temp", "Cel"), ("r1.co2", "ppm")) for seq in (1, 2, 4)]
            assert publisher.publish(messages) == len(messages)

            store = SQLiteStore(tmp_path / "readings.sqlite3")
            query = SeriesQuery(
                building="skole-01",
                point="r1.temp",
                quantity="air_temperature",
                start_ms=TIME_S * 1000,
                end_ms=(TIME_S + 3600) * 1000,
            )
            assert wait_until(lambda: len(store.query_series(query)) == 3, timeout_s=10)
            latest = {r.point: r for r in store.latest("skole-01")}
            assert (latest["r1.temp"].zone, latest["r1.co2"].quantity) == ("r1", "co2")

            described = registry.point("skole-01", "r1.temp")
            guessed = registry.point("skole-01", "r1.co2")
            assert described is not None
            assert guessed is not None
            assert (described.source, described.interval_s) == ("meta", 60)
            assert (guessed.source, guessed.quantity, guessed.domain) == (
                "telemetry",
                "co2",
                "climate",
            )
            assert registry.building("skole-01").name == "Skole"  # type: ignore[union-attr]

            accounting = Accounting(make_engine(settings.registry_url))
            (sequence,) = accounting.gateway_sequences("skole-01")
            assert (sequence.packs, sequence.first_seq, sequence.last_seq, sequence.missing) == (
                3,
                1,
                4,
                1,
            )
            completeness = {
                row.point: row for row in accounting.completeness("skole-01", day_of(TIME_S * 1000))
            }
            assert completeness["r1.temp"].received == 3
            assert completeness["r1.temp"].interval_s == 60
            (state,) = accounting.gateway_states("skole-01")
            assert (state.state, state.spool_depth, state.spool_dropped) == ("online", 3, 1)

            base = f"http://127.0.0.1:{service.metrics_port}"
            assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
            ready = httpx.get(f"{base}/readyz")
            assert ready.status_code == 200
            assert ready.json()["subscribed"] is True
            metrics = httpx.get(f"{base}/metrics").text
            assert (
                'byggpuls_ingest_gateway_missing_packs{building="skole-01",gateway="gw-1"} 1.0'
                in metrics
            )
            assert (
                'byggpuls_ingest_gateway_spool_depth{building="skole-01",gateway="gw-1"} 3.0'
                in metrics
            )
            assert "byggpuls_ingest_readings_written_total 6.0" in metrics
            assert "byggpuls_ingest_sequence_gaps_total 1.0" in metrics
        finally:
            service.stop()
            built.resources.close()
    finally:
        publisher.close()
