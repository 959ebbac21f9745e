"""Helpers for the integration tests: ingest in the test process or as ``byggpuls ingest``, and
gateways streaming to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx
import pytest

from byggpuls.mqtt import MqttSession
from byggpuls.settings import CommonSettings
from cli.bootstrap import build_ingest
from ingest.service import IngestService
from ingest.settings import IngestSettings
from sandbox.loadgen import Message, Publisher, influx_series_counts, wait_until
from sandbox.servers import MosquittoServer, die_with_parent, free_port

REPO = Path(__file__).resolve().parents[2]

#: How long a started service may take to subscribe; the servers run on a loaded machine.
READY_TIMEOUT_S = 30


@contextmanager
def running_ingest(settings: IngestSettings) -> Iterator[IngestService]:
    """An ingest service built from ``settings``, started and subscribed; stopped on exit."""
    built = build_ingest(settings)
    service = built.service
    with built.resources:
        service.start()
        try:
            assert service.wait_ready(READY_TIMEOUT_S)
            yield service
        finally:
            service.stop()


# -- ingest as a process, and gateways publishing to it ------------------------------------------

#: Measured on two cores: a worker was ready 4 s after its start with the machine otherwise
#: quiet, 16 s after with six busy processes beside it, and 30 s were too few under the load of
#: several test runs. This bound only ends a test whose worker never becomes ready.
PROCESS_READY_TIMEOUT_S = 120.0
#: The counters a failing test shows of each worker.
DIAGNOSTIC_METRICS: Final = (
    "byggpuls_ingest_readings_written_total",
    "byggpuls_ingest_messages_acknowledged_total",
    "byggpuls_ingest_acks_dropped_total",
    "byggpuls_ingest_gateway_packs_acknowledged_total",
    "byggpuls_ingest_messages_shed_total",
    "byggpuls_ingest_inflight_messages",
    "byggpuls_ingest_inflight_messages_max",
    "byggpuls_ingest_held_bytes_max",
    "byggpuls_ingest_broker_connected",
)


class IngestProcess:
    """``byggpuls ingest`` as a child process, its output in a log file.

    It dies with the test process (a parent-death signal), and :func:`start_ingest` kills it
    after the test, stopped (SIGSTOP) or not.
    """

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.port = int(env["BYGGPULS_INGEST_METRICS_PORT"])
        self.name = env.get("BYGGPULS_INGEST_CLIENT_ID", "ingest")
        self.log_path = log
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingest"],
            env=env,
            cwd=REPO,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent(),  # noqa: PLW1509 - two system calls, no locks
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_healthy(self) -> None:
        """Wait until it is ready for traffic; fail at once if it exits first."""
        wait_until(lambda: self.healthy() or not self.alive, timeout_s=PROCESS_READY_TIMEOUT_S)
        assert self.healthy(), self.log_path.read_text()[-3000:]

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def metrics(self) -> dict[str, float]:
        """Every sample of /metrics, labelled ones summed over their labels."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        samples: dict[str, float] = {}
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            name, value = line.rsplit(" ", 1)
            name = name.split("{", 1)[0]
            samples[name] = samples.get(name, 0.0) + float(value)
        return samples

    def metric(self, name: str) -> float:
        """A metric's value (summed over its labels); 0 when it has none yet."""
        return self.metrics().get(name, 0.0)

    def diagnosis(self, influx_url: str, expected: dict[tuple[str, str], int]) -> str:
        """What a failing test should show: how far it got, the worker's counters and log."""
        return f"{stored_summary(influx_url, expected)}\n{self.report()}"

    def report(self) -> str:
        """The worker's counters, whether it runs, and the end of its log."""
        try:
            samples = self.metrics()
            figures = {name: samples.get(name, 0.0) for name in DIAGNOSTIC_METRICS}
            shown = f"{figures}"
        except httpx.HTTPError as exc:
            shown = f"metrics unreachable ({exc!r})"
        log = self.log_path.read_text()[-4000:]
        return f"worker {self.name}: {shown}; alive: {self.alive}\n{log}"

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def end(self, sig: signal.Signals = signal.SIGTERM) -> int:
        """Send ``sig`` (SIGTERM: a graceful stop) and wait for the exit; its exit code."""
        self.process.send_signal(sig)
        code = self.process.wait(30)
        self._log.close()
        return code

    def kill(self) -> None:
        """End it for good, stopped (SIGSTOP) or not, unless it has ended."""
        if self.alive:
            self.process.kill()
        self.process.wait()
        self._log.close()


StartIngest = Callable[[dict[str, str], Path], IngestProcess]


def stored_summary(influx_url: str, expected: dict[tuple[str, str], int]) -> str:
    """How many of the ``expected`` readings InfluxDB holds, and a few series that are off."""
    counts = influx_series_counts(influx_url)
    wrong = {
        key: (counts.get(key, 0), want)
        for key, want in expected.items()
        if counts.get(key, 0) != want
    }
    wrong.update({key: (n, 0) for key, n in counts.items() if key not in expected})
    return (
        f"stored {sum(counts.values())} of {sum(expected.values())} readings, "
        f"{len(wrong)} series off (stored, expected): {dict(list(wrong.items())[:5])}"
    )


@pytest.fixture
def start_ingest() -> Iterator[StartIngest]:
    """Starts ``byggpuls ingest`` workers (env, log file) and waits until each is ready;
    however the test ends, none outlives it."""
    started: list[IngestProcess] = []

    def start(env: dict[str, str], log: Path) -> IngestProcess:
        worker = IngestProcess(env=env, log=log)
        started.append(worker)
        worker.wait_healthy()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


