"""The ingest process killed mid-batch, or paused through a burst: no reading lost, none twice.

The gateways (loadgen's publisher, from a thread) keep every pack until ingest acknowledges it
end to end, and publish again what stays unacknowledged; ingest's session is not persistent,
so what a dead worker held, and what the broker queued for it, comes again from them.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from byggpuls import topics
from byggpuls.registry import make_engine
from byggpuls.registry.accounting import Accounting, day_of
from sandbox.loadgen import (
    START_S,
    expected_series,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import MosquittoServer
from tests.integration.conftest import Listener, StartIngest, Stream

pytestmark = pytest.mark.integration

#: Bounds what takes seconds; only a test that never gets there meets it.
DEADLINE_S = 150.0

StartStream = Callable[..., Stream]


def test_killed_mid_batch_and_restarted_loses_nothing(
    start_ingest: StartIngest,
    start_stream: StartStream,
    ingest_env: dict[str, str],
    mosquitto: MosquittoServer,
    tmp_path: Path,
) -> None:
    # Small batches, so that the kill lands with many of them written and many not.
    env = ingest_env | {
        "BYGGPULS_INGEST_BATCH_SIZE": "400",
        "BYGGPULS_INGEST_BATCH_MAX_WAIT_MS": "20",
    }
    influx_url = env["BYGGPULS_INFLUX_URL"]
    shape = {"buildings": 10, "packs_per_building": 60, "points_per_pack": 25, "times_per_pack": 8}
    expected = expected_series(**shape)
    total = sum(expected.values())
    worker = start_ingest(env, tmp_path / "ingest.log")
    messages = list(telemetry_messages(**shape))
    # All at once, and sent again 5 s after, unless acknowledged.
    stream = start_stream(mosquitto.url, messages, chunk=len(messages), resend_after_s=5.0)

    written = "byggpuls_ingest_readings_written_total"
    assert wait_until(lambda: worker.metric(written) >= total / 10, timeout_s=60, every_s=0.02)
    assert worker.metric(written) < total, "the kill came too late to test anything"
    assert worker.end(signal.SIGKILL) == -signal.SIGKILL

    worker = start_ingest(env, tmp_path / "ingest.log")
    assert stream.wait_done(DEADLINE_S), (
        f"{stream.describe()}\n{worker.diagnosis(influx_url, expected)}"
    )
    assert stream.error is None, stream.describe()
    assert wait_until(lambda: influx_series_counts(influx_url) == expected, timeout_s=60), (
        worker.diagnosis(influx_url, expected)
    )
    assert stream.resent > 0  # what the killed worker held came again from the gateways
    assert worker.end() == 0, worker.report()
    # Packs written before the kill came again; they count as duplicates, not as readings.
    engine = make_engine(env["BYGGPULS_DATABASE_URL"])
    try:
        accounting = Accounting(engine)
        sequences = accounting.gateway_sequences()
        received = sum(
            row.received
            for building in {b for b, _ in expected}
            for row in accounting.completeness(building, day_of(START_S * 1000))
        )
    finally:
        engine.dispose()
    assert [(row.packs, row.missing) for row in sequences] == [(60, 0)] * 10
    assert received == total


def test_a_burst_while_paused_is_delivered_whole(
    start_ingest: StartIngest,
    start_stream: StartStream,
    listen: Callable[..., Listener],
    ingest_env: dict[str, str],
    tmp_path: Path,
) -> None:
    mqtt_url, influx_url = ingest_env["BYGGPULS_MQTT_URL"], ingest_env["BYGGPULS_INFLUX_URL"]
    shape = {"buildings": 50, "packs_per_building": 100, "points_per_pack": 2, "times_per_pack": 1}
    expected = expected_series(**shape)
    messages = list(telemetry_messages(**shape))
    assert len(messages) == 5000
    worker = start_ingest(ingest_env, tmp_path / "ingest.log")
    observer = listen(
        mqtt_url,
        client_id="observer",
        topic_filter=topics.TELEMETRY_FILTER,
        qos=0,
        persistent=False,
    )
    worker.pause()
    try:
        # The gateways publish the burst while the worker is stopped; they are done only once
        # it acknowledged all of it, so they wait for it to come back.
        stream = start_stream(mqtt_url, messages, chunk=len(messages), resend_after_s=10.0)
        routed = wait_until(lambda: observer.received >= len(messages), timeout_s=DEADLINE_S)
        assert not stream.done, "acknowledged while the worker was stopped"
    finally:
        worker.resume()
    assert routed, f"the broker routed {observer.received} of {len(messages)}"

    assert stream.wait_done(DEADLINE_S), (
        f"{stream.describe()}\n{worker.diagnosis(influx_url, expected)}"
    )
    assert stream.error is None, stream.describe()
    delivered = wait_until(lambda: influx_series_counts(influx_url) == expected, timeout_s=60)
    assert delivered, worker.diagnosis(influx_url, expected)
    assert worker.metric("byggpuls_ingest_broker_dropped_messages") == 0
    assert worker.metric("byggpuls_ingest_held_bytes_max") <= 256 * 2**20  # the default bound
    assert worker.end() == 0, worker.report()
