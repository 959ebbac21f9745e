"""Ingest on NATS Server, whose MQTT 3.1.1 listener runs on JetStream and ignores ``$share``.

One worker with a plain subscription stores every reading once, also across a restart of the
broker; one that asks for a shared subscription refuses to start, instead of acknowledging
nothing while the gateways' packs go nowhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from ingest.subscriber import PROBE_TIMEOUT_S
from sandbox.loadgen import (
    Publisher,
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import NatsServer

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SHAPE = {"buildings": 4, "packs_per_building": 30, "points_per_pack": 10, "times_per_pack": 2}


@pytest.fixture
def workers() -> Iterator[ExitStack]:
    """Stops each worker built on it, and closes what it opened, after the test."""
    with ExitStack() as stack:
        yield stack


def worker(
    stack: ExitStack, *, nats: NatsServer, influx_url: str, tmp_path: Path, shared: bool
) -> IngestService:
    settings = IngestSettings(
        mqtt_url=nats.url,
        influx_url=influx_url,
        database_url=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        data_dir=tmp_path,
        ingest_client_id="ingest-nats",
        ingest_shared_subscription=shared,
        ingest_metrics_port=0,
        ingest_batch_max_wait_ms=50,
        ingest_retry_max_s=2,
    )
    built = build_ingest(settings)
    stack.enter_context(built.resources)
    stack.callback(built.service.stop)
    built.service.start()
    return built.service


def test_every_reading_is_stored_once_across_a_restart(
    workers: ExitStack, nats: NatsServer, influx_url: str, tmp_path: Path
) -> None:
    service = worker(workers, nats=nats, influx_url=influx_url, tmp_path=tmp_path, shared=False)
    assert service.wait_ready(30)
    messages = list(telemetry_messages(**SHAPE))
    half = len(messages) // 2
    publisher = Publisher(mqtt_url=nats.url, client_id="gateway")
    try:
        assert publisher.publish(messages[:half]) == half
        # What the broker confirmed to the gateway and ingest has not acknowledged yet, and
        # the worker's session, are kept in JetStream across the restart.
        generation = service.session.generation
        nats.restart()
        assert wait_until(lambda: service.session.generation > generation, timeout_s=30)
        assert service.wait_ready(30)
        assert publisher.publish(messages[half:]) == len(messages) - half
    finally:
        publisher.close()

    expected = expected_series(**SHAPE)
    assert wait_until(
        lambda: influx_series_counts(influx_url) == expected, timeout_s=60, every_s=0.5
    )
    assert service.error is None


def test_a_shared_subscription_is_refused_at_start(
    workers: ExitStack, nats: NatsServer, influx_url: str, tmp_path: Path
) -> None:
    service = worker(workers, nats=nats, influx_url=influx_url, tmp_path=tmp_path, shared=True)

    assert not service.wait_ready(PROBE_TIMEOUT_S + 20)
    assert service.failed.is_set()
    assert "BYGGPULS_INGEST_SHARED_SUBSCRIPTION=false" in (service.error or "")


def test_the_command_refuses_a_shared_subscription_as_a_wrong_setting(
    nats: NatsServer, influx_url: str, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "BYGGPULS_MQTT_URL": nats.url,
        "BYGGPULS_INFLUX_URL": influx_url,
        "BYGGPULS_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        "BYGGPULS_DATA_DIR": str(tmp_path),
        "BYGGPULS_INGEST_METRICS_PORT": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "cli", "ingest", "--client-id", "ingest-nats-cli"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROBE_TIMEOUT_S + 120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "byggpuls ingest: BYGGPULS_INGEST_SHARED_SUBSCRIPTION:" in done.stderr
    assert "Traceback" not in done.stderr
