"""The ingest process killed mid-batch, or paused through a burst: no reading lost, none twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from byggpuls.registry import make_engine
from byggpuls.registry.accounting import Accounting, day_of
from sandbox.loadgen import (
    START_S,
    Publisher,
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import MosquittoServer, free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
#: Measured on two cores: a worker was ready 4 s after its start with the machine otherwise
#: quiet, 16 s after with six busy processes beside it, and 30 s were too few under the load of
#: several test runs. This bound only ends a test whose worker never becomes ready.
READY_TIMEOUT_S = 120.0


class Worker:
    """``byggpuls ingest`` as a child process."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.port = int(env["BYGGPULS_INGEST_METRICS_PORT"])
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest"],
            env=env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self) -> None:
        """Wait until it is ready for traffic; fail at once if it exits first."""
        wait_until(
            lambda: self.healthy() or self.process.poll() is not None,
            timeout_s=READY_TIMEOUT_S,
        )
        assert self.healthy(), self.log_path.read_text()[-3000:]

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def metric(self, name: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        for line in text.splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
        return 0.0

    def diagnosis(self, influx_url: str, expected: dict[tuple[str, str], int]) -> str:
        """What a failing test should show: how far it got, the worker's counters and log."""
        counts = influx_series_counts(influx_url)
        stored = sum(counts.values())
        names = (
            "byggpuls_ingest_readings_written_total",
            "byggpuls_ingest_messages_acknowledged_total",
            "byggpuls_ingest_acks_dropped_total",
            "byggpuls_ingest_inflight_messages",
            "byggpuls_ingest_broker_connected",
        )
        metrics = {name: self.metric(name) for name in names}
        log = self.log_path.read_text()[-4000:]
        return (
            f"stored {stored} of {sum(expected.values())} readings; worker {metrics}; "
            f"alive: {self.process.poll() is None}\n{log}"
        )

    def end(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(30)
        self._log.close()
        return code

    def kill(self) -> None:
        """End it for good, stopped (SIGSTOP) or not, unless it has ended."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._log.close()


@pytest.fixture
def start_worker() -> Iterator[Callable[[dict[str, str], Path], Worker]]:
    """Starts workers and waits until each is ready; however the test ends, none outlives it."""
    started: list[Worker] = []

    def start(env: dict[str, str], log: Path) -> Worker:
        worker = Worker(env=env, log=log)
        started.append(worker)
        worker.wait_healthy()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


@pytest.fixture
def worker_env(mosquitto: MosquittoServer, influx_url: str, tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        BYGGPULS_MQTT_URL=mosquitto.url,
        BYGGPULS_INFLUX_URL=influx_url,
        BYGGPULS_DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        BYGGPULS_DATA_DIR=str(tmp_path / "data"),
        BYGGPULS_INGEST_CLIENT_ID="ingest-under-test",
        BYGGPULS_INGEST_METRICS_PORT=str(free_port()),
    )


@contextmanager
def publisher(mosquitto: MosquittoServer) -> Iterator[Publisher]:
    client = Publisher(mqtt_url=mosquitto.url, client_id="publisher")
    try:
        yield client
    finally:
        client.close()


StartWorker = Callable[[dict[str, str], Path], Worker]


def test_killed_mid_batch_and_restarted_loses_nothing(
    start_worker: StartWorker,
    worker_env: dict[str, str],
    mosquitto: MosquittoServer,
    influx_url: str,
    tmp_path: Path,
) -> None:
    # Small batches, so that the kill lands with many of them written and many not.
    worker_env |= {"BYGGPULS_INGEST_BATCH_SIZE": "400", "BYGGPULS_INGEST_BATCH_MAX_WAIT_MS": "20"}
    shape = {"buildings": 10, "packs_per_building": 60, "points_per_pack": 25, "times_per_pack": 8}
    expected = expected_series(**shape)
    total = sum(expected.values())
    worker = start_worker(worker_env, tmp_path / "ingest.log")
    with publisher(mosquitto) as client:
        messages = list(telemetry_messages(**shape))
        assert client.publish(messages) == len(messages)

    written = "byggpuls_ingest_readings_written_total"
    assert wait_until(lambda: worker.metric(written) >= total / 10, timeout_s=60, every_s=0.02)
    assert worker.metric(written) < total, "the kill came too late to test anything"
    assert worker.end(signal.SIGKILL) == -signal.SIGKILL

    worker = start_worker(worker_env, tmp_path / "ingest.log")
    try:
        assert wait_until(lambda: influx_series_counts(influx_url) == expected, timeout_s=60)
    finally:
        assert worker.end() == 0
    # Packs written before the kill came again; they count as duplicates, not as readings.
    accounting = Accounting(make_engine(worker_env["BYGGPULS_DATABASE_URL"]))
    sequences = accounting.gateway_sequences()
    assert [(row.packs, row.missing) for row in sequences] == [(60, 0)] * 10
    received = sum(
        row.received
        for building in {b for b, _ in expected}
        for row in accounting.completeness(building, day_of(START_S * 1000))
    )
    assert received == total


def test_a_burst_while_paused_is_delivered_whole(
    start_worker: StartWorker,
    worker_env: dict[str, str],
    mosquitto: MosquittoServer,
    influx_url: str,
    tmp_path: Path,
) -> None:
    shape = {"buildings": 50, "packs_per_building": 100, "points_per_pack": 2, "times_per_pack": 1}
    expected = expected_series(**shape)
    worker = start_worker(worker_env, tmp_path / "ingest.log")
    worker.process.send_signal(signal.SIGSTOP)
    try:
        with publisher(mosquitto) as client:
            messages = list(telemetry_messages(**shape))
            assert len(messages) == 5000
            assert client.publish(messages) == len(messages)
    finally:
        worker.process.send_signal(signal.SIGCONT)
    try:
        delivered = wait_until(lambda: influx_series_counts(influx_url) == expected, timeout_s=60)
        assert delivered, worker.diagnosis(influx_url, expected)
        assert worker.metric("byggpuls_ingest_broker_dropped_messages") == 0
        assert worker.metric("byggpuls_ingest_inflight_messages") >= 0
    finally:
        assert worker.end() == 0