@pytest.fixture
def ingest_env(mosquitto: MosquittoServer, influx_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``byggpuls ingest`` on this test's Mosquitto and database, with
    a registry in SQLite and a metrics port of its own."""
    return dict(
        os.environ,
        BYGGPULS_MQTT_URL=mosquitto.url,
        BYGGPULS_INFLUX_URL=influx_url,
        BYGGPULS_DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        BYGGPULS_DATA_DIR=str(tmp_path / "data"),
        BYGGPULS_INGEST_CLIENT_ID="ingest-under-test",
        BYGGPULS_INGEST_METRICS_PORT=str(free_port()),
    )


class Stream:
    """Publishes messages from a thread, as gateways do: a chunk at a time, the next once
    ingest acknowledged all of the last end to end (loadgen's :class:`Publisher`, which sends
    again what stays unacknowledged for ``resend_after_s``)."""

    def __init__(
        self,
        mqtt_url: str,
        messages: Sequence[Message],
        *,
        client_id: str = "stream",
        chunk: int = 20,
        pause_s: float = 0.0,
        resend_after_s: float = 3.0,
        chunk_timeout_s: float = 240.0,
    ) -> None:
        self.total = len(messages)
        self.chunks = [messages[i : i + chunk] for i in range(0, len(messages), chunk)]
        #: Chunks and messages acknowledged so far.
        self.sent = 0
        self.confirmed = 0
        self.error: BaseException | None = None
        self._pause_s = pause_s
        self._chunk_timeout_s = chunk_timeout_s
        self._stop = threading.Event()
        self._done = threading.Event()
        self.publisher = Publisher(
            mqtt_url=mqtt_url, client_id=client_id, resend_after_s=resend_after_s
        )
        self._thread = threading.Thread(target=self._run, name=f"stream-{client_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for chunk in self.chunks:
                if self._stop.is_set():
                    return
                confirmed = self.publisher.publish(
                    chunk, timeout_s=self._chunk_timeout_s, stall_s=5
                )
                if confirmed != len(chunk):
                    raise TimeoutError(
                        f"{len(chunk) - confirmed} of a chunk of {len(chunk)} messages not "
                        f"acknowledged within {self._chunk_timeout_s:.0f} s"
                    )
                self.confirmed += confirmed
                self.sent += 1
                self._stop.wait(self._pause_s)
        except BaseException as exc:  # for the test to see: describe() shows it
            self.error = exc
        finally:
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def resent(self) -> int:
        """Packs published again because ingest had not acknowledged them in time."""
        return self.publisher.resent

    def chunk_under_way(self) -> Sequence[Message]:
        """The chunk being published, or about to be (none once all are acknowledged)."""
        sent = self.sent
        return self.chunks[sent] if sent < len(self.chunks) else []

    def wait_done(self, timeout_s: float) -> bool:
        """Wait until every chunk is acknowledged, or the stream failed; whether it ended."""
        return self._done.wait(timeout_s)

    def describe(self) -> str:
        return (
            f"stream: {self.confirmed} of {self.total} messages acknowledged "
            f"({self.sent} of {len(self.chunks)} chunks), {self.resent} resent, "
            f"error: {self.error!r}"
        )

    def close(self) -> None:
        """Stop after the chunk under way, and disconnect."""
        self._stop.set()
        self.publisher.close()
        self._thread.join(5)


@pytest.fixture
def start_stream() -> Iterator[Callable[..., Stream]]:
    """Starts :class:`Stream` s (the arguments of its constructor); each is closed after the
    test."""
    streams: list[Stream] = []

    def start(mqtt_url: str, messages: Sequence[Message], **options: Any) -> Stream:
        stream = Stream(mqtt_url, messages, **options)
        streams.append(stream)
        return stream

    try:
        yield start
    finally:
        for stream in streams:
            stream.close()


class Listener:
    """A plain MQTT client subscribed to one filter, counting what the broker delivers it: a
    partner's application, or an observer of what the broker routes."""

    def __init__(
        self, mqtt_url: str, *, client_id: str, topic_filter: str, qos: int, persistent: bool
    ) -> None:
        self.received = 0
        self._payloads: set[bytes] = set()
        self._filter = topic_filter
        self._qos = qos
        self._subscriptions: list[int] = []
        self.session = MqttSession(
            settings=CommonSettings(mqtt_url=mqtt_url),
            client_id=client_id,
            persistent=persistent,
            on_connect=self._on_connect,
            on_message=self._on_message,
        )
        self.session.start()

    def _on_connect(self, session: MqttSession) -> None:
        self._subscriptions.append(session.subscribe(self._filter, qos=self._qos))

    def _on_message(self, message: Any) -> None:
        # Only the network thread writes these.
        self.received += 1
        self._payloads.add(bytes(message.payload))

    def routed(self, messages: Sequence[Message]) -> bool:
        """Whether the broker has routed each of ``messages`` (to this listener and so to every
        subscriber it had then)."""
        return all(message.payload in self._payloads for message in messages)

    def wait_subscribed(self, timeout_s: float = 30.0) -> bool:
        if not wait_until(lambda: bool(self._subscriptions), timeout_s=timeout_s, every_s=0.05):
            return False
        return self.session.wait_subscribed(self._subscriptions[-1], timeout_s)

    def close(self) -> None:
        self.session.stop()


@pytest.fixture
def listen() -> Iterator[Callable[..., Listener]]:
    """Connects :class:`Listener` s (the arguments of its constructor) and waits until each is
    subscribed; each is closed after the test."""
    listeners: list[Listener] = []

    def start(mqtt_url: str, **options: Any) -> Listener:
        listener = Listener(mqtt_url, **options)
        listeners.append(listener)
        assert listener.wait_subscribed(), f"{options} not subscribed"
        return listener

    try:
        yield start
    finally:
        for listener in listeners:
            listener.close()
