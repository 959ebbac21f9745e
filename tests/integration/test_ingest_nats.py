"""Ingest on NATS Server, whose MQTT 3.1.1 listener runs on JetStream and ignores ``$share``.

One worker with a plain subscription stores every reading once, also across a restart of the
broker mid-stream (the gateway sends again what ingest has not acknowledged end to end); one
that asks for a shared subscription refuses to start, instead of acknowledging nothing while
the gateways' packs go nowhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from ingest.subscriber import PROBE_TIMEOUT_S
from sandbox.loadgen import (
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import NatsServer
from tests.integration.conftest import Stream

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
    workers: ExitStack,
    start_stream: Callable[..., Stream],
    nats: NatsServer,
    influx_url: str,
    tmp_path: Path,
) -> None:
    service = worker(workers, nats=nats, influx_url=influx_url, tmp_path=tmp_path, shared=False)
    assert service.wait_ready(30)
    stream = start_stream(
        nats.url,
        list(telemetry_messages(**SHAPE)),
        client_id="gateway",
        chunk=10,
        resend_after_s=3.0,
    )

    assert wait_until(lambda: stream.sent >= len(stream.chunks) // 3, timeout_s=60), (
        stream.describe()
    )
    # Restarted with packs on their way: the gateway holds each until ingest acknowledged it,
    # and sends again what the restart lost.
    generation = service.session.generation
    nats.restart()
    assert wait_until(lambda: service.session.generation > generation, timeout_s=30)
    assert service.wait_ready(30)
    assert stream.wait_done(120), stream.describe()
    assert stream.error is None, stream.describe()

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
