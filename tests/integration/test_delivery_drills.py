"""Drills of the end-to-end delivery guarantee on real processes: no reading lost, none twice.

A gateway keeps each pack until ingest acknowledges it as durable, and publishes again what
stays unacknowledged; the broker only routes. So whatever the broker or a worker loses in a
crash comes again, and what comes twice is a repeat that overwrites itself in the store and
that the accounting counts once. Each drill breaks something mid-stream (the broker killed
with a partner's subscriber beside ingest, the broker killed while ingest is away, one of two
workers of a shared subscription killed, a paused worker resumed into a large backlog) and
then waits, with a generous deadline, until InfluxDB holds every reading exactly once.

The gateways are loadgen's :class:`~sandbox.loadgen.Publisher` (through
:class:`~tests.integration.conftest.Stream`), resending after a few seconds so that lost packs
come back quickly; the workers are ``byggpuls ingest`` processes, the broker a Mosquitto of the
test's own.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from byggpuls import topics, wire
from byggpuls.registry import make_engine
from byggpuls.registry.accounting import Accounting, day_of
from sandbox.loadgen import (
    START_S,
    building_id,
    expected_series,
    gateway_id,
    influx_series_counts,
    telemetry_messages,
    wait_until,
)
from sandbox.servers import MosquittoServer, free_port
from tests.integration.conftest import (
    IngestProcess,
    Listener,
    StartIngest,
    Stream,
    stored_summary,
)

pytestmark = pytest.mark.integration

#: Several seconds of traffic: long enough to break something in the middle.
SHAPE = {"buildings": 8, "packs_per_building": 60, "points_per_pack": 10, "times_per_pack": 3}
#: Packs the gateways publish before they wait for ingest's acknowledgement of all of them.
CHUNK = 30
#: A worker's Receive Maximum: more than a chunk, less than a burst.
WORKER_WINDOW = 100
#: Gateways that come online with all their packs at once, more than a worker's window.
BURST = {
    "buildings": 4,
    "packs_per_building": 60,
    "points_per_pack": 10,
    "times_per_pack": 3,
    "first_building": 8,
}
BURST_PACKS = BURST["buildings"] * BURST["packs_per_building"]
#: Gateways publish again what ingest has not acknowledged after this long.
RESEND_AFTER_S = 3.0
#: Bounds a drill's recovery, which takes seconds; only a drill that never recovers meets it.
DEADLINE_S = 150.0
#: Batches close quickly, so each chunk of the stream is acknowledged soon.
FAST_BATCHES = {"BYGGPULS_INGEST_BATCH_MAX_WAIT_MS": "50", "BYGGPULS_INGEST_RETRY_MAX_S": "2"}

StartStream = Callable[..., Stream]


@dataclass
class Drill:
    """What a drill works with: the test's Mosquitto and database, and its workers, gateways
    and listeners, each ended after the test however it ends."""

    mosquitto: MosquittoServer
    influx_url: str
    tmp_path: Path
    #: A worker's environment; :meth:`worker` adds to it.
    env: dict[str, str]
    start_ingest: StartIngest
    start_stream: Callable[..., Stream]
    start_listener: Callable[..., Listener]
    workers: list[IngestProcess] = field(default_factory=list)
    #: The gateways' streams, and the shape of the telemetry of each.
    streams: list[Stream] = field(default_factory=list)
    shapes: list[dict[str, int]] = field(default_factory=list)

    @property
    def expected(self) -> dict[tuple[str, str], int]:
        """(building, point) -> readings of every stream (their buildings differ)."""
        expected: dict[tuple[str, str], int] = {}
        for shape in self.shapes:
            expected |= expected_series(**shape)
        return expected

    def worker(self, name: str, **settings: str) -> IngestProcess:
        """A ``byggpuls ingest`` with :attr:`env` and ``settings``, ready for traffic."""
        worker = self.start_ingest(self.env | settings, self.tmp_path / f"{name}.log")
        self.workers.append(worker)
        return worker

    def gateways(self, shape: dict[str, int] | None = None, **options: Any) -> Stream:
        """Gateways publishing the packs of ``shape`` (:data:`SHAPE`) from now on, in chunks
        of :data:`CHUNK`, sending again what is not acknowledged after :data:`RESEND_AFTER_S`
        (``options`` of :class:`Stream` change that)."""
        shape = dict(SHAPE if shape is None else shape)
        options = {
            "chunk": CHUNK,
            "resend_after_s": RESEND_AFTER_S,
            "client_id": f"gateways-{len(self.streams)}",
        } | options
        messages = list(telemetry_messages(**shape))
        stream = self.start_stream(self.mosquitto.url, messages, **options)
        self.streams.append(stream)
        self.shapes.append(shape)
        return stream

    def listen(self, **options: Any) -> Listener:
        """A :class:`Listener` on the test's Mosquitto, subscribed."""
        return self.start_listener(self.mosquitto.url, **options)

    def stored_exactly(self) -> bool:
        return influx_series_counts(self.influx_url) == self.expected

    def why(self) -> str:
        """A failing drill's message: the streams, what is stored, each worker's figures."""
        parts = [stream.describe() for stream in self.streams]
        parts.append(stored_summary(self.influx_url, self.expected))
        parts.extend(worker.report() for worker in self.workers)
        return "\n".join(parts)

    def recovered(self) -> None:
        """Wait until the gateways have every pack acknowledged and the store holds each
        reading exactly once."""
        for stream in self.streams:
            assert stream.wait_done(DEADLINE_S), self.why()
            assert stream.error is None, self.why()
        assert wait_until(self.stored_exactly, timeout_s=60, every_s=0.5), self.why()

    def counted_once(self) -> int:
        """Assert that the accounting has each gateway's packs, none missing, and the readings
        per day once (repeats count as duplicates, not readings); the duplicates it saw."""
        engine = make_engine(self.env["BYGGPULS_DATABASE_URL"])
        try:
            accounting = Accounting(engine)
            sequences = accounting.gateway_sequences()
            day: date = day_of(START_S * 1000)
            received = sum(
                row.received
                for building in {b for b, _ in self.expected}
                for row in accounting.completeness(building, day)
            )
        finally:
            engine.dispose()
        packs = {
            (building_id(b), gateway_id(b)): shape["packs_per_building"]
            for shape in self.shapes
            for b in range(
                shape.get("first_building", 0),
                shape.get("first_building", 0) + shape["buildings"],
            )
        }
        counted = {(row.building, row.gateway): (row.packs, row.missing) for row in sequences}
        assert counted == {key: (n, 0) for key, n in packs.items()}, sequences
        assert received == sum(self.expected.values())
        return sum(row.duplicates for row in sequences)


