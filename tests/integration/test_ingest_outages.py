"""InfluxDB down for 30 s, or the broker restarted, while readings flow: all arrive, once.

The gateways (loadgen's publisher, from a thread) go on only as far as ingest acknowledges
their packs end to end, and send again what stays unacknowledged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from sandbox.loadgen import (
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import InfluxServer, MosquittoServer
from tests.integration.conftest import Stream

pytestmark = pytest.mark.integration

OUTAGE_S = 30.0
SHAPE = {"buildings": 8, "packs_per_building": 60, "points_per_pack": 10, "times_per_pack": 3}

StartStream = Callable[..., Stream]


class Workers:
    """Builds a test's workers: after the test, each is stopped and what it opened closed."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack

    def build(self, settings: IngestSettings) -> IngestService:
        built = build_ingest(settings)
        self._stack.enter_context(built.resources)
        self._stack.callback(built.service.stop)
        return built.service


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Workers]:
    with ExitStack() as stack:
        yield Workers(stack)


def worker(started: Workers, *, mqtt_url: str, influx_url: str, tmp_path: Path) -> IngestService:
    settings = IngestSettings(
        mqtt_url=mqtt_url,
        influx_url=influx_url,
        database_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        data_dir=tmp_path,
        ingest_client_id="ingest-outage",
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=50,
        ingest_health_threshold_s=5,
        ingest_retry_max_s=2,
    )
    service = started.build(settings)
    service.start()
    assert service.wait_ready(30)
    return service


def written(service: IngestService) -> float:
    value = service.metrics.registry.get_sample_value("byggpuls_ingest_readings_written_total")
    return value or 0.0


def test_influxdb_down_for_30_seconds(
    start_worker: Workers,
    start_stream: StartStream,
    mosquitto: MosquittoServer,
    influx_own: InfluxServer,
    tmp_path: Path,
) -> None:
    service = worker(
        start_worker, mqtt_url=mosquitto.url, influx_url=influx_own.url, tmp_path=tmp_path
    )
    expected = expected_series(**SHAPE)
    health = f"http://127.0.0.1:{service.metrics_port}/healthz"
    # About 10 s of traffic, but it goes on only as fast as ingest acknowledges it.
    stream = start_stream(
        mosquitto.url, list(telemetry_messages(**SHAPE)), pause_s=0.4, resend_after_s=5.0
    )

    assert wait_until(lambda: written(service) > 0, timeout_s=30)
    influx_own.stop()
    stopped = time.monotonic()
    assert wait_until(lambda: httpx.get(health).status_code == 503, timeout_s=OUTAGE_S)
    # Only now: a write answered just before InfluxDB stopped may still have been counted, and
    # acknowledged to its gateway.
    before = written(service)
    acknowledged = stream.confirmed
    resent = stream.resent
    assert "store unreachable" in httpx.get(health).text
    time.sleep(max(OUTAGE_S - (time.monotonic() - stopped), 0.0))
    # Nothing written meanwhile, so nothing acknowledged: the gateways keep it all, and send
    # again what stays unacknowledged.
    assert written(service) == before
    assert stream.confirmed == acknowledged, stream.describe()
    assert not stream.done, stream.describe()
    assert stream.resent > resent, stream.describe()
    influx_own.start()

    assert stream.wait_done(120), stream.describe()
    assert stream.error is None, stream.describe()
    assert wait_until(
        lambda: influx_series_counts(influx_own.url) == expected, timeout_s=60, every_s=0.5
    )
    assert httpx.get(health).status_code == 200
    retries = service.metrics.registry.get_sample_value(
        "byggpuls_ingest_write_retries_total", {"target": "store"}
    )
    assert retries is not None
    assert retries > 0


def test_broker_restarted_mid_stream(
    start_worker: Workers,
    start_stream: StartStream,
    mosquitto: MosquittoServer,
    influx_url: str,
    tmp_path: Path,
) -> None:
    service = worker(start_worker, mqtt_url=mosquitto.url, influx_url=influx_url, tmp_path=tmp_path)
    expected = expected_series(**SHAPE)
    stream = start_stream(
        mosquitto.url, list(telemetry_messages(**SHAPE)), chunk=10, resend_after_s=3.0
    )

    assert wait_until(lambda: stream.sent >= len(stream.chunks) // 3, timeout_s=30)
    # Whatever is on its way: what the broker held for ingest goes with the broker (ingest's
    # session is not persistent), what the gateways publish before ingest subscribes again
    # has no subscriber; both come again from the gateways, which hold all until acknowledged.
    generation = service.session.generation
    mosquitto.restart()
    assert wait_until(lambda: service.session.generation > generation, timeout_s=30)
    assert service.wait_ready(30)

    assert stream.wait_done(120), stream.describe()
    assert stream.error is None, stream.describe()
    assert wait_until(
        lambda: influx_series_counts(influx_url) == expected, timeout_s=60, every_s=0.5
    )


def test_not_ready_before_the_broker_has_the_subscription(
    start_worker: Workers, influx_url: str, tmp_path: Path
) -> None:
    # A broker that is not there yet: the worker is alive (healthz) but must not be sent
    # traffic (readyz), or the broker, knowing no subscriber, would drop it.
    mosquitto = MosquittoServer(workdir=tmp_path / "late-broker")
    settings = IngestSettings(
        mqtt_url=mosquitto.url,
        influx_url=influx_url,
        data_dir=tmp_path / "data",
        ingest_client_id="ingest-late",
        ingest_metrics_port=0,
    )
    service = start_worker.build(settings)
    service.start()
    base = f"http://127.0.0.1:{service.metrics_port}"
    try:
        assert httpx.get(f"{base}/healthz").status_code == 200
        not_ready = httpx.get(f"{base}/readyz")
        assert not_ready.status_code == 503
        assert "not subscribed yet" in not_ready.json()["problems"]
        mosquitto.start()
        assert service.wait_ready(60)
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        mosquitto.stop()
