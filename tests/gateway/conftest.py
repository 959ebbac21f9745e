"""Fixtures of the gateway tests: a subscriber that checks what arrives, a counting driver,
and a Modbus TCP server (pymodbus's own) on a free port."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from byggpuls import topics, wire
from byggpuls.errors import ContractError
from byggpuls.mqtt import MqttSession
from byggpuls.reading import BuildingInfo, PointInfo, Reading
from byggpuls.settings import CommonSettings
from sandbox.servers import MosquittoServer, free_port

DEADLINE_SECONDS = 30.0


def wait_for(
    condition: Callable[[], bool], what: str, *, timeout: float = DEADLINE_SECONDS
) -> None:
    """Wait until ``condition()`` holds; fail saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class ReceivedPack:
    topic: str
    gateway: str
    seq: int
    payload: bytes
    #: (point, time_ms, value, unit) in pack order.
    readings: list[tuple[str, int, float, str | None]]


@dataclass
class Collector:
    """A subscriber to everything under ``byggpuls/v1/``, with a persistent session.

    With ``acknowledge`` it plays ingest's part for gateways: every pack it receives is
    acknowledged at once on its gateway's ack topic, so the gateway deletes it from its spool.
    """

    url: str
    client_id: str = "test-collector"
    acknowledge: bool = True
    packs: list[ReceivedPack] = field(default_factory=list)
    #: Every status payload in order of arrival, per topic.
    statuses: dict[str, list[wire.Status]] = field(default_factory=dict)
    metas: dict[str, list[wire.Meta]] = field(default_factory=dict)
    #: Kinds of message in order of arrival ("meta", "status", "telemetry"), per gateway.
    order: list[tuple[str, str]] = field(default_factory=list)
    #: Telemetry payloads that are not valid packs (tests send some on purpose).
    malformed: list[bytes] = field(default_factory=list)
    #: Acknowledgements seen on the ack topics, ``(gateway, ranges)``, in order of arrival.
    acks: list[tuple[str, list[tuple[int, int]]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Collector:
        subscribed: list[int] = []
        self.session = MqttSession(
            settings=CommonSettings(mqtt_url=self.url),
            client_id=self.client_id,
            receive_maximum=1000,
            # Subscribe on every connect: the broker may have forgotten us (see DESIGN.md).
            on_connect=lambda s: subscribed.append(s.subscribe(f"{topics.PREFIX}/#")),
            on_message=self._on_message,
        )
        self.session.start()
        assert self.session.wait_connected(DEADLINE_SECONDS)
        wait_for(lambda: bool(subscribed), "the subscription to be sent")
        assert self.session.wait_subscribed(subscribed[0], DEADLINE_SECONDS)
        return self

    def stop(self) -> None:
        self.session.stop()

    def _on_message(self, message: paho.MQTTMessage) -> None:
        parsed = topics.parse(message.topic)
        payload = bytes(message.payload)
        with self.lock:
            if isinstance(parsed, topics.StatusTopic):
                status = wire.decode_status(payload)
                self.statuses.setdefault(message.topic, []).append(status)
                self.order.append((parsed.gateway, "status"))
            elif isinstance(parsed, topics.AckTopic):
                self.acks.append((parsed.gateway, wire.decode_ack(payload)))
            elif isinstance(parsed, topics.MetaTopic):
                meta = wire.decode_meta(payload, topic=parsed)
                self.metas.setdefault(message.topic, []).append(meta)
                self.order.append((parsed.gateway, "meta"))
            else:
                try:
                    telemetry = wire.decode_telemetry(
                        payload, building=parsed.building, resolve=lambda p, u: ("x", None)
                    )
                except ContractError:
                    self.malformed.append(payload)
                    return
                first = json.loads(payload)[0]
                self.packs.append(
                    ReceivedPack(
                        topic=message.topic,
                        gateway=first["gw"],
                        seq=first["seq"],
                        payload=payload,
                        readings=[
                            (r.point, r.time_ms, r.value, r.unit) for r in telemetry.readings
                        ],
                    )
                )
                self.order.append((first["gw"], "telemetry"))
        if self.acknowledge and isinstance(parsed, topics.TelemetryTopic):
            for ack in wire.encode_ack([first["seq"]]):
                self.session.publish(topics.ack(parsed.building, first["gw"]), ack, qos=1)

    # -- views -------------------------------------------------------------------------------

    def unique_packs(self, gateway: str, *, gaps: bool = False) -> list[ReceivedPack]:
        """The packs of ``gateway`` by first arrival, checking that they came in order.

        A pack may arrive again (resent after an outage, with the same seq and readings), but
        a new seq must be the next one after the highest seen: nothing skipped, nothing
        overtaken. With ``gaps``, seqs may be skipped (packs dropped by a full spool).
        """
        with self.lock:
            packs = [p for p in self.packs if p.gateway == gateway]
        seen: dict[int, ReceivedPack] = {}
        highest = None
        for pack in packs:
            if pack.seq in seen:
                assert seen[pack.seq].readings[-len(pack.readings) :] == pack.readings, (
                    f"pack {pack.seq} came again with other readings"
                )
                continue
            assert highest is None or pack.seq == highest + 1 or (gaps and pack.seq > highest), (
                f"pack {pack.seq} arrived after {highest}: out of order or one is missing"
            )
            seen[pack.seq] = pack
            highest = pack.seq
        return list(seen.values())

    def readings(
        self, gateway: str, *, gaps: bool = False
    ) -> list[tuple[str, int, float, str | None]]:
        return [r for pack in self.unique_packs(gateway, gaps=gaps) for r in pack.readings]

    def reading_count(self, gateway: str) -> int:
        with self.lock:
            packs = {p.seq: len(p.readings) for p in self.packs if p.gateway == gateway}
        return sum(packs.values())

    def last_status(self, topic: str) -> wire.Status | None:
        with self.lock:
            statuses = self.statuses.get(topic)
            return statuses[-1] if statuses else None


@pytest.fixture
def collector(mosquitto: MosquittoServer) -> Iterator[Collector]:
    """A subscriber to the test's broker, stopped afterwards."""
    subscriber = Collector(url=mosquitto.url).start()
    try:
        yield subscriber
    finally:
        subscriber.stop()


class CountingDriver:
    """A live driver whose readings count up: value ``i`` is the ``i``-th reading made.

    ``per_poll`` readings of ``points`` points every ``interval_s`` seconds, so a test can tell
    exactly which readings arrived, and in which order.
    """

    historic = False

    def __init__(
        self,
        *,
        building: str = "b1",
        interval_s: float = 0.05,
        points: int = 4,
        domains: tuple[str, ...] = ("hvac", "climate"),
    ) -> None:
        self.interval_s = interval_s
        self._building = BuildingInfo(id=building, name="Test building", type="school")
        self._points = [
            PointInfo(
                point=f"room{i}.temp",
                domain=domains[i % len(domains)],
                quantity="temperature",
                unit="Cel",
                brick_class="Zone_Air_Temperature_Sensor",
                interval_s=1,
            )
            for i in range(points)
        ]
        self.made = 0
        self._next_s: float | None = None
        self.paused = threading.Event()

    def building(self) -> BuildingInfo:
        return self._building

    def points(self) -> list[PointInfo]:
        return list(self._points)

    def next_poll_s(self, now_s: float) -> float | None:
        if self._next_s is None:
            self._next_s = now_s
        return self._next_s

    def poll(self, now_s: float) -> list[Reading]:
        self._next_s = max((self._next_s or now_s) + self.interval_s, now_s)
        if self.paused.is_set():
            return []
        time_ms = round(now_s * 1000)
        readings = [
            Reading(
                building=self._building.id,
                point=point.point,
                quantity=point.quantity,
                time_ms=time_ms,
                value=float(self.made + i),
                unit=point.unit,
            )
            for i, point in enumerate(self._points)
        ]
        self.made += len(readings)
        return readings

    def close(self) -> None:
        pass


@pytest.fixture
def counting_driver() -> type[CountingDriver]:
    """The class: tests make drivers of the shape they need."""
    return CountingDriver


@dataclass
class ModbusServer:
    """pymodbus's TCP server in a thread of its own, with the given register blocks."""

    holding: dict[int, list[int]]
    input: dict[int, list[int]]
    port: int = field(default_factory=free_port)

    def start(self) -> ModbusServer:
        def blocks(registers: dict[int, list[int]]) -> list[SimData]:
            return [
                SimData(address=address, values=values, datatype=DataType.REGISTERS)
                for address, values in sorted(registers.items())
            ]

        coils = [SimData(address=0, values=[False] * 16, datatype=DataType.BITS)]
        self._device = SimDevice(
            id=1,
            simdata=(coils, list(coils), blocks(self.holding), blocks(self.input)),
        )
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def serve() -> None:
            self._server = ModbusTcpServer(self._device, address=("127.0.0.1", self.port))
            await self._server.serve_forever(background=True)
            ready.set()

        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(DEADLINE_SECONDS)
        assert ready.wait(DEADLINE_SECONDS)
        return self

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        shutdown = self._server.shutdown()  # type: ignore[no-untyped-call]
        asyncio.run_coroutine_threadsafe(shutdown, self._loop).result(DEADLINE_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(DEADLINE_SECONDS)
        self._loop.close()


@pytest.fixture
def modbus_server_factory() -> Iterator[Callable[..., ModbusServer]]:
    """Start Modbus servers with given registers; all stopped afterwards."""
    servers: list[ModbusServer] = []

    def start(*, holding: dict[int, list[int]], input: dict[int, list[int]]) -> ModbusServer:
        server = ModbusServer(holding=holding, input=input).start()
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def wait_until() -> Callable[..., None]:
    """:func:`wait_for`, for tests (conftest modules cannot be imported from tests)."""
    return wait_for


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path