@pytest.fixture
def drill(
    *,
    mosquitto: MosquittoServer,
    tmp_path: Path,
    ingest_env: dict[str, str],
    start_ingest: StartIngest,
    start_stream: Callable[..., Stream],
    listen: Callable[..., Listener],
) -> Drill:
    return Drill(
        mosquitto=mosquitto,
        influx_url=ingest_env["BYGGPULS_INFLUX_URL"],
        tmp_path=tmp_path,
        env=ingest_env | FAST_BATCHES,
        start_ingest=start_ingest,
        start_stream=start_stream,
        start_listener=listen,
    )


def test_broker_killed_with_a_partner_subscribed_loses_nothing(drill: Drill) -> None:
    # A partner's application takes the energy telemetry too, on a persistent session: the
    # broker has a subscriber for every energy pack whether ingest has it or not.
    partner = drill.listen(
        client_id="partner-energy",
        topic_filter=f"{topics.PREFIX}/+/energy",
        qos=1,
        persistent=True,
    )
    observer = drill.listen(
        client_id="observer", topic_filter=topics.TELEMETRY_FILTER, qos=0, persistent=False
    )
    worker = drill.worker("ingest", BYGGPULS_INGEST_RECEIVE_MAXIMUM=str(WORKER_WINDOW))
    stream = drill.gateways()

    assert wait_until(
        lambda: stream.sent >= len(stream.chunks) // 3 or stream.done, timeout_s=DEADLINE_S
    ), drill.why()
    # Held back while more gateways come online with a burst larger than its window: the
    # broker accepts the burst from them and holds what does not fit for ingest. Killed
    # then, the broker loses that: only the gateways still have it.
    worker.pause()
    try:
        burst = drill.gateways(BURST, chunk=BURST_PACKS)
        routed = wait_until(
            lambda: observer.routed(burst.chunks[0]) and observer.routed(stream.chunk_under_way()),
            timeout_s=60,
        )
        assert not stream.done, "the stream ended before the broker was killed"
        drill.mosquitto.kill(hold_port=True)
        drill.mosquitto.start()
    finally:
        worker.resume()
    assert routed, drill.why()

    drill.recovered()
    # What the broker lost came again from the gateways: the broker had nothing to give.
    assert burst.resent > 0, burst.describe()
    assert partner.received > 0  # it was subscribed beside ingest all along
    duplicates = drill.counted_once()
    # Repeats are allowed (a resent pack may have reached ingest before), stored once anyway.
    assert worker.metric("byggpuls_ingest_gateway_duplicate_packs") == duplicates
    assert worker.end() == 0, worker.report()


def test_broker_killed_while_ingest_is_away_loses_nothing(drill: Drill) -> None:
    worker = drill.worker("ingest")
    stream = drill.gateways()

    assert wait_until(
        lambda: stream.sent >= len(stream.chunks) // 4 or stream.done, timeout_s=DEADLINE_S
    ), drill.why()
    assert not stream.done, "the stream ended before ingest stopped: " + stream.describe()
    assert worker.end(signal.SIGTERM) == 0, worker.report()
    # The gateways go on: what nobody acknowledges they publish again, into a broker that
    # has no subscriber for it (the worker's session ended with it).
    resent = stream.resent
    assert wait_until(lambda: stream.resent > resent, timeout_s=DEADLINE_S), stream.describe()
    drill.mosquitto.kill(hold_port=True)
    drill.mosquitto.start()
    worker = drill.worker("ingest-after")

    drill.recovered()
    drill.counted_once()
    assert worker.end() == 0, worker.report()


def test_a_shared_worker_killed_leaves_its_share_to_the_other(drill: Drill) -> None:
    def shared(n: int) -> IngestProcess:
        return drill.worker(
            f"ingest-{n}",
            BYGGPULS_INGEST_SHARED_SUBSCRIPTION="true",
            BYGGPULS_INGEST_CLIENT_ID=f"ingest-shared-{n}",
            BYGGPULS_INGEST_METRICS_PORT=str(free_port()),
        )

    survivor, doomed = shared(1), shared(2)
    observer = drill.listen(
        client_id="observer", topic_filter=topics.TELEMETRY_FILTER, qos=0, persistent=False
    )
    written = "byggpuls_ingest_readings_written_total"
    stream = drill.gateways()

    # Mid-stream, with both workers taking their share.
    assert wait_until(
        lambda: (
            (
                stream.sent >= len(stream.chunks) // 3
                and doomed.metric(written) > 0
                and survivor.metric(written) > 0
            )
            or stream.done
        ),
        timeout_s=DEADLINE_S,
    ), drill.why()
    # Held back until its share of a chunk has come, then killed (SIGKILL) and not restarted:
    # it dies holding packs it received and never acknowledged, as a crash mid-batch does.
    # Either it held some of the chunk under way when paused (that chunk then waits for a
    # resend), or the broker routes it some of a chunk published after the pause: the shared
    # subscription takes turns, and a paused worker is still connected.
    paused_at = stream.sent
    doomed.pause()
    try:
        routed = wait_until(
            lambda: (
                stream.resent > 0
                or (stream.sent > paused_at and observer.routed(stream.chunk_under_way()))
            ),
            timeout_s=60,
        )
    finally:
        doomed.kill()
    assert routed, stream.describe()
    assert not stream.done, "the stream ended before a worker was killed: " + stream.describe()
    assert doomed.process.returncode == -signal.SIGKILL
    before = survivor.metric(written)

    drill.recovered()
    # What the dead worker held came again from the gateways, and went to the one left.
    assert stream.resent > 0, stream.describe()
    assert survivor.metric(written) > before
    drill.counted_once()
    assert survivor.end() == 0, survivor.report()


def test_a_paused_worker_resumed_into_a_large_backlog_stays_within_its_bound(
    drill: Drill,
) -> None:
    window = 500
    bound_mb = window * wire.PACK_MAX_BYTES / 2**20  # the least the Receive Maximum allows
    # One reading a pack, many gateways: many messages for little to write.
    shape = {"buildings": 500, "packs_per_building": 40, "points_per_pack": 1, "times_per_pack": 1}
    backlog = shape["buildings"] * shape["packs_per_building"]
    assert backlog >= 20_000
    worker = drill.worker(
        "ingest",
        BYGGPULS_INGEST_RECEIVE_MAXIMUM=str(window),
        BYGGPULS_INGEST_MAX_HELD_MB=str(bound_mb),
        # The broker must not drop the paused worker's connection (1.5 keepalives of silence),
        # and with it the backlog: the backlog at the broker is what this drill is about.
        BYGGPULS_MQTT_KEEPALIVE_S="300",
    )
    # Sees what the broker routes (QoS 0, so it never holds the broker back).
    observer = drill.listen(
        client_id="observer", topic_filter=topics.TELEMETRY_FILTER, qos=0, persistent=False
    )

    worker.pause()
    try:
        # All at once, as gateways coming back after an outage do. Resent after 10 s, not
        # sooner: the backlog takes longer than that to write, and each resend of what is
        # still queued would add to it.
        stream = drill.gateways(shape, chunk=backlog, resend_after_s=10.0)
        routed = wait_until(lambda: observer.received >= backlog, timeout_s=DEADLINE_S)
    finally:
        worker.resume()
    assert routed, f"the broker routed {observer.received} of {backlog}; {stream.describe()}"

    drill.recovered()
    samples = worker.metrics()
    held = samples.get("byggpuls_ingest_inflight_messages_max", 0.0)
    held_bytes = samples.get("byggpuls_ingest_held_bytes_max", 0.0)
    shed = samples.get("byggpuls_ingest_messages_shed_total", 0.0)
    received = samples.get("byggpuls_ingest_messages_received_total", 0.0)
    figures = (
        f"held at most {held:.0f} messages, {held_bytes:.0f} bytes (Receive Maximum {window}, "
        f"bound {bound_mb:g} MiB); shed {shed:.0f}; received {received:.0f}; "
        f"{stream.describe()}"
    )
    assert 0 < held_bytes <= bound_mb * 2**20, figures
    # Connected throughout: it was resumed into the backlog the broker held for it.
    log = worker.log_path.read_text()
    assert "disconnected" not in log, f"{figures}\n{log[-3000:]}"
    assert worker.end() == 0, worker.report()
